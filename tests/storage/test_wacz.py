"""storage.wacz: the WACZ 1.1.1 layout, manifest and index, and py-wacz's validator."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from storage.cdxj import CdxjLine
from storage.wacz import PageCapture, archive_names, write_wacz
from storage.warc import read_record
from tests.storage.test_cdxj import T0, write_archive


def wacz_command() -> str | None:
    """py-wacz's `wacz` command beside this interpreter (the dev extra installs it)."""
    return shutil.which("wacz", path=str(Path(sys.executable).parent))


@pytest.fixture
def package(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    warcs_dir = tmp_path / "warc"
    written = write_archive(warcs_dir)
    warcs = sorted(warcs_dir.glob("*.warc.gz"))
    pages = [
        PageCapture(warcs_dir / w.location.filename, w.location.offset, f"Page {n}")
        for n, w in enumerate(written)
        if w.kind == "response" and w.status == 200
    ]
    output = tmp_path / "story.wacz"
    summary = write_wacz(output, warcs, pages, title="Harbour strike", software="newsarchive test")
    assert summary.pages == len(pages) and summary.unindexed_pages == 0
    # every record but the revisit of a 304, which pywb would replay as the 304 (storage.cdxj)
    not_modified = [w for w in written if w.kind == "revisit" and w.status == 304]
    assert len(not_modified) == 1
    assert summary.index_lines == len(written) - 1
    return output, warcs_dir, warcs


def test_the_layout_and_the_manifest(package: tuple[Path, Path, list[Path]]) -> None:
    output, _, warcs = package
    with zipfile.ZipFile(output) as wacz:
        infos = {info.filename: info for info in wacz.infolist()}
        assert set(infos) == {
            *(f"archive/{p.name}" for p in warcs),
            "indexes/index.cdx.gz",
            "indexes/index.idx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        }
        # WARCs and the gzip index stored, not deflated: readers range-read them in place
        for name, info in infos.items():
            if name.startswith("archive/") or name.endswith(".cdx.gz"):
                assert info.compress_type == zipfile.ZIP_STORED, name
        for warc in warcs:
            assert wacz.read(f"archive/{warc.name}") == warc.read_bytes()
        package_bytes = wacz.read("datapackage.json")
        manifest = json.loads(package_bytes)
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest == {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
        }
        assert manifest["profile"] == "data-package" and manifest["wacz_version"] == "1.1.1"
        assert manifest["title"] == "Harbour strike"
        assert manifest["software"] == "newsarchive test"
        assert manifest["created"].endswith("Z")
        listed = {r["path"]: r for r in manifest["resources"]}
        assert set(listed) == set(infos) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = wacz.read(path)
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_the_index_reads_back_from_the_packaged_files(
    package: tuple[Path, Path, list[Path]], tmp_path: Path
) -> None:
    output, _, warcs = package
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(output) as wacz:
        wacz.extractall(unpacked)
    text = gzip.decompress((unpacked / "indexes/index.cdx.gz").read_bytes()).decode()
    assert text.splitlines() == sorted(text.splitlines())
    lines = [CdxjLine.parse(line) for line in text.splitlines()]
    assert {line.filename for line in lines} == {p.name for p in warcs}
    for line in lines:
        record = read_record(unpacked / "archive" / line.filename, line.offset)
        assert record.target_uri == line.fields["url"]
    idx = (unpacked / "indexes/index.idx").read_text().splitlines()
    assert idx[0].startswith("!meta 0 ") and len(idx) == 2  # a few lines: one block


def test_pages_name_the_captured_url_and_time(package: tuple[Path, Path, list[Path]]) -> None:
    output, _, _ = package
    with zipfile.ZipFile(output) as wacz:
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert [p["url"] for p in pages] == [
        "http://127.0.0.1:8080/news/b?x=1&a=2",
        "http://127.0.0.1:8080/feed.xml",
        "http://127.0.0.1:9090/",
    ]
    assert pages[0]["ts"] == T0.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pages[0]["title"] == "Page 0"
    assert len({p["id"] for p in pages}) == len(pages)


def test_py_wacz_validates_it(package: tuple[Path, Path, list[Path]]) -> None:
    command = wacz_command()
    if command is None:
        pytest.skip("py-wacz is not installed: pip install -e '.[dev]'")
    output, _, _ = package
    result = subprocess.run(
        [command, "validate", "-f", str(output)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_two_files_of_one_name_get_distinct_names() -> None:
    a, b, c = Path("/x/a.warc.gz"), Path("/y/a.warc.gz"), Path("/z/a.warc.gz")
    assert archive_names([a, b, c]) == {a: "a.warc.gz", b: "a-2.warc.gz", c: "a-3.warc.gz"}


def test_a_page_outside_the_packaged_files_is_refused(tmp_path: Path) -> None:
    write_archive(tmp_path)
    warcs = sorted(tmp_path.glob("*.warc.gz"))
    with pytest.raises(ValueError, match="not a packaged WARC file"):
        write_wacz(
            tmp_path / "x.wacz",
            warcs[:1],
            [PageCapture(tmp_path / "elsewhere.warc.gz", 0, None)],
            title="t",
            software="s",
        )
    assert not list(tmp_path.glob("*.wacz")) and not list(tmp_path.glob(".*.part"))
