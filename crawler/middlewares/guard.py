"""The address guard: no request reaches an internal address unless it is a story source.

A page, a feed, a sitemap or a redirect can point the crawler anywhere, including the machine it
runs on and the network behind it (a router's admin page, a cloud metadata service, a database
port). The guard refuses every request whose host is, or resolves to, an address that is not
globally routable (private, loopback, link-local, shared, multicast, reserved, unspecified…),
except the story's own sources (`host:port` exactly as the story file names them) and what
NEWSARCHIVE_GUARD_ALLOW lists. Address literals are checked when a request is scheduled (where
Scrapy's offsite middleware checks too, and would report a blocked address as merely offsite),
and every request again before it is downloaded, names resolved: robots.txt requests are never
scheduled, and redirects come back through both (Scrapy's redirect middleware schedules a new
request).

Hostnames are resolved with the reactor's resolver, the one the download then connects with.
With DNSCACHE_ENABLED (Scrapy's default) that resolver caches the answer the guard checked, so
a name cannot answer a public address to the guard and an internal one to the connection
(DNS rebinding) within one crawl.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future

from crawler import settings as defaults
from crawler.refusals import BlockedAddress
from crawler.signals import request_refused

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Awaitable[list[str]]]
"""A hostname -> its addresses (as text)."""

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_ENTRY = re.compile(r"\[?(?P<host>[A-Za-z0-9.:-]+?)\]?(?::(?P<port>\d{1,5}))?")
"""An allow-list entry that is not a network: 'host', 'host:port' or '[v6]:port'."""


def address_kind(address: Address) -> str | None:
    """Why `address` is internal ('loopback', 'private'…), or None for a public address.
    IPv4 addresses inside IPv6 (mapped, 6to4) are judged as the IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return address_kind(inner)
    for kind in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "not-global"  # shared address space (100.64/10), documentation ranges…
    return None


def host_key(scheme: str, host: str, port: int | None) -> str:
    """'host:port' with the scheme's default port filled in, IPv6 hosts in brackets."""
    host = host.lower().strip("[]")
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port or DEFAULT_PORTS.get(scheme, 0)}"


def url_host_key(url: str) -> str | None:
    """The `host_key` of `url`, or None when it has no host or a malformed port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return host_key(parts.scheme, parts.hostname, port) if parts.hostname else None


class AllowList:
    """Hosts and networks the guard lets through: story sources and NEWSARCHIVE_GUARD_ALLOW.

    An entry is a network or address ('10.1.0.0/16', '::1'), a host ('intranet.example': any
    port) or a host and port ('127.0.0.1:8080')."""

    def __init__(self, entries: Iterable[str], source_urls: Iterable[str] = ()) -> None:
        self.networks: list[Network] = []
        self.hosts: set[str] = set()
        self.host_ports: set[str] = set()
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            match = _HOST_ENTRY.fullmatch(entry)
            if match is None:
                raise ValueError(f"NEWSARCHIVE_GUARD_ALLOW: not a network or host: {entry!r}")
            host, port = match["host"], match["port"]
            if port is None:
                self.hosts.add(host_key("http", host, 0).rsplit(":", 1)[0])
            else:
                self.host_ports.add(host_key("http", host, int(port)))
        self.host_ports.update(filter(None, map(url_host_key, source_urls)))

    def allows_host(self, key: str) -> bool:
        return key in self.host_ports or key.rsplit(":", 1)[0] in self.hosts

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


class AddressGuardMiddleware:
    """Refuses (`BlockedAddress`, counted in `fetch/blocked_address`, logged with the URL) a
    request to an internal address that is not allowed."""

    def __init__(
        self,
        allow: AllowList,
        resolve: Resolver,
        stats: StatsCollector,
        signals: SignalManager | None = None,
    ) -> None:
        self.allow = allow
        self.resolve = resolve
        self.stats = stats
        self.signals = signals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_GUARD_ENABLED", defaults.NEWSARCHIVE_GUARD_ENABLED):
            raise NotConfigured("NEWSARCHIVE_GUARD_ENABLED is off")
        story = getattr(crawler.spider, "story", None)
        sources = [
            url
            for source in (story.sources if story is not None else ())
            for url in (source.url, *source.feeds, *source.sitemaps)
        ]
        allow = AllowList(
            settings.getlist("NEWSARCHIVE_GUARD_ALLOW", defaults.NEWSARCHIVE_GUARD_ALLOW), sources
        )
        assert crawler.stats is not None
        guard = cls(allow, reactor_resolve, crawler.stats, crawler.signals)
        crawler.signals.connect(guard.request_scheduled, signal=signals.request_scheduled)
        return guard

    def request_scheduled(self, request: Request) -> None:
        """Refuse an internal address literal as soon as the request is scheduled: Scrapy's
        offsite middleware would otherwise drop it first, as merely offsite. Scrapy drops a
        request refused here without calling its errback, so the refusal is announced
        (`request_refused`) for the outcomes extension to record."""
        host = self._host_to_check(request)
        if host is None:
            return
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a name: resolved when it is downloaded
            return
        try:
            self._check(request, [address], "")
        except BlockedAddress as refusal:
            if self.signals is not None:
                self.signals.send_catch_log(request_refused, request=request, refusal=refusal)
            raise

    async def process_request(self, request: Request) -> None:
        """Every request downloaded (robots.txt ones are never scheduled), names resolved."""
        host = self._host_to_check(request)
        if host is None:
            return
        try:
            self._check(request, [ipaddress.ip_address(host)], "")
            return
        except ValueError:
            pass
        try:
            addresses = [ipaddress.ip_address(a) for a in await self.resolve(host)]
        except Exception:  # unresolvable: the download reports it
            return
        self._check(request, addresses, f"{host} resolves to ")

    def _host_to_check(self, request: Request) -> str | None:
        """The request's host, or None when it is allowed as it is (or has none: the download
        then fails on its own)."""
        hostname = urlsplit(request.url).hostname
        key = url_host_key(request.url)
        if key is None or not hostname or self.allow.allows_host(key):
            return None
        return hostname.strip("[]")

    def _check(self, request: Request, addresses: list[Address], how: str) -> None:
        for address in addresses:
            kind = address_kind(address)
            if kind is not None and not self.allow.allows_address(address):
                self.refuse(request, f"{how}{address}, a {kind} address")

    def refuse(self, request: Request, detail: str) -> None:
        redirected = request.meta.get("redirect_urls")
        if redirected:
            detail += f" (redirected from {redirected[-1]})"
        refusal = BlockedAddress(request.url, detail)
        self.stats.inc_value("fetch/blocked_address")
        logger.warning("%s", refusal)
        raise refusal


async def reactor_resolve(host: str) -> list[str]:
    """`host`'s address from the reactor's resolver (Scrapy's DNS_RESOLVER, cached)."""
    from twisted.internet import reactor

    # IReactorCore.resolve: zope interface stubs would type `host` as `self`
    core: Any = reactor
    address: str = await maybe_deferred_to_future(core.resolve(host))
    return [address]
