"""Incremental story clustering: every new article joins the closest live story or starts one.

The rule (docs/stories.md, "How stories are formed"):

1. Each article is a TF-IDF vector of stemmed words: its title counted TITLE_WEIGHT times, the
   first LEAD_WORDS words of its text, and the words up to BODY_WORDS at BODY_WEIGHT (with
   embeddings, up to SEMANTIC_BODY_WORDS at SEMANTIC_BODY_WEIGHT: `vector_reading`). Names
   weigh ENTITY_WEIGHT times more: a name is a word the articles in play mostly write with a
   capital letter mid-sentence (taken from sentence-case text only, so Title Case headlines do
   not make every word a name); for full texts, the pipeline adds those counts up over every
   run (`word_uses`, `names_among`). Numbers weigh NUMBER_WEIGHT (their IDF already makes them
   strong). IDF comes from the articles in play, which the pipeline limits to the live window.
2. Articles are taken in time order; each is scored against the live stories that share its
   heaviest terms, and a story stops taking articles `window_hours` after its last one.
3. With sentence embeddings (aibot.cluster.embeddings, on by default), a headline or short
   summary is scored by a learned same-story probability (see `JoinEvidence`): a logistic
   regression over the embedding cosine with the story's centroid, shared names, shared numbers,
   the time since the story's last and first articles, and the story's size. The article joins
   the story with the highest probability if it reaches JOIN_PROBABILITY, unless its own leading
   name is missing from the story and the two share no name (then the embeddings must agree
   SAME_MEANING). A full text (FULL_TEXT_WORDS or more), where the fit had few examples and
   mixed stories end to end, is scored by the TF-IDF cosine blended with the embedding cosine
   (EMBEDDING_WEIGHT) against `embedding_threshold`; without embeddings, by the TF-IDF cosine
   against `threshold`. The first grows with the story's span (from its first article to the
   newcomer) by up to SPAN_PENALTY of itself at the end of the window; the second with the gap
   to the story's last article by up to TIME_PENALTY. Either way the two must share more
   than a name (JOIN_SHARED terms, or embeddings that agree SAME_MEANING). A full text that
   reaches no story still joins the most similar one it was scored against if the two share a
   passage: a run of PASSAGE_WORDS words with a name in it, outside page furniture
   (a quotation, an agency's paragraph), which different events' reports do not share. Else
   the article starts a new story.
4. Merge passes: every story that changed in this call (new, or grown) joins the live story,
   new or made in an earlier call, that shares MERGE_SHARED of its filed terms and is most
   probably the same story. Two stories of headlines (with embeddings) merge when a logistic
   regression (see `MergeEvidence`) over the TF-IDF and embedding cosines of the two
   centroids, shared names and numbers, the time gap and span and the two sizes reaches
   MERGE_PROBABILITY. When either is mostly full texts, the similarity of the centroids (the
   TF-IDF cosine, blended with the embedding cosine by EMBEDDING_WEIGHT when given) must reach
   `merge_threshold` (`embedding_merge_threshold`), with the same time prior, and so must the
   smaller story's articles on average against the larger's centroid; or they must share a
   passage. Either way, with embeddings, two stories whose leading names are each
   missing from the other and that share no name stay apart unless the embeddings agree
   SAME_MEANING. Repeated until nothing moves. Single headlines
   judged against a young story miss it when the story's words have not settled yet; whole
   stories do not. The earlier story
   absorbs the later, so ids stay stable; an absorbed story made in an earlier call is listed in
   the survivor's `absorbed` (its post, if any, becomes part of the survivor's).

Steps 2-4 take the newcomers an hour of publication at a time (MERGE_EVERY), the merge passes
after each hour, so one call over a backlog gives what hourly calls would.

No number of stories is chosen in advance. Pure and deterministic: the same input in the same
order gives the same stories, and a story keeps its id (derived from its first article).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import snowballstemmer

from aibot.collect.junk import is_furniture
from aibot.config import ClusterConfig
from aibot.models import Article, Story
from aibot.support.sentences import sentences
from aibot.support.text import words
from aibot.support.vectors import Vector, normalise

LEAD_WORDS = 100
# Words after the lead, up to BODY_WORDS, count BODY_WEIGHT each: still telling, less so.
BODY_WORDS = 300
BODY_WEIGHT = 0.3
# With embeddings a full text is read further: reports of one event share its particulars
# (names, places, figures) through their bodies. Without them the words alone must keep apart
# stories told in the same words (a template's, a storm's and the next storm's), which a longer
# body blurs.
SEMANTIC_BODY_WORDS = 600
SEMANTIC_BODY_WEIGHT = 0.6
# Names are learnt from the titles and this many words of each text.
NAME_WORDS = 50
TITLE_WEIGHT = 2
ENTITY_WEIGHT = 2.0
NUMBER_WEIGHT = 1.0
# A word counts as a name when at least this share of its mid-sentence uses are capitalised.
NAME_SHARE = 0.5
# The embeddings' share of a full text's similarity (join and merge) when they are given: the
# words carry one event's particulars, an embedding of a title and 80 words mostly the topic.
EMBEDDING_WEIGHT = 0.2
# The same-story probability an article needs to join a story (with embeddings).
JOIN_PROBABILITY = 0.5
# The logistic regression behind that probability, one coefficient per field of JoinEvidence.
# Fitted by benchmarks/cluster_fit.py on every labelled dev set (each set weighing about the same),
# from the article-story pairs the hourly runs score, with the evidence of sameness kept
# non-negative and the time gap non-positive; leave-one-set-out figures in benchmarks/README.md.
# The fit puts the weight of time on the story's age and none on the gap since its last article:
# one event's coverage comes in a burst, and a topic that stays in the news for days is several
# events.
JOIN_INTERCEPT = -1.22
JOIN_COEFFICIENTS = {
    "semantic": 6.54,
    "shared_numbers": 1.14,
    "gap": 0.00,
    "age": -13.58,
    "full_text": 0.69,
    "story_size": 0.12,
    "shared_names": 0.41,
    "lead_name_found": 0.60,
}
# The same-story probability two stories of headlines need to merge (with embeddings), and its
# logistic regression over the fields of MergeEvidence: fitted by `benchmarks/cluster_fit.py
# --merge` as the join's is, from the story pairs the merge pass scores. Stories mostly of full
# texts merge by the blended similarity: judged by a probability too, end to end they chained
# one politician's several stories into one post.
MERGE_PROBABILITY = 0.5
MERGE_INTERCEPT = 0.49
MERGE_COEFFICIENTS = {
    "lexical": 0.52,
    "semantic": 4.55,
    "gap": -7.66,
    "span": -8.93,
    "shared_names": 0.00,
    "shared_numbers": 0.00,
    "smaller_size": -0.73,
    "larger_size": 0.19,
    "lead_names_found": 0.00,
}
# True only while benchmarks/cluster_fit.py collects pairs: the probability then judges full
# texts too, as when the shipped coefficients were fitted (full texts are few but anchor them).
FIT_ON_FULL_TEXTS = False
# Below this many articles in the live pool, full texts' vectors are made again every run
# (`unsettled_vectors`); above it, the IDF has settled and making them costs more than it gives
# (about 0.6 ms a full text).
SETTLED_POOL = 1000
# A text of at least this many words is full text, not a headline (embeddings of long texts
# are closer to each other).
FULL_TEXT_WORDS = 50
# The similarity needed at the end of the window, as a share of the threshold, on top of it.
TIME_PENALTY = 0.5
# With embeddings, the blend's bar for full texts grows instead with the span of what would
# become one story (from its first article to its last, the newcomer's included), by up to this
# share of itself: as the learned join found for headlines, one event's coverage comes in a
# burst, and a story days old that takes in a report close in words is most often the same
# people's next event (a mayor's bridge opening, then the mayor's budget).
SPAN_PENALTY = 1.0
MAX_MERGE_PASSES = 5
# Newcomers are clustered this much publication time at a time, each slice followed by the merge
# passes (as hourly runs would).
MERGE_EVERY = timedelta(hours=1)
# How many of an article's heaviest terms are looked up to find candidate stories.
QUERY_TERMS = 8
# How many of a story's heaviest terms it is filed under for that lookup.
STORY_TERMS = 20
# How many of a story's heaviest terms stand for it when two stories are compared.
SUMMARY_TERMS = 40
# Two stories are compared in the merge pass only when their filed terms alone reach this
# share of the (TF-IDF) merge threshold: pairs sharing a few common words go unscored.
MERGE_SCREEN = 0.5
# Likewise, an article is scored against a story only when that first look reaches this share
# of the (TF-IDF) join threshold.
JOIN_SCREEN = 0.3
MERGE_SHARED = 2
# An article joins a story only if they share JOIN_SHARED of the story's SUMMARY_TERMS heaviest
# terms, or their embeddings agree at least this much (a paraphrase that shares only a name).
JOIN_SHARED = 2
SAME_MEANING = 0.7
# A term filed under more stories than this (COMMON_SHARE of them, at least COMMON_MIN) is
# too common to bring two stories together.
COMMON_SHARE = 0.02
COMMON_MIN = 50
# How many of an article's heaviest terms stand for it at all (see _heaviest).
VECTOR_TERMS = 40

# Two full texts that share a run of this many words, a name among them, outside page
# furniture (a quotation, an agency's paragraph) report one event, however far apart the rest
# of their words are: in the Multi-News dev set 33 of 348 same-story pairs share one, and none
# of 41,847 other pairs.
PASSAGE_WORDS = 12
# How many words of a full text are read for such runs.
PASSAGE_TEXT_WORDS = 1000

# A year says when, not what: "2014" must not pull a market report and a TV recap together.
_YEAR = re.compile(r"^(19|20)\d\d$")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*", re.I)  # as aibot.support.text.words splits text
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;\"”])\s+|\n+| [-–—|] ")
_STEMMER = snowballstemmer.stemmer("english")

Embeddings = Mapping[str, Sequence[float]]


def story_id_for(first_article_id: str) -> str:
    return hashlib.sha256(f"story:{first_article_id}".encode()).hexdigest()[:12]


def cluster(
    articles: Iterable[Article],
    stories: Sequence[Story] = (),
    settings: ClusterConfig | None = None,
    *,
    embeddings: Embeddings | None = None,
    vectors: Mapping[str, Vector] | None = None,
    names: frozenset[str] | None = None,
) -> list[Story]:
    """Assign every article not already in `stories` to a story; return all stories.

    `articles` must include the articles of the given stories that should count for similarity
    (those missing only lose their vote). Existing stories keep their ids and members.
    `embeddings` (article id -> unit vector, see aibot.cluster.embeddings) adds a semantic
    signal; an article without one is compared by TF-IDF alone. `vectors` are TF-IDF vectors
    made earlier by `article_vectors`, `semantic` true when embeddings are given (the pipeline
    keeps them in its cache): only the others are made now. `names` are the names of full
    texts learnt over more text than this call's, as for `article_vectors`.
    """
    settings = settings or ClusterConfig()
    pool = {a.id: a for a in articles}
    placed = {i for s in stories for i in s.article_ids}
    semantic = bool(embeddings)
    known, (vectors, fresh_names) = (
        vectors,
        _vectors_and_names(pool.values(), vectors, semantic, names),
    )
    arrays = _as_arrays(embeddings or {}, pool)
    learned = bool(arrays)
    window = settings.window_hours * 3600.0
    join, merge = settings.threshold, settings.merge_threshold
    if embeddings:
        join, merge = settings.embedding_threshold, settings.embedding_merge_threshold
    newcomers = sorted(
        (a for a in pool.values() if a.id not in placed), key=lambda a: (a.when, a.id)
    )
    # Names as the vectors learn them: from the texts of the articles whose vectors are made
    # now or, when all were given, from the newcomers' (not from every live article each run);
    # for full texts, those learnt over runs when given.
    name_terms: frozenset[str] = frozenset()
    if learned:
        name_terms = fresh_names if fresh_names is not None else _name_terms(newcomers, names)
    full_texts = frozenset(i for i, a in pool.items() if _is_full(a))
    signals = _Signals(vectors, arrays, name_terms, full_texts, _Passages(pool, full_texts))

    given = set(known) if known else set()
    groups = [
        _Group(
            replace(s, article_ids=list(s.article_ids), centroid=_kept(s, given), absorbed=[]),
            signals,
        )
        for s in stories
    ]
    index = _TermIndex()
    for number, group in enumerate(groups):
        index.file(number, group.total)
    # The newcomers are taken an hour of publication at a time, each hour followed by the merge
    # passes, as the hourly runs of a site do: one run over a backlog then gives the stories that
    # runs every hour would, which is what the learned probabilities were fitted on.
    gone: set[int] = set()
    # Stories whose centroid was summed again from vectors made now (another IDF) compare
    # differently from when they were last checked: they are rechecked with the first hour.
    resummed = {n for n, s in enumerate(stories) if _kept(s, given) is None}
    for batch in _hours(newcomers):
        touched: set[int] = set(resummed)
        resummed = set()
        for article in batch:
            vector = vectors[article.id]
            when = article.when.timestamp()
            best, best_score = None, 0.0
            near: list[tuple[float, int]] = []  # stories it missed, for the passage check
            # Headlines join by the same-story probability; full texts, where the fit has few
            # examples and mixes stories, by the blended similarity and its threshold.
            by_probability = learned and (FIT_ON_FULL_TEXTS or not _is_full(article))
            for number, partial in sorted(index.partials(vector).items()):
                if partial < JOIN_SCREEN * settings.threshold:
                    continue
                group = groups[number]
                if by_probability:
                    gap = _gap(group, when, when)
                    if gap > window:
                        continue
                    age = max(when - group.start, 0.0) / window
                    facts = (article.id, gap / window, age, _is_full(article), name_terms)
                    # Looked up among all the story's terms, not its summary's, the evidence can
                    # only be stronger (its coefficients are not negative): a bound that spares
                    # making the summary of a story the article cannot join.
                    bound = same_story_probability(group.join_evidence(*facts, terms=group.total))
                    if bound < JOIN_PROBABILITY or bound < best_score:
                        continue
                    evidence = group.join_evidence(*facts, terms=group.summary)
                    if evidence.names_disagree():
                        continue
                    needed, score = JOIN_PROBABILITY, same_story_probability(evidence)
                else:
                    needed = _needed(join, group, when, when, window, learned)
                    if needed is None:
                        continue
                    score = group.similarity(article.id)
                if score >= needed and score >= best_score and group.corroborates(article.id):
                    best, best_score = number, score
                elif not by_probability and score < needed:
                    near.append((score, number))
            if best is None and near and _is_full(article):
                best = _sharing_a_passage(groups, near, [article.id])
            if best is None:
                story = Story(
                    id=story_id_for(article.id),
                    article_ids=[],
                    title=article.title,
                    first_seen=article.when,
                    last_seen=article.when,
                )
                groups.append(_Group(story, signals))
                best = len(groups) - 1
            groups[best].add(article)
            if _refile(len(groups[best].story.article_ids)):
                index.file(best, groups[best].total)
            touched.add(best)
        _merge_passes(
            groups,
            touched - gone,
            gone,
            len(stories),
            index,
            window,
            merge,
            MERGE_SCREEN * settings.merge_threshold,
            learned,
        )
    return [g.finish(pool) for n, g in enumerate(groups) if n not in gone]


def _kept(story: Story, given: Set[str]) -> dict[str, float] | None:
    """A story's kept centroid, if it still adds up: its articles' vectors were given, not made
    again now (with another IDF)."""
    if story.centroid is None or not given.issuperset(story.article_ids):
        return None
    return story.centroid


def article_vectors(
    articles: Iterable[Article],
    known: Mapping[str, Vector] | None = None,
    *,
    semantic: bool = False,
    names: frozenset[str] | None = None,
) -> dict[str, Vector]:
    """Article id -> unit TF-IDF vector of its stemmed title and lead, names weighted up,
    heaviest term first; `semantic`: read for clustering with embeddings (`vector_reading`).

    Vectors in `known` are reused as they are. The others get IDF from every article given
    (a known vector counts with the terms it kept) and names from their own texts: adding a
    few articles to many costs the few. `names`, when given, are the names of full texts,
    learnt from more text than this call's (`names_among` the `word_uses` of earlier runs and
    this one, as the pipeline's cache adds them up)."""
    return _vectors_and_names(articles, known, semantic, names)[0]


