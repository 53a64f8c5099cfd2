"""The evidence for a paragraph: the sentences of a cited source that support it.

Of a source's sentences, those the paragraph holds word for word come first (the extractive
writer's sentences are its sources' own, so their evidence is exact); then those that share the
most content words (stemmed, stop words aside, numbers kept) with the paragraph, a further one
only when it covers words of the paragraph that the ones before do not. At most MAX_SENTENCES a
source. Sentences are kept as the source writes them, for a link to their place in its page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

from aibot.support.text import STOPWORDS, sentences

MAX_SENTENCES = 2
# A sentence supports a paragraph when it shares at least this many content words with it.
MIN_SHARED = 2
# Longer "sentences" are text without sentence ends (a list, a table): no evidence to show.
MAX_SENTENCE_CHARS = 600
_TOKEN = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")


def supporting_sentences(text: str, paragraphs: Sequence[str]) -> list[str]:
    """The sentences of a source (given paragraph by paragraph) that best support `text`, in
    the source's order: at most MAX_SENTENCES."""
    wanted = _content(text)
    least = max(1, min(MIN_SHARED, len(wanted)))
    folded = _fold(text)
    candidates = [
        (s, words) for s, words in _sentences(tuple(paragraphs)) if len(words & wanted) >= least
    ]
    chosen = [s for s, _ in candidates if _fold(s) in folded][:MAX_SENTENCES]
    covered = set().union(*(_content(s) for s in chosen)) & wanted
    while len(chosen) < MAX_SENTENCES:
        best, gain = None, least - 1
        for sentence, words in candidates:
            new = len((words & wanted) - covered)
            if new > gain and sentence not in chosen:
                best, gain = sentence, new
        if best is None:
            break
        chosen.append(best)
        covered |= _content(best) & wanted
    order = {sentence: n for n, (sentence, _) in enumerate(candidates)}
    return sorted(chosen, key=order.__getitem__)


@lru_cache(maxsize=256)
def _sentences(paragraphs: tuple[str, ...]) -> tuple[tuple[str, frozenset[str]], ...]:
    """Every sentence of a source's paragraphs that can serve as evidence, with its words."""
    found = (s.strip() for p in paragraphs for s in sentences(p))
    return tuple((s, _content(s)) for s in found if s and len(s) <= MAX_SENTENCE_CHARS)


@lru_cache(maxsize=4096)
def _content(text: str) -> frozenset[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return frozenset(_STEMMER.stemWords(words))


def _fold(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(text.split()).lower()
