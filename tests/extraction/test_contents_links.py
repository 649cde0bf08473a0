"""A table of contents is links to the page's own subheadings: the entries are link blocks, the
subheadings they name are the article's text (crawler.extraction.boilerplate.link_blocks)."""

from __future__ import annotations

from lxml.html import fromstring

from crawler.extraction.boilerplate import link_blocks, strip_link_blocks

# From autozeitung.de's AdBlue guide, as trafilatura's evaluation corpus keeps it (Apache-2.0,
# tests/data/pages/LICENSE-trafilatura-eval): its table of contents (three of its ten entries),
# one of the subheadings it links to and the first sentence under it.
FRAGMENT = """<html><body><article>
<ol class="list--directory typo--list-directory">
<li class="first"><a href="/adblue-diesel-tanken-ratgeber-180301.html#wozu_brauchen_diesel_adblue_"
>Wozu brauchen Diesel Adblue?</a></li>
<li><a href="/adblue-diesel-tanken-ratgeber-180301.html#tankstellen:_wo_kann_man_adblue_kaufen_"
>Tankstellen: Wo kann man Adblue kaufen?</a></li>
<li><a
href="/adblue-diesel-tanken-ratgeber-180301.html#kann_adblue_beim_nachf_uuml_llen_uuml_berlaufen_"
>Kann Adblue beim Nachfüllen überlaufen?</a></li>
</ol>
<h2>Tankstellen: Wo kann man Adblue kaufen?</h2>
<p>Adblue zum Nachfüllen ist im Handel und an Tankstellen in Kanistern von unter zwei bis zehn
Litern erhältlich.</p>
</article></body></html>"""

TEXT = """Kann Adblue beim Nachfüllen überlaufen?
Tankstellen: Wo kann man Adblue kaufen?
Adblue zum Nachfüllen ist im Handel und an Tankstellen in Kanistern von unter zwei bis zehn \
Litern erhältlich."""


def test_a_subheading_named_by_the_table_of_contents_stays() -> None:
    blocks = link_blocks(fromstring(FRAGMENT))
    assert "Tankstellen: Wo kann man Adblue kaufen?" not in blocks
    kept = strip_link_blocks(TEXT, blocks)
    assert kept.splitlines()[0] == "Tankstellen: Wo kann man Adblue kaufen?"
    # an entry whose subheading is not in the text is still a link block
    assert "Kann Adblue beim Nachfüllen überlaufen?" in blocks
    assert "überlaufen" not in kept