def unsettled_vectors(pool: Sequence[Article], *, semantic: bool) -> set[str]:
    """With embeddings, the pool's full texts while the pool holds fewer than SETTLED_POOL
    articles: their kept TF-IDF vectors are to be made again with this run's IDF (and their
    stories' centroids with them). A vector made in a feed's first hours weighs words by a
    handful of texts, and two reports of one event, one vectorised then and one now, read as
    less alike than they are. Headlines keep theirs (the learned join was fitted on kept
    vectors), and so does TF-IDF alone: without embeddings, the labelled fixture lost two joins."""
    if not semantic or len(pool) >= SETTLED_POOL:
        return set()
    return {a.id for a in pool if _is_full(a)}


def settled(
    pool: Sequence[Article],
    known: Mapping[str, Vector],
    stories: Sequence[Story],
    *,
    semantic: bool,
) -> tuple[dict[str, Vector], list[Story]]:
    """The kept vectors to use this run, without the `unsettled_vectors`, and the stories with
    the centroids summed from those dropped."""
    remade = unsettled_vectors(pool, semantic=semantic)
    vectors = {i: v for i, v in known.items() if i not in remade}
    return vectors, [
        replace(s, centroid=None) if remade.intersection(s.article_ids) else s for s in stories
    ]


def vector_reading(*, semantic: bool) -> str:
    """What the vectors made with or without embeddings read of an article, as a cache keeps it:
    vectors (and story centroids summed from them) of another reading are made again."""
    words, weight = _body(semantic)
    return f"title x{TITLE_WEIGHT}, words 1-{LEAD_WORDS}, {LEAD_WORDS + 1}-{words} x{weight}"


