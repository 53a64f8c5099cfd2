"""What of each source the model reads when the sources do not all fit in `writer.max_input_tokens`.

Cutting every article at the same length would keep five copies of the same lead and drop the one
late paragraph with the figure nobody else has. Instead: every source's lead paragraph goes in
first (the lead is where a report states its news), then paragraphs are added one at a time by
what they bring that is not in yet (numbers, quotations and names not seen so far, plus closeness
to the story as a whole, less overlap with what is already in), until the budget is spent;
near-duplicates of a chosen passage are never added. Each
source keeps its chosen paragraphs in their own order, with "[…]" where paragraphs were left out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from aibot.models import Article
from aibot.support.text import words
from aibot.support.vectors import cosine, normalise, tfidf

# A token is about four characters of English; the API counts exactly, this only has to bound.
CHARS_PER_TOKEN = 4
# Room per source for its <source …> wrapper: outlet, title and date.
WRAPPER_TOKENS = 40
GAP = "[…]"
# A passage this close (TF-IDF cosine) to one already chosen adds nothing worth paying for.
NEAR_DUPLICATE = 0.8
# A paragraph longer than this is cut into pieces of whole sentences.
MAX_PASSAGE_CHARS = 1_200

_NUMBER = re.compile(r"\d[\d,.]*")
_QUOTED = re.compile(r"[\"“]([^\"“”]{8,})[\"”]")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")


def tokens(text: str) -> int:
    """An estimate of the tokens in `text`."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class _Passage:
    source: int
    position: int
    text: str
    facts: set[str]
    vector: dict[str, float] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        return tokens(self.text) + 1


def select_passages(articles: Sequence[Article], max_tokens: int) -> list[str]:
    """For each article (same order), the text to show the model, within `max_tokens` in all."""
    texts = [article.text or article.summary for article in articles]
    room = max_tokens - WRAPPER_TOKENS * len(articles)
    if sum(tokens(t) for t in texts) <= room:
        return texts
    passages = _passages(texts)
    chosen = _leads(passages, room)
    spent = sum(p.cost for p in chosen)
    centroid = normalise(sum((Counter(p.vector) for p in passages), Counter()))
    central = {id(p): cosine(p.vector, centroid) for p in passages}
    known: set[str] = set().union(*(p.facts for p in chosen)) if chosen else set()
    rest = [p for p in passages if p not in chosen]
    overlap = {id(p): max((cosine(p.vector, c.vector) for c in chosen), default=0.0) for p in rest}
    while rest:
        best = max(
            rest,
            key=lambda p: (
                min(len(p.facts - known), 6) / 6 + central[id(p)] - overlap[id(p)],
                -p.source,
                -p.position,
            ),
        )
        rest.remove(best)
        if spent + best.cost > room or overlap[id(best)] >= NEAR_DUPLICATE:
            continue
        chosen.append(best)
        spent += best.cost
        known |= best.facts
        for p in rest:
            overlap[id(p)] = max(overlap[id(p)], cosine(p.vector, best.vector))
    return [_joined(i, chosen, passages) for i in range(len(articles))]


def _passages(texts: Sequence[str]) -> list[_Passage]:
    passages = []
    for source, text in enumerate(texts):
        for position, piece in enumerate(_pieces(text)):
            passages.append(_Passage(source, position, piece, _facts(piece)))
    vectors = tfidf({str(i): Counter(words(p.text)) for i, p in enumerate(passages)})
    for i, passage in enumerate(passages):
        passage.vector = vectors[str(i)]
    return passages


def _pieces(text: str) -> list[str]:
    pieces = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = " ".join(paragraph.split())
        while len(paragraph) > MAX_PASSAGE_CHARS:
            cut = paragraph.rfind(". ", 0, MAX_PASSAGE_CHARS)
            cut = cut + 1 if cut > 0 else MAX_PASSAGE_CHARS
            pieces.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if paragraph:
            pieces.append(paragraph)
    return pieces


def _facts(text: str) -> set[str]:
    facts = {f"#{m.rstrip('.,')}" for m in _NUMBER.findall(text)}
    facts |= {f"“{q.lower()}" for q in _QUOTED.findall(text)}
    facts |= {f"@{n.lower()}" for n in _NAME.findall(text)}
    return facts


def _leads(passages: list[_Passage], room: int) -> list[_Passage]:
    """Each source's first passage, cut out if even the leads do not fit (latest sources last)."""
    leads = [p for p in passages if p.position == 0]
    chosen, spent = [], 0
    for lead in leads:
        if spent + lead.cost <= room:
            chosen.append(lead)
            spent += lead.cost
    return chosen


def _joined(source: int, chosen: list[_Passage], passages: list[_Passage]) -> str:
    mine = sorted((p for p in chosen if p.source == source), key=lambda p: p.position)
    last = max((p.position for p in passages if p.source == source), default=-1)
    out: list[str] = []
    expected = 0
    for passage in mine:
        if passage.position != expected:
            out.append(GAP)
        out.append(passage.text)
        expected = passage.position + 1
    if mine and expected <= last:
        out.append(GAP)
    return "\n\n".join(out)
