"""The pure clustering: shingles, signatures, band keys, and clusters from signatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crawler.clustering.groups import Assignment, Member, assign
from crawler.clustering.signatures import (
    ClusterOptions,
    band_keys,
    shingles,
    signature,
    similarity,
)
from crawler.simweb.content import seeds

OPTIONS = ClusterOptions()
T0 = datetime(2025, 2, 4, tzinfo=UTC)
TEXTS = {key: "\n".join(seed.text.paragraphs) for key, seed in seeds().items()}


def test_shingles_are_word_runs_of_the_normalised_folded_text() -> None:
    assert shingles("The “Harbour” — STRIKE   ends.", 2) == {
        b"the harbour",
        b"harbour strike",
        b"strike ends",
    }
    assert shingles("Two words", 5) == {b"two words"}
    assert shingles("  — ", 5) == set()


def test_typography_does_not_change_a_signature() -> None:
    plain = 'He said "no" - twice.\n' * 20
    fancy = "He said “no” — twice.\n\n" * 20
    assert signature(plain, OPTIONS) == signature(fancy, OPTIONS)
    assert len(signature(plain, OPTIONS)) == 4 * OPTIONS.num_perm


def test_similarity_estimates_jaccard() -> None:
    assert similarity(signature(TEXTS["000"], OPTIONS), signature(TEXTS["002"], OPTIONS)) == 1.0
    assert similarity(signature(TEXTS["000"], OPTIONS), signature(TEXTS["001"], OPTIONS)) < 0.1
    assert similarity(b"", signature(TEXTS["000"], OPTIONS)) == 0.0


def test_band_keys_follow_the_bands() -> None:
    b, r = OPTIONS.bands
    assert b * r <= OPTIONS.num_perm
    keys = band_keys(signature(TEXTS["000"], OPTIONS), OPTIONS)
    assert len(keys) == b
    assert keys == band_keys(signature(TEXTS["002"], OPTIONS), OPTIONS)
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert band_keys(b"", OPTIONS) == []


@pytest.mark.parametrize(
    "values",
    [{"threshold": 0}, {"threshold": 1.5}, {"shingle_words": 0}, {"num_perm": 8}],
)
def test_options_are_checked(values: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ClusterOptions(**values)  # type: ignore[arg-type]


def test_options_params_name_everything_that_changes_signatures() -> None:
    assert OPTIONS.params != ClusterOptions(threshold=0.8).params
    assert OPTIONS.params != ClusterOptions(shingle_words=4).params
    assert OPTIONS.params != ClusterOptions(num_perm=64).params


def member(key: int, text: str, published: date | datetime | None, minutes: int = 0) -> Member:
    return Member(key, signature(text, OPTIONS), published, T0 + timedelta(minutes=minutes))


def test_copies_cluster_under_the_smallest_key_and_the_earliest_is_original() -> None:
    found = assign(
        [
            member(7, TEXTS["000"], date(2025, 2, 4), minutes=5),
            member(3, TEXTS["002"], date(2025, 2, 4), minutes=9),
            member(5, TEXTS["001"], date(2025, 2, 3)),
            member(9, TEXTS["000"] + "\nThis story first appeared on the wire.", None),
        ],
        OPTIONS,
    )
    assert found == {
        7: Assignment(3, True),  # same day as 3, captured first
        3: Assignment(3, False),
        9: Assignment(3, False),  # undated comes last
        5: Assignment(5, True),
    }


def test_stated_moments_order_copies_of_one_day_whatever_the_offsets() -> None:
    """The hour decides between copies of one day, compared as instants: 06:00 at -05:00 is
    11:00 UTC, later than 10:00 UTC. A bare date on that day cannot be placed within it."""
    ny = timezone(timedelta(hours=-5))
    found = assign(
        [
            member(1, TEXTS["000"], datetime(2025, 2, 4, 6, 0, tzinfo=ny)),  # captured first
            member(2, TEXTS["002"], datetime(2025, 2, 4, 10, 0, tzinfo=UTC), minutes=9),
            member(3, TEXTS["000"] + "\nFrom the wire.", date(2025, 2, 4), minutes=1),
        ],
        OPTIONS,
    )
    assert found == {1: Assignment(1, False), 2: Assignment(1, True), 3: Assignment(1, False)}
    # A moment late on 3 February at -05:00 is 4 February in UTC, after a bare 3 February.
    late = assign(
        [
            member(1, TEXTS["000"], datetime(2025, 2, 3, 22, 0, tzinfo=ny)),
            member(2, TEXTS["002"], date(2025, 2, 3), minutes=9),
        ],
        OPTIONS,
    )
    assert late == {1: Assignment(1, False), 2: Assignment(1, True)}


def test_the_assignment_does_not_depend_on_order() -> None:
    members = [member(i, TEXTS[k], date(2025, 2, i)) for i, k in enumerate(sorted(TEXTS), 1)]
    assert assign(members, OPTIONS) == assign(members[::-1], OPTIONS)


def test_an_empty_text_is_alone() -> None:
    found = assign([member(1, "", None), member(2, "", None)], OPTIONS)
    assert found == {1: Assignment(1, True), 2: Assignment(2, True)}


def test_links_are_datasketchs_lsh_candidates_over_the_threshold() -> None:
    """The band-key candidates equal MinHashLSH's (the links before the crawling process stopped
    loading datasketch), on copies, near copies (some over the threshold, some under), rewrites."""
    from datasketch import LeanMinHash, MinHashLSH

    from crawler.clustering.groups import links
    from crawler.clustering.signatures import SCHEME, SEED, values

    texts = list(TEXTS.values())
    words = TEXTS["000"].split()
    variants = [" ".join(words[: len(words) - cut]) for cut in range(0, len(words), 7)]
    members = [
        Member(n, signature(text, OPTIONS), None, T0)
        for n, text in enumerate([*texts, *variants, ""])
    ]
    lsh = MinHashLSH(num_perm=OPTIONS.num_perm, params=OPTIONS.bands)
    signed = [m for m in members if m.signature]
    for m in signed:
        lsh.insert(m.key, LeanMinHash(seed=SEED, hashvalues=values(m.signature), scheme=SCHEME))
    expected = set()
    for m in signed:
        sketch = LeanMinHash(seed=SEED, hashvalues=values(m.signature), scheme=SCHEME)
        for other in lsh.query(sketch):
            sig = members[other].signature
            if other > m.key and similarity(m.signature, sig) >= OPTIONS.threshold:
                expected.add((m.key, other))
    found = set(links(members, OPTIONS))
    assert found == expected
    assert len(found) > len(variants)  # copies and near copies are linked, not all of them
    assert len(found) < len(signed) * (len(signed) - 1) // 2


def test_sign_gives_the_workers_signature_with_its_keys_and_params() -> None:
    from crawler.clustering.signatures import sign

    signed = sign(TEXTS["000"], "digest", OPTIONS)
    assert signed.value == signature(TEXTS["000"], OPTIONS)
    assert list(signed.keys) == band_keys(signed.value, OPTIONS)
    assert (signed.params, signed.text_sha256) == (OPTIONS.params, "digest")


def test_the_default_bands_are_the_ones_datasketch_chooses() -> None:
    """The default options' bands are known without loading datasketch (and scipy), which every
    crawl's cluster update would otherwise do just to read them; they must be datasketch's."""
    from datasketch import MinHashLSH

    from crawler.clustering.signatures import LSH_WEIGHTS

    chosen = MinHashLSH(threshold=OPTIONS.threshold, num_perm=OPTIONS.num_perm, weights=LSH_WEIGHTS)
    assert OPTIONS.bands == (chosen.b, chosen.r)
