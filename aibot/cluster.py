"""Incremental story clustering: every new article joins the closest live story or starts one.

The rule, in one paragraph: each article is a TF-IDF vector of its title (counted twice) and the
first `LEAD_WORDS` words of its text, with IDF taken over every article in play. A story is the
normalised sum of its articles' vectors (its centroid). Articles are taken in time order; each one
joins the live story whose centroid is most similar, if that cosine similarity reaches
`threshold`, else it starts a new story. A story is live for an article published less than
`window_hours` after the story's last article. Pure and deterministic: the same input gives the same
stories, and a story keeps its id (derived from its first article) across runs.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from aibot.config import ClusterConfig
from aibot.models import Article, Story
from aibot.text import words
from aibot.vectors import Vector, cosine, normalise, tfidf

LEAD_WORDS = 100
TITLE_WEIGHT = 2


def story_id_for(first_article_id: str) -> str:
    return hashlib.sha256(f"story:{first_article_id}".encode()).hexdigest()[:12]


def cluster(
    articles: Iterable[Article],
    stories: Sequence[Story] = (),
    settings: ClusterConfig | None = None,
) -> list[Story]:
    """Assign every article not already in `stories` to a story; return all stories.

    `articles` must include the articles of the given stories that should count for similarity
    (those missing only lose their vote). Existing stories keep their ids and members.
    """
    settings = settings or ClusterConfig()
    pool = {a.id: a for a in articles}
    placed = {i for s in stories for i in s.article_ids}
    vectors = tfidf({i: _bag(a) for i, a in pool.items()})
    window = timedelta(hours=settings.window_hours)

    groups = [_Group(replace(s, article_ids=list(s.article_ids)), vectors) for s in stories]
    newcomers = sorted(
        (a for a in pool.values() if a.id not in placed), key=lambda a: (a.when, a.id)
    )
    for article in newcomers:
        vector = vectors[article.id]
        best, best_score = None, settings.threshold
        for group in groups:
            if article.when - group.story.last_seen > window:
                continue
            if group.story.first_seen - article.when > window:
                continue
            score = cosine(vector, group.centroid)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            story = Story(
                id=story_id_for(article.id),
                article_ids=[],
                title=article.title,
                first_seen=article.when,
                last_seen=article.when,
            )
            best = _Group(story, vectors)
            groups.append(best)
        best.add(article, vector)
    return [g.finish(pool) for g in groups]


class _Group:
    """A story being grown, with the running sum of its article vectors."""

    def __init__(self, story: Story, vectors: dict[str, Vector]) -> None:
        self.story = story
        self.total = Counter()
        for article_id in story.article_ids:
            self.total.update(vectors.get(article_id, {}))
        self.centroid = normalise(self.total)

    def add(self, article: Article, vector: Vector) -> None:
        self.story.article_ids.append(article.id)
        self.story.first_seen = min(self.story.first_seen, article.when)
        self.story.last_seen = max(self.story.last_seen, article.when)
        self.total.update(vector)
        self.centroid = normalise(self.total)

    def finish(self, pool: dict[str, Article]) -> Story:
        members = [pool[i] for i in self.story.article_ids if i in pool]
        if members:
            self.story.title = _central_title(members, self.centroid, self.story.title)
        return self.story


def _bag(article: Article) -> Counter[str]:
    lead = " ".join((article.text or article.summary).split()[:LEAD_WORDS])
    bag = Counter(words(lead))
    for token in words(article.title):
        bag[token] += TITLE_WEIGHT
    return bag


def _central_title(members: list[Article], centroid: Vector, fallback: str) -> str:
    bags = {a.id: normalise(dict(_bag(a))) for a in members if a.title}
    if not bags:
        return fallback
    best = max(members, key=lambda a: (cosine(bags.get(a.id, {}), centroid), -a.when.timestamp()))
    return best.title or fallback
