"""Syndication clusters: copies of the same text across publishers (docs/clusters.md).

Pure: it imports neither Scrapy nor SQLAlchemy. `signatures` turns an article's text into a
MinHash signature and its LSH band keys; `groups` turns signatures into clusters. The
incremental update that calls both is `crawler.services.clusters`. datasketch is imported inside
the functions that use it: it loads scipy, 0.4 s that every crawl and every verb would otherwise
spend at start-up.
"""
