"""Every verb over a corpus of bad input: each mistake a user can make is one line on standard
error and exit status 2, never a traceback (docs/development.md: tracebacks are for bugs).

The table below is the corpus: the traps reported in issue 14 and more found by trying every
verb with bad input. Each case runs through `crawler.cli.main`, as the `newsarchive` command does,
in this process (a crawl that got past its checks would start here, and fail the test). A
closed standard output (`export | head`) is checked in a subprocess: it must end quietly.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.cli import main as newsarchive
from storage.db.engine import open_database
from storage.db.repository import Repository
from tests.storage.archive import STORY_TOML, write_archive
from tests.storage.db.factories import STORY, capture, page

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class World:
    """Files the cases point at: a good data directory, story files good and bad, and the
    broken things a user may hand a verb."""

    root: Path

    @property
    def data(self) -> str:
        return str(self.root / "data")

    def __getitem__(self, name: str) -> str:
        return str(self.root / name)


def _read_only(path: Path) -> bool:
    """Make the file at `path` read-only, for root too where `chattr +i` works; whether it
    took."""
    path.chmod(0o444)
    if os.geteuid() == 0:
        with contextlib.suppress(OSError):
            subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    try:
        with open(path, "r+b"):
            return False
    except OSError:
        return True


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("bad-input")
    data = root / "data"
    data.mkdir()
    write_archive(data / "warc")
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    url = "http://news.example:8080/a"
    repo.write_batch([capture(url, "ra")], [page(url, "ra")], story_id)
    engine.dispose()
    (root / "story.toml").write_text(STORY_TOML)
    (root / "bad.toml").write_text('name = "x"\n')
    for name, table in ARCHIVE_STORIES.items():
        (root / name).write_text(STORY_TOML + table)
    (root / "notdb.db").write_text("this is not a database\n")
    (root / "page.html").write_text("<html><body><p>hello</p></body></html>")
    (root / "badid" / "warc").mkdir(parents=True)
    (root / "badid" / "newsarchive.id").write_text("not an id\n")
    read_only = root / "ro"
    read_only.mkdir()
    (read_only / "warc").mkdir()
    (read_only / "newsarchive.db").write_bytes((data / "newsarchive.db").read_bytes())
    made = _read_only(read_only / "newsarchive.db")
    yield World(root)
    if made and os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(read_only / "newsarchive.db")], check=False)
    (read_only / "newsarchive.db").chmod(0o644)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    for name in ("NEWSARCHIVE_DB", "NEWSARCHIVE_REDIS", "NEWSARCHIVE_REDIS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(world.root)  # a default ./data is the good one


ARCHIVE_STORIES = {
    "unknown-kind.toml": '[[archives]]\nname = "w"\nkind = "heritrix"\ncdx = "http://127.0.0.1:1/"\n',
    "bad-template.toml": (
        '[[archives]]\nname = "w"\nkind = "wayback"\ncdx = "http://127.0.0.1:1/cdx"\n'
        'replay = "http://127.0.0.1:1/web/{timstamp}id_/{url}"\n'
    ),
    "no-url-template.toml": (
        '[[archives]]\nname = "w"\nkind = "wayback"\ncdx = "http://127.0.0.1:1/cdx"\n'
        'replay = "http://127.0.0.1:1/web/{timestamp}id_/"\n'
    ),
    "unreachable.toml": (
        '[[archives]]\nname = "w"\nkind = "wayback"\ncdx = "http://127.0.0.1:1/cdx"\n'
        'replay = "http://127.0.0.1:1/web/{timestamp}id_/{url}"\n'
    ),
    "cc-without-data.toml": (
        '[[archives]]\nname = "cc"\nkind = "commoncrawl"\ncdx = "http://127.0.0.1:1/i"\n'
    ),
}
"""Story files whose `[[archives]]` are wrong (only `backfill` reads them); port 1 of
127.0.0.1 has nothing listening."""

READ_ONLY_URL = "sqlite:///file:{root}/data/newsarchive.db?mode=ro&uri=true"
"""The good database, opened read-only by SQLite itself: a writer must refuse it up front."""

# (verb and arguments with {placeholders}, a fragment of the one line expected)
CASES: list[tuple[str, str]] = [
    # the top level
    ("nosuchverb", "unknown verb 'nosuchverb'"),
    ("stauts", "did you mean 'status'?"),
    # crawl: settings
    ("crawl {story} --data {root}/c -s WARC_PREFIX=../../evil", "WARC_PREFIX must be"),
    ("crawl {story} --data {root}/c -s DOWNLOAD_MAXSIZE=-1", "DOWNLOAD_MAXSIZE must be 0 or more"),
    ("crawl {story} --data {root}/c -s DOWNLOAD_DELEY=0", "did you mean DOWNLOAD_DELAY?"),
    ("crawl {story} --data {root}/c -s download_delay=0", "did you mean DOWNLOAD_DELAY?"),
    ("crawl {story} --data {root}/c -s NO_SUCH_SETTING=1", "unknown setting NO_SUCH_SETTING"),
    ("crawl {story} --data {root}/c -s DOWNLOAD_DELAY", "-s takes NAME=VALUE"),
    ("crawl {story} --data {root}/c -s CONCURRENT_REQUESTS=0", "CONCURRENT_REQUESTS must be 1"),
    ("crawl {story} --data {root}/c -s CONCURRENT_REQUESTS=2.5", "must be a whole number"),
    ("crawl {story} --data {root}/c -s DOWNLOAD_TIMEOUT=0", "DOWNLOAD_TIMEOUT must be above 0"),
    ("crawl {story} --data {root}/c -s DOWNLOAD_DELAY=soon", "DOWNLOAD_DELAY must be a number"),
    ("crawl {story} --data {root}/c -s WARC_MAX_SIZE=0", "WARC_MAX_SIZE must be 1 or more"),
    ("crawl {story} --data {root}/c -s DB_BATCH_SIZE=-5", "DB_BATCH_SIZE must be 1 or more"),
    ("crawl {story} --data {root}/c -s ROBOTSTXT_OBEY=maybe", "must be True or False"),
    ("crawl {story} --data {root}/c -s EXTENSIONS=notjson", "EXTENSIONS must be a JSON object"),
    ("crawl {story} --data {root}/c -s LOG_LEVEL=LOUD", "LOG_LEVEL must be one of"),
    ("crawl {story} --data {root}/c -L loud", "LOG_LEVEL must be one of"),
    ("crawl {story} --data {root}/c -v --quiet", "not allowed with argument"),
    ("crawl {story} --data {root}/c -s NEWSARCHIVE_PROGRESS=loud", "NEWSARCHIVE_PROGRESS must be"),
    ("crawl {story} --data {root}/c -s NEWSARCHIVE_NOW=x", "NEWSARCHIVE_NOW must be an ISO"),
    ("crawl {story} --data {root}/c -s EXTRACT_FAVOR=fast", "extraction settings"),
    ("crawl {story} --data {root}/c -s WARC_DIR={root}/notdb.db", "is not a directory"),
    ("crawl {story} --data {root}/c --revisit sometimes", "invalid choice: 'sometimes'"),
    ("crawl {story} --data {root}/c -s JOBDIR={root}/notdb.db/job", "JOBDIR: cannot make"),
    ("crawl {story} --data {root}/c -s LOG_FILE={root}/nowhere/x.log", "No such file"),
    # crawl: story files and data directories
    ("crawl {root}/missing.toml", "cannot read the file"),
    ("crawl {root}/bad.toml", "is required"),
    ("crawl {root}", "cannot read the file"),
    ("crawl {story} --data {root}/notdb.db", "is not a directory"),
    # crawl: databases
    ("crawl {story} --data {root}/c --db garbage", "not a database URL"),
    ("crawl {story} --data {root}/c --db sqlite:////nonexistent/dir/x.db", "no such directory"),
    ("crawl {story} --data {root}/c --db sqlite:///{root}/notdb.db", "file is not a database"),
    ("crawl {story} --data {root}/c --db nosuch://x", "no database dialect 'nosuch'"),
    ("crawl {story} --data {root}/c --db mysql://u@127.0.0.1/x", "driver is not installed"),
    ("crawl {story} --data {root}/c --db " + READ_ONLY_URL, "cannot be written"),
    ("crawl {story} --data {root}/c --redis redis://127.0.0.1:9/0", "Redis"),
    # status, export, and the other readers
    ("status --db garbage", "not a database URL"),
    ("status --db sqlite:///{root}/notdb.db", "file is not a database"),
    ("status --db postgresql+psycopg://nobody@127.0.0.1:9/x", "connection"),
    ("status --data {root}/nowhere", "no newsarchive database"),
    ("status --run 999", "999"),
    ("status --format yaml", "invalid choice: 'yaml'"),
    ("export -o {root}", "is a directory"),
    ("export -o {root}/nowhere/x.jsonl", "no such directory"),
    ("export -o {root}/out.csv --format jsonl", "does not match"),
    ("export -o {root}/out.jsonl.gz", "not compressed"),
    ("export -o {root}/out.tsv", "give --format"),
    ("export --csv-raw", "--csv-raw is for CSV"),
    ("export --format parquet", "needs -o FILE"),
    ("export --since yesterday", "not a date"),
    ("export --story nope", "no story named 'nope'"),
    ("export --publisher nowhere.example", "nowhere.example"),
    ("history http://unknown.example/", "no URL"),
    ("history http://unknown.example/ --captures", "no URL"),
    ("history http://news.example:8080/a --captures --format yaml", "invalid choice: 'yaml'"),
    ("edits", "--story"),
    ("edits --story nope", "no story named 'nope'"),
    ("edits --story harbour-strike --kind typo", "invalid choice: 'typo'"),
    ("edits --story harbour-strike --data {root}/nowhere", "no newsarchive database"),
    ("diff http://news.example:8080/a --to 9", "has no version 9"),
    ("diff http://news.example:8080/a --capture 1", "--capture goes with --extractions"),
    ("clusters --story nope", "no story named 'nope'"),
    ("clusters --threshold 2", "must be in (0, 1]"),
    ("extract {root}/missing.html", "cannot read"),
    ("extract {root}", "cannot read"),
    ("extract {root}/page.html --min-words -1", "min_words must be 0 or more"),
    ("index --data {root}/nowhere", "no WARC directory"),
    ("index -o {root}", "is a directory"),
    ("report --story harbour-strike -o {root}", "is a directory"),
    ("report --story nope -o {root}/r.html", "no story named 'nope'"),
    ("report --story harbour-strike -o {root}/nowhere/r.html", "no such directory"),
    ("report --story harbour-strike -o {root}/r.html --replay http://h/", "must contain {url}"),
    ("report --story harbour-strike -o {root}/r.html --replay http://h/{{id}}", "unknown field"),
    ("wacz --story harbour-strike -o {root}", "is a directory"),
    ("wacz --story nope -o {root}/x.wacz", "no story named 'nope'"),
    ("wacz --story harbour-strike --include-noarchive=yes -o {root}/x.wacz", "ignored explicit"),
    ("db", "required"),
    ("db current --db garbage", "not a database URL"),
    ("db current --db sqlite:///{root}/notdb.db", "file is not a database"),
    ("db current --data {root}/nowhere", "no newsarchive database"),
    ("db upgrade --db sqlite:////nonexistent/dir/x.db", "no such directory"),
    ("db upgrade --db sqlite:///{root}", "is a directory"),
    ("search x --db garbage", "not a database URL"),
    ("search AND", "bad query"),
    ("search x --limit -1", "--limit must be 0"),
    ("stories --data {root}/nowhere", "no newsarchive database"),
    ("serve --data {root}/nowhere", "no newsarchive database"),
    ("serve --port 99999", "--port must be between 0 and 65535"),
    ("workers", "give --redis URL"),
    ("workers --redis garbage", "Redis URL must"),
    ("workers --redis redis://127.0.0.1:9/0", "Redis"),
    # the verbs that write
    ("ingest {root}/missing.warc.gz --data {root}/i", "no such readable file"),
    ("ingest {root}/data/warc --data {root}/i", "no such readable file"),
    ("ingest {root}/notdb.db --data {root}/i --db garbage", "not a database URL"),
    ("ingest {root}/notdb.db --data {root}/i --batch-size 0", "must be 1 or more"),
    ("ingest {root}/notdb.db --data {root}/i --story {root}/bad.toml", "is required"),
    ("ingest {warc} --data {root}/data --story nope", "no story named 'nope'"),
    ("ingest {warc} --data {root}/data --story harbour-strike", "stored without its story file"),
    ("ingest {root}/notdb.db --data {root}/ro", "cannot be written"),
    ("ingest {root}/notdb.db --data {root}/i --db " + READ_ONLY_URL, "cannot be written"),
    ("ingest {warc} --data {root}/i --copy --db garbage", "not a database URL"),
    ("reextract --db garbage", "not a database URL"),
    ("reextract -s EXTRACT_FAVOR=fast", "favor must be one of"),
    ("reextract -s EXTRACT_FAVR=recall", "did you mean EXTRACT_FAVOR?"),
    ("reextract --workers -1", "--workers must be 0"),
    ("reextract --batch-size 0", "must be 1 or more"),
    ("reextract --since whenever", "not a date or time"),
    ("reextract --story nope", "no story named 'nope'"),
    ("reextract --db " + READ_ONLY_URL, "cannot be written"),
    ("verify --data {root}/nowhere", "no WARC directory"),
    ("verify --db garbage", "not a database URL"),
    ("verify --repair --story {root}/bad.toml", "is required"),
    ("verify --repair --story {root}/missing.toml", "cannot read the file"),
    ("verify --repair --story nope", "no story named 'nope'"),
    ("verify --repair --story harbour-strike", "stored without its story file"),
    ("verify --repair --data {root}/ro --story harbour-strike", "cannot be written"),
    ("verify --repair --db " + READ_ONLY_URL, "cannot be written"),
    ("verify --repair -s EXTRACT_MIN_WORD=5", "did you mean EXTRACT_MIN_WORDS?"),
    ("verify --claim-unknown", "--claim-unknown goes with --repair"),
    ("verify --repair --data {root}/badid", "holds no data directory id"),
    ("crawl {story} --data {root}/badid", "holds no data directory id"),
    ("ingest {warc} --data {root}/badid", "holds no data directory id"),
    ("ingest {warc} --data {root}/i -s EXTRACT_FAVOR=fast", "favor must be one of"),
    ("backfill {root}/unknown-kind.toml --data {root}/b", "archives[0].kind: must be one of"),
    ("backfill {root}/bad-template.toml --data {root}/b", "unknown placeholder {timstamp}"),
    ("backfill {root}/no-url-template.toml --data {root}/b", "must contain {url}, on line"),
    ("backfill {root}/cc-without-data.toml --data {root}/b", "archives[0].data: is required"),
    ("backfill {root}/unreachable.toml --data {root}/b", "archive 'w' cannot be reached"),
    ("backfill {story} --data {root}/b", "names no [[archives]]"),
    ("backfill {root}/bad.toml --data {root}/b", "is required"),
    ("backfill {root}/unreachable.toml --data {root}/b --db garbage", "not a database URL"),
    ("backfill {root}/unreachable.toml --data {root}/b --batch-size 0", "must be 1 or more"),
    ("schedule {story} --every 0s", "must be longer than zero"),
    ("schedule {story} --every 1h --data {root}/s --db garbage", "not a database URL"),
    ("schedule {story} --every 1h --data {root}/s -s DOWNLOAD_DELEY=1", "did you mean"),
    ("schedule {root}/bad.toml --every 1h", "is required"),
    ("schedule {story} --every 1h --rounds 0", "at least 1"),
    ("schedule {story} --every 1h --data {root}/s -L loud", "LOG_LEVEL must be one of"),
    ("demo --data {root}/data", "not made by the demo"),
    ("demo --data {root}/notdb.db", "is not a directory"),
    ("demo --data {root}/d --extra -1", "--extra must be 0 or more"),
]
READ_ONLY_FILE_CASES = [
    ("crawl {story} --data {root}/ro", "cannot be written"),
    ("verify --repair --data {root}/ro", "cannot be written"),
]


def run(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = newsarchive(argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capfd.readouterr().err


def expand(command: str, world: World) -> list[str]:
    (warc,) = (world.root / "data" / "warc").iterdir()
    return command.format(root=world.root, story=world["story.toml"], warc=warc).split()


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c for c, _ in CASES])
def test_a_mistake_is_one_line_and_exit_status_2(
    command: str, expected: str, world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    code, err = run(expand(command, world), capfd)
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    assert expected in err, err
    assert err.startswith("newsarchive"), err
    assert code == 2, err
    assert not (world.root / "i" / "warc").exists()  # ingest --copy copied nothing


@pytest.mark.parametrize(
    ("command", "expected"), READ_ONLY_FILE_CASES, ids=[c for c, _ in READ_ONLY_FILE_CASES]
)
def test_a_read_only_database_file_is_refused_before_any_work(
    command: str, expected: str, world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    database = world.root / "ro" / "newsarchive.db"
    try:
        with open(database, "r+b"):
            pytest.skip("cannot make a read-only file here (root without chattr)")
    except OSError:
        pass
    code, err = run(expand(command, world), capfd)
    assert (code, err.count("\n")) == (2, 1), err
    assert expected in err and "Traceback" not in err
    assert not list((world.root / "ro" / "warc").iterdir())  # nothing written before it


def test_no_directory_is_left_behind_by_a_refused_database(
    world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    target = world.root / "never" / "made" / "x.db"
    for verb in (["db", "upgrade"], ["crawl", world["story.toml"], "--data", world["c"]]):
        code, _ = run([*verb, "--db", f"sqlite:///{target}"], capfd)
        assert code == 2
    assert not (world.root / "never").exists()


def test_a_story_file_may_start_with_a_byte_order_mark(world: World) -> None:
    from crawler.core.story import load_story

    path = world.root / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + STORY_TOML.encode())
    story = load_story(path)
    assert story.name == "el-salvador"
    assert not story.definition.startswith("\ufeff")


# --- a closed standard output ---------------------------------------------------------------


def closed_pipe_run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run `newsarchive ARGV` with a standard output whose reader is gone before it starts,
    as `newsarchive … | head` is once head has read its lines: every write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "crawler", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["export", "--format", "csv"],
        ["status", "--format", "json"],
        ["status"],
        ["history", "http://news.example:8080/a"],
        ["history", "http://news.example:8080/a", "--captures"],
        ["edits", "--story", "harbour-strike"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_ends_the_verb_quietly(argv: list[str], world: World) -> None:
    result = closed_pipe_run(*argv, cwd=world.root)
    assert result.stderr.decode().count("Traceback") == 0, result.stderr.decode()
    assert b"BrokenPipe" not in result.stderr and b"Exception ignored" not in result.stderr
    assert result.returncode == 141  # as for a process that SIGPIPE ended
