"""Near-duplicate text (syndicated copies of one story) with bottom-k MinHash sketches.

A text's sketch is the K smallest 64-bit hashes of its 5-word shingles. The Jaccard similarity of
two texts is estimated from the K smallest hashes of the union of their sketches (the standard
bottom-k estimator). To find candidates without comparing against every cached article, each
sketch is indexed by its INDEXED smallest hashes: two texts with Jaccard 0.8 share the smallest
hash of their union with probability 0.8, and one of the first few far more often.
"""

from __future__ import annotations

import hashlib
import re

SHINGLE = 5
K = 64
INDEXED = 8
NEAR_DUPLICATE = 0.8
_TOKEN = re.compile(r"\w+")


def sketch(text: str) -> list[int]:
    """The bottom-K sketch of `text` (empty for texts shorter than one shingle)."""
    tokens = _TOKEN.findall(text.lower())
    hashes = {
        int.from_bytes(
            hashlib.blake2b(" ".join(tokens[i : i + SHINGLE]).encode(), digest_size=8).digest(),
            "big",
        )
        >> 1  # keep it inside SQLite's signed 64-bit integers
        for i in range(max(0, len(tokens) - SHINGLE + 1))
    }
    return sorted(hashes)[:K]


def index_keys(hashes: list[int]) -> list[int]:
    return hashes[:INDEXED]


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the texts behind two sketches."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:K]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)
