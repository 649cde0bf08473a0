"""One writer per data directory: an exclusive `flock` on DIR/newsarchive.lock.

The verbs that write into a data directory (`crawl`, `schedule`, `ingest`, `reextract`,
`verify --repair`, `demo`) hold it for their whole run; a second one refuses with one line that
names the process holding it (exit status 2), or with `--wait` waits for it. The kernel releases
a `flock` when the process ends, however it ends (SIGKILL included), so the lock is never stale;
the file stays, holding the pid, verb, host and start of its last holder for the message.

`schedule` holds the lock between rounds and hands it to each round's crawl: the crawl inherits
the open file (whose `flock` is the schedule's) and finds it through `$NEWSARCHIVE_DATA_LOCK_FD`.

The workers of a distributed crawl (`crawl --redis`) share a frontier and write their own WARC
files (named by host and pid), so those on one machine may share a data directory: they take
the lock shared, together, and any other writer is refused while one of them runs (and they
while another writer runs). Several data directories may share one database (crawlers on
several machines, a schedule and a crawl of two stories into one PostgreSQL): the lock is the
data directory's, the database has its own concurrency control.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from crawler.cli.common import CliError
from crawler.core.datadir import lock_file

LOCK_FD_ENV = "NEWSARCHIVE_DATA_LOCK_FD"
"""Names the file descriptor of a data directory lock inherited from `schedule`."""


@contextmanager
def data_dir_lock(
    data_dir: Path, verb: str, *, wait: bool = False, create: bool = True, shared: bool = False
) -> Iterator[int | None]:
    """Hold the lock of `data_dir` for the block, for `newsarchive VERB`; yields its file
    descriptor (for a child process to inherit), or None when `data_dir` does not exist and
    `create` is false (nothing there to protect: the verb reports what is missing). `shared`
    (distributed workers) lets other shared holders in.

    Another process holding it is a `CliError` (2) naming that process, unless `wait`.
    """
    inherited = _inherited(data_dir)
    if inherited is not None:
        yield inherited
        return
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"the data directory {data_dir} is not a directory", 2)
    if not data_dir.exists():
        if not create:
            yield None
            return
        try:
            data_dir.mkdir(parents=True)
        except OSError as exc:
            raise CliError(f"cannot make the data directory {data_dir}: {exc.strerror}", 2) from exc
    path = lock_file(data_dir)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CliError(f"cannot lock the data directory: {path}: {exc.strerror}", 2) from exc
    try:
        _acquire(fd, data_dir, verb, wait=wait, mode=fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder(verb).encode(), 0)
        yield fd
        if not shared:
            os.ftruncate(fd, 0)  # released: nobody to name any more
    finally:
        os.close(fd)


def _acquire(fd: int, data_dir: Path, verb: str, *, wait: bool, mode: int) -> None:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    holder = describe_holder(data_dir)
    if not wait:
        raise CliError(
            f"the data directory {data_dir} is in use by {holder}: wait for it to finish, or "
            "add --wait to wait for it",
            2,
        )
    sys.stderr.write(f"newsarchive {verb}: waiting for {holder} to finish with {data_dir}\n")
    sys.stderr.flush()
    fcntl.flock(fd, mode)  # Ctrl-C interrupts the wait: KeyboardInterrupt


def describe_holder(data_dir: Path) -> str:
    """Who holds the lock of `data_dir`, as the lock file says: 'newsarchive crawl (pid 12,
    host h, since …)'."""
    try:
        found = json.loads(lock_file(data_dir).read_text(encoding="utf-8"))
        pid, verb, host, since = found["pid"], found["verb"], found["host"], found["since"]
    except (OSError, ValueError, KeyError, TypeError):
        return "another newsarchive process"  # it has not written its name yet
    where = "" if host == socket.gethostname() else f" on {host}"
    return f"newsarchive {verb} (pid {pid}{where}, since {since})"


def _holder(verb: str) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "verb": verb,
            "host": socket.gethostname(),
            "since": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
    )


def _inherited(data_dir: Path) -> int | None:
    """The lock `schedule` handed down for `data_dir`, if this process has it."""
    value = os.environ.pop(LOCK_FD_ENV, None)
    if value is None or not value.isdigit():
        return None
    fd = int(value)
    try:
        held, wanted = os.fstat(fd), os.stat(lock_file(data_dir))
        if (held.st_dev, held.st_ino) != (wanted.st_dev, wanted.st_ino):
            return None
        # The same open file as the holder's: this succeeds only if that lock is ours to share.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return None
    return fd