def _body(semantic: bool) -> tuple[int, float]:
    return (SEMANTIC_BODY_WORDS, SEMANTIC_BODY_WEIGHT) if semantic else (BODY_WORDS, BODY_WEIGHT)


def _vectors_and_names(
    articles: Iterable[Article],
    known: Mapping[str, Vector] | None,
    semantic: bool = False,
    full_names: frozenset[str] | None = None,
) -> tuple[dict[str, Vector], frozenset[str] | None]:
    """`article_vectors`, and the stems of the names found in the texts of the vectors made
    now (None when none was made)."""
    known = known or {}
    articles = list(articles)
    fresh = [a for a in articles if a.id not in known]
    reused = {a.id: known[a.id] for a in articles if a.id in known}
    if not fresh:
        return reused, None
    full = {a.id for a in fresh if full_names is not None and _is_full(a)}
    short = [a for a in fresh if a.id not in full]
    names = name_words(t for a in short for t in (a.title, _lead(a, NAME_WORDS)))
    reading = _body(semantic)
    # token -> (term, weight), one table per set of names
    terms: dict[str, tuple[str, float]] = {}
    full_terms: dict[str, tuple[str, float]] = {}
    bags = {
        a.id: _bag(a, full_names, full_terms, reading)
        if a.id in full and full_names is not None
        else _bag(a, names, terms, reading)
        for a in fresh
    }
    # Counted in C: every term of every bag and kept vector.
    df = Counter(itertools.chain.from_iterable(itertools.chain(bags.values(), reused.values())))
    base = math.log(1 + len(articles)) + 1
    wanted = set().union(*bags.values()) if len(bags) * 4 < len(articles) else df.keys()
    idf = {t: base - math.log(1 + df[t]) for t in wanted}
    # Weighted count -> sublinear tf: 1 + log(count) from 1 up, the count itself below 1 (a
    # word met once at a weight under 1 must not weigh less than nothing). Few distinct counts.
    tf: dict[float, float] = {}
    made = {}
    for article_id, bag in bags.items():
        weights = {}
        for term, count in bag.items():
            scale = tf.get(count)
            if scale is None:
                scale = tf[count] = 1 + math.log(count) if count >= 1 else count
            weights[term] = scale * idf[term]
        made[article_id] = _heaviest(weights)
    stems = frozenset(
        term
        for table in (terms, full_terms)
        for term, kind in table.values()
        if kind == ENTITY_WEIGHT
    )
    return {**reused, **made}, stems


