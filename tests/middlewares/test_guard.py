"""The address guard, without a reactor: requests are only judged, never downloaded, and every
address a request names is on loopback (other ranges appear only as `ipaddress` objects)."""

from __future__ import annotations

import asyncio
import ipaddress
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler import settings as defaults
from crawler.core.story import Source, Story
from crawler.middlewares.guard import AddressGuardMiddleware, AllowList, address_kind
from crawler.middlewares.limits import RedirectMiddleware
from crawler.refusals import BlockedAddress

SOURCE = "http://127.0.0.1:8001/"


class StubResolver:
    """Names we control: never real DNS."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"cannot resolve {host}")
        return self.answers[host]


def make_guard(
    allow: list[str] | None = None,
    answers: dict[str, list[str]] | None = None,
    sources: tuple[str, ...] = (SOURCE,),
) -> tuple[AddressGuardMiddleware, StubResolver, Any]:
    crawler = get_crawler()
    resolver = StubResolver(answers or {})
    guard = AddressGuardMiddleware(AllowList(allow or [], sources), resolver, crawler.stats)
    return guard, resolver, crawler.stats


def judge(guard: AddressGuardMiddleware, url: str, **meta: Any) -> None:
    """Both checks a request meets: when scheduled, and before it is downloaded."""
    request = Request(url, meta=meta)
    guard.request_scheduled(request)
    asyncio.run(guard.process_request(request))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not-global"),
        ("198.51.100.7", "private"),  # documentation range
        ("9.9.9.9", None),
        ("2620:fe::fe", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


def test_a_source_host_and_port_is_allowed() -> None:
    guard, _, stats = make_guard()
    judge(guard, SOURCE + "news/1")
    assert stats.get_value("fetch/blocked_address") is None


def test_a_loopback_alias_is_blocked() -> None:
    guard, _, stats = make_guard()
    with pytest.raises(BlockedAddress) as refused:
        judge(guard, "http://127.0.0.2:8001/")
    assert isinstance(refused.value, IgnoreRequest)
    assert refused.value.reason == "blocked-address"
    assert "127.0.0.2, a loopback address" in str(refused.value)
    assert stats.get_value("fetch/blocked_address") == 1


def test_another_port_of_a_source_host_is_blocked() -> None:
    guard, _, _ = make_guard()
    with pytest.raises(BlockedAddress):
        judge(guard, "http://127.0.0.1:8002/admin")


def test_ipv6_loopback_is_blocked() -> None:
    guard, _, _ = make_guard()
    with pytest.raises(BlockedAddress, match="a loopback address"):
        judge(guard, "http://[::1]:8001/")


def test_a_redirect_to_a_blocked_address_is_refused() -> None:
    """Scrapy's redirect middleware makes a new request; it meets the guard like any other."""
    crawler = get_crawler(settings_dict={"REDIRECT_MAX_TIMES": defaults.REDIRECT_MAX_TIMES})
    redirects = RedirectMiddleware.from_crawler(crawler)
    original = Request(SOURCE + "moved")
    response = Response(original.url, status=302, headers={"Location": "http://127.0.0.2:8001/"})
    redirected = redirects.process_response(original, response)
    assert isinstance(redirected, Request)
    guard, _, _ = make_guard()
    with pytest.raises(BlockedAddress, match=r"redirected from http://127\.0\.0\.1:8001/moved"):
        guard.request_scheduled(redirected)
    with pytest.raises(BlockedAddress):
        asyncio.run(guard.process_request(redirected))


def test_a_name_resolving_to_a_blocked_address_is_refused() -> None:
    """DNS rebinding: a public-looking name that answers a loopback address."""
    guard, resolver, _ = make_guard(answers={"news.example.test": ["127.0.0.9"]})
    with pytest.raises(BlockedAddress, match=r"news\.example\.test resolves to 127\.0\.0\.9"):
        judge(guard, "http://news.example.test/story")
    assert resolver.asked == ["news.example.test"]


