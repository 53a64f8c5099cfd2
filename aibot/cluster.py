"""Incremental story clustering: every new article joins the closest live story or starts one.

The rule, in one paragraph: each article is a TF-IDF vector of its title (counted twice) and the
first `LEAD_WORDS` words of its text, with IDF taken over every article in play. A story is the
normalised sum of its articles' vectors (its centroid). Articles are taken in time order; each one
joins the live story whose centroid is most similar, if that cosine similarity reaches
`threshold`, else it starts a new story. A story is live for an article published less than
`window_hours` after the story's last article. A second pass then lets every story started in
this call join an earlier story whose centroid is at least MERGE_THRESHOLD similar to its own
(a story judged as a whole, not one headline at a time). Pure and deterministic: the same input
gives the same stories, and a story keeps its id (derived from its first article) across runs.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from aibot.config import ClusterConfig
from aibot.models import Article, Story
from aibot.text import words
from aibot.vectors import Vector, cosine, normalise, tfidf

LEAD_WORDS = 100
# Similarity of two story centroids above which a story started in this run joins an earlier one.
MERGE_THRESHOLD = 0.3
# How many of an article's heaviest terms are looked up to find candidate stories.
QUERY_TERMS = 8
# How many of an article's heaviest terms stand for it at all (see _heaviest).
VECTOR_TERMS = 60
TITLE_WEIGHT = 2


# A year says when, not what: "2014" must not pull a market report and a TV recap together.
_YEAR = re.compile(r"^(19|20)\d\d$")


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
    vectors = {i: _heaviest(v) for i, v in tfidf({i: _bag(a) for i, a in pool.items()}).items()}
    window = timedelta(hours=settings.window_hours)

    groups = [_Group(replace(s, article_ids=list(s.article_ids)), vectors) for s in stories]
    index = _TermIndex()
    for number, group in enumerate(groups):
        index.add(number, group.total)
    newcomers = sorted(
        (a for a in pool.values() if a.id not in placed), key=lambda a: (a.when, a.id)
    )
    for article in newcomers:
        vector = vectors[article.id]
        best, best_score = None, settings.threshold
        for number in index.candidates(vector):
            group = groups[number]
            if article.when - group.story.last_seen > window:
                continue
            if group.story.first_seen - article.when > window:
                continue
            score = group.similarity(vector)
            if score >= best_score:
                best, best_score = number, score
        if best is None:
            story = Story(
                id=story_id_for(article.id),
                article_ids=[],
                title=article.title,
                first_seen=article.when,
                last_seen=article.when,
            )
            groups.append(_Group(story, vectors))
            best = len(groups) - 1
        index.add(best, groups[best].add(article, vector))
    kept = _merge_new(groups, len(stories), index, window)
    return [g.finish(pool) for g in kept]


class _TermIndex:
    """term -> numbers of the stories using it, to find the few stories worth scoring.

    An article (or a story, in the merge pass) is looked up by its QUERY_TERMS heaviest terms:
    a story that shares none of them cannot come near the threshold in practice, and looking up
    every term would make each lookup return nearly every story through common words."""

    def __init__(self) -> None:
        self.stories: dict[str, list[int]] = defaultdict(list)

    def add(self, number: int, terms: Iterable[str]) -> None:
        for term in terms:
            self.stories[term].append(number)

    def candidates(self, vector: Vector) -> list[int]:
        heaviest = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:QUERY_TERMS]
        return sorted({n for term, _ in heaviest for n in self.stories.get(term, ())})


def _merge_new(
    groups: list[_Group], existing: int, index: _TermIndex, window: timedelta
) -> list[_Group]:
    """Second pass: a story started in this call joins an earlier story (older or new) whose
    centroid is at least MERGE_THRESHOLD similar to its own. Single articles judged against a
    young story miss it when the story's words have not settled yet; whole stories do not.
    Earlier stories absorb later ones, so existing stories keep their ids."""
    home = list(range(len(groups)))  # where each group's articles now live

    def resolve(number: int) -> int:
        while home[number] != number:
            number = home[number]
        return number

    for number in range(existing, len(groups)):
        group = groups[number]
        centroid = group.centroid
        target, best = None, MERGE_THRESHOLD
        for other_number in {resolve(n) for n in index.candidates(centroid) if n < number}:
            other = groups[other_number]
            if group.story.first_seen - other.story.last_seen > window:
                continue
            score = other.similarity(centroid)
            if score > best or (score == best and target is not None and other_number < target):
                target, best = other_number, score
        if target is not None:
            groups[target].absorb(group)
            home[number] = target
    return [g for n, g in enumerate(groups) if home[n] == n]


class _Group:
    """A story being grown: the running sum of its article vectors and that sum's squared norm,
    so adding an article and scoring one cost the size of the article, not of the story."""

    def __init__(self, story: Story, vectors: dict[str, Vector]) -> None:
        self.story = story
        self.total: dict[str, float] = defaultdict(float)
        for article_id in story.article_ids:
            for term, weight in vectors.get(article_id, {}).items():
                self.total[term] += weight
        self.norm2 = sum(w * w for w in self.total.values())
        self.changed = not story.article_ids

    def similarity(self, vector: Vector) -> float:
        """Cosine similarity of a unit vector with this story's centroid."""
        if not self.norm2:
            return 0.0
        dot = sum(weight * self.total.get(term, 0.0) for term, weight in vector.items())
        return dot / math.sqrt(self.norm2)

    def add(self, article: Article, vector: Vector) -> list[str]:
        """Add the article; return the terms this story did not use before."""
        self.story.article_ids.append(article.id)
        self.changed = True
        self.story.first_seen = min(self.story.first_seen, article.when)
        self.story.last_seen = max(self.story.last_seen, article.when)
        new_terms = []
        for term, weight in vector.items():
            old = self.total.get(term, 0.0)
            if not old:
                new_terms.append(term)
            self.total[term] = old + weight
            self.norm2 += (old + weight) ** 2 - old * old
        return new_terms

    def absorb(self, other: _Group) -> None:
        self.story.article_ids.extend(other.story.article_ids)
        self.changed = True
        self.story.first_seen = min(self.story.first_seen, other.story.first_seen)
        self.story.last_seen = max(self.story.last_seen, other.story.last_seen)
        for term, weight in other.total.items():
            old = self.total.get(term, 0.0)
            self.total[term] = old + weight
            self.norm2 += (old + weight) ** 2 - old * old

    @property
    def centroid(self) -> Vector:
        return normalise(self.total)

    def finish(self, pool: dict[str, Article]) -> Story:
        if not self.changed:
            return self.story  # its title was chosen when it last changed
        members = [pool[i] for i in self.story.article_ids if i in pool]
        if members:
            self.story.title = _central_title(members, self.centroid, self.story.title)
        return self.story


def _heaviest(vector: Vector) -> Vector:
    """The VECTOR_TERMS heaviest terms, renormalised: the rest weigh little in a cosine and
    would make every comparison several times slower."""
    if len(vector) <= VECTOR_TERMS:
        return vector
    return normalise(dict(sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:VECTOR_TERMS]))


def _bag(article: Article) -> Counter[str]:
    lead = " ".join((article.text or article.summary).split()[:LEAD_WORDS])
    bag = Counter(t for t in words(lead) if not _YEAR.match(t))
    for token in words(article.title):
        if not _YEAR.match(token):
            bag[token] += TITLE_WEIGHT
    return bag


def _central_title(members: list[Article], centroid: Vector, fallback: str) -> str:
    bags = {a.id: normalise(dict(_bag(a))) for a in members if a.title}
    if not bags:
        return fallback
    best = max(members, key=lambda a: (cosine(bags.get(a.id, {}), centroid), -a.when.timestamp()))
    return best.title or fallback