def name_words(texts: Iterable[str]) -> frozenset[str]:
    """Words (as `aibot.support.text.words` spells them) written with a capital in at least
    NAME_SHARE of their mid-sentence uses. Title Case stretches (headlines) are skipped: they
    capitalise everything."""
    return names_among(_uses(texts))


def word_uses(articles: Iterable[Article]) -> dict[str, tuple[int, int]]:
    """Word -> (its mid-sentence uses, how many of them capitalised) in the titles and leads of
    the full texts among `articles`: what names are learnt from, to be added up over runs
    (`names` of `article_vectors` and `cluster`)."""
    return _uses(t for a in articles if _is_full(a) for t in (a.title, _lead(a, NAME_WORDS)))


def names_among(uses: Mapping[str, tuple[int, int]]) -> frozenset[str]:
    """The words of `uses` (see `word_uses`) capitalised in at least NAME_SHARE of their uses."""
    return frozenset(w for w, (seen, capital) in uses.items() if w and capital >= NAME_SHARE * seen)


def _uses(texts: Iterable[str]) -> dict[str, tuple[int, int]]:
    capital: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for text in texts:
        for sentence in _SENTENCE_BREAK.split(text):
            tokens = _TOKEN.findall(sentence)
            if len(tokens) < 4:
                continue
            capitals = [t for t in tokens[1:] if t[0].isupper()]
            if len(capitals) * 2 > len(tokens) - 1:
                continue
            seen.update(_TOKEN.findall(sentence.lower())[1:])
            capital.update(capitals)
    by_word: Counter[str] = Counter()
    capital_by_word: Counter[str] = Counter()
    for token, count in seen.items():
        by_word[_term(token)[0]] += count
    for token, count in capital.items():
        capital_by_word[_term(token.lower())[0]] += count
    return {w: (n, capital_by_word[w]) for w, n in by_word.items() if w}


def _lead(article: Article, count: int) -> str:
    return " ".join((article.text or article.summary).split()[:count])


def _bag(
    article: Article,
    names: frozenset[str],
    terms: dict[str, tuple[str, float]],
    reading: tuple[int, float],
) -> dict[str, float]:
    body = (article.text or article.summary).split()
    counts: dict[str, float] = Counter(_TOKEN.findall(" ".join(body[:LEAD_WORDS]).lower()))
    body_words, body_weight = reading
    for text, weight in (
        (" ".join(body[LEAD_WORDS:body_words]), body_weight),
        (article.title, TITLE_WEIGHT),
    ):
        for token, count in Counter(_TOKEN.findall(text.lower())).items():
            counts[token] = counts.get(token, 0) + count * weight
    bag: dict[str, float] = {}
    for token, count in counts.items():
        known = terms.get(token)
        if known is None:
            word, term, number = _term(token)
            kind = NUMBER_WEIGHT if number else ENTITY_WEIGHT if word in names else 1.0
            known = terms[token] = (term, kind)
        term, kind = known
        if term:
            bag[term] = bag.get(term, 0.0) + count * kind
    return bag


@lru_cache(maxsize=500_000)
def _term(token: str) -> tuple[str, str, bool]:
    """For a lower-case token: the word `aibot.support.text.words` makes of it ("" for none), its
    stem ("" for none or a year) and whether it is a number."""
    found = words(token)
    if len(found) != 1:
        return "", "", False
    word = found[0]
    if _YEAR.match(word):
        return word, "", True
    return word, _STEMMER.stemWord(word), any(c.isdigit() for c in word)


def _heaviest(weights: Mapping[str, float]) -> Vector:
    """The VECTOR_TERMS heaviest terms, heaviest first, scaled to unit length: the rest weigh
    little in a cosine and would make every comparison several times slower."""
    # Ties keep their order of first use in the text (the sort is stable).
    ranked = sorted(weights.items(), key=operator.itemgetter(1), reverse=True)[:VECTOR_TERMS]
    norm = math.sqrt(sum(w * w for _, w in ranked))
    return {t: w / norm for t, w in ranked} if norm else {}


