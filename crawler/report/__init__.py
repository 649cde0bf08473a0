"""The coverage report: one self-contained HTML page about a story (`newsarchive report`).

`model` holds what the page shows, built from the database by `crawler.services.report`; `render`
turns it into HTML with an inline SVG chart, no scripts and no external resources, so the page
opens offline and leaks nothing when a researcher shares it.
"""
