"""Crash recovery of the archive: finish the WARC files a dead crawl left open.

A crawl killed at any moment (SIGKILL, a power cut) leaves its current file as `NAME.open`, with
complete records and perhaps a cut-off last one. Recovery, run at the start of every crawl and by
`newsarchive verify --repair`, cuts each `.open` file back to its last complete record (every gzip
member checked whole: CRC, WARC header, Content-Length) and renames it to `NAME`; a file that a
live crawl still writes is left alone (the writer holds an exclusive `flock` on it). The database
is then reconciled with every file it has not caught up with by `crawler.services.recover`: a
kill between the rename and that leaves the file unsettled, so the next start reconciles it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from storage.warc import OPEN_SUFFIX, lock_file
from storage.warcscan import complete_end

_NAME = re.compile(
    r"^(?P<prefix>.+)-(?P<stamp>\d{20})-(?P<serial>\d{5})-(?P<writer>.+-\d+)\.warc(?:\.gz)?$"
)
"""`WarcWriter`'s file names; `writer` is host-pid, one crawl process."""

FileStatus = Literal["recovered", "empty", "in-use", "damaged", "name-taken"]


# --- the files ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveredFile:
    """What recovery did with one `.open` file."""

    name: str
    """The file's final name (without `.open`)."""
    status: FileStatus
    """'recovered': cut back (if needed) and renamed; 'empty': no complete record, deleted;
    'in-use': a live crawl writes it, left alone; 'damaged': complete records follow damage, so
    cutting would lose them, left as it is; 'name-taken': a file already has the final name."""
    records: int = 0
    """Complete records kept."""
    cut: int = 0
    """Bytes cut off the end."""
    reason: str = ""
    """What the cut-off bytes were (or why the file was left alone)."""

    @property
    def changed(self) -> bool:
        return self.status in ("recovered", "empty")


def in_use(path: Path) -> bool:
    """Whether a live writer holds `path` (a `.open` file) open."""
    with path.open("rb") as stream:
        return not lock_file(stream.fileno())


def recover_open_files(directory: str | os.PathLike[str]) -> list[RecoveredFile]:
    """Recover every `.open` file in `directory` that no live crawl is writing."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [recover_open_file(path) for path in sorted(directory.glob("*" + OPEN_SUFFIX))]


def recover_open_file(path: str | os.PathLike[str]) -> RecoveredFile:
    """Cut the `.open` file at `path` back to its last complete record and give it its final
    name; see `RecoveredFile` for when it is left alone."""
    path = Path(path)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    with path.open("r+b") as stream:
        if not lock_file(stream.fileno()):
            return RecoveredFile(final.name, "in-use", reason="a running crawl is writing it")
        size = os.fstat(stream.fileno()).st_size
        end, records, damage = complete_end(path)
        reason = "; ".join(f"{d.reason} at offset {d.offset}" for d in damage)
        if any(d.offset < end for d in damage):
            return RecoveredFile(
                final.name, "damaged", records, reason=f"complete records follow damage: {reason}"
            )
        if final.exists():
            return RecoveredFile(final.name, "name-taken", records, reason=f"{final} exists")
        if end == 0:
            path.unlink()
            _sync_directory(path.parent)
            return RecoveredFile(final.name, "empty", 0, size, reason or "empty file")
        stream.truncate(end)
        os.fsync(stream.fileno())
        _rename(path, final)
    _sync_directory(path.parent)
    return RecoveredFile(final.name, "recovered", records, size - end, reason)


def _rename(path: Path, final: Path) -> None:
    """Give a recovered file its final name (a step of its own, for the tests that kill
    recovery between steps)."""
    path.rename(final)


def _sync_directory(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def files_to_reconcile(directory: Path, recovered: Iterable[RecoveredFile]) -> list[str]:
    """The recovered files, each with the file its crawl closed just before it (rotation): the
    database lags the archive by seconds, so that file's last records may lack captures too."""
    names: list[str] = []
    for file in recovered:
        if file.status != "recovered":
            continue
        names.append(file.name)
        match = _NAME.match(file.name)
        if match is None or match["serial"] == "00000":
            continue
        previous = f"{int(match['serial']) - 1:05d}"
        for candidate in sorted(directory.glob(f"{glob_escape(match['prefix'])}-*-{previous}-*")):
            other = _NAME.match(candidate.name)
            if other is not None and other["writer"] == match["writer"]:
                names.append(candidate.name)
    return list(dict.fromkeys(names))


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