class JoinEvidence(NamedTuple):
    """What the same-story probability of an article and a story is made from: each field
    means the same whatever the outlets, the language of the headlines or the text length."""

    semantic: float  # embedding cosine of the article and the story's centroid
    shared_numbers: float  # numbers among the story's summary terms the article has (0, 1, 2+)
    gap: float  # time from the story to the article, as a share of the window
    age: float  # time from the story's first article to the article, as a share of the window
    full_text: float  # 1 for a full text, 0 for a headline (or a short summary)
    story_size: float  # log of the story's article count
    shared_names: float  # log(1 + names among the story's summary terms the article has)
    lead_name_found: float  # the article's heaviest name is among them: 1, it is not: 0, none: 0.5

    def names_disagree(self) -> bool:
        """The article's leading name is missing from the story, they share no name and their
        embeddings do not agree SAME_MEANING: two events of two companies on one day."""
        unnamed = self.lead_name_found == 0.0 and not self.shared_names
        return unnamed and self.semantic < SAME_MEANING


class MergeEvidence(NamedTuple):
    """What the same-story probability of two stories is made from."""

    lexical: float  # TF-IDF cosine of the two stories' summaries
    semantic: float  # embedding cosine of the two stories' centroids
    gap: float  # time between the two stories, as a share of the window
    span: float  # from the first article of either to the last of either, as a share of the window
    shared_names: float  # log(1 + names the two summaries share)
    shared_numbers: float  # numbers the two summaries share (0, 1, 2+)
    smaller_size: float  # log of the smaller story's article count
    larger_size: float  # log of the larger story's article count
    lead_names_found: float  # share of the two stories whose heaviest name the other has

    def names_disagree(self) -> bool:
        """Neither story's leading name is in the other, they share no name and their
        embeddings do not agree SAME_MEANING: two companies' results on one day."""
        unnamed = self.lead_names_found == 0.0 and not self.shared_names
        return unnamed and self.semantic < SAME_MEANING


def merge_probability(evidence: MergeEvidence) -> float:
    """The logistic regression of MERGE_COEFFICIENTS over the evidence."""
    z = MERGE_INTERCEPT + sum(MERGE_COEFFICIENTS[k] * v for k, v in evidence._asdict().items())
    return 1 / (1 + math.exp(-z))


def same_story_probability(evidence: JoinEvidence) -> float:
    """The logistic regression of JOIN_COEFFICIENTS over the evidence."""
    z = JOIN_INTERCEPT + sum(JOIN_COEFFICIENTS[k] * v for k, v in evidence._asdict().items())
    return 1 / (1 + math.exp(-z))


def _is_full(article: Article) -> float:
    # Split no further than the count needed (a full text runs to thousands of words).
    text = article.text or article.summary
    return float(len(text.split(None, FULL_TEXT_WORDS - 1)) >= FULL_TEXT_WORDS)


def _name_terms(
    articles: Sequence[Article], full_names: frozenset[str] | None = None
) -> frozenset[str]:
    """The stems of the names (see `name_words`) in the articles' titles and leads, with those
    of `full_names` when given (then the full texts' own are not learnt again)."""
    if full_names is not None:
        articles = [a for a in articles if not _is_full(a)]
    found = name_words(t for a in articles for t in (a.title, _lead(a, NAME_WORDS)))
    return frozenset(_term(word)[1] for word in found | (full_names or frozenset()))


def _gap(group: _Group, start: float, end: float) -> float:
    """Seconds between something seen from `start` to `end` and the story (0 if they overlap)."""
    return max(start - group.end, group.start - end, 0.0)


def _needed(
    threshold: float, group: _Group, start: float, end: float, window: float, by_span: bool
):
    """The similarity something seen from `start` to `end` (POSIX seconds) needs to join the
    story, or None when the two are further apart than the window (the module's time prior):
    the threshold raised by the gap between them or, `by_span`, by the time from the first to
    the last of either (see SPAN_PENALTY)."""
    gap = _gap(group, start, end)
    if gap > window:
        return None
    if not window:
        return threshold
    if by_span:
        span = max(group.end, end) - min(group.start, start)
        return threshold * (1 + SPAN_PENALTY * min(span / window, 1.0))
    return threshold * (1 + TIME_PENALTY * gap / window)


@dataclass(frozen=True)
class _Signals:
    vectors: dict[str, Vector]
    embeddings: dict[str, Any]
    names: frozenset[str] = frozenset()
    full_texts: frozenset[str] = frozenset()
    passages: _Passages | None = None


class _Passages:
    """The passages of the full texts in play, made when first asked for.

    Two texts are first compared by the runs of their raw words with a capital anywhere in
    them (cheap: no sentences, no furniture); only when those meet are their passages made and
    compared. A run that only exists once a furniture sentence is cut out is not a passage."""

    def __init__(self, pool: Mapping[str, Article], full_texts: Set[str]) -> None:
        self.pool = pool
        self.full_texts = full_texts
        self.rough: dict[str, frozenset[int]] = {}
        self.made: dict[str, frozenset[int]] = {}

    def shared(self, ids: Iterable[str], others: Iterable[str]) -> bool:
        """Whether a full text among `ids` shares a passage with one among `others`."""
        mine = [i for i in ids if i in self.full_texts]
        if not mine:
            return False
        theirs = [i for i in others if i in self.full_texts]
        return any(
            not self._rough(a).isdisjoint(self._rough(b))
            and not self._exact(a).isdisjoint(self._exact(b))
            for a in mine
            for b in theirs
        )

    def _rough(self, article_id: str) -> frozenset[int]:
        found = self.rough.get(article_id)
        if found is None:
            article = self.pool[article_id]
            tokens = _TOKEN.findall(article.text or article.summary)[:PASSAGE_TEXT_WORDS]
            found = self.rough[article_id] = _runs(tokens, [t[0].isupper() for t in tokens])
        return found

    def _exact(self, article_id: str) -> frozenset[int]:
        found = self.made.get(article_id)
        if found is None:
            article = self.pool[article_id]
            found = self.made[article_id] = passages(article.text or article.summary)
        return found


