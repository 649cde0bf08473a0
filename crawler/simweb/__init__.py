"""The simulated news web: five fictional publishers on 127.0.0.1 serving one real story.

Five real copies of one news story (El Salvador offers to house US prisoners, February 2025,
in `data/seeds/`) are served among generated off-topic news by sites that each exercise a
different way to be crawled (RSS, Atom, sitemap index, robots.txt sitemap, links only), with
traps around them. The offline demo, the test suite and the benchmarks crawl it; `SimWeb.truth`
says what a correct crawl finds. `SimWeb.advance()` moves it to its next round, for recrawls:
`truth.timeline` says which articles then change, how, and which are deleted (timeline.py).

    with SimWeb() as web:
        story = web.story_toml()
        ...
        web.log.entries()
        web.advance()
        ...
"""

from crawler.simweb.server import LoggedRequest, RequestLog
from crawler.simweb.timeline import Deletion, History, Timeline, Version
from crawler.simweb.truth import SimArticle, Truth
from crawler.simweb.web import SimPublisher, SimWeb

__all__ = [
    "Deletion",
    "History",
    "LoggedRequest",
    "RequestLog",
    "SimArticle",
    "SimPublisher",
    "SimWeb",
    "Timeline",
    "Truth",
    "Version",
]
