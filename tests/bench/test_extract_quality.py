"""The extract-quality bench runs the crawl's extraction on a page and refuses the network."""

from __future__ import annotations

import socket

import pytest

from bench import aeb, corpora
from bench.extract_quality import no_network, ours, report
from tests.extraction.pages import read

PAGE = aeb.Page(
    id="article",
    url="https://www.harbourtimes.example/world/2025/02/04/el-salvador-offers-to-jail-us-deportees",
    html=read("article.html"),
    truth="El Salvador has offered to take deportees and convicted criminals",
)


def test_our_prediction_is_the_text_the_crawl_would_store() -> None:
    text = ours(PAGE)
    assert text.startswith("El Salvador has offered to take deportees")
    assert "We use cookies" not in text


def test_a_page_the_crawl_rejects_is_an_empty_prediction() -> None:
    section = aeb.Page(id="section", url=PAGE.url, html=read("section.html"), truth="x")
    assert ours(section) == ""


def test_no_network_refuses_and_records_connections_then_restores_sockets() -> None:
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
    with no_network() as attempts:
        with pytest.raises(OSError, match="must not use the network"):
            socket.create_connection(("127.0.0.1", 9))
        with pytest.raises(OSError, match="must not use the network"):
            socket.getaddrinfo("example.com", 80)
    assert len(attempts) == 2
    assert (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo) == saved


def test_the_report_scores_both_halves() -> None:
    pages = [
        corpora.CorpusPage(id=PAGE.id, url=PAGE.url, html=PAGE.html, truth=PAGE.truth),
        corpora.CorpusPage(id="zz", url=PAGE.url, html=b"", truth="one two three four"),
    ]
    corpus = corpora.Corpus(name="sample", kind="full", pages=pages)
    result = report(corpus, {"article": PAGE.truth, "zz": ""})
    assert result["half_a"]["f1"] == 1.0 and result["half_b"]["f1"] == 0.0
    assert result["empty_pages"] == 1
    assert result["pages"]["zz"] == [0.0, 0.0]