def passages(text: str) -> frozenset[int]:
    """Hashes of every run of PASSAGE_WORDS lower-case words that holds a name (a capital
    after a sentence's first word), in the first PASSAGE_TEXT_WORDS words of the text's
    sentences that are not page furniture.

    A run without a name ("spoke on condition of anonymity because they were not authorised
    to", "would be reviewed again in week 2, after residents raised questions about the cost")
    is a turn of phrase or a template, which reports of different events share.
    """
    tokens: list[str] = []
    named: list[bool] = []
    for paragraph in text.split("\n"):
        for sentence in sentences(paragraph):
            if is_furniture(sentence):
                continue
            found = _TOKEN.findall(sentence)
            tokens.extend(found)
            named.extend(n > 0 and token[0].isupper() for n, token in enumerate(found))
        if len(tokens) >= PASSAGE_TEXT_WORDS:
            break
    return _runs(tokens[:PASSAGE_TEXT_WORDS], named[:PASSAGE_TEXT_WORDS])


def _runs(tokens: Sequence[str], named: Sequence[bool]) -> frozenset[int]:
    """Hashes of the runs of PASSAGE_WORDS tokens (lower-cased) holding a token marked named."""
    lower = [token.lower() for token in tokens]
    counted = list(itertools.accumulate(named, initial=0))  # names before each position
    return frozenset(
        hash(tuple(lower[i : i + PASSAGE_WORDS]))
        for i in range(len(lower) - PASSAGE_WORDS + 1)
        if counted[i + PASSAGE_WORDS] > counted[i]
    )


class _TermIndex:
    """term -> the stories it stands for, with its weight in each, to find the few stories worth
    scoring.

    A story is filed under the STORY_TERMS heaviest terms of its centroid (refiled as it grows),
    and an article is looked up by its QUERY_TERMS heaviest terms (a story, in the merge pass,
    by its STORY_TERMS heaviest): a story that shares none of those cannot come near the
    threshold in practice, and filing every term would make each lookup return nearly every
    story through common words."""

    def __init__(self) -> None:
        self.stories: dict[str, dict[int, float]] = defaultdict(dict)
        self.filed: dict[int, list[str]] = {}

    def file(self, number: int, centroid: Mapping[str, float]) -> None:
        for term in self.filed.get(number, ()):
            del self.stories[term][number]
        terms = _top_terms(centroid, STORY_TERMS)
        norm = math.sqrt(sum(centroid[t] ** 2 for t in terms)) or 1.0
        for term in terms:
            self.stories[term][number] = centroid[term] / norm
        self.filed[number] = terms

    def forget(self, number: int) -> None:
        for term in self.filed.pop(number, ()):
            del self.stories[term][number]

    def partials(self, vector: Mapping[str, float]) -> dict[int, float]:
        """Story -> the part of its cosine with the vector (heaviest term first) that their
        QUERY_TERMS and STORY_TERMS heaviest terms make: a cheap first look at every story
        filed under one of the vector's heaviest terms."""
        scores: dict[int, float] = defaultdict(float)
        for term in itertools.islice(vector, QUERY_TERMS):
            weight = vector[term]
            for number, filed in self.stories.get(term, {}).items():
                scores[number] += weight * filed
        return scores

    def overlaps(self, vector: Mapping[str, float], terms: int) -> dict[int, float]:
        """Story -> the cosine of the vector's and the story's heaviest terms alone, for the
        stories sharing at least MERGE_SHARED of those terms (one shared word is chance)."""
        top = _top_terms(vector, terms)
        norm = math.sqrt(sum(vector[t] ** 2 for t in top)) or 1.0
        scores: dict[int, float] = defaultdict(float)
        shared: Counter[int] = Counter()
        common = max(COMMON_MIN, COMMON_SHARE * len(self.filed))
        for term in top:
            weight = vector[term] / norm
            postings = self.stories.get(term, {})
            if len(postings) > common:
                continue
            for number, filed in postings.items():
                scores[number] += weight * filed
                shared[number] += 1
        return {n: score for n, score in scores.items() if shared[n] >= MERGE_SHARED}


def _refile(size: int) -> bool:
    """Whether a story that just reached `size` articles is filed anew: at every doubling (as
    a story grows its heaviest terms move less and less)."""
    return size & (size - 1) == 0


def _top_terms(vector: Mapping[str, float], count: int) -> list[str]:
    """The `count` heaviest terms, heaviest first; ties go to the term met first (the input
    order is fixed). A sort in C, stable, and a single pass when the vector is already heaviest
    first (as kept centroids are)."""
    return sorted(vector, key=vector.__getitem__, reverse=True)[:count]


def _hours(articles: Sequence[Article]) -> Iterator[list[Article]]:
    """The articles (in time order) an hour of publication at a time."""
    batch: list[Article] = []
    for article in articles:
        if batch and article.when - batch[0].when >= MERGE_EVERY:
            yield batch
            batch = []
        batch.append(article)
    if batch:
        yield batch


def _merge_passes(
    groups: list[_Group],
    recheck: Set[int],
    gone: set[int],
    existing: int,
    index: _TermIndex,
    window: float,
    threshold: float,
    screen: float,
    learned: bool = False,
) -> None:
    """Merge stories that turn out to be one until nothing moves; the numbers of the stories
    absorbed are added to `gone`.

    Every story in `recheck` (new, or grown by an article) is scored against every other live
    story, so two fragments of one event join even when both were made in earlier calls. The
    earlier story absorbs the later one and keeps its id; a story given to this call that is
    absorbed is listed in the survivor's `absorbed`. After the first pass, only the stories
    that grew are scored again: the others compare as they did."""
    recheck = sorted(recheck)
    for _ in range(MAX_MERGE_PASSES):
        grown: set[int] = set()
        for number in recheck:
            if number in gone:
                continue
            partner = _best_partner(groups, number, index, gone, window, threshold, screen, learned)
            if partner is None:
                continue
            keep, drop = min(number, partner), max(number, partner)
            groups[keep].absorb(groups[drop], given=drop < existing)
            index.file(keep, groups[keep].total)
            index.forget(drop)
            gone.add(drop)
            grown.add(keep)
        if not grown:
            break
        recheck = sorted(grown - gone)


