"""URL normalisation is idempotent, and any text either normalises or raises ValueError, which
the spider counts as an invalid link: nothing a page links to can crash discovery."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.core.urls import host_of, normalise_url

HOSTS = st.sampled_from(
    ["news.example", "NEWS.Example:8080", "127.0.0.1:8000", "xn--caf-dma.example"]
)
SEGMENT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
QUERY_KEYS = st.sampled_from(["utm_source", "fbclid", "gclid", "id", "page", "q", "a b", "é"])


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    """Plausible and odd http(s) URLs: any path characters, tracking and other parameters."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    path = "/".join(draw(st.lists(SEGMENT, max_size=5)))
    params = draw(st.lists(st.tuples(QUERY_KEYS, SEGMENT), max_size=4))
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(SEGMENT)
    return (
        f"{scheme}://{draw(HOSTS)}/{path}"
        + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )


@given(web_urls())
@example("http://news.example/a?utm_source=x#top")
def test_normal_form_is_stable(url: str) -> None:
    normal = normalise_url(url)
    assert normalise_url(normal) == normal
    parts = urlsplit(normal)
    assert parts.fragment == ""
    assert parts.path.startswith("/")
    keys = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    assert not keys & {"utm_source", "fbclid", "gclid"}
    assert host_of(normal) == host_of(normal).lower()


@given(st.text(max_size=200), st.one_of(st.none(), web_urls()))
@example("http://[::1", None)
@example("//", "http://news.example/")
def test_any_text_normalises_or_is_invalid(url: str, base: str | None) -> None:
    try:
        normal = normalise_url(url, base)
    except ValueError:
        return
    assert urlsplit(normal).fragment == ""
    assert normalise_url(normal) == normal
