"""Replay: the CDXJ index and the WACZ of a real crawl, opened in pywb.

The simulated web is crawled twice, unchanged, so the second crawl writes revisit records. pywb
then serves the archive twice over: collection `warcs` reads `newsarchive index`'s CDXJ and the
WARC directory in place; collection `story` is made by `wb-manager add --unpack-wacz` from
`newsarchive wacz`'s package (whose index it takes over). Raw replay (`id_`) must give back the
bytes the simulated web sent.

pywb pins an old redis that scrapy-redis cannot share, so it lives in its own virtual
environment: `$NEWSARCHIVE_PYWB_VENV`, else `.pywb-venv/` in the repository (`.ci/run` makes it).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.simweb import SimWeb
from storage.cdxj import read_index
from storage.db.engine import open_database
from storage.db.models import Capture
from storage.warc import WarcRecord, read_record
from tests.conftest import _unavailable
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PYWB_VENV = "NEWSARCHIVE_PYWB_VENV"


@dataclass
class Archive:
    data: Path
    story: str
    wacz: Path
    sent: dict[str, bytes]
    """The body bytes the simulated web sent for each URL in the first crawl, as sent."""
    outputs: list[str]

    @property
    def warc_dir(self) -> Path:
        return self.data / "warc"

    def captures(self) -> list[Capture]:
        engine = open_database(f"sqlite:///{self.data / 'newsarchive.db'}")
        with Session(engine) as session:
            return list(session.scalars(select(Capture)))

    def record(self, capture: Capture) -> WarcRecord:
        return read_record(self.warc_dir / capture.warc_filename, capture.warc_offset)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("replay")
    data = tmp / "data"
    outputs: list[str] = []
    with SimWeb() as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        started = datetime.now(UTC)

        def crawl(hours: float, *extra: str) -> None:
            now = (started + timedelta(hours=hours)).isoformat()
            result = run_newsarchive(
                "crawl", str(story), "--data", str(data), *FAST,
                "-s", f"NEWSARCHIVE_NOW={now}", *extra,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]

        crawl(0)
        sent: dict[str, bytes] = {}
        for entry in web.log.entries():
            url = f"http://{entry.host}{entry.path}"
            body = web.sent_body(url)
            if body is not None:
                sent[url] = body
        time.sleep(1)  # the revisits' 14-digit timestamps differ from the originals'
        crawl(2)  # nothing changed, everything is due: revisit records
        time.sleep(1)
        # again, the revisit records alone (no request records): replayed all the same
        crawl(5, "-s", "WARC_REVISIT_REQUESTS=False")
    name = tomllib.loads(story.read_text())["name"]
    for args in (
        ("index", "--data", str(data)),
        ("wacz", "--data", str(data), "--story", name, "-o", str(tmp / "story.wacz")),
    ):
        result = run_newsarchive(*args)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stderr)
    yield Archive(data, name, tmp / "story.wacz", sent, outputs)


def test_the_index_lists_every_capture_sorted(archive: Archive) -> None:
    index = archive.data / "indexes" / "index.cdxj"
    text = index.read_text()
    assert text.splitlines() == sorted(text.splitlines())
    lines = {(line.filename, line.offset): line for line in read_index(index)}
    captures = archive.captures()
    replayable = [c for c in captures if not _not_modified(c)]
    assert len(lines) == len(replayable) > 100
    assert len(replayable) < len(captures)  # the 304 revisits are left out
    revisits = 0
    for capture in replayable:
        line = lines[(capture.warc_filename, capture.warc_offset)]
        assert line.length == capture.warc_length
        assert line.fields["status"] == str(capture.status)
        assert line.fields["digest"] == capture.payload_digest
        if capture.record_type == "revisit":
            revisits += 1
            assert line.fields["mime"] == "warc/revisit"
        else:
            assert line.fields["mime"] != "warc/revisit"
    assert revisits > 50


def _not_modified(capture: Capture) -> bool:
    """A revisit of a 304, which the index leaves out (pywb would replay the 304)."""
    return capture.record_type == "revisit" and capture.status == 304


def test_the_wacz_holds_every_file_the_story_needs_and_validates(archive: Archive) -> None:
    captures = archive.captures()
    by_record = {c.warc_record_id: c for c in captures}
    needed = {c.warc_filename for c in captures}  # the story's sites are all the simulated web
    needed |= {by_record[c.refers_to or ""].warc_filename for c in captures if c.refers_to}
    with zipfile.ZipFile(archive.wacz) as wacz:
        names = set(wacz.namelist())
        pages = wacz.read("pages/pages.jsonl").decode().splitlines()
        index = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode().splitlines()
    assert {n.removeprefix("archive/") for n in names if n.startswith("archive/")} == needed
    assert len(index) == sum(not _not_modified(c) for c in captures)
    assert len(pages) - 1 >= 40  # the header line, then the story's articles
    assert "pages written" in archive.outputs[1]

    command = shutil.which("wacz", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("py-wacz is not installed: pip install -e '.[dev]'")
    result = subprocess.run(
        [command, "validate", "-f", str(archive.wacz)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@dataclass
class Pywb:
    base: str

    def get(self, collection: str, when: str, url: str, encoding: str = "gzip") -> Replayed:
        """Raw replay (`id_`): the archived status, headers and body, without rewriting."""
        request = urllib.request.Request(
            f"{self.base}/{collection}/{when}id_/{url}", headers={"Accept-Encoding": encoding}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Replayed(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Replayed(error.code, dict(error.headers.items()), error.read())


@dataclass
class Replayed:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def memento(self) -> datetime:
        return parsedate_to_datetime(self.headers["Memento-Datetime"])


def pywb_venv() -> Path:
    venv = Path(os.environ.get(PYWB_VENV) or REPO / ".pywb-venv")
    for tool in ("wayback", "wb-manager"):
        if not (venv / "bin" / tool).exists():
            _unavailable(
                f"pywb is not installed in {venv} (set ${PYWB_VENV}, or run: python3 -m venv "
                ".pywb-venv && .pywb-venv/bin/pip install pywb)"
            )
    return venv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def pywb_serving(root: Path, collection: str, *add: str) -> Iterator[str]:
    """pywb's `wayback` on 127.0.0.1 in `root`, serving `collection` made by `wb-manager init`
    and `wb-manager add COLLECTION *add`; yields its base URL, stops it at the end."""
    venv = pywb_venv()
    for args in (("init", collection), ("add", collection, *add)):
        done = subprocess.run(
            [venv / "bin" / "wb-manager", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    log = root / "wayback.log"
    server, base = start_wayback(venv, root, log)
    try:
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def start_wayback(venv: Path, root: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """pywb's `wayback` answering on a free port; its process and base URL.

    The port is free when probed, but another process (another test run on the machine) can
    take it before pywb binds it: pywb then exits, and it is started again on another port. The
    start-up deadline is generous: pywb takes seconds to start, many more on a loaded CI."""
    for _ in range(5):
        port = free_port()
        with log.open("wb") as out:
            server = subprocess.Popen(
                [venv / "bin" / "wayback", "-p", str(port), "-b", "127.0.0.1"],
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while server.poll() is None:
            try:
                with urllib.request.urlopen(base + "/", timeout=5):
                    return server, base
            except OSError:
                if time.monotonic() > deadline:
                    server.kill()
                    server.wait()
                    pytest.fail(f"pywb did not start in 240 s: {log.read_text()[-3000:]}")
                time.sleep(0.2)
        if "in use" not in log.read_text():
            pytest.fail(f"pywb ended at start: {log.read_text()[-3000:]}")
    pytest.fail(f"pywb found no free port in 5 tries: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def pywb(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    root = tmp_path_factory.mktemp("pywb")
    (root / "config.yaml").write_text(
        "collections:\n"
        "  warcs:\n"
        f"    index_paths: {archive.data / 'indexes' / 'index.cdxj'}\n"
        f"    archive_paths: {archive.warc_dir}/\n"
    )
    with pywb_serving(root, "story", "--unpack-wacz", str(archive.wacz)) as base:
        yield Pywb(base)


def first_crawl_response(archive: Archive, gzipped: bool) -> tuple[Capture, WarcRecord]:
    """An article page from the first crawl, sent gzip-compressed or not."""
    for capture in archive.captures():
        if capture.record_type != "response" or capture.status != 200:
            continue
        if not (capture.content_type or "").startswith("text/html"):
            continue
        record = archive.record(capture)
        url = record.target_uri or ""
        if url not in archive.sent or url.rstrip("/").count("/") < 3:
            continue  # not from the first crawl, or a home page
        if (record.http_header("Content-Encoding") == "gzip") == gzipped:
            return capture, record
    raise AssertionError(f"no {'gzipped' if gzipped else 'plain'} article response")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


@pytest.mark.parametrize("collection", ["warcs", "story"])
@pytest.mark.parametrize("gzipped", [True, False], ids=["gzip", "plain"])
def test_an_article_replays_byte_for_byte(
    archive: Archive, pywb: Pywb, collection: str, gzipped: bool
) -> None:
    """The body compared is the payload as the server sent it: gzip-compressed when it sent
    gzip. Asked with `Accept-Encoding: gzip`, pywb passes the stored bytes through unchanged;
    asked for identity, it decodes them, which must give the decoded payload."""
    capture, record = first_crawl_response(archive, gzipped)
    url = record.target_uri or ""
    sent = archive.sent[url]
    replayed = pywb.get(collection, timestamp(capture.fetched_at), url)
    assert replayed.status == 200
    assert replayed.body == sent
    assert replayed.memento == capture.fetched_at.replace(microsecond=0)
    if gzipped:
        assert replayed.headers.get("Content-Encoding") == "gzip"
        identity = pywb.get(collection, timestamp(capture.fetched_at), url, "identity")
        assert identity.body == gzip.decompress(sent)


def revisit_of_article(archive: Archive, profile: str) -> tuple[Capture, Capture, WarcRecord]:
    """(revisit, original, the revisit's record) for an article page revisited unchanged."""
    captures = archive.captures()
    by_record = {c.warc_record_id: c for c in captures}
    for capture in captures:
        if capture.record_type != "revisit" or not (capture.revisit_profile or "").endswith(
            profile
        ):
            continue
        record = archive.record(capture)
        url = record.target_uri or ""
        if url in archive.sent and url.rstrip("/").count("/") >= 3:
            return capture, by_record[capture.refers_to or ""], record
    raise AssertionError(f"no {profile} revisit of an article")


@pytest.mark.parametrize("collection", ["warcs", "story"])
def test_a_revisit_replays_the_original_body(archive: Archive, pywb: Pywb, collection: str) -> None:
    revisit, original, record = revisit_of_article(archive, "identical-payload-digest")
    assert timestamp(revisit.fetched_at) != timestamp(original.fetched_at)
    url = record.target_uri or ""
    replayed = pywb.get(collection, timestamp(revisit.fetched_at), url)
    assert replayed.status == 200
    # the revisit itself was served (its date), with the original's payload
    assert replayed.memento == revisit.fetched_at.replace(microsecond=0)
    assert replayed.body == archive.sent[url]
    assert record.payload == b""  # nothing of it came from the revisit record


@pytest.mark.parametrize("collection", ["warcs", "story"])
def test_a_revisit_without_its_request_record_replays_the_original_body(
    archive: Archive, pywb: Pywb, collection: str
) -> None:
    """`WARC_REVISIT_REQUESTS=False` (the third crawl): the revisit record alone is enough."""
    alone = [
        c
        for c in archive.captures()
        if c.record_type == "revisit"
        and c.request_record_id is None
        and (c.revisit_profile or "").endswith("identical-payload-digest")
    ]
    assert alone
    for revisit in alone:
        record = archive.record(revisit)
        url = record.target_uri or ""
        if url not in archive.sent:
            continue
        replayed = pywb.get(collection, timestamp(revisit.fetched_at), url)
        assert replayed.status == 200
        assert replayed.memento == revisit.fetched_at.replace(microsecond=0)
        assert replayed.body == archive.sent[url]
        return
    raise AssertionError("no request-less revisit of a page the first crawl fetched")


def test_a_not_modified_revisit_replays_the_page_it_confirmed(archive: Archive, pywb: Pywb) -> None:
    """pywb would serve a revisit of a 304 as the empty 304 it records, so the index leaves such
    revisits out (docs/replay.md): at the revisit's time the page is still what it replays."""
    revisit, original, record = revisit_of_article(archive, "server-not-modified")
    url = record.target_uri or ""
    for moment in (revisit.fetched_at, original.fetched_at):
        replayed = pywb.get("warcs", timestamp(moment), url)
        assert replayed.status == 200 and replayed.body == archive.sent[url]
