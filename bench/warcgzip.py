"""The gzip member of each WARC record: CPU per page and bytes, by library and level.

Every record the crawl archives is compressed on the crawling process's reactor thread, so its
cost is paid once per page by the process that limits the crawl (docs/benchmarks.md). This
measures that cost on real pages: the 181 AEB pages (bench/data/aeb) are written as WARC/1.1
response records by our own `WarcWriter` (uncompressed), and each record is then compressed as
one gzip member by zlib (the standard library, levels 1, 3, 6, 9) and by ISA-L (`isal`, levels
0-3). Bodies are archived as the server sent them; `--encoded` sends them gzip-encoded, as most
news sites do, which leaves little for the record's gzip to win. Every member is checked to
decompress to its record with the standard library: files stay standard gzip.

    python -m bench warcgzip [--repeat N] [--encoded]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator

from bench import aeb
from storage.warc import HttpRequestData, HttpResponseData, WarcWriter

RESULTS = Path(__file__).parent / "results"
AEB = Path(__file__).parent / "data" / "aeb"

Compress = Callable[[bytes], bytes]


def member(module: object, level: int) -> Compress:
    """A compressor of one gzip member with `module`'s `compressobj` (zlib and isal_zlib share
    the API)."""

    def compress(data: bytes) -> bytes:
        compressor = module.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)  # type: ignore[attr-defined]
        out: bytes = compressor.compress(data) + compressor.flush()
        return out

    return compress


SETTINGS: dict[str, Compress] = {
    **{f"zlib {level}": member(zlib, level) for level in (1, 3, 6, 9)},
    **{f"isal {level}": member(isal_zlib, level) for level in (0, 1, 2, 3)},
}


def records(pages: list[aeb.Page], encoded: bool) -> list[bytes]:
    """Each page as the uncompressed WARC response record our writer makes of it."""
    with tempfile.TemporaryDirectory() as directory:
        with WarcWriter(Path(directory), prefix="bench", max_size=1 << 40, gzip=False) as writer:
            for page in pages:
                headers = [(b"Content-Type", b"text/html; charset=utf-8")]
                body = page.html
                if encoded:
                    headers.append((b"Content-Encoding", b"gzip"))
                    body = gzip.compress(body, 6)
                writer.write_exchange(
                    HttpRequestData("GET", page.url, "HTTP/1.1", [(b"User-Agent", b"bench")]),
                    HttpResponseData(200, "OK", "HTTP/1.1", headers, body),
                    fetched_at=datetime(2020, 6, 1, tzinfo=UTC),
                )
        (path,) = Path(directory).glob("*.warc")
        data = path.read_bytes()
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            offsets = []
            for record in iterator:
                record.content_stream().read()
                if record.rec_type == "response":
                    offsets.append((iterator.get_record_offset(), iterator.get_record_length()))
    return [data[offset : offset + length] for offset, length in offsets]


def measure(compress: Compress, plain: list[bytes], repeat: int) -> tuple[float, int]:
    """(CPU ms per record, the fastest of `repeat` passes; total compressed bytes)."""
    best = float("inf")
    size = 0
    for _ in range(repeat):
        started = time.process_time()
        size = sum(len(compress(record)) for record in plain)
        best = min(best, time.process_time() - started)
    return best * 1000 / len(plain), size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench warcgzip", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="passes (the fastest counts)")
    parser.add_argument("--encoded", action="store_true", help="bodies gzip-encoded by the server")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plain = records(aeb.load_pages(AEB), args.encoded)
    raw = sum(len(record) for record in plain)
    for name, compress in SETTINGS.items():
        for record in plain[:5]:
            assert gzip.decompress(compress(record)) == record, name
    measured = {name: measure(compress, plain, args.repeat) for name, compress in SETTINGS.items()}
    base = measured["zlib 6"][1]
    print(
        f"{len(plain)} AEB response records, {raw / 1e6:.1f} MB uncompressed"
        f"{', bodies gzip-encoded' if args.encoded else ''}; CPU ms per record, best of "
        f"{args.repeat}"
    )
    print(f"{'setting':<8} {'ms/record':>10} {'MB':>7} {'vs zlib 6':>10}")
    for name, (ms, size) in measured.items():
        print(f"{name:<8} {ms:>10.3f} {size / 1e6:>7.2f} {100 * (size / base - 1):>+9.1f}%")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"warcgzip{'-encoded' if args.encoded else ''}.json"
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": platform.platform(),
                "records": len(plain),
                "uncompressed_bytes": raw,
                "rows": [
                    {"setting": name, "cpu_ms_per_record": round(ms, 3), "bytes": size}
                    for name, (ms, size) in measured.items()
                ],
            },
            indent=2,
        )
        + "\n"
    )
    return 0
