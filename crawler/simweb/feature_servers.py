"""The hosts the opt-in features add beside the publishers (the requisites' CDN; the Wayback
Machine, the Common Crawl index and its data server), what they add to each site, and the
features' ground truth once the ports are known."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from crawler.simweb.archive import COLLECTION, ArchiveTruth, SiteFor, capture_all
from crawler.simweb.archive_server import CcDataSite, CcIndexSite, DataServer, WaybackSite
from crawler.simweb.features import FeaturePlan
from crawler.simweb.plan import Placed
from crawler.simweb.publishers import PUBLISHERS
from crawler.simweb.requisites import CdnSite, RequisiteTruth, SiteRequisites
from crawler.simweb.server import PublisherServer, RequestLog, Responder
from crawler.simweb.sites import Extras, Site
from crawler.simweb.truth import Truth


class FeatureServers:
    """The features' own servers, started with the web, switched to each round (their answers
    do not change, but the request log names the round) and stopped with it."""

    def __init__(self, plan: FeaturePlan, log: RequestLog, round: int) -> None:
        self.plan = plan
        self.log = log
        self.round = round
        self.servers: list[tuple[PublisherServer, Responder]] = []
        self.requisites: dict[str, SiteRequisites] = {}
        self.cdn = ""
        self.archive: ArchiveTruth | None = None

    def _serve(self, server: PublisherServer, responder: Responder, software: str) -> str:
        self.servers.append((server, responder))
        server.serve(responder, software, self.round)
        return f"http://{server.host}/"

    def extras(
        self, plans: Mapping[str, list[Placed]], bases: Mapping[str, str]
    ) -> dict[str, Extras]:
        """What each publisher's pages gain (by slug); starts the CDN when requisites are on."""
        cdn = PublisherServer(self.log) if self.plan.features.requisites else None
        cdn_base = f"http://{cdn.host}/" if cdn else None
        for spec in PUBLISHERS:
            paths = [a.path for a in plans[spec.slug]]
            found = self.plan.requisites(spec, bases[spec.slug], cdn_base, paths)
            if found is not None:
                self.requisites[spec.slug] = found
        if cdn is not None:
            self.cdn = self._serve(cdn, CdnSite(list(self.requisites.values())).respond, "AmazonS3")
        return {spec.slug: self.plan.extras(self.requisites.get(spec.slug)) for spec in PUBLISHERS}

    def start_archive(self, plans: Mapping[str, list[Placed]], site_for: SiteFor) -> None:
        """Capture the web (`plans` as round 0 has them) and serve the archives."""
        if not self.plan.features.archive:
            return
        captures, files, gone = capture_all(plans, site_for)
        wayback, index, data = (
            PublisherServer(self.log),
            PublisherServer(self.log),
            DataServer(self.log),
        )
        wayback_base = f"http://{wayback.host}/"
        index_base = f"http://{index.host}/"
        self._serve(wayback, WaybackSite(captures, wayback_base).respond, "nginx")
        self._serve(index, CcIndexSite(captures, index_base).respond, "nginx")
        data_base = self._serve(data, CcDataSite(files).respond, "AmazonS3")
        self.archive = ArchiveTruth(
            wayback_base, index_base, data_base, COLLECTION, tuple(captures), gone
        )

    def truth(self, truth: Truth, sites: list[Site]) -> Truth:
        """`truth` with the features' parts."""
        urls = {a.text.key: site.url(a.path) for site in sites for a in site.articles}
        pages = {}
        for site in sites:
            requisites = self.requisites.get(site.spec.slug)
            if requisites is None:
                continue
            for article in site.articles:
                if article.gone is None:
                    url = site.url(article.path)
                    pages[url] = requisites.requisites(url, article.path)
        return dataclasses.replace(
            truth,
            edits=tuple(self.plan.expected_edits(urls)),
            walls=self.plan.wall_truth(sites, urls),
            rights=tuple(self.plan.rights(urls)),
            requisites=RequisiteTruth(pages, self.cdn) if self.requisites else None,
            archive=self.archive,
        )

    def set_round(self, n: int) -> None:
        for server, responder in self.servers:
            server.switch(responder, n)

    def stop(self) -> None:
        for server, _ in self.servers:
            server.stop()
        self.servers.clear()