def _best_partner(
    groups: list[_Group],
    number: int,
    index: _TermIndex,
    gone: set[int],
    window: float,
    threshold: float,
    screen: float,
    learned: bool = False,
) -> int | None:
    """The live story most similar to story `number`, if it reaches the merge threshold (two
    stories of headlines, with embeddings: the one most probably the same, if that reaches
    MERGE_PROBABILITY)."""
    group = groups[number]
    target, best = None, 0.0
    near: list[tuple[float, int]] = []  # full-text stories it missed, for the passage check
    # The summary holds the story's heaviest terms in order, already made: the same top terms
    # as its whole centroid gives, without sorting that again for every recheck.
    overlaps = index.overlaps(group.summary, STORY_TERMS)
    for other_number in sorted(overlaps):
        if other_number == number or other_number in gone or overlaps[other_number] < screen:
            continue
        other = groups[other_number]
        if learned and not (group.mostly_full_text() or other.mostly_full_text()):
            gap = _gap(other, group.start, group.end)
            if gap > window:
                continue
            span = max(group.end, other.end) - min(group.start, other.start)
            evidence = other.merge_evidence(group, gap / window, span / window)
            if evidence.names_disagree():
                continue
            needed, score = MERGE_PROBABILITY, merge_probability(evidence)
        else:
            needed = _needed(threshold, other, group.start, group.end, window, learned)
            if needed is None:
                continue
            score = other.similarity_to(group)
            if score < needed or _members_similarity(group, other) < needed:
                near.append((score, other_number))
                continue
            if learned and other.merge_evidence(group, 0.0, 0.0).names_disagree():
                continue
        if score >= needed and score > best:
            target, best = other_number, score
    if target is None and near:
        target = _sharing_a_passage(groups, near, group.story.article_ids)
    return target


def _members_similarity(a: _Group, b: _Group) -> float:
    """The mean similarity of the smaller story's articles to the larger story's centroid.

    Two stories' centroids drift towards their topic as they grow: a story of one politician's
    statement and another of the same politician's lawsuit can agree as wholes while no report
    of the one reads like the other. Their members are held to the merge bar too."""
    small, large = sorted((a, b), key=lambda group: len(group.story.article_ids))
    ids = small.story.article_ids
    return math.fsum(large.similarity(i) for i in ids) / len(ids) if ids else 0.0


def _sharing_a_passage(
    groups: list[_Group], near: list[tuple[float, int]], ids: Sequence[str]
) -> int | None:
    """Of the stories in `near` (similarity, number), the most similar one whose full texts
    share a passage with those among `ids` (see PASSAGE_WORDS)."""
    for _, number in sorted(near, key=lambda pair: (-pair[0], pair[1])):
        group = groups[number]
        passages = group.signals.passages
        if passages is not None and passages.shared(ids, group.story.article_ids):
            return number
    return None


