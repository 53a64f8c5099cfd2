"""Text that unrelated outlets share: boilerplate, told apart from syndicated news.

The same text on several outlets is either one agency story syndicated (news: kept once, with
every outlet listed) or boilerplate (a notice, a footer, an error page served under many
headlines). What tells them apart is whether the text is about the headlines it sits under:

- Whole pages. A page whose text is a near-duplicate (`aibot.collect.dedupe`) of a cached
  article from another outlet is a syndicated copy when the two headlines tell the same story
  (they share at least SAME_TOPIC of the shorter one's content words) or the text covers both
  headlines (holds at least COVERED of each one's content words). Otherwise - the same text
  under headlines it does not speak of - it is boilerplate (`boilerplate_copy`).
- Paragraphs. A paragraph of PARAGRAPH_MIN_WORDS words or more that the cache has seen on at
  least SHARED_SOURCES outlets, under at least SHARED_TOPICS headlines about different things,
  is furniture (`shared_paragraphs`), and is taken out of every article that has it. A quotation
  several outlets carry in their own reports of one event appears under headlines about the
  same thing, so it stays.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from aibot.models import Article
from aibot.support.text import words

SAME_TOPIC = 0.5
COVERED = 0.5
PARAGRAPH_MIN_WORDS = 6
SHARED_SOURCES = 2
SHARED_TOPICS = 3
_TOKEN = re.compile(r"\w+")


def paragraph_hash(paragraph: str) -> int:
    """A 63-bit hash of a paragraph's lower-cased words (it fits SQLite's integers)."""
    digest = hashlib.blake2b(" ".join(_TOKEN.findall(paragraph.lower())).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


def paragraph_hashes(text: str) -> list[int]:
    """The hashes of the text's paragraphs long enough to be tracked, in order."""
    return [
        paragraph_hash(p) for p in text.split("\n") if len(_TOKEN.findall(p)) >= PARAGRAPH_MIN_WORDS
    ]


def same_topic(title: str, other: str) -> bool:
    """Whether two headlines tell the same story (by their shared content words)."""
    a, b = set(words(title)), set(words(other))
    if not a or not b:
        return False
    return len(a & b) >= SAME_TOPIC * min(len(a), len(b))


def covers(text: str, title: str) -> bool:
    """Whether the text speaks of its headline (holds COVERED of its content words)."""
    wanted = set(words(title))
    return bool(wanted) and len(wanted & set(words(text))) >= COVERED * len(wanted)


def boilerplate_copy(article: Article, original: Article) -> bool:
    """Whether `article`, a near-duplicate of `original`, shares boilerplate, not a story."""
    if article.source.lower() == original.source.lower():
        return False
    if same_topic(article.title, original.title):
        return False
    text = article.text or original.text
    return not (covers(text, article.title) and covers(text, original.title))


def shared_paragraphs(
    sightings: dict[int, list[tuple[str, str, str]]], source: str = "", title: str = ""
) -> set[int]:
    """The hashes, among `sightings` ({hash: [(article id, source, title)]}), that are
    boilerplate, counting an article from `source` under `title` that holds them too (if any)."""
    extra = [(source, title)] if source or title else []
    return {
        digest
        for digest, seen in sightings.items()
        if _boilerplate([*((s, t) for _, s, t in seen), *extra])
    }


def _boilerplate(places: Sequence[tuple[str, str]]) -> bool:
    if len({source.lower() for source, _ in places}) < SHARED_SOURCES:
        return False
    topics: list[str] = []
    for _, title in places:
        if not any(same_topic(title, known) for known in topics):
            topics.append(title)
    return len(topics) >= SHARED_TOPICS


def without_paragraphs(text: str, hashes: Iterable[int]) -> str:
    """`text` without the paragraphs whose hashes are given."""
    dropped = set(hashes)
    kept = [
        p
        for p in text.split("\n")
        if not (len(_TOKEN.findall(p)) >= PARAGRAPH_MIN_WORDS and paragraph_hash(p) in dropped)
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
