"""Syndication clusters in the database: incremental updates, rebuilds, and what reads see."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine, func, select

from crawler.clustering.signatures import ClusterOptions
from crawler.services.clusters import update_clusters
from crawler.simweb.content import seeds
from storage.db import models as m
from storage.db import queries
from storage.db.records import PageRecord
from storage.db.repository import Repository
from tests.storage.db.factories import OTHER, at, page

OPTIONS = ClusterOptions()
SEEDS = seeds()
WIRE = "\n".join(SEEDS["000"].text.paragraphs)
"""A wire story: seed 000, which the simulated web's Wirefront Daily republishes."""


def dated(record: PageRecord, published: date | None) -> PageRecord:
    """The page with another publication date."""
    assert record.extraction is not None and record.extraction.article is not None
    article = replace(record.extraction.article, published=published)
    return replace(record, extraction=replace(record.extraction, article=article))


def assignments(engine: Engine) -> dict[str, tuple[int, bool]]:
    """{url: (cluster id, is original)} as stored."""
    sig = m.ArticleSignature
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, sig.cluster_id, sig.is_original).join(m.Url, m.Url.id == sig.url_id)
        )
        return {url: (cluster, original) for url, cluster, original in rows}


def url_id(engine: Engine, url: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(m.Url.id).where(m.Url.url == url)).scalar_one()


def seed_articles(repo: Repository, story_id: int) -> dict[str, str]:
    """Seeds 000, 001, 003, 004 and an off-topic text, each at its own URL; {name: url}."""
    urls = {name: f"http://news.example:8080/{name}" for name in ("000", "001", "003", "004")}
    urls["weather"] = "http://news.example:8080/weather"
    texts = {name: "\n".join(SEEDS[name].text.paragraphs) for name in ("000", "001", "003", "004")}
    texts["weather"] = " ".join(f"Sunny spell number {i} over the harbour." for i in range(40))
    repo.write_batch(
        [],
        [
            dated(page(urls[name], None, text=texts[name]), date(2025, 2, 4))
            for name in ("000", "001", "003", "004", "weather")
        ],
        story_id,
    )
    return urls


def test_copies_share_a_cluster_rewrites_and_others_stay_alone(
    repo: Repository, story_id: int
) -> None:
    urls = seed_articles(repo, story_id)
    copy = "https://other.example/wire-copy"
    repo.write_batch(
        [], [dated(page(copy, None, text=WIRE, publisher=OTHER), date(2025, 2, 5))], story_id
    )
    result = update_clusters(repo.engine, OPTIONS)
    assert (result.signed, result.considered, result.rebuilt) == (6, 6, False)
    found = assignments(repo.engine)
    assert found[copy] == (url_id(repo.engine, urls["000"]), False)
    assert found[urls["000"]] == (url_id(repo.engine, urls["000"]), True)
    for name in ("001", "003", "004", "weather"):
        assert found[urls[name]] == (url_id(repo.engine, urls[name]), True), name


def test_a_new_copy_joins_without_changing_the_others(repo: Repository, story_id: int) -> None:
    urls = seed_articles(repo, story_id)
    update_clusters(repo.engine, OPTIONS)
    before = assignments(repo.engine)

    # An earlier-published copy arrives later: it joins the cluster and becomes its original.
    copy = "https://other.example/wire-copy"
    repo.write_batch(
        [],
        [dated(page(copy, None, text=WIRE, publisher=OTHER, fetched_at=at(60)), date(2025, 2, 3))],
        story_id,
    )
    result = update_clusters(repo.engine, OPTIONS)
    assert result.signed == 1
    assert result.considered == 2  # the copy and the one article it shares bands with
    after = assignments(repo.engine)
    original = url_id(repo.engine, urls["000"])
    assert after[copy] == (original, True)
    assert after[urls["000"]] == (original, False)
    assert {url: a for url, a in after.items() if url not in (copy, urls["000"])} == {
        url: a for url, a in before.items() if url != urls["000"]
    }

    rebuilt = update_clusters(repo.engine, OPTIONS, rebuild=True)
    assert (rebuilt.signed, rebuilt.changed, rebuilt.rebuilt) == (len(after), 0, True)
    assert assignments(repo.engine) == after


def test_nothing_new_is_nothing_to_do(repo: Repository, story_id: int) -> None:
    seed_articles(repo, story_id)
    update_clusters(repo.engine, OPTIONS)
    assert update_clusters(repo.engine, OPTIONS).signed == 0


def test_a_new_version_moves_to_the_cluster_of_its_new_text(
    repo: Repository, story_id: int
) -> None:
    urls = seed_articles(repo, story_id)
    copy = "https://other.example/wire-copy"
    repo.write_batch([], [page(copy, None, text=WIRE, publisher=OTHER)], story_id)
    update_clusters(repo.engine, OPTIONS)
    assert assignments(repo.engine)[copy][0] == url_id(repo.engine, urls["000"])

    # The copy's page now carries seed 004's text, paragraphs reordered, with a line added.
    rewrite = "\n".join(SEEDS["004"].text.paragraphs[::-1]) + "\nA paragraph of our own."
    repo.write_batch(
        [], [page(copy, None, text=rewrite, publisher=OTHER, fetched_at=at(30))], story_id
    )
    result = update_clusters(repo.engine, OPTIONS)
    assert result.signed == 1
    found = assignments(repo.engine)
    assert found[copy] == (url_id(repo.engine, urls["004"]), False)  # 004 was published first
    assert found[urls["004"]] == (url_id(repo.engine, urls["004"]), True)
    assert found[urls["000"]] == (url_id(repo.engine, urls["000"]), True)  # alone again
    update_clusters(repo.engine, OPTIONS, rebuild=True)
    assert assignments(repo.engine) == found


