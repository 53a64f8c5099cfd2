"""The offline writer: a multi-source extractive story built from the sources' own sentences.

How it chooses: sentences are scored by TF-IDF similarity to the story's centroid (every source
weighs the same) with a bonus for lead sentences; the lede is the best lead sentence; the rest are
picked greedily with maximal marginal relevance (a sentence too close to one already chosen is
skipped) up to a word budget. Sentences that open with a pronoun or connective are left out unless
they follow their own antecedent, so no "He said…" floats free. Sections: what happened (lede and
lead facts), what people said (quotations), then details and background in source order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from aibot.models import Article, Draft, Paragraph, Section, Story
from aibot.text import sentences, words
from aibot.vectors import cosine, normalise, tfidf

WORD_BUDGET = 380
MMR_LAMBDA = 0.7
REDUNDANT = 0.4
# Other sources' opening sentences mostly restate the lede: they must earn their place.
RESTATED_LEAD_PENALTY = 0.15
_DANGLING = re.compile(
    r"^(he|she|they|it|its|his|her|their|this|that|these|those|but|and|however|also|meanwhile|"
    r"still|yet|so|then|there|here|such)\b",
    re.I,
)
_QUOTE = re.compile(r"[\"“”]")
_ATTRIBUTION = re.compile(
    r"\b(said|says|told|tells|added|adds|according|warned|wrote|asked|argued|noted|explained|"
    r"described|called|insisted|acknowledged|admitted|stated|declared)\b",
    re.I,
)
_OUTLET_SUFFIX = re.compile(r"\s+(?:[-–—|:]\s+)[^-–—|:]{2,40}$")


@dataclass
class _Sentence:
    text: str
    article: Article
    position: int  # sentence index within its article
    paragraph: int
    vector: dict[str, float]

    @property
    def is_quote(self) -> bool:
        return bool(_QUOTE.search(self.text))


class ExtractiveWriter:
    """Writes a Draft from the sources' sentences; no network, no model."""

    name = "extractive"
    model = ""

    def __init__(self, word_budget: int = WORD_BUDGET) -> None:
        self.word_budget = word_budget

    def write(self, story: Story, articles: Sequence[Article]) -> Draft:
        sources = sorted(articles, key=lambda a: (a.when, a.id))
        if not sources:
            raise ValueError(f"story {story.id} has no articles to write from")
        candidates = _candidates(sources)
        centroid = _centroid(candidates, sources)
        scored = sorted(
            candidates,
            key=lambda s: (-_score(s, centroid), s.article.when, s.article.id, s.position),
        )
        chosen = _select(scored, centroid, self.word_budget)
        lede = chosen[0] if chosen else None
        return Draft(
            title=_headline(sources, centroid),
            summary=lede.text if lede else sources[0].summary or sources[0].title,
            sections=_sections(chosen),
            tags=_tags(sources),
            writer=self.name,
            model=self.model,
        )


def _candidates(sources: Sequence[Article]) -> list[_Sentence]:
    raw: list[tuple[str, Article, int, int]] = []
    for article in sources:
        position = 0
        body = article.text or article.summary
        for p, paragraph in enumerate(re.split(r"\n\s*\n|\n", body)):
            for sentence in sentences(" ".join(paragraph.split())):
                size = len(sentence.split())
                # Out of its place a "He said…" or "But…" sentence loses its antecedent.
                dangling = bool(_DANGLING.match(sentence)) and position > 0
                # A quotation with no speaker is the tail of a longer quote: meaningless alone.
                unattributed = bool(_QUOTE.search(sentence)) and not _ATTRIBUTION.search(sentence)
                usable = 8 <= size <= 60 and not dangling and not unattributed
                if usable and sentence[-1:] in '.!?"”’':
                    raw.append((sentence, article, position, p))
                position += 1
    vectors = tfidf({str(i): Counter(words(text)) for i, (text, *_) in enumerate(raw)})
    return [
        _Sentence(text, article, position, p, vectors[str(i)])
        for i, (text, article, position, p) in enumerate(raw)
    ]


