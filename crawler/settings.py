"""Scrapy settings for newsarchive.

Defaults are safe for real sites: robots.txt obeyed, one request at a time per host about a second
apart, AutoThrottle on. Any of them can be changed for one run with `-s NAME=VALUE`.
Our own settings carry prefixes: `NEWSARCHIVE_*` (the run), `WARC_*`, `EXTRACT_*`, `DB_*`.
"""

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- the run -------------------------------------------------------------------------------------
NEWSARCHIVE_DATA_DIR = "data"
"""Where the WARC files (DIR/warc) and the default SQLite database (DIR/newsarchive.db) live."""
NEWSARCHIVE_CONTACT_URL = "https://github.com/newsarchive/newsarchive"
"""Put in the user agent so that site owners can reach whoever runs the crawl: set it to yours."""
NEWSARCHIVE_PROGRESS = "auto"
"""The progress display on standard output: 'auto' (a live table per publisher on a terminal,
plain lines otherwise), 'live', 'lines', or 'off' (`--quiet`)."""
NEWSARCHIVE_PROGRESS_INTERVAL = 10.0
"""Seconds between progress lines (0 turns them off)."""
NEWSARCHIVE_REVISIT = "due"
"""Which known articles to fetch again: 'due' (by the story's revisit policy), 'all' or 'none'."""
NEWSARCHIVE_NOW = ""
"""The time the revisit schedule is judged at (ISO 8601); empty means now. For tests."""
NEWSARCHIVE_OUTCOMES = True
"""Record the outcome of every URL the crawl meets (crawl_runs, url_outcomes, outcome/* stats)."""

# --- distributed crawling (docs/distributed.md) -------------------------------------------------
NEWSARCHIVE_REDIS_URL = ""
"""A Redis URL: workers started with the same one and the same story share one frontier.
Empty means a crawl in this process alone. `--redis` or $NEWSARCHIVE_REDIS set it."""
NEWSARCHIVE_REDIS_PREFIX = "newsarchive"
"""The first part of every Redis key: `<prefix>:<story name>:…` ($NEWSARCHIVE_REDIS_PREFIX)."""
NEWSARCHIVE_REDIS_HEARTBEAT = 1.0
"""Seconds between a worker's heartbeats (and its looks for dead workers and for the end)."""
NEWSARCHIVE_REDIS_WORKER_TIMEOUT = 15.0
"""A worker silent this many seconds is dead: its in-flight requests go back in the queue."""
NEWSARCHIVE_REDIS_IDLE_TIME = 5.0
"""A worker stops once the queue is empty and nothing is in flight anywhere for this long."""
NEWSARCHIVE_REDIS_RUN_TTL = 7 * 24 * 3600.0
"""Seconds every Redis key of a run lives after the last heartbeat of its last live worker: an
abandoned run disappears by itself. Must be longer than NEWSARCHIVE_REDIS_WORKER_TIMEOUT."""

# --- politeness ----------------------------------------------------------------------------------
USER_AGENT = f"newsarchive/{__version__} (+{NEWSARCHIVE_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_ITEMS = 8
"""A page yields one item; Scrapy's default of 100 starts 100 tasks for every response."""
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
"""Scrapy's remote control (an HTTP server in the crawl, on by default since Scrapy 2.14): off,
like the telnet console."""
REFERER_ENABLED = True
# Every response is archived, whatever its status, so the spider sees errors too and reports them.
HTTPERROR_ALLOW_ALL = False

# --- limits (docs/crawling.md, "Limits and hostile input") ----------------------------------------
DOWNLOAD_TIMEOUT = 30
"""Seconds for a whole download, body included: a server trickling bytes is cut off here."""
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
"""Bytes: a larger body, on the wire or once decompressed, is refused (`fetch/too_large`)."""
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
"""Redirects followed in one chain; a loop is refused at once (`redirect/loop`)."""
URLLENGTH_LIMIT = 2083
"""Characters: longer URLs are not requested (Scrapy's default, stated here)."""
NEWSARCHIVE_ROBOTSTXT_MAXSIZE = 512 * 1024
"""Bytes of robots.txt read; the rest is not downloaded (RFC 9309 asks for at least 500 KiB)."""
NEWSARCHIVE_SITEMAP_DEPTH = 2
"""Sitemap indexes followed below a sitemap the crawl started from (an index of indexes)."""
NEWSARCHIVE_GUARD_ENABLED = True
"""Refuse requests to internal addresses that are not story sources (docs/crawling.md)."""
NEWSARCHIVE_GUARD_ALLOW: list[str] = []
"""Networks ('10.1.0.0/16'), hosts ('intranet.example') or 'host:port's the guard lets through."""

# The duplicate filter knows a request by its identity, the normalised URL (crawler/identity.py):
# a URL is requested as published, and a second published form of it is not fetched again.
REQUEST_FINGERPRINTER_CLASS = "crawler.identity.IdentityFingerprinter"

# --- page requisites (docs/crawling.md#page-requisites) -------------------------------------------
REQUISITES_ENABLED = True
"""Fetch and archive what each HTML page of a source loads (stylesheets, images, fonts, scripts)."""
REQUISITES_MAX_PER_PAGE = 40
"""New requisites asked for one page (or one stylesheet); the rest are counted and left."""
REQUISITES_MAX_BYTES = 10 * 1024 * 1024
"""Bytes of one requisite (its DOWNLOAD_MAXSIZE)."""
REQUISITES_PRIORITY = 10
"""Scheduler priority of requisite requests: before the pages and listings waiting, so a page and
what it loads are captured close in time and the queue holds only the requisites of the pages in
flight (at -10 they waited behind every page: +83 MB of queued requests at 1,500 pages)."""

