"""Files that appear whole or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def replacing(path: Path, mode: str = "w", newline: str = "\n") -> Iterator[IO[Any]]:
    """A file opened for writing under a hidden temporary name beside `path` and renamed to
    `path` once the block completes (after fsync), so readers never see a partial file and an
    interrupted write leaves `path` as it was. `mode` is "w" (UTF-8 text, lines ending in
    `newline`; "" writes line ends as given, as the csv module wants) or "wb"."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    # os.open with 0o666 lets the umask decide the permissions, as for any file the user creates.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if mode == "wb":
            stream: IO[Any] = open(fd, "wb")  # noqa: SIM115  # closed below
        else:
            stream = open(fd, "w", encoding="utf-8", newline=newline)  # noqa: SIM115
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