def test_a_name_that_does_not_resolve_is_left_to_the_download() -> None:
    guard, resolver, stats = make_guard()
    judge(guard, "http://nowhere.example.test/")
    assert resolver.asked == ["nowhere.example.test"]
    assert stats.get_value("fetch/blocked_address") is None


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        (["127.0.0.0/8"], "http://127.0.0.2:8001/"),
        (["127.0.0.2"], "http://127.0.0.2:9999/"),
        (["127.0.0.2:8001"], "http://127.0.0.2:8001/"),
        (["intranet.example.test"], "http://intranet.example.test:8080/"),
        (["127.0.0.9/32"], "http://news.example.test/"),
    ],
)
def test_the_allow_list_lets_networks_and_hosts_through(allow: list[str], url: str) -> None:
    guard, _, _ = make_guard(allow=allow, answers={"news.example.test": ["127.0.0.9"]})
    judge(guard, url)


def test_an_allowed_host_with_a_port_allows_that_port_only() -> None:
    guard, _, _ = make_guard(allow=["127.0.0.2:8001"])
    with pytest.raises(BlockedAddress):
        judge(guard, "http://127.0.0.2:8002/")


def test_an_unreadable_allow_entry_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a network or host"):
        AllowList(["http://[nope"])


def test_from_crawler_allows_the_story_sources_and_the_setting() -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_GUARD_ALLOW": "127.0.0.3, 127.0.0.4:80"})
    story = Story(
        name="s",
        title="s",
        sources=(Source("A", SOURCE, feeds=("http://127.0.0.5:8005/feed.xml",)),),
    )
    crawler.spider = SimpleNamespace(story=story)  # type: ignore[assignment]
    guard = AddressGuardMiddleware.from_crawler(crawler)
    for allowed in (SOURCE, "http://127.0.0.5:8005/x", "http://127.0.0.3:1/", "http://127.0.0.4/"):
        guard.request_scheduled(Request(allowed))
    with pytest.raises(BlockedAddress):
        guard.request_scheduled(Request("http://127.0.0.4:81/"))


def test_the_guard_can_be_turned_off() -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_GUARD_ENABLED": False})
    with pytest.raises(NotConfigured):
        AddressGuardMiddleware.from_crawler(crawler)


def test_a_refusal_at_scheduling_is_announced_and_recorded_as_blocked_address() -> None:
    """Scrapy drops a request refused when it is scheduled without calling its errback: the
    guard announces it, and the outcomes extension files it as blocked-address (not off-site, not
    'not-fetched: the crawl ended first')."""
    from crawler.extensions.outcomes import OutcomesExtension
    from crawler.signals import request_refused

    crawler = get_crawler(settings_dict={"NEWSARCHIVE_GUARD_ALLOW": []})
    heard: list[tuple[str, str]] = []

    def refused(request: Request, refusal: BlockedAddress) -> None:
        heard.append((request.url, refusal.reason))

    crawler.signals.connect(refused, signal=request_refused)
    story = Story(name="s", title="s", sources=(Source("A", SOURCE),))
    outcomes = OutcomesExtension(crawler, story)
    crawler.signals.connect(outcomes.request_refused, signal=request_refused)
    guard = AddressGuardMiddleware(
        AllowList([], (SOURCE,)), StubResolver({}), crawler.stats, crawler.signals
    )
    for url in ("http://127.0.0.2:8001/", "http://127.0.0.1:1/admin"):
        request = Request(url, meta={"redirect_urls": [SOURCE + "moved"]})
        outcomes.request_scheduled(request)  # provisional first, as in a crawl
        with pytest.raises(BlockedAddress):
            guard.request_scheduled(request)
    assert heard == [
        ("http://127.0.0.2:8001/", "blocked-address"),
        ("http://127.0.0.1:1/admin", "blocked-address"),
    ]
    settled = {o.url: (o.outcome, o.reason) for o in outcomes.book.close()}
    assert settled == {}  # nothing left provisional
    assert crawler.stats.get_value("outcome/blocked-address") == 2
    assert crawler.stats.get_value("fetch/blocked_address") == 2
