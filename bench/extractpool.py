"""The extraction limit: extraction alone on the AEB web's bodies, in a pool of processes.

    python -m bench.extractpool TEMPLATES --pages N --local HOST:PORT --workers W
        [--extractor trafilatura|ours]

TEMPLATES is a pickle of the rewritten pages (`bench.aebweb.Template`s) that the bench wrote; each
worker renders the bodies exactly as the server sent them. `trafilatura` is
`trafilatura.extract(html, url=url)` with its defaults; `trafilatura-meta` is the same call with
what we ask of trafilatura (metadata with the extensive date search, precision, tables), which
separates trafilatura's own cost of our settings from our rules around it; `ours` is the crawl's
`extract()` on a `PageInput` (the above, plus a second date search for the modified date, our
boilerplate rules and the balanced fallback). Prints the number of texts extracted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
from datetime import UTC, datetime
from pathlib import Path

import trafilatura
from trafilatura.settings import set_date_params

from bench.aebweb import Template, layout, page_path
from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import quiet_extractors

_TEMPLATES: dict[str, Template] = {}
_LOCAL = ""
_EXTRACTOR = "trafilatura"
_OPTIONS = ExtractOptions()
EXTRACTORS = ("trafilatura", "trafilatura-meta", "ours")


def _one(job: tuple[int, str]) -> bool:
    copy, page_id = job
    url = f"http://{_LOCAL}{page_path(copy, page_id)}"
    body = _TEMPLATES[page_id].render(copy)
    if _EXTRACTOR == "trafilatura":
        return trafilatura.extract(body.decode("utf-8", errors="replace"), url=url) is not None
    if _EXTRACTOR == "trafilatura-meta":
        text = trafilatura.extract(
            body.decode("utf-8", errors="replace"),
            url=url,
            with_metadata=True,
            favor_precision=True,
            include_tables=True,
            date_extraction_params=set_date_params(extensive=True),
        )
        return text is not None
    page = PageInput.saved(url, body, datetime.now(UTC), "text/html; charset=utf-8")
    return extract(page, _OPTIONS).article is not None


def main(argv: list[str] | None = None) -> int:
    global _LOCAL, _EXTRACTOR
    parser = argparse.ArgumentParser(prog="python -m bench.extractpool", description=__doc__)
    parser.add_argument("templates", type=Path)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--local", required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--extractor", choices=EXTRACTORS, default="trafilatura")
    args = parser.parse_args(argv)
    templates: list[Template] = pickle.loads(args.templates.read_bytes())
    _TEMPLATES.update((t.id, t) for t in templates)
    _LOCAL, _EXTRACTOR = args.local, args.extractor
    jobs = list(layout(args.pages, [t.id for t in templates]))
    # fork: this process has no threads, and the workers inherit the templates
    with multiprocessing.get_context("fork").Pool(args.workers, quiet_extractors) as pool:
        extracted = sum(pool.imap_unordered(_one, jobs, chunksize=8))
    print(extracted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