# --- components ----------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    # Outermost: its process_exception sees every refusal and, below RetryMiddleware (550), a
    # failed robots.txt request once no retry is left.
    "crawler.extensions.outcomes.OutcomesMiddleware": 35,
    # Next, so that every request (robots.txt ones too) meets the guard before anything else.
    "crawler.middlewares.guard.AddressGuardMiddleware": 40,
    "crawler.middlewares.limits.LimitsMiddleware": 45,
    # What a recrawl does with a known URL: a revisit (conditional, with its previous capture)
    # or left alone; before robots.txt and the download slots, so a refused one waits for nothing.
    "crawler.middlewares.revisits.RevisitMiddleware": 50,
    # Scrapy's own, refusing with a reason (crawler/refusals.py):
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.limits.DecompressionMiddleware": 590,
    # Scrapy's, decoding only the head of the body it reads (not the whole body per page):
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.metarefresh.HeadMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.limits.RedirectMiddleware": 600,
}
SPIDER_MIDDLEWARES: dict[str, int | None] = {
    # Scrapy's, reporting the responses it refuses to the outcomes extension.
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": None,
    "crawler.extensions.outcomes.HttpErrorMiddleware": 50,
    # The due revisits first, then the spider's start requests (a distributed worker's seeding
    # middleware, at 100, queues both once).
    "crawler.middlewares.revisits.RevisitStartMiddleware": 800,
    # What each source page loads (stylesheets, images, fonts, scripts), after its own output.
    "crawler.middlewares.requisites.RequisitesMiddleware": 750,
}
EXTENSIONS = {
    # First: the one database owner (engine, database thread), which recovers a crashed crawl's
    # WARC files before the WARC extension opens a new one.
    "crawler.extensions.database.Database": 50,
    "crawler.extensions.warc.WarcExtension": 100,
    "crawler.extensions.outcomes.OutcomesExtension": 200,
    "crawler.extensions.progress.ProgressExtension": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 300,
    "crawler.pipelines.store.StorePipeline": 800,
}

# --- archive -------------------------------------------------------------------------------------
WARC_ENABLED = True
WARC_DIR = ""
"""Empty means NEWSARCHIVE_DATA_DIR/warc."""
WARC_PREFIX = "newsarchive"
WARC_MAX_SIZE = 1024 * 1024 * 1024
"""Rotate to a new file once the current one reaches this many bytes (compressed)."""
WARC_GZIP = True
WARC_GZIP_LEVEL = 2
"""ISA-L level (0-3) of each record's gzip member (`python -m bench warcgzip`)."""
WARC_REVISIT_REQUESTS = True
"""Write the request record of an unchanged answer (a revisit); False: the revisit record
alone, about half a recrawl's bytes, without the request as sent (docs/archive.md)."""
WARC_RECOVER = True
"""At the start of a crawl, recover the `.open` files a crashed crawl left (docs/archive.md)."""

# --- extraction ----------------------------------------------------------------------------------
EXTRACT_ENABLED = True
"""Off: pages are fetched (and archived) but not extracted nor judged, e.g. to time fetching."""
EXTRACT_WORKERS = 0
"""Processes for extraction; 0 means one per CPU core."""
EXTRACT_MIN_WORDS = 80
"""A page whose main text is shorter is stored as a capture, not as an article."""
EXTRACT_MIN_WORDS_DECLARED = 25
"""The same for a page that declares itself an article (og:type article, a JSON-LD NewsArticle,
one <article> with an h1): a news brief is news. The lower of the two applies to such a page."""
EXTRACT_FAVOR = "precision"
"""'precision', 'recall' or 'balanced': trafilatura's trade-off. 'precision' (with the balanced
extraction as a fallback when it keeps too little) scored best on the article-extraction
benchmark (docs/benchmarks.md)."""
EXTRACT_INCLUDE_TABLES = True
EXTRACT_INCLUDE_COMMENTS = False

# --- syndication clusters ------------------------------------------------------------------------
CLUSTER_ENABLED = True
"""Group copies of the same text across publishers at the end of each crawl (docs/clusters.md)."""
CLUSTER_THRESHOLD = 0.6
"""Estimated Jaccard similarity of two texts' word shingles at or above which they are copies."""
CLUSTER_SHINGLE_WORDS = 5
"""Words per shingle."""
CLUSTER_NUM_PERM = 128
"""MinHash permutations: the signature's length (4 bytes each)."""

# --- database ------------------------------------------------------------------------------------
DB_ENABLED = True
"""Off: nothing is stored in the database (the frontier is still read from it at the start)."""
DB_URL = ""
"""SQLAlchemy URL. Empty means $NEWSARCHIVE_DB, else sqlite:///NEWSARCHIVE_DATA_DIR/newsarchive.db."""
DB_BATCH_SIZE = 200
"""Rows buffered before one bulk write."""
DB_FLUSH_INTERVAL = 2.0
"""Seconds after which a partial batch is written anyway."""

# --- Scrapy behaviour ----------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "WARNING"
