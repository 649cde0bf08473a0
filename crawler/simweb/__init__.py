"""The simulated news web: five fictional publishers on 127.0.0.1 serving one real story.

Five real copies of one news story (El Salvador offers to house US prisoners, February 2025,
in `data/seeds/`) are served among generated off-topic news by sites that each exercise a
different way to be crawled (RSS, Atom, sitemap index, robots.txt sitemap, links only), with
traps around them. The offline demo, the test suite and the benchmarks crawl it; `SimWeb.truth`
says what a correct crawl finds. `SimWeb.advance()` moves it to its next round, for recrawls:
`truth.timeline` says which articles then change, how, and which are deleted (timeline.py).
Opt-in features (features.py) add walls, edit kinds, rights signals, page requisites and web
archives, each with its truth: `SimWeb(walls=True, ...)`, `truth.walls`, `truth.edits`, ...

    with SimWeb() as web:
        story = web.story_toml()
        ...
        web.log.entries()
        web.advance()
        ...
"""

from crawler.simweb.archive import ArchiveCapture, ArchiveTruth
from crawler.simweb.edits import ExpectedEdit
from crawler.simweb.features import Features
from crawler.simweb.requisites import Requisite, RequisiteTruth
from crawler.simweb.rights import RightsSignal
from crawler.simweb.server import LoggedRequest, RequestLog
from crawler.simweb.timeline import Deletion, History, Timeline, Version
from crawler.simweb.truth import SimArticle, Truth
from crawler.simweb.wallplan import WalledArticle, WalledRound, WallTruth
from crawler.simweb.web import SimPublisher, SimWeb

__all__ = [
    "ArchiveCapture",
    "ArchiveTruth",
    "Deletion",
    "ExpectedEdit",
    "Features",
    "History",
    "LoggedRequest",
    "RequestLog",
    "Requisite",
    "RequisiteTruth",
    "RightsSignal",
    "SimArticle",
    "SimPublisher",
    "SimWeb",
    "Timeline",
    "Truth",
    "Version",
    "WallTruth",
    "WalledArticle",
    "WalledRound",
]
