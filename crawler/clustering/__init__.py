"""Syndication clusters: copies of the same text across publishers (docs/clusters.md).

Pure: it imports neither Scrapy nor SQLAlchemy. `signatures` turns an article's text into a
MinHash signature and its LSH band keys; `groups` turns signatures into clusters. Persistence,
and the incremental update that calls both, are in `storage.db.clusters`.
"""
