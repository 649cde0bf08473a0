"""The coverage report as one HTML page: inline CSS and SVG, no scripts, no external resources."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from html import escape

from crawler.core.clusters import Cluster
from crawler.report.links import ReplayLinks
from crawler.report.model import (
    Changes,
    EditedArticle,
    HealthRow,
    ReportArticle,
    ReportData,
)
from crawler.versions.diff import Gap, Op, WordDiff, in_context

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
"""Tableau 10: distinguishable, and readable in grey print."""
OTHERS = "#cccccc"
MAX_SERIES = len(PALETTE)
"""Publishers beyond this many are drawn together as 'others'."""
MAX_BARS = 120
"""Above this many days the timeline counts weeks."""
DROP_POINTS = 30
"""A share this many percentage points below the publisher's previous day is flagged."""
CONTEXT_WORDS = 25
"""Unchanged words shown on each side of a change in the diffs; the rest is left out."""
NONE = "&ndash;"
"""A cell with nothing to show."""
Cell = str | tuple[str, str]
"""A table cell's HTML, or (HTML, CSS class)."""
CHART_WIDTH, CHART_HEIGHT = 960, 320
MAX_BAR_WIDTH = 48
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 16, 56

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:.2em 0}h2{margin-top:2em;border-bottom:1px solid #ddd}
.meta{color:#666}.summary{display:flex;gap:24px;flex-wrap:wrap;margin:16px 0}
.summary div{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.summary b{display:block;font-size:1.5em}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.drop{background:#fde0dd;font-weight:bold}
a{color:#1a5fb4;word-break:break-all}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0}
.legend span{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.diff{background:#fff;border:1px solid #ddd;padding:8px;white-space:pre-wrap}
.gap{color:#888;font-style:italic}
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}
svg text{font:11px system-ui,sans-serif;fill:#444}
.original{font-weight:bold}
"""


def render_report(data: ReportData, links: ReplayLinks | None = None) -> str:
    """The whole page; its links to articles go to their archived copies (`links`)."""
    links = links or ReplayLinks()
    relevant = [a for a in data.articles if a.relevant]
    charted = relevant or list(data.articles)
    sections = [
        f"<h1>{escape(data.title)}</h1>",
        f'<p class="meta">Story <code>{escape(data.story)}</code> · report made '
        f"{data.generated_at:%Y-%m-%d %H:%M} UTC by newsarchive</p>",
        _summary(data, relevant),
        "<h2>Coverage timeline</h2>",
        "<p>"
        + (
            "Relevant articles per publisher"
            if relevant
            else "No article is judged relevant yet: all articles per publisher"
        )
        + ", by publication date (first capture when the page states none).</p>",
        timeline_svg(charted),
        "<h2>Relevant articles</h2>",
        _articles_table(relevant, links),
        "<h2>Publishers</h2>",
        _publishers_table(data.articles),
        "<h2>Syndication clusters</h2>",
        _clusters(data.clusters, links),
        "<h2>Most edited articles</h2>",
        _edited(data.edited, links),
        '<h2 id="what-changed">What changed</h2>',
        _changes(data.changes, links),
        "<h2>Extraction health</h2>",
        "<p>Per publisher and day of capture: article pages fetched (listing pages such as "
        "home, section and tag pages left out), and the share that gave an "
        "article; of those articles, the share with a title, a date and an author. A cell "
        f"marked red dropped {DROP_POINTS} or more points from the publisher's previous day: "
        "the site may have changed its layout.</p>",
        _health(data.health),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(data.title)}: coverage report</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )


def _summary(data: ReportData, relevant: Sequence[ReportArticle]) -> str:
    publishers = {a.publisher for a in data.articles}
    boxes = [
        ("articles", len(data.articles)),
        ("relevant", len(relevant)),
        ("publishers", len(publishers)),
        ("edited", sum(1 for a in data.articles if a.versions > 1)),
        ("clusters", len(data.clusters)),
    ]
    return (
        '<div class="summary">'
        + "".join(f"<div><b>{n:,}</b>{label}</div>" for label, n in boxes)
        + "</div>"
    )


def timeline_svg(articles: Sequence[ReportArticle]) -> str:
    """A stacked bar chart of articles per publisher per day (per week over long spans)."""
    if not articles:
        return "<p>No articles yet.</p>"
    first, last = min(a.day for a in articles), max(a.day for a in articles)
    step = 1 if (last - first).days < MAX_BARS else 7
    buckets = [first + timedelta(days=d) for d in range(0, (last - first).days + 1, step)]
    totals = Counter(a.publisher for a in articles)
    named = [p for p, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_SERIES]
    series = [*named, "others"] if len(totals) > len(named) else named
    colours = {p: PALETTE[i] for i, p in enumerate(named)} | {"others": OTHERS}
    counts: dict[tuple[int, str], int] = Counter(
        ((a.day - first).days // step, a.publisher if a.publisher in colours else "others")
        for a in articles
    )
    peak = max(sum(counts.get((i, p), 0) for p in series) for i in range(len(buckets)))
    top = _nice_ceiling(peak)
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bar_w = plot_w / len(buckets)
    drawn_w = min(bar_w * 0.8, MAX_BAR_WIDTH)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="timeline" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="100%" '
        f'aria-label="Articles per publisher per {"day" if step == 1 else "week"}">',
        f'<rect x="0" y="0" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" fill="#fff"/>',
    ]
    for tick in _ticks(top):
        y = MARGIN_TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#e5e5e5"/><text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    label_every = max(1, len(buckets) // 12)
    for i, day in enumerate(buckets):
        x = MARGIN_LEFT + i * bar_w
        y = MARGIN_TOP + plot_h
        for publisher in series:
            n = counts.get((i, publisher), 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            what = f"{day:%Y-%m-%d}" + ("" if step == 1 else " (week)")
            parts.append(
                f'<rect x="{x + (bar_w - drawn_w) / 2:.1f}" y="{y:.1f}" width="{drawn_w:.1f}" '
                f'height="{h:.1f}" fill="{colours[publisher]}"><title>{escape(publisher)}, '
                f"{what}: {n}</title></rect>"
            )
        if i % label_every == 0:
            cx = x + bar_w / 2
            ly = MARGIN_TOP + plot_h + 14
            parts.append(
                f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {ly})">{day:%Y-%m-%d}</text>'
            )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" x2="{CHART_WIDTH - MARGIN_RIGHT}" y1="{MARGIN_TOP + plot_h}" '
        f'y2="{MARGIN_TOP + plot_h}" stroke="#888"/></svg>'
    )
    legend = "".join(
        f'<div><span style="background:{colours[p]}"></span>{escape(p)} '
        f"({sum(totals[q] for q in totals if q not in named) if p == 'others' else totals[p]})"
        "</div>"
        for p in series
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _nice_ceiling(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… that is at least `n`."""
    scale = 1
    while True:
        for m in (1, 2, 5):
            if m * scale >= n:
                return m * scale
        scale *= 10


def _ticks(top: int) -> list[int]:
    step = max(1, top // 5)
    return list(range(0, top + 1, step))


def _archived(links: ReplayLinks, url: str, text: str, captured: datetime | None) -> str:
    """A link to the archived copy of `url`; the live URL shows on hover."""
    href = links.href(url, captured)
    return f'<a href="{escape(href)}" title="{escape(url)}">{escape(text)}</a>'


def _articles_table(articles: Sequence[ReportArticle], links: ReplayLinks) -> str:
    if not articles:
        return "<p>None yet.</p>"
    rows = [
        [
            str(a.day),
            escape(a.publisher),
            _archived(links, a.url, a.title or a.url, a.first_seen),
            _n(a.versions),
        ]
        for a in sorted(articles, key=lambda a: (a.day, a.publisher, a.url))
    ]
    return _table(["day", "publisher", "title", "versions"], rows)


def _publishers_table(articles: Sequence[ReportArticle]) -> str:
    by_publisher: dict[str, list[ReportArticle]] = defaultdict(list)
    for article in articles:
        by_publisher[article.publisher].append(article)
    rows = []
    for publisher, items in sorted(by_publisher.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        days = [a.published for a in items if a.published]
        rows.append(
            [
                escape(publisher),
                _n(len(items)),
                _n(sum(a.relevant for a in items)),
                _n(sum(a.versions > 1 for a in items)),
                str(min(days)) if days else NONE,
                str(max(days)) if days else NONE,
            ]
        )
    return _table(
        ["publisher", "articles", "relevant", "edited", "first published", "last published"],
        rows,
    )


def _clusters(clusters: Sequence[Cluster], links: ReplayLinks) -> str:
    if not clusters:
        return "<p>No text was found at more than one publisher.</p>"
    rows = []
    for cluster in clusters:
        members = "<br>".join(
            f'<span class="{"original" if m.is_original else ""}">'
            f"{escape(m.publisher or '(no publisher)')}"
            f"{' (original)' if m.is_original else ''}</span> · {m.published or NONE} · "
            + _archived(links, m.url, m.title or m.url, m.first_captured)
            for m in cluster.members
        )
        rows.append([str(cluster.cluster_id), _n(len(cluster.members)), members])
    return _table(["cluster", "copies", "publisher · published · title"], rows)


def _edited(edited: Sequence[EditedArticle], links: ReplayLinks) -> str:
    if not edited:
        return "<p>No article has changed since it was first captured.</p>"
    out = []
    for article in edited:
        out.append(
            f'<h3>{escape(article.title or article.url)}</h3><p class="meta">'
            f"{escape(article.publisher)} · {article.versions} versions · first seen "
            f"{article.first_seen:%Y-%m-%d %H:%M} UTC · last changed "
            f"{article.last_changed:%Y-%m-%d %H:%M} UTC · "
            + _archived(links, article.url, article.url, article.first_seen)
            + "</p>"
            f"<p>First to latest version: {_words(article.diff.words_added)} added, "
            f"{_words(article.diff.words_removed)} removed"
            f"{' (headline changed)' if article.diff.title.changed else ''}.</p>"
            + (
                f'<p class="title-diff">Headline: {diff_html(article.diff.title)}</p>'
                if article.diff.title.changed
                else ""
            )
            + (
                f'<div class="diff">{diff_html(article.diff.text, CONTEXT_WORDS)}</div>'
                if article.diff.text.changed
                else "<p>Text unchanged.</p>"
            )
        )
    return "".join(out)


SHOWN_EDITS = 50
"""Edits listed in "What changed" (stealth ones first); the counts cover them all."""


def _changes(changes: Changes, links: ReplayLinks) -> str:
    out = []
    if changes.kinds:
        out.append(
            "<p>Edits by kind (an edit of several kinds counts for each). <i>Stealth</i>: a "
            "rewording or removal with no correction or update notice.</p>"
            + _table(["kind", "edits"], [[escape(kind), _n(n)] for kind, n in changes.kinds])
        )
        stealthy = sum(e.stealth for e in changes.edits)
        out.append(f"<p>{_n(len(changes.edits))} edits, {_n(stealthy)} stealth.</p>")
        rows: list[list[Cell]] = [
            [
                f"{edit.first_seen:%Y-%m-%d %H:%M}",
                escape(", ".join(edit.kinds)) + (" · <b>stealth</b>" if edit.stealth else ""),
                escape(edit.publisher),
                _archived(links, edit.url, edit.title or edit.url, edit.first_seen)
                + f" (version {edit.version})",
            ]
            for edit in changes.edits[:SHOWN_EDITS]
        ]
        out.append(_table(["seen (UTC)", "kinds", "publisher", "article"], rows))
    else:
        out.append("<p>No edit recorded: no article has a second version.</p>")
    if changes.walled:
        walls = ", ".join(f"{_n(n)} {escape(access)}" for access, n in changes.walled)
        out.append(
            f"<p>Walled captures (a wall in the article's place: no version, no deletion): "
            f"{walls}.</p>"
        )
    if changes.noarchive:
        shown = "shown" if changes.noarchive_included else "left out of this report"
        out.append(
            f"<p>Noarchive captures (the page asked not to be archived; archived and flagged): "
            f"{_n(changes.noarchive)}; their articles are {shown}.</p>"
        )
    return "".join(out)


def diff_html(diff: WordDiff, context: int | None = None) -> str:
    """The word diff with removed text in <del> and added text in <ins>; with `context`, only
    that many unchanged words around each change, the rest left out with a note of how many."""
    tags = {"delete": "del", "insert": "ins"}

    def piece(op: Op | Gap) -> str:
        if isinstance(op, Gap):
            return f'<span class="gap"> [… {_words(op.words)} unchanged …] </span>'
        if op.kind == "equal":
            return escape(op.text)
        return f"<{tags[op.kind]}>{escape(op.text)}</{tags[op.kind]}>"

    return "".join(piece(op) for op in (diff.ops if context is None else in_context(diff, context)))


def _words(n: int) -> str:
    return f"{n:,} word{'' if n == 1 else 's'}"


def _health(rows: Iterable[HealthRow]) -> str:
    by_publisher: dict[str, list[HealthRow]] = defaultdict(list)
    for row in rows:
        by_publisher[row.publisher].append(row)
    if not by_publisher:
        return "<p>No page has been extracted yet.</p>"
    out = []
    for publisher in sorted(by_publisher):
        previous: dict[str, float] = {}
        table_rows = []
        for row in sorted(by_publisher[publisher], key=lambda r: r.day):
            shares = {
                "text": _share(row.with_text, row.pages),
                "title": _share(row.with_title, row.with_text),
                "date": _share(row.with_date, row.with_text),
                "author": _share(row.with_author, row.with_text),
            }
            cells: list[Cell] = [str(row.day), _n(row.pages)]
            for key, share in shares.items():
                dropped = (
                    share is not None and key in previous and previous[key] - share >= DROP_POINTS
                )
                text = NONE if share is None else f"{share:.0f} %"
                cells.append((text, "n drop") if dropped else text)
                if share is not None:
                    previous[key] = share
            table_rows.append(cells)
        out.append(
            f"<h3>{escape(publisher)}</h3>"
            + _table(["day", "pages", "text", "title", "date", "author"], table_rows)
        )
    return "".join(out)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100 * part / whole


def _n(value: int) -> str:
    return f"{value:,}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    def cell(value: Cell) -> str:
        if isinstance(value, tuple):
            return f'<td class="{value[1]}">{value[0]}</td>'
        numeric = value[:1].isdigit() and ("%" in value or value.replace(",", "").isdigit())
        return f'<td class="n">{value}</td>' if numeric else f"<td>{value}</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
