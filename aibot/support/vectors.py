"""Sparse TF-IDF vectors as dicts: enough for clustering, sentence scoring and related posts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

Vector = dict[str, float]


def tfidf(bags: Mapping[str, Counter[str]]) -> dict[str, Vector]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) for every bag of words."""
    df: Counter[str] = Counter()
    for bag in bags.values():
        df.update(bag.keys())
    n = len(bags)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    return {
        key: normalise({t: (1 + math.log(c)) * idf[t] for t, c in bag.items() if c > 0})
        for key, bag in bags.items()
    }


def normalise(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())