def test_other_options_recompute_everything(repo: Repository, story_id: int) -> None:
    seed_articles(repo, story_id)
    update_clusters(repo.engine, OPTIONS)
    result = update_clusters(repo.engine, replace(OPTIONS, threshold=0.8))
    assert (result.signed, result.rebuilt) == (5, True)
    with repo.engine.connect() as conn:
        params = conn.execute(select(m.ArticleSignature.params).distinct()).scalars().all()
        bands = conn.execute(select(func.count()).select_from(m.ArticleBand)).scalar_one()
    assert params == [replace(OPTIONS, threshold=0.8).params]
    assert bands == 5 * replace(OPTIONS, threshold=0.8).bands[0]


def test_reads_see_clusters(repo: Repository, story_id: int) -> None:
    urls = seed_articles(repo, story_id)
    copy = "https://other.example/wire-copy"
    repo.write_batch(
        [], [dated(page(copy, None, text=WIRE, publisher=OTHER), date(2025, 2, 5))], story_id
    )
    update_clusters(repo.engine, OPTIONS)

    [cluster] = queries.clusters(repo.engine, "harbour-strike")
    assert [(c.url, c.publisher, c.is_original) for c in cluster.members] == [
        (urls["000"], "Daily Example", True),
        (copy, "Other Times", False),
    ]
    assert cluster.cluster_id == url_id(repo.engine, urls["000"])
    assert len(queries.clusters(repo.engine, singletons=True)) == 5

    rows = {r["url"]: r for r in queries.article_rows(repo.engine)}
    assert (rows[copy]["cluster_id"], rows[copy]["is_original"], rows[copy]["cluster_size"]) == (
        cluster.cluster_id,
        False,
        2,
    )
    assert (rows[urls["001"]]["is_original"], rows[urls["001"]]["cluster_size"]) == (True, 1)


def test_a_batch_update_stores_the_workers_signatures_and_a_rebuild_agrees(
    repo: Repository, story_id: int
) -> None:
    """As the store pipeline runs it after each batch: only the batch's articles, with the
    signatures the extraction workers made (not computed again from the stored text)."""
    from crawler.clustering.signatures import sign

    urls = seed_articles(repo, story_id)
    update_clusters(repo.engine, OPTIONS)
    before = assignments(repo.engine)
    copy = "https://other.example/wire-copy"
    late = "https://other.example/late"
    record = dated(page(copy, None, text=WIRE, publisher=OTHER), date(2025, 2, 3))
    result = repo.write_batch(
        [], [record, page(late, None, text=SEEDS["001"].text.paragraphs[0] * 3)], story_id
    )
    assert result.article_ids == tuple(
        sorted([url_id(repo.engine, copy), url_id(repo.engine, late)])
    )
    assert record.article is not None
    made = sign(record.article.text, record.article.text_sha256, OPTIONS)
    # a marked value: had the update signed the text itself, the stored one would differ
    marked = replace(made, value=made.value[:-4] + b"\x00\x00\x00\x00")
    update = update_clusters(
        repo.engine,
        OPTIONS,
        only=[url_id(repo.engine, copy)],
        signed={record.article.text_sha256: marked},
    )
    assert (update.signed, update.considered, update.rebuilt) == (1, 2, False)
    with repo.engine.connect() as conn:
        stored = dict(
            conn.execute(select(m.ArticleSignature.url_id, m.ArticleSignature.signature)).all()
        )
    assert stored[url_id(repo.engine, copy)] == marked.value
    assert url_id(repo.engine, late) not in stored  # not in `only`: left for later
    found = assignments(repo.engine)
    original = url_id(repo.engine, urls["000"])
    assert found[copy] == (original, True)  # published a day earlier
    assert found[urls["000"]] == (original, False)
    assert {u: a for u, a in found.items() if u not in (copy, urls["000"])} == {
        u: a for u, a in before.items() if u != urls["000"]
    }

    rebuilt = update_clusters(repo.engine, OPTIONS, rebuild=True)
    assert rebuilt.changed == 1  # `late`, signed now for the first time
    assert {u: a for u, a in assignments(repo.engine).items() if u != late} == found


def test_signatures_made_with_other_options_are_not_used(repo: Repository, story_id: int) -> None:
    from crawler.clustering.signatures import sign

    copy = "https://other.example/wire-copy"
    record = page(copy, None, text=WIRE, publisher=OTHER)
    result = repo.write_batch([], [record], story_id)
    assert record.article is not None
    other = sign(record.article.text, record.article.text_sha256, replace(OPTIONS, num_perm=64))
    update_clusters(
        repo.engine, OPTIONS, only=result.article_ids, signed={other.text_sha256: other}
    )
    with repo.engine.connect() as conn:
        stored = conn.execute(select(m.ArticleSignature.signature)).scalar_one()
    assert len(stored) == 4 * OPTIONS.num_perm
