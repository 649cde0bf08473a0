"""`newsarchive serve`: the archive in a browser, on Datasette. `app` builds the Datasette
instance (metadata, canned queries, templates), `plugin` adds our pages (article, diff, replay,
search), `replay` makes an archived page safe to open and keeps it inside the archive,
`diffview` draws a word diff as HTML."""
