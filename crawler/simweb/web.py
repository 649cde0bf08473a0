"""`SimWeb`: the whole simulated news web, started and stopped as one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from crawler.simweb.feature_servers import FeatureServers
from crawler.simweb.features import FeaturePlan, Features
from crawler.simweb.hostile import BOMBS, HostileServer, HostileSite
from crawler.simweb.plan import Placed, plan_web
from crawler.simweb.publishers import FAILING, HOSTILE, PUBLISHERS, TRACKING, PublisherSpec
from crawler.simweb.server import PublisherServer, RequestLog, Responder
from crawler.simweb.sites import FOLLOW, Extras, Site, failing
from crawler.simweb.timeline import at_round
from crawler.simweb.tracking import TrackingSite
from crawler.simweb.truth import SINCE, UNTIL, Truth, build_truth

STORY_TITLE = "El Salvador offers to house US prisoners"


@dataclass(frozen=True, slots=True)
class SimPublisher:
    """One running publisher, as a story file names it."""

    name: str
    slug: str
    base_url: str
    """'http://127.0.0.1:PORT/'"""
    host: str
    """'127.0.0.1:PORT': the publisher's identity."""
    feeds: list[str]
    sitemaps: list[str]
    """Sitemaps for the story file; one publisher's sitemap is named only in its robots.txt."""
    follow: int


