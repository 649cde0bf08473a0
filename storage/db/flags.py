"""What is wrong with stored records, by file: the flags on captures (`Capture.flags`), read
for `newsarchive status` (and its JSON)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, func, select

from storage.db import models as m


def flagged_files(engine: Engine) -> dict[str, Counter[str]]:
    """{WARC file as captures name it: {flag: captures with it}} for every file with a flagged
    capture, in file order."""
    c = m.Capture
    found: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.warc_filename, c.flags, func.count())
            .where(c.flags.is_not(None))
            .group_by(c.warc_filename, c.flags)
            .order_by(c.warc_filename)
        )
        for filename, flags, count in rows:
            counts = found.setdefault(filename, Counter())
            for flag in (flags or "").split(","):
                counts[flag] += count
    return found
