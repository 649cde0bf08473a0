"""The access bench counts every wall it finds in a corpus of open articles as a false positive."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from bench.access import measure
from tests.extraction.pages import DATA

AEB = Path(__file__).parents[2] / "bench" / "data" / "aeb"
ARTICLE = "374ac9a59a85196cdacc1679fb8993521a7b7d9d6533720f102300be1c7face4"


def test_a_wall_in_a_corpus_of_articles_is_a_false_positive(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    shutil.copy(AEB / "html" / f"{ARTICLE}.html.gz", tmp_path / "html")
    wall = (DATA / "walls" / "onetrust-interstitial.html").read_bytes()
    (tmp_path / "html" / "wall.html.gz").write_bytes(gzip.compress(wall))
    truth = json.loads((AEB / "ground-truth.json").read_text())[ARTICLE]
    (tmp_path / "ground-truth.json").write_text(json.dumps({ARTICLE: truth}))
    tally = measure(tmp_path)
    assert tally.pages == 2
    assert dict(tally.walled) == {"consent": 1}
    assert [line.split(":")[0] for line in tally.false_positives] == ["wall"]
    assert tally.as_dict()["access_ms_per_page"] > 0