class SimWeb:
    """Five fictional publishers (and optionally one that always fails and one that attacks the
    crawler), each on its own port of 127.0.0.1, serving the El Salvador story among generated
    news.

    Articles are planned in the constructor; `start()` binds the ports, renders on demand and
    serves. Use it as a context manager, or call `start()` and `stop()`.

    It serves round 0 until `advance()` or `set_round(n)` moves it in time: later rounds edit and
    delete a few articles (timeline.SCENARIO; `truth.timeline` says how) and leave every other
    page byte-identical. The ports stay the same.

    The opt-in features (features.py), each off by default, add what later work is tested
    against: `walls` (paywalls, consent, login and bot-challenge walls in some rounds), `edits`
    (articles changed in one known way each), `rights` (noarchive signals), `requisites`
    (stylesheets, fonts, scripts and images, some from a CDN host) and `archive` (a Wayback
    Machine and a Common Crawl index holding captures, some of articles gone from the sites).
    """

    def __init__(
        self,
        *,
        extra_articles: int = 0,
        failing_publisher: bool = False,
        hostile_publisher: bool = False,
        tracking_publisher: bool = False,
        seed: int = 0,
        walls: bool = False,
        edits: bool = False,
        rights: bool = False,
        requisites: bool = False,
        archive: bool = False,
    ) -> None:
        if extra_articles < 0:
            raise ValueError(f"extra_articles must be >= 0, got {extra_articles}")
        self.log = RequestLog()
        self.features = Features(walls, edits, rights, requisites, archive)
        self._feature_plan = FeaturePlan(self.features)
        self._plan: dict[str, list[Placed]] = plan_web(
            seed, extra_articles, self._feature_plan.additions()
        )
        self._scenario = self._feature_plan.scenario()
        self._extras: dict[str, Extras] = {}
        self._feature_servers: FeatureServers | None = None
        self._failing = failing_publisher
        self._hostile_wanted = hostile_publisher
        self._hostile: HostileSite | None = None
        self._tracking_wanted = tracking_publisher
        self._tracking: TrackingSite | None = None
        self._round = 0
        self._servers: list[tuple[PublisherSpec, PublisherServer]] = []
        self._publishers: list[SimPublisher] = []
        self._truth: Truth | None = None
        self._started = False

    def start(self) -> SimWeb:
        """Bind a free port per publisher and serve. A SimWeb starts once."""
        if self._started:
            raise RuntimeError("this SimWeb has already been started")
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        servers = [(spec, PublisherServer(self.log)) for spec in PUBLISHERS]
        self._servers += servers
        bases = {spec.slug: f"http://{server.host}/" for spec, server in servers}
        features = FeatureServers(self._feature_plan, self.log, self._round)
        self._feature_servers = features
        self._extras = features.extras(self._plan, bases)
        sites: list[Site] = []
        for spec, server in servers:
            site = self._site(spec, server.host, 0)
            sites.append(site)
            serving = site.respond if self._round == 0 else self._responder(spec, server.host)
            server.serve(serving, spec.server, self._round)
            self._publishers.append(
                SimPublisher(
                    spec.name,
                    spec.slug,
                    site.base_url,
                    site.host,
                    site.feeds,
                    site.sitemaps,
                    follow=FOLLOW,
                )
            )
        failing_host = None
        if self._failing:
            server = PublisherServer(self.log)
            self._servers.append((FAILING, server))
            server.serve(failing, FAILING.server, self._round)
            failing_host = server.host
            base = f"http://{server.host}/"
            self._publishers.append(
                SimPublisher(FAILING.name, FAILING.slug, base, server.host, [], [], FOLLOW)
            )
        if self._hostile_wanted:
            hostile_server = HostileServer(self.log)
            self._servers.append((HOSTILE, hostile_server))
            self._hostile = HostileSite(f"http://{hostile_server.host}/")
            hostile_server.serve(self._hostile.respond, "nginx", self._round)
            BOMBS.prepare()
            self._publishers.append(
                SimPublisher(
                    HOSTILE.name,
                    HOSTILE.slug,
                    self._hostile.base_url,
                    self._hostile.host,
                    self._hostile.feeds,
                    self._hostile.sitemaps,
                    follow=1,
                )
            )
        if self._tracking_wanted:
            tracking_server = PublisherServer(self.log)
            self._servers.append((TRACKING, tracking_server))
            self._tracking = TrackingSite(f"http://{tracking_server.host}/")
            tracking_server.serve(self._tracking.respond, "nginx", self._round)
            self._publishers.append(
                SimPublisher(
                    TRACKING.name,
                    TRACKING.slug,
                    self._tracking.base_url,
                    self._tracking.host,
                    self._tracking.feeds,
                    self._tracking.sitemaps,
                    follow=1,
                )
            )
        features.start_archive(self._at(0), self._site_for(bases))
        truth = build_truth(sites, failing_host, self._plan, self._scenario)
        self._truth = features.truth(truth, sites)

    def stop(self) -> None:
        """Stop every server and release its port. Safe to call twice."""
        for _, server in self._servers:
            server.stop()
        self._servers.clear()
        if self._feature_servers is not None:
            self._feature_servers.stop()

    @property
    def round(self) -> int:
        """The round being served: 0, the web as planned, until `advance` or `set_round`."""
        return self._round

    def set_round(self, n: int) -> None:
        """Serve round `n` from the next request on; any round, forwards or back (round `n` is
        always the same). Before `start()`, the round it starts in. Call it between crawls:
        publishers switch one after another."""
        if n < 0:
            raise ValueError(f"round must be >= 0, got {n}")
        self._round = n
        for spec, server in self._servers:
            server.switch(self._responder(spec, server.host), n)
        if self._feature_servers is not None:
            self._feature_servers.set_round(n)

    def advance(self) -> int:
        """Serve the next round; returns its number."""
        self.set_round(self._round + 1)
        return self._round

    def _responder(self, spec: PublisherSpec, host: str) -> Responder:
        if spec is FAILING:
            return failing
        if spec is HOSTILE:
            assert self._hostile is not None
            return self._hostile.respond  # the same attacks in every round
        if spec is TRACKING:
            assert self._tracking is not None
            return self._tracking.respond  # the same articles in every round
        return self._site(spec, host, self._round).respond

    def _site(self, spec: PublisherSpec, host: str, n: int) -> Site:
        """Publisher `spec` as round `n` serves it."""
        articles = at_round(self._plan[spec.slug], n, self._scenario)
        return Site(spec, articles, f"http://{host}/", self._extras.get(spec.slug))

    def _at(self, n: int) -> dict[str, list[Placed]]:
        return {slug: at_round(plan, n, self._scenario) for slug, plan in self._plan.items()}

    def _site_for(self, bases: dict[str, str]) -> Callable[[str, list[Placed]], Site]:
        """A publisher (by slug) serving its articles in any state: for the archive's captures."""
        specs = {spec.slug: spec for spec in PUBLISHERS}

        def site(slug: str, articles: list[Placed]) -> Site:
            return Site(specs[slug], articles, bases[slug], self._extras.get(slug))

        return site

    def __enter__(self) -> SimWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def publishers(self) -> list[SimPublisher]:
        self._require_started()
        return list(self._publishers)

    @property
    def truth(self) -> Truth:
        self._require_started()
        assert self._truth is not None
        return self._truth

    @property
    def hostile(self) -> HostileSite | None:
        """The hostile publisher (`hostile_publisher=True`): its attacks by name, `attacks`."""
        self._require_started()
        return self._hostile

    @property
    def tracking(self) -> TrackingSite | None:
        """The tracking publisher (`tracking_publisher=True`): its articles' URLs as published."""
        self._require_started()
        return self._tracking

    def sent_body(self, url: str) -> bytes | None:
        """The exact body bytes last sent for `url` (after any compression), or None."""
        return self.log.sent_body(url)

    def story_toml(self, name: str = "el-salvador-prisoners") -> str:
        """The demo's story file: the window, the match rule and one source per publisher."""
        lines = [
            f"name = {json.dumps(name)}",
            f"title = {json.dumps(STORY_TITLE)}",
            f"since = {SINCE.isoformat()}",
            f"until = {UNTIL.isoformat()}",
            "",
            "[match]",
            'all = ["El Salvador"]',
            'any = ["prison*", "jail*", "CECOT"]',
        ]
        for publisher in self.publishers:
            lines += [
                "",
                "[[sources]]",
                f"name = {json.dumps(publisher.name)}",
                f"url = {json.dumps(publisher.base_url)}",
                f"feeds = {json.dumps(publisher.feeds)}",
                f"sitemaps = {json.dumps(publisher.sitemaps)}",
                f"follow = {publisher.follow}",
            ]
        return "\n".join(lines) + "\n"

    def _require_started(self) -> None:
        if self._truth is None:
            raise RuntimeError("start the SimWeb first (start() or `with SimWeb() as web:`)")
