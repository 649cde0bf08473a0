"""The extraction pool's fork server loads what workers would each load on their first pages."""

from __future__ import annotations

import gc
import sys

from crawler.extraction.pool import PRELOAD, extraction_pool


def _worker_state() -> tuple[bool, bool, int]:
    """In a worker that has extracted nothing: is py3langid's model loaded, is the article
    extractor imported, how many objects the fork server froze out of the collector."""
    langid = sys.modules.get("py3langid.langid")
    return (
        langid is not None and getattr(langid, "IDENTIFIER", None) is not None,
        "crawler.extraction.extract" in sys.modules,
        gc.get_freeze_count(),
    )


def test_workers_start_with_the_language_model_loaded_and_frozen() -> None:
    assert "crawler.extraction.warm" in PRELOAD
    with extraction_pool(1) as pool:
        model, extractor, frozen = pool.submit(_worker_state).result(timeout=120)
    assert model and extractor
    assert frozen > 10_000  # everything the fork server loaded, the extractors among it


def test_warming_extracts_its_own_page_as_an_article() -> None:
    """The warm-up page must go through the whole extraction (an article, a date, a language),
    or the libraries a real page loads would still load in each worker."""
    from crawler.extraction import warm  # warms this process too, and freezes the GC

    gc.unfreeze()  # the test process's garbage stays collectable
    from crawler.extraction.extract import extract
    from crawler.extraction.options import ExtractOptions

    page = warm.page()
    extraction = extract(page, ExtractOptions())
    assert extraction.article is not None
    assert extraction.article.published_at is not None