class _Group:
    """A story being grown: the running sum of its article vectors (TF-IDF and, when given,
    embeddings) and the sum's squared norm, so adding an article and scoring one cost the size
    of the article, not of the story."""

    def __init__(self, story: Story, signals: _Signals) -> None:
        self.story = story
        self.signals = signals
        self.start = story.first_seen.timestamp()
        self.end = story.last_seen.timestamp()
        self.meaning: Any = None  # a numpy array: the sum of the member embeddings
        self._summary: Vector | None = None
        vectors, meanings = signals.vectors, signals.embeddings
        # A centroid kept from the run that last changed the story is borrowed, not copied
        # (most live stories gain nothing in a run): `_add_terms` copies it before a change.
        self._borrowed = story.centroid is not None
        total = self.total = story.centroid if story.centroid is not None else {}
        for article_id in story.article_ids:
            if not self._borrowed:
                for term, weight in vectors.get(article_id, {}).items():
                    total[term] = total.get(term, 0.0) + weight
            if article_id in meanings:
                self._add_meaning(meanings[article_id])
        self.norm2 = math.fsum(map(operator.mul, total.values(), total.values()))
        self.changed = not story.article_ids

    def similarity(self, article_id: str) -> float:
        """Similarity of an article to this story's centroid (see the module docstring)."""
        vector = self.signals.vectors.get(article_id, {})
        lexical = _dot(vector, self.total) / math.sqrt(self.norm2) if self.norm2 else 0.0
        return self._blend(lexical, self.signals.embeddings.get(article_id))

    def similarity_to(self, other: _Group) -> float:
        """Similarity of two story centroids, each cut to its SUMMARY_TERMS heaviest terms."""
        lexical = _dot(other.summary, self.summary)
        return self._blend(lexical, None if other.meaning is None else _unit(other.meaning))

    def mostly_full_text(self) -> bool:
        ids = self.story.article_ids
        return 2 * len(self.signals.full_texts.intersection(ids)) > len(ids)

    def merge_evidence(self, other: _Group, gap: float, span: float) -> MergeEvidence:
        """The evidence that the other story is this one (`gap` and `span` as shares of the
        window)."""
        mine, theirs = self.summary, other.summary
        lexical = _dot(theirs, mine)
        semantic = lexical
        if self.meaning is not None and other.meaning is not None:
            semantic = float(_unit(self.meaning) @ _unit(other.meaning))
        shared = mine.keys() & theirs.keys()
        names = self.signals.names
        numbers = sum(1 for t in shared if any(c.isdigit() for c in t))
        leads = [next((t for t in v if t in names), None) for v in (mine, theirs)]
        found = [
            lead in summary
            for lead, summary in zip(leads, (theirs, mine), strict=True)
            if lead is not None
        ]
        small, large = sorted((len(self.story.article_ids), len(other.story.article_ids)))
        return MergeEvidence(
            lexical=lexical,
            semantic=semantic,
            gap=gap,
            span=span,
            shared_names=math.log1p(len(shared & names)),
            shared_numbers=min(numbers, 2),
            smaller_size=math.log(max(small, 1)),
            larger_size=math.log(max(large, 1)),
            lead_names_found=sum(found) / len(found) if found else 0.5,
        )

    def join_evidence(
        self,
        article_id: str,
        gap: float,
        age: float,
        full_text: float,
        names: Set[str],
        terms: Mapping[str, float],
    ) -> JoinEvidence:
        """The evidence that the article belongs to this story (`gap` as a share of the
        window, `names` the stems that are names), its terms looked up among `terms`: the
        story's `summary` (as fitted), or any that hold it."""
        vector = self.signals.vectors.get(article_id, {})
        meaning = self.signals.embeddings.get(article_id)
        if meaning is not None and self.meaning is not None:
            semantic = float(meaning @ _unit(self.meaning))
        else:  # an article or story without an embedding: the TF-IDF cosine stands in
            semantic = _dot(vector, self.total) / math.sqrt(self.norm2) if self.norm2 else 0.0
        shared = vector.keys() & terms.keys()
        numbers = sum(1 for t in shared if any(c.isdigit() for c in t))
        lead_name = next((t for t in vector if t in names), None)
        return JoinEvidence(
            semantic=semantic,
            shared_numbers=min(numbers, 2),
            gap=gap,
            age=age,
            full_text=full_text,
            story_size=math.log(max(len(self.story.article_ids), 1)),
            shared_names=math.log1p(len(shared & names)),
            lead_name_found=0.5 if lead_name is None else float(lead_name in terms),
        )

    def corroborates(self, article_id: str) -> bool:
        """Whether the article shares more than one telling term with the story, or means the
        same by its embedding: one word in common (a name) is not enough to call two reports
        one event."""
        vector = self.signals.vectors.get(article_id, {})
        if len(vector.keys() & self.summary.keys()) >= JOIN_SHARED:
            return True
        meaning = self.signals.embeddings.get(article_id)
        if meaning is None or self.meaning is None:
            return False
        return float(meaning @ _unit(self.meaning)) >= SAME_MEANING

    @property
    def summary(self) -> Vector:
        if self._summary is None:
            self._summary = normalise(
                {t: self.total[t] for t in _top_terms(self.total, SUMMARY_TERMS)}
            )
        return self._summary

    def _blend(self, lexical: float, meaning: Any) -> float:
        if meaning is None or self.meaning is None:
            return lexical
        semantic = float(meaning @ _unit(self.meaning))
        return (1 - EMBEDDING_WEIGHT) * lexical + EMBEDDING_WEIGHT * semantic

    def add(self, article: Article) -> None:
        self.story.article_ids.append(article.id)
        self.changed = True
        self.story.first_seen = min(self.story.first_seen, article.when)
        self.story.last_seen = max(self.story.last_seen, article.when)
        self.start = min(self.start, article.when.timestamp())
        self.end = max(self.end, article.when.timestamp())
        self._include(article.id)

    def absorb(self, other: _Group, *, given: bool) -> None:
        """Take the other story's articles; `given`: the other was made in an earlier call."""
        self.story.article_ids.extend(other.story.article_ids)
        self.story.absorbed.extend([other.story.id] if given else [])
        self.story.absorbed.extend(other.story.absorbed)
        self.changed = True
        self.story.first_seen = min(self.story.first_seen, other.story.first_seen)
        self.story.last_seen = max(self.story.last_seen, other.story.last_seen)
        self.start = min(self.start, other.start)
        self.end = max(self.end, other.end)
        if other.meaning is not None:
            self._add_meaning(other.meaning)
        self._add_terms(other.total)

    def _include(self, article_id: str) -> None:
        embedding = self.signals.embeddings.get(article_id)
        if embedding is not None:
            self._add_meaning(embedding)
        self._add_terms(self.signals.vectors.get(article_id, {}))

    def _add_meaning(self, vector: Any) -> None:
        self.meaning = vector.copy() if self.meaning is None else self.meaning + vector

    def _add_terms(self, vector: Mapping[str, float]) -> None:
        self._summary = None
        if self._borrowed:
            self.total, self._borrowed = dict(self.total), False
        total = self.total
        # |t + v|² = |t|² + 2 t·v + |v|², without a Python step per term for the norm.
        self.norm2 += 2 * _dot(vector, total) + _dot(vector, vector)
        total.update({term: total.get(term, 0.0) + weight for term, weight in vector.items()})

    def finish(self, pool: dict[str, Article]) -> Story:
        if not self.changed:
            return self.story  # its title was chosen when it last changed
        # Heaviest first: the next run finds its heaviest terms (`_top_terms`) in one pass.
        self.story.centroid = dict(
            sorted(self.total.items(), key=operator.itemgetter(1), reverse=True)
        )
        members = [a for a in (pool.get(i) for i in self.story.article_ids) if a and a.title]
        if members:
            # The most central headline; ties go to the earliest.
            best = max(members, key=lambda a: (self.similarity(a.id), -a.when.timestamp()))
            self.story.title = best.title
        return self.story


def _dot(small: Mapping[str, float], large: Mapping[str, float]) -> float:
    if len(small) > len(large):
        small, large = large, small
    # Every step in C: the shared terms, then the products (the hot loop of clustering).
    shared = small.keys() & large.keys()
    return sum(map(operator.mul, map(small.__getitem__, shared), map(large.__getitem__, shared)))


def _unit(vector: Any) -> Any:
    norm = float((vector @ vector) ** 0.5)
    return vector / norm if norm else vector


def _as_arrays(embeddings: Embeddings, pool: Mapping[str, Article]) -> dict[str, Any]:
    """The embeddings of the articles in play as unit numpy arrays (numpy is imported only when
    there are embeddings: TF-IDF alone needs none)."""
    ids = [i for i in pool if i in embeddings]
    if not ids:
        return {}
    import numpy

    # One matrix, filled in place and normalised at once, its rows handed out: a step per
    # article would cost more than the clustering that adds a few hundred articles to a large pool.
    matrix = numpy.empty((len(ids), len(embeddings[ids[0]])))
    for row, article_id in enumerate(ids):
        matrix[row] = embeddings[article_id]
    norms = numpy.linalg.norm(matrix, axis=1, keepdims=True)
    numpy.divide(matrix, norms, out=matrix, where=norms > 0)
    return dict(zip(ids, matrix, strict=True))
