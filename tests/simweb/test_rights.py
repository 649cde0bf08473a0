"""Rights signals (`SimWeb(rights=True)`): the pages the truth names say `noarchive` in the form
it names (X-Robots-Tag plain, for newsarchive, for another bot; meta robots, meta newsarchive,
meta for another bot), in every round; no other page says it."""

from __future__ import annotations

from lxml import html

from crawler.simweb import SimWeb
from crawler.simweb.rights import USER_AGENT_TOKEN
from tests.simweb.helpers import Response, Snapshots


def says_noarchive_to_us(resp: Response) -> bool:
    """Google's reading of X-Robots-Tag and robots meta tags, for the agent `newsarchive`."""
    for value in resp.all("X-Robots-Tag"):
        agent, sep, rules = value.partition(":")
        if sep and " " not in agent.strip() and "," not in agent:
            if agent.strip().lower() != USER_AGENT_TOKEN:
                continue
        else:
            rules = value
        if "noarchive" in (r.strip().lower() for r in rules.split(",")):
            return True
    doc = html.fromstring(resp.text)
    for name in ("robots", USER_AGENT_TOKEN):
        for content in doc.xpath(f"//meta[@name='{name}']/@content"):
            if "noarchive" in (r.strip().lower() for r in str(content).split(",")):
                return True
    return False


def test_every_form_is_served_where_the_truth_says(
    featured: SimWeb, featured_rounds: Snapshots
) -> None:
    signals = featured.truth.rights
    assert {s.form for s in signals} == {
        "header", "header-user-agent", "header-other-agent",
        "meta", "meta-user-agent", "meta-other-agent",
    }  # fmt: skip
    assert sum(s.applies for s in signals) == 5 and len({s.url for s in signals}) == len(signals)
    for signal in signals:
        for snapshot in featured_rounds:
            resp = snapshot[signal.url]
            assert resp.status == 200
            if signal.where == "header":
                assert resp.all("X-Robots-Tag") == [signal.value], signal
            else:
                doc = html.fromstring(resp.text)
                found = doc.xpath(f"//head/meta[@name='{signal.name}']/@content")
                assert found == [signal.value], signal
                assert resp.all("X-Robots-Tag") == []
            assert says_noarchive_to_us(resp) == signal.applies, signal


def test_no_other_page_says_noarchive(featured: SimWeb, featured_rounds: Snapshots) -> None:
    named = {s.url for s in featured.truth.rights}
    checked = 0
    for snapshot in featured_rounds:
        for url, resp in snapshot.items():
            if url in named or resp.status != 200:
                continue
            assert resp.all("X-Robots-Tag") == [] and "noarchive" not in resp.text, url
            checked += 1
    assert checked > 300


def test_the_signals_stay_off_without_the_flag(web: SimWeb) -> None:
    assert web.truth.rights == ()
