"""The extraction pool's fork server loads what workers would each load on their first pages."""

from __future__ import annotations

import gc
import sys

from crawler.extraction.pool import PRELOAD, extraction_pool


def _worker_state() -> tuple[bool, bool, int, bool]:
    """In a worker that has extracted nothing: is py3langid's model loaded, is the article
    extractor imported, how many objects the fork server froze out of the collector, is jusText's
    stoplist of every language already in jusText's cache."""
    import trafilatura.external
    from justext.core import define_stoplist

    langid = sys.modules.get("py3langid.langid")
    words = trafilatura.external.JT_STOPLIST
    return (
        langid is not None and getattr(langid, "IDENTIFIER", None) is not None,
        "crawler.extraction.extract" in sys.modules,
        gc.get_freeze_count(),
        words is not None and define_stoplist.cache_info().currsize >= 1,
    )


def test_workers_start_with_the_language_model_loaded_and_frozen() -> None:
    assert "crawler.extraction.warm" in PRELOAD
    with extraction_pool(1) as pool:
        model, extractor, frozen, stoplist = pool.submit(_worker_state).result(timeout=120)
    assert model and extractor and stoplist
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


def test_the_warm_stoplist_is_the_one_justext_finds_for_a_page_of_no_language() -> None:
    """trafilatura asks jusText with its joined tuple; the frozen set cached for that tuple must
    be the one warming built, or each worker would build (and keep) its own."""
    import trafilatura.external
    from justext.core import define_stoplist

    from crawler.extraction import warm

    gc.unfreeze()
    built = warm.stoplist()
    assert "the" in built and "und" in built and len(built) > 10_000
    assert trafilatura.external.JT_STOPLIST is not None
    assert define_stoplist(trafilatura.external.JT_STOPLIST) is built
