"""The WARC gzip bench: its records are our writer's, and every setting it times is gzip."""

from __future__ import annotations

import gzip

from bench import aeb, warcgzip


def test_records_are_the_writers_response_records_and_every_setting_round_trips() -> None:
    pages = aeb.load_pages(warcgzip.AEB)[:3]
    for encoded in (False, True):
        plain = warcgzip.records(pages, encoded)
        assert len(plain) == 3
        assert all(record.startswith(b"WARC/1.1\r\nWARC-Type: response\r\n") for record in plain)
        if not encoded:
            assert pages[0].html in plain[0]
        for compress in warcgzip.SETTINGS.values():
            assert gzip.decompress(compress(plain[0])) == plain[0]