def _centroid(candidates: list[_Sentence], sources: Sequence[Article]) -> dict[str, float]:
    """Mean of per-source centroids, so a long article does not outvote a short one."""
    total: Counter[str] = Counter()
    for article in sources:
        own: Counter[str] = Counter()
        for sentence in candidates:
            if sentence.article is article:
                own.update(sentence.vector)
        total.update(normalise(own))
    return normalise(total)


def _score(sentence: _Sentence, centroid: dict[str, float]) -> float:
    lead_bonus = 0.35 if sentence.position < 2 else (0.1 if sentence.position < 5 else 0.0)
    return cosine(sentence.vector, centroid) + lead_bonus


def _body_score(sentence: _Sentence, centroid: dict[str, float]) -> float:
    """After the lede: centrality alone, less a penalty for other sources' first sentences."""
    penalty = RESTATED_LEAD_PENALTY if sentence.position == 0 else 0.0
    return cosine(sentence.vector, centroid) - penalty


def _select(scored: list[_Sentence], centroid: dict[str, float], budget: int) -> list[_Sentence]:
    chosen: list[_Sentence] = []
    used = 0
    pool = list(scored)
    while pool and used < budget:
        best, best_value = None, -math.inf
        for candidate in pool:
            overlap = max((cosine(candidate.vector, c.vector) for c in chosen), default=0.0)
            if overlap >= REDUNDANT:
                continue
            score = _score(candidate, centroid) if not chosen else _body_score(candidate, centroid)
            value = MMR_LAMBDA * score - (1 - MMR_LAMBDA) * overlap
            if value > best_value:
                best, best_value = candidate, value
        if best is None:
            break
        pool.remove(best)
        size = len(best.text.split())
        if chosen and used + size > budget * 1.1:
            continue
        chosen.append(best)
        used += size
    return chosen


def _sections(chosen: list[_Sentence]) -> list[Section]:
    if not chosen:
        return []
    lede, rest = chosen[0], chosen[1:]
    opening = [lede] + [s for s in rest if s.position < 3 and not s.is_quote][:2]
    remaining = [s for s in rest if s not in opening]
    quotes = [s for s in remaining if s.is_quote]
    others = sorted(
        (s for s in remaining if not s.is_quote), key=lambda s: (s.position, s.article.when)
    )
    half = math.ceil(len(others) / 2)
    groups = [
        ("What happened", opening),
        ("What they said", sorted(quotes, key=lambda s: (s.article.when, s.position))),
        ("Key details", others[:half]),
        ("Background", others[half:]),
    ]
    return [Section(h, _paragraphs(group)) for h, group in groups if group]


def _paragraphs(group: list[_Sentence], per_paragraph: int = 2) -> list[Paragraph]:
    order = {s.article.id: (s.article.when, s.article.id) for s in group}
    paragraphs: list[Paragraph] = []
    for start in range(0, len(group), per_paragraph):
        part = group[start : start + per_paragraph]
        ids = sorted({s.article.id for s in part}, key=order.__getitem__)
        paragraphs.append(Paragraph(" ".join(s.text for s in part), ids))
    return paragraphs


def _headline(sources: Sequence[Article], centroid: dict[str, float]) -> str:
    def fit(article: Article) -> float:
        return cosine(normalise(dict(Counter(words(article.title)))), centroid)

    titled = [a for a in sources if a.title.strip()]
    if not titled:
        return "Untitled story"
    best = max(titled, key=lambda a: (fit(a), -a.when.timestamp()))
    return clean_headline(best.title, best.source)


def clean_headline(title: str, outlet: str = "") -> str:
    """A source headline without the outlet's suffix (" - Reuters", " | BBC News")."""
    title = " ".join(title.split())
    if outlet and title.lower().endswith(outlet.lower()):
        trimmed = title[: -len(outlet)].rstrip(" -–—|:")
        if trimmed:
            return trimmed
    match = _OUTLET_SUFFIX.search(title)
    if match and outlet and outlet.lower() in match.group(0).lower():
        return title[: match.start()]
    return title


def _tags(sources: Sequence[Article], limit: int = 4) -> list[str]:
    counts: Counter[str] = Counter()
    for article in sources:
        counts.update({t.strip().lower() for t in article.tags if t.strip()})
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
