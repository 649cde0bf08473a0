"""MinHash signatures of article texts and the LSH band keys that find similar ones.

A text becomes the set of its word shingles: runs of `shingle_words` consecutive words, taken
after the same normalisation that decides article versions (`normalise_text`) and folded like
terms are matched (`fold`), so typography, case and accents do not tell two copies apart. Its
MinHash signature (datasketch, permutation scheme "affine32") estimates the Jaccard similarity of
two such sets as the share of equal values. LSH cuts the signature into `b` bands of `r` values,
`b` and `r` chosen by datasketch for the threshold (`LSH_WEIGHTS`); two texts that share a band
are candidates, and candidates whose estimated similarity reaches the threshold are copies.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from crawler import settings
from crawler.core.article import TextSignature
from crawler.core.config import SettingsLike
from crawler.core.normalise import WORD, fold, normalise_text

if TYPE_CHECKING:
    import numpy as np

SCHEME = "affine32"
"""datasketch's permutation scheme: 32-bit values, so a signature is 4 bytes per permutation."""
SEED = 1
"""Seed of the permutations: signatures are comparable only when made with the same one."""
LSH_WEIGHTS = (0.1, 0.9)
"""Weights of false positives and false negatives when datasketch picks the bands. Candidates are
checked against the threshold anyway, so a false positive costs one comparison while a false
negative loses a copy: with 128 permutations and threshold 0.6 this gives 25 bands of 5 values,
which make a pair at similarity 0.7 a candidate with probability 0.99 (equal weights: 18 bands of
7, probability 0.79)."""
_DTYPE = "<u4"
_WIDTH = 4
"""Bytes per value of `_DTYPE`. numpy is imported where values are read or made, not with this
module: a crawl that signs nothing (a recrawl of unchanged pages) does not load it."""


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How texts are compared. Defaults are the `CLUSTER_*` settings."""

    threshold: float = settings.CLUSTER_THRESHOLD
    """Estimated Jaccard similarity at or above which two texts are copies."""
    shingle_words: int = settings.CLUSTER_SHINGLE_WORDS
    num_perm: int = settings.CLUSTER_NUM_PERM

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int | float):
            raise ValueError(f"threshold must be a number, got {self.threshold!r}")
        if not 0 < self.threshold <= 1 or math.isnan(self.threshold):
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        for name, least in (("shingle_words", 1), ("num_perm", 16)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(
                    f"{name} must be a whole number of at least {least}, got {value!r}"
                )

    @property
    def bands(self) -> tuple[int, int]:
        """(b, r): bands and values per band, as datasketch chooses them for the threshold."""
        return _bands(self.threshold, self.num_perm)

    @property
    def params(self) -> str:
        """Everything that makes signatures and band keys comparable, stored beside them: a change
        of any part makes the stored ones stale."""
        b, r = self.bands
        return (
            f"minhash/{SCHEME}/seed{SEED}/perm{self.num_perm}/words{self.shingle_words}"
            f"/t{self.threshold:g}/b{b}r{r}"
        )


_DEFAULT_BANDS = {(settings.CLUSTER_THRESHOLD, settings.CLUSTER_NUM_PERM): (25, 5)}
"""datasketch's choice for the default options, so that reading them (`params`, which every
crawl's cluster update compares with the stored signatures) loads neither datasketch nor scipy;
a test checks it against datasketch."""


@cache
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    # datasketch minimises the weighted false positive and negative probabilities (a numeric
    # integration over every b, r: some tens of milliseconds, hence the cache).
    known = _DEFAULT_BANDS.get((threshold, num_perm))
    if known is not None:
        return known
    from datasketch import MinHashLSH  # imported here: it loads scipy (0.4 s)

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def shingles(text: str, words: int) -> set[bytes]:
    """The text's word shingles, UTF-8 encoded; a text shorter than `words` is one shingle."""
    found = WORD.findall(fold(normalise_text(text)))
    if not found:
        return set()
    last = max(1, len(found) - words + 1)
    return {" ".join(found[i : i + words]).encode("utf-8") for i in range(last)}


def signature(text: str, options: ClusterOptions) -> bytes:
    """The text's MinHash signature (`num_perm` little-endian uint32 values); empty for a text
    without words, which is like no other."""
    found = shingles(text, options.shingle_words)
    if not found:
        return b""
    from datasketch import MinHash  # imported here: it loads scipy (0.4 s)

    minhash = MinHash(num_perm=options.num_perm, seed=SEED, scheme=SCHEME)
    minhash.update_batch(sorted(found))
    values: np.ndarray = minhash.hashvalues.astype(_DTYPE)  # datasketch has loaded numpy
    return values.tobytes()


def sign(text: str, text_sha256: str, options: ClusterOptions) -> TextSignature:
    """The text's signature and band keys, for the version whose digest is `text_sha256`."""
    value = signature(text, options)
    return TextSignature(options.params, text_sha256, value, tuple(band_keys(value, options)))


def values(sig: bytes) -> np.ndarray:
    """A signature's hash values."""
    import numpy as np

    return np.frombuffer(sig, dtype=_DTYPE)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity: the share of equal values (0 with an empty signature)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    import numpy as np

    return float(np.count_nonzero(values(a) == values(b))) / (len(a) // _WIDTH)


def band_keys(sig: bytes, options: ClusterOptions) -> list[int]:
    """One key per LSH band: a 64-bit hash (as a signed integer, to fit a BIGINT column) of the
    band's index and values. Texts sharing a key are candidates; none for an empty signature."""
    if not sig:
        return []
    b, r = options.bands
    width = r * _WIDTH
    keys = []
    for band in range(b):
        digest = hashlib.blake2b(
            sig[band * width : (band + 1) * width],
            digest_size=8,
            person=band.to_bytes(4, "little"),
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def cluster_options(values: SettingsLike) -> ClusterOptions | None:
    """The clustering options of the `CLUSTER_*` settings; None when clustering is off."""
    if not values.getbool("CLUSTER_ENABLED", settings.CLUSTER_ENABLED):
        return None
    return ClusterOptions(
        threshold=values.getfloat("CLUSTER_THRESHOLD", settings.CLUSTER_THRESHOLD),
        shingle_words=values.getint("CLUSTER_SHINGLE_WORDS", settings.CLUSTER_SHINGLE_WORDS),
        num_perm=values.getint("CLUSTER_NUM_PERM", settings.CLUSTER_NUM_PERM),
    )
