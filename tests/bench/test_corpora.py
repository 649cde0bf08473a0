"""The corpora are read where they lie and each is scored its own way (bench/corpora.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import aeb, corpora, extract_quality

SAMPLE = Path(__file__).parent / "data" / "corpora"


def test_every_sample_corpus_loads_with_its_kind() -> None:
    found = {d.name: corpora.load(d) for d in corpora.corpus_dirs(SAMPLE)}
    assert set(found) == {
        "fundus-fixtures",
        "magic-html-articles",
        "readability-testpages",
        "trafilatura-eval",
    }
    assert found["trafilatura-eval"].kind == "snippets"
    assert all(found[n].kind == "full" for n in found if n != "trafilatura-eval")
    assert found["fundus-fixtures"].utf8 and not found["trafilatura-eval"].utf8
    # Readability's synthetic unit-test pages are not scored, its real ones are
    assert [p.id for p in found["readability-testpages"].pages] == ["001"]
    # a page without a URL gets a placeholder that no fetch could reach
    assert found["readability-testpages"].pages[0].url.startswith("https://bench.invalid/")
    ingested = found["fundus-fixtures"].pages[0]
    assert ingested.fetched_at.year >= 2024 and ingested.html.lstrip().startswith(b"<")


def test_cjk_characters_are_tokens_of_their_own() -> None:
    assert aeb.tokens("Xinhua 新华社 reports", split_cjk=True) == [
        "Xinhua",
        "新",
        "华",
        "社",
        "reports",
    ]
    assert aeb.tokens("日本語のテキスト・", split_cjk=True) == list("日本語のテキスト")
    assert aeb.tokens("Xinhua 新华社 reports") == ["Xinhua", "新华社", "reports"]  # AEB's README
    # a Chinese sentence shares shingles with a prediction that holds part of it
    truth, prediction = "中国科学院今天发布了新的研究报告", "今天发布了新的研究"
    assert aeb.score_page(prediction, truth, split_cjk=True).matches > 0
    assert aeb.score_page(prediction, truth).matches == 0


def test_snippets_are_scored_as_trafilatura_scores_them() -> None:
    page = corpora.CorpusPage(
        id="p",
        url="https://example.org/",
        html=b"",
        with_snippets=("first  part", "second part", "never there"),
        without_snippets=("Cookie banner", "Imprint"),
    )
    counts = corpora.snippet_counts("first part and\nsecond   part. Imprint", page)
    assert counts == corpora.SnippetCounts(tp=2, fn=1, fp=1, tn=1)
    # an empty extraction misses every `with` and avoids every `without`
    assert corpora.snippet_counts("", page) == corpora.SnippetCounts(tp=0, fn=3, fp=0, tn=2)
    score = corpora.snippet_score([counts, corpora.snippet_counts("", page)])
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 6)
    assert score.f1 == pytest.approx(4 / (4 + 1 + 4))


def test_default_root_from_the_environment_or_a_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(corpora.ENV, str(SAMPLE))
    assert corpora.default_root() == SAMPLE
    monkeypatch.delenv(corpora.ENV)
    (tmp_path / "shared" / "bench" / "aeb").mkdir(parents=True)
    checkout = tmp_path / "wt" / "repo"
    checkout.mkdir(parents=True)
    assert corpora.default_root(checkout) == tmp_path / "shared" / "bench"


def test_without_shared_corpora_the_bench_says_so_and_scores_aeb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(corpora, "default_root", lambda start=None: None)
    dirs, note = extract_quality.find_corpora(None)
    assert dirs == [aeb.DEFAULT_DIR]
    assert note is not None and "--corpora" in note


def test_a_directory_without_corpora_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no corpus in"):
        extract_quality.find_corpora(tmp_path)


def test_the_bench_scores_every_corpus_with_every_system(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_quality, "RESULTS", tmp_path / "results")
    code = extract_quality.main(
        ["--corpora", str(SAMPLE), "--predictions", str(tmp_path / "predictions")]
    )
    assert code == 0
    out = capsys.readouterr().out
    for name in ("fundus-fixtures", "magic-html-articles", "trafilatura-eval"):
        assert f"\n{name}: " in out
    written = json.loads((tmp_path / "results" / "extract-quality.json").read_text())
    fundus = written["results"]["fundus-fixtures"]["systems"]
    assert set(fundus) == set(extract_quality.SYSTEMS)
    for row in fundus.values():
        assert 0 <= row["all"]["f1"] <= 1 and row["ms_per_page"] > 0
    # our extraction of a real article agrees with its reference
    assert fundus["ours"]["all"]["f1"] > 0.8
    snippets = written["results"]["trafilatura-eval"]["systems"]["default"]["pages"]
    assert all(len(v) == 4 for v in snippets.values())
    ours = json.loads((tmp_path / "predictions" / "magic-html-articles" / "ours.json").read_text())
    assert len(ours) == 2
