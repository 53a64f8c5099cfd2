"""Story clustering benchmark: BCubed quality of aibot.cluster.stories against a plain
baseline; speed.

    python benchmarks/cluster_quality.py [--data-dir ../shared/data/clustering] [--runs 3]
                                         [--speed] [--explain] [--timeout 120]

What is measured, and how:

- Quality, on every labelled dev set of benchmarks/devsets.py (read at run time; the
  Multi-News file is licence-restricted and never copied into the repository): the UCI stream
  (4,996 headlines, 163 stories, synthetic times), the UCI business/entertainment headlines (4,249,
  59 stories; synthetic times, because its crawl times give the stories away), Multi-News full
  text (291 articles, 100 stories; first sentence as title, synthetic times), the demo sample
  and the labelled fixture. Each set is clustered
  * by AiBot as the pipeline runs it: hourly runs, each call getting that hour's articles, the
    live stories and their articles, and the vectors made in earlier runs; with the default
    embedding model when it is installed;
  * by AiBot in one call, all articles in time order;
  * by AiBot in hourly runs with TF-IDF alone (when embeddings are on, for comparison);
  * a plain baseline written here: single pass; each article joins the cluster whose centroid
    (normalised sum of its members' vectors) has the highest cosine with the article's TF-IDF
    title vector, if that cosine is at least the threshold, else it starts a new cluster. Tokens
    are lower-cased runs of letters and digits, no stemming, minus the NLTK English stop-word
    list (spelled out below); tf is the raw count, idf = ln((1 + N) / (1 + df)) + 1 over the
    whole data set (scikit-learn's smoothed idf); vectors are L2-normalised; no time window.
    Two thresholds: 0.5 (the value usually quoted for this baseline) and BASELINE_THRESHOLD,
    tuned once on the UCI headline set (sweep 0.05-0.60 in steps of 0.05, best BCubed F1:
    0.743 at 0.05, 0.734 at 0.10, 0.455 at 0.30, 0.173 at 0.50) and then fixed. It is tuned on
    the set it is scored on, as AiBot's default threshold was, so it is a fair figure but not a
    held-out one; a threshold this low relies on the set holding only 59 stories in 36 hours.
  The data sets are printed worst first (by AiBot's hourly F1). For the headline sets it also
  prints BCubed against their labels merged where one headline stands under two stories, and
  what those merged labels reach when taken as the events and cut by time rules
  (`time_split_ceiling`): a bound on what telling events apart and then time alone can give.
  Metric, BCubed (Bagga & Baldwin 1998; Amigó et al. 2009), written out here: for each article,
  precision = |articles in its predicted cluster with its label| / |its predicted cluster|,
  recall = the same count / |articles with its label|; both averaged over articles; F1 is the
  harmonic mean of the two averages. An article missing from AiBot's output counts as a
  singleton (and is reported). Seconds: wall time of the clustering call(s) only, the median of
  --runs runs, each run in a fresh process.

- Speed (`--speed`), on synthetic news: 20,500 deterministic articles (seeded random) about
  2,000 events spread over 7 days; each event has 6 distinctive words and one of 100 topics
  (10 words each, shared between events); a headline is 3 event words, 1 topic word and 4-8
  common words (Zipf-distributed over 6,000 pseudo-words); a lead is 60 words (8 event, 4 topic,
  48 common). The 20,000 earliest are clustered from scratch: seconds, peak memory (VmHWM)
  of the process (which also holds the articles) and, in another process, the tracemalloc
  peak of the clustering call alone. Then the 500 latest are added to the 20,000 already
  clustered as the pipeline's cluster stage does it, and all of it is timed: the live
  stories' article vectors are read from an SQLite cache (filled beforehand, as earlier runs
  would have, with their word uses), the 500's word uses are added and the names read back,
  vectors are made for the 500 and saved, and `cluster` gets the live stories, their articles
  and the 500
  (if the from-scratch run timed out, the existing stories are built from the true events
  instead, and the output says so). Each timed speed measurement runs --runs times, each in a
  fresh process: median, then the range.
  Targets (from the issue) are printed beside: 20,000 in under 10 s and 200 MB; +500 in under
  1 s. Each measurement runs in a child process stopped after --timeout seconds ("> 120 s").

All figures are for orientation: dev sets, one machine, no confidence intervals. Not run by CI.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing as mp
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devsets import DataSet, hourly, load_all, merged_by_headline, one_call

from aibot.cluster import embeddings
from aibot.cluster.stories import (
    EMBEDDING_WEIGHT,
    article_vectors,
    cluster,
    names_among,
    settled,
    word_uses,
)
from aibot.config import ClusterConfig
from aibot.models import Article, Story
from aibot.store import Store

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared/data/clustering"

EMBEDDING_DIM = 256
EMBEDDING_MODEL = "synthetic"
BASELINE_THRESHOLD = 0.05  # tuned once on the UCI headlines (see the module docstring)
QUOTED_THRESHOLD = 0.5
CEILING_LINK = 0.05
# Bars for the pairwise ceiling of full texts: AiBot's blended similarity of two articles.
PAIR_LINKS = (0.35, 0.30, 0.25, 0.20)
# The time rules tried on top of perfect events (hours): a story ends when its first article is
# this old, or when this long passes without a new one.
SPLIT_AGES = (*range(4, 49), math.inf)
SPLIT_GAPS = (*range(1, 25), math.inf)
SYNTHETIC_START = datetime(2020, 1, 1, tzinfo=UTC)
SYNTHETIC_STEP = timedelta(minutes=5)
TITLE_MAX_WORDS = 30

# NLTK's English stop-word list (179 words), with the apostrophe forms left out: the tokenizer
# splits "don't" into "don" and "t", both listed.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now d ll m o re ve y ain aren
    couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won
    wouldn""".split()
)
_TOKEN = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------------------------------------
# Data


def time_order(articles: Sequence[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.when, a.id))


# ---------------------------------------------------------------------------------------------
# Metric


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    clusters: int
    missing: int = 0
    repeated: int = 0


def partition(stories: Sequence[Story], ids: Sequence[str]) -> tuple[dict[str, str], int, int]:
    """Article id -> predicted cluster; missing articles become singletons."""
    predicted: dict[str, str] = {}
    repeated = 0
    for story in stories:
        for article_id in story.article_ids:
            if article_id in predicted:
                repeated += 1
            predicted.setdefault(article_id, story.id)
    missing = 0
    for article_id in ids:
        if article_id not in predicted:
            missing += 1
            predicted[article_id] = f"missing:{article_id}"
    return predicted, missing, repeated


def bcubed(predicted: dict[str, str], labels: dict[str, str]) -> tuple[float, float, float]:
    items = list(labels)
    cluster_size = Counter(predicted[i] for i in items)
    label_size = Counter(labels[i] for i in items)
    overlap = Counter((predicted[i], labels[i]) for i in items)
    n = len(items)
    precision = sum(overlap[predicted[i], labels[i]] / cluster_size[predicted[i]] for i in items)
    recall = sum(overlap[predicted[i], labels[i]] / label_size[labels[i]] for i in items)
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(stories: Sequence[Story], labels: dict[str, str]) -> Score:
    predicted, missing, repeated = partition(stories, list(labels))
    p, r, f = bcubed(predicted, labels)
    clusters = len({predicted[i] for i in labels})
    return Score(p, r, f, clusters, missing, repeated)


def ceiling(data: DataSet, link: float = CEILING_LINK) -> str:
    """How well a method could do that never merges two stories and links two articles of one
    story only when their TF-IDF cosine (title and full text) reaches `link`: each labelled
    story is cut into the connected groups of that graph and scored with BCubed."""
    vectors = full_text_vectors(data.articles)
    by_story: dict[str, list[str]] = defaultdict(list)
    for article_id, label in data.labels.items():
        by_story[label].append(article_id)
    predicted: dict[str, str] = {}
    parent = {i: i for i in data.labels}
    for ids in by_story.values():
        for a, b in itertools.combinations(ids, 2):
            if sum(w * vectors[b].get(t, 0.0) for t, w in vectors[a].items()) >= link:
                parent[_root(parent, a)] = _root(parent, b)
        predicted.update({i: _root(parent, i) for i in ids})
    p, r, f = bcubed(predicted, data.labels)
    return (
        f"ceiling for text similarity (no wrong merge; same-story articles linked at full-text "
        f"cosine >= {link}): BCubed P {p:.3f} R {r:.3f} F1 {f:.3f}"
    )


def pairwise_ceiling(data: DataSet, meanings: dict[str, list[float]]) -> str:
    """What a method reaches that judges full texts two at a time by AiBot's blended similarity
    (TF-IDF as clustering reads it, 0.8, and the embeddings' cosine, 0.2) and never merges two
    stories: at each bar of PAIR_LINKS, each labelled story cut into the groups its articles'
    pairs at or over the bar connect. Beside it, how many pairs of articles of different
    stories reach the bar, and the highest: a bar any lower joins those too."""
    ids = [a.id for a in data.articles if a.text]
    vectors = article_vectors([a for a in data.articles if a.text], semantic=True)
    units = {}
    for i in ids:
        norm = math.sqrt(math.fsum(x * x for x in meanings[i])) or 1.0
        units[i] = [x / norm for x in meanings[i]]

    def blend(a: str, b: str) -> float:
        lexical = sum(w * vectors[b].get(t, 0.0) for t, w in vectors[a].items())
        semantic = math.fsum(map(float.__mul__, units[a], units[b]))
        return (1 - EMBEDDING_WEIGHT) * lexical + EMBEDDING_WEIGHT * semantic

    pairs = itertools.combinations([i for i in ids if vectors[i]], 2)
    scored = [(blend(a, b), a, b) for a, b in pairs]
    parts = []
    for link in PAIR_LINKS:
        parent = {i: i for i in data.labels}
        wrong = [s for s, a, b in scored if s >= link and data.labels[a] != data.labels[b]]
        for similarity, a, b in scored:
            if similarity >= link and data.labels[a] == data.labels[b]:
                parent[_root(parent, a)] = _root(parent, b)
        _, _, f1 = bcubed({i: _root(parent, i) for i in data.labels}, data.labels)
        highest = f", highest {max(wrong):.3f}" if wrong else ""
        parts.append(
            f"{link:.2f}: F1 {f1:.3f} ({len(wrong)} pairs of two stories reach it{highest})"
        )
    return "ceiling for pairs judged by the blend, no wrong merge, bar " + "; ".join(parts)


def _root(parent: dict[str, str], item: str) -> str:
    while parent[item] != item:
        item = parent[item]
    return item


def time_split_ceiling(data: DataSet) -> str:
    """What perfect events with the best of simple time rules reach against the labels as
    given: the labels merged where a headline stands under two stories are the events, and each
    event is cut in time order into a new story whenever the current one's first article is
    older than an age or its last older than a gap (every pair of SPLIT_AGES and SPLIT_GAPS).
    Gives the best F1 and the best F1 among the rules with BCubed precision 0.90 or more."""
    events = merged_by_headline(data)
    ordered = sorted(data.articles, key=lambda a: (a.when, a.id))
    best: tuple[float, float, float, str] = (0.0, 0.0, 0.0, "")
    best_precise: tuple[float, float, float, str] | None = None
    for age, gap in itertools.product(SPLIT_AGES, SPLIT_GAPS):
        current: dict[str, tuple[float, float, str]] = {}  # event -> (first, last, story)
        predicted: dict[str, str] = {}
        for article in ordered:
            when = article.when.timestamp()
            first, last, story = current.get(events[article.id], (-math.inf, -math.inf, ""))
            if when - first > age * 3600 or when - last > gap * 3600:
                first, story = when, article.id
            current[events[article.id]] = (first, when, story)
            predicted[article.id] = story
        p, r, f = bcubed(predicted, data.labels)
        rule = f"age {age:g} h, gap {gap:g} h"
        if f > best[2]:
            best = (p, r, f, rule)
        if p >= 0.90 and (best_precise is None or f > best_precise[2]):
            best_precise = (p, r, f, rule)
    precise = "none" if best_precise is None else _described(best_precise)
    return (
        f"ceiling for perfect events cut by time ({len(set(events.values()))} events): "
        f"best {_described(best)}; best at P >= 0.90: {precise}"
    )


def _described(figures: tuple[float, float, float, str]) -> str:
    p, r, f, rule = figures
    return f"F1 {f:.3f} (P {p:.3f}, R {r:.3f}; {rule})"


def full_text_vectors(articles: Sequence[Article]) -> dict[str, dict[str, float]]:
    bags = {a.id: Counter(tokens(f"{a.title} {a.text}")) for a in articles}
    df: Counter[str] = Counter()
    for bag in bags.values():
        df.update(bag.keys())
    n = len(bags)
    vectors = {}
    for article_id, bag in bags.items():
        weights = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors[article_id] = {t: w / norm for t, w in weights.items()}
    return vectors


# ---------------------------------------------------------------------------------------------
# Baseline


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


def title_vectors(articles: Sequence[Article]) -> dict[str, dict[str, float]]:
    bags = {a.id: Counter(tokens(a.title)) for a in articles}
    df: Counter[str] = Counter()
    for bag in bags.values():
        df.update(bag.keys())
    n = len(bags)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    vectors = {}
    for key, bag in bags.items():
        raw = {t: c * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in raw.values()))
        vectors[key] = {t: v / norm for t, v in raw.items()} if norm else {}
    return vectors


def baseline(articles: Sequence[Article], threshold: float) -> list[Story]:
    """Single-pass clustering on title TF-IDF, compared with cluster centroids."""
    vectors = title_vectors(articles)
    sums: list[dict[str, float]] = []  # per cluster: sum of member vectors
    squared: list[float] = []  # per cluster: squared norm of that sum
    index: dict[str, set[int]] = defaultdict(set)  # term -> clusters whose sum holds it
    stories: list[Story] = []
    for article in time_order(articles):
        vector = vectors[article.id]
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for c in index.get(term, ()):
                dots[c] += weight * sums[c][term]
        best, best_score = None, -1.0
        for c in sorted(dots):
            value = dots[c] / math.sqrt(squared[c]) if squared[c] > 0 else 0.0
            if value > best_score:
                best, best_score = c, value
        if best is None or best_score < threshold:
            best = len(stories)
            stories.append(Story(f"b{best}", [], article.title, article.when, article.when))
            sums.append({})
            squared.append(0.0)
        stories[best].article_ids.append(article.id)
        stories[best].last_seen = max(stories[best].last_seen, article.when)
        total = sums[best]
        for term, weight in vector.items():
            old = total.get(term, 0.0)
            total[term] = old + weight
            squared[best] += (old + weight) ** 2 - old**2
            index[term].add(best)
    return stories


# ---------------------------------------------------------------------------------------------
# AiBot, one call and in batches


# ---------------------------------------------------------------------------------------------
# Running a measurement in a child process, with a time limit


def _child(conn: Any, task: Callable[..., Any], payload: Any) -> None:
    try:
        result = task(payload, lambda: conn.send(("ready", None)))
        conn.send(("ok", result))
    except BaseException as exc:  # report anything, including MemoryError
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def guarded(task: Callable[..., Any], payload: Any, limit: float, setup_limit: float = 600):
    """Run task(payload, ready) in a fresh process; ("ok", result) | ("timeout" | "error", msg).

    The limit starts when the task calls ready() (after building its input)."""
    context = mp.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, task, payload), daemon=True)
    process.start()
    send.close()
    try:
        for wait in (setup_limit, limit):
            if not receive.poll(wait):
                return "timeout", f"> {limit:.0f} s" if wait == limit else "setup timed out"
            status, value = receive.recv()
            if status != "ready":
                return status, value
        return "error", "no result"
    except EOFError:
        return "error", f"child process died (exit code {process.exitcode})"
    finally:
        if process.is_alive():
            process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
        receive.close()


def _run_method(payload: tuple[str, list[Article], float, Any], ready: Callable[[], None]):
    method, articles, threshold, vectors = payload
    ready()
    started = time.perf_counter()
    data = DataSet("", articles, {})
    if method == "aibot":
        stories = one_call(data, ClusterConfig(), embeddings=vectors)
    elif method.startswith("aibot-hourly"):
        stories = hourly(data, ClusterConfig(), embeddings=vectors)
    else:
        stories = baseline(articles, threshold)
    return time.perf_counter() - started, stories


# ---------------------------------------------------------------------------------------------
# Quality report


@dataclass
class Row:
    data: str
    method: str
    score: Score | None
    seconds: float | None
    failure: str = ""
    stories: list[Story] = field(default_factory=list)
    unstable: bool = False


METHODS = (
    ("aibot-hourly", "AiBot, hourly runs (as the pipeline)", 0.0),
    ("aibot", "AiBot, one call", 0.0),
    ("aibot-hourly-tfidf", "AiBot, hourly runs, TF-IDF alone", 0.0),
    ("baseline", "baseline, title TF-IDF", BASELINE_THRESHOLD),
    ("baseline", "baseline, title TF-IDF", QUOTED_THRESHOLD),
)


def measure(
    data: DataSet, runs: int, limit: float, vectors: dict[str, list[float]] | None
) -> list[Row]:
    rows = []
    for method, label, threshold in METHODS:
        if method.endswith("-tfidf") and vectors is None:
            continue  # the rows above are TF-IDF alone already
        if method == "baseline":
            label = f"{label} >= {threshold:.2f}"
        times, partitions, stories, failure = [], [], [], ""
        for _ in range(runs):
            payload = (method, data.articles, threshold, None if "tfidf" in method else vectors)
            status, value = guarded(_run_method, payload, limit)
            if status != "ok":
                failure = value
                break
            seconds, stories = value
            times.append(seconds)
            partitions.append(sorted(sorted(s.article_ids) for s in stories))
        if failure:
            rows.append(Row(data.name, label, None, None, failure))
            continue
        unstable = any(p != partitions[0] for p in partitions[1:])
        rows.append(
            Row(
                data.name,
                label,
                score(stories, data.labels),
                statistics.median(times),
                stories=stories,
                unstable=unstable,
            )
        )
    return rows


def worst_first(rows: list[Row]) -> list[Row]:
    """The rows, data set by data set, the set where AiBot's hourly runs score worst first."""
    hourly_f1 = {
        r.data: r.score.f1 for r in rows if r.method == METHODS[0][1] and r.score is not None
    }
    order = {name: n for n, name in enumerate(sorted(hourly_f1, key=hourly_f1.__getitem__))}
    return sorted(rows, key=lambda r: order.get(r.data, len(order)))


def print_quality(rows: list[Row], datasets: list[DataSet], runs: int) -> None:
    print(
        f"| data set | method | clusters | BCubed P | BCubed R | BCubed F1 | s (median of {runs}) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    truth = {d.name: len(set(d.labels.values())) for d in datasets}
    shown = set()
    for row in rows:
        if row.data not in shown:
            shown.add(row.data)
            print(f"| {row.data} | true stories | {truth[row.data]} | 1.000 | 1.000 | 1.000 | |")
        if row.score is None:
            print(f"| {row.data} | {row.method} | | | | | {row.failure} |")
            continue
        s = row.score
        mark = " (runs differ!)" if row.unstable else ""
        print(
            f"| {row.data} | {row.method}{mark} | {s.clusters} | {s.precision:.3f} | "
            f"{s.recall:.3f} | {s.f1:.3f} | {row.seconds:.2f} |"
        )
    for row in rows:
        if row.score and (row.score.missing or row.score.repeated):
            print(
                f"problem: {row.data}, {row.method}: {row.score.missing} articles missing from "
                f"the output (scored as singletons), {row.score.repeated} placed twice"
            )


def post_figures(stories: Sequence[Story], data: DataSet, labels: dict[str, str]) -> str:
    """The stories that reached two outlets (each a post), the labelled stories they cover,
    those shown as 2+ posts, and the posts under 95 % one labelled story."""
    by_id = {a.id: a for a in data.articles}
    posts = [s for s in stories if len({by_id[i].source for i in s.article_ids}) >= 2]
    tops = [Counter(labels[i] for i in s.article_ids).most_common(1)[0] for s in posts]
    shown = Counter(label for label, _ in tops)
    mixed = sum(1 for s, (_, n) in zip(posts, tops, strict=True) if n < 0.95 * len(s.article_ids))
    twice = sum(1 for n in shown.values() if n > 1)
    return (
        f"{len(posts)} posts for {len(shown)} stories, {twice} stories shown as 2+ posts, "
        f"{mixed} posts under 95 % one story"
    )


def explain(row: Row, data: DataSet, worst: int = 5) -> None:
    """The predicted clusters with the lowest BCubed precision, with titles per true story."""
    by_id = {a.id: a for a in data.articles}
    ranked = []
    for story in row.stories:
        members = [i for i in story.article_ids if i in data.labels]
        if len(members) < 2:
            continue
        counts = Counter(data.labels[i] for i in members)
        precision = sum(c * c for c in counts.values()) / len(members) ** 2
        ranked.append((precision, -len(members), story.id, members, counts))
    ranked.sort()
    print(f"\n### {data.name}, {row.method}: the {worst} predicted clusters of lowest precision\n")
    for precision, _, _, members, counts in ranked[:worst]:
        print(
            f"- {len(members)} articles from {len(counts)} true stories, "
            f"cluster precision {precision:.3f}"
        )
        for label, count in counts.most_common(4):
            titles = [by_id[i].title for i in members if data.labels[i] == label][:2]
            shown = " | ".join(t if len(t) <= 90 else t[:87] + "..." for t in titles)
            name = label if len(label) <= 24 else label[:10] + "..."
            print(f"  - {count} x story {name}: {shown}")
        if len(counts) > 4:
            rest = sum(c for _, c in counts.most_common()[4:])
            print(f"  - {rest} more from {len(counts) - 4} other stories")


# ---------------------------------------------------------------------------------------------
# Synthetic news for --speed


SPEED_TOTAL, SPEED_BASE, SPEED_SEED = 20_500, 20_000, 20240
EVENTS, TOPICS, COMMON_WORDS, DAYS = 2_000, 100, 6_000, 7


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    syllables = [c + v for c in "bdfgklmnprtvz" for v in "aeiou"]
    out: dict[str, None] = {}
    while len(out) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        out.setdefault(word, None)
    return list(out)


def synthetic_news(total: int = SPEED_TOTAL, seed: int = SPEED_SEED):
    """Deterministic articles (sorted by time) and their true events."""
    rng = random.Random(seed)
    vocab = _pseudo_words(rng, COMMON_WORDS + TOPICS * 10 + EVENTS * 6)
    common = vocab[:COMMON_WORDS]
    common_weights = list(itertools.accumulate(1 / (r + 1) for r in range(COMMON_WORDS)))
    topic_words = [
        vocab[COMMON_WORDS + 10 * k : COMMON_WORDS + 10 * (k + 1)] for k in range(TOPICS)
    ]
    base = COMMON_WORDS + TOPICS * 10
    event_words = [vocab[base + 6 * e : base + 6 * (e + 1)] for e in range(EVENTS)]
    span = DAYS * 86_400
    event_start = [rng.uniform(0, span - 3_600) for _ in range(EVENTS)]
    event_topic = [rng.randrange(TOPICS) for _ in range(EVENTS)]
    event_weight = [rng.lognormvariate(0, 1) for _ in range(EVENTS)]
    chosen = rng.choices(range(EVENTS), weights=event_weight, k=total)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    articles, labels = [], {}
    for n, event in enumerate(chosen):
        delay = rng.expovariate(1 / 21_600)  # mean 6 hours after the event's start
        if event_start[event] + delay >= span:  # keep the 7 days without piling up at the end
            delay = rng.uniform(0, span - event_start[event])
        offset = event_start[event] + delay
        topic = topic_words[event_topic[event]]
        head = rng.sample(event_words[event], 3) + [rng.choice(topic)]
        head += rng.choices(common, cum_weights=common_weights, k=rng.randint(4, 8))
        rng.shuffle(head)
        lead = rng.choices(event_words[event], k=8) + rng.choices(topic, k=4)
        lead += rng.choices(common, cum_weights=common_weights, k=48)
        rng.shuffle(lead)
        outlet = f"outlet{rng.randrange(40):02d}"
        article = Article(
            f"https://{outlet}.example/{event}/{n}",
            outlet,
            " ".join(head).capitalize(),
            " ".join(lead).capitalize() + ".",
            start + timedelta(seconds=offset),
        )
        articles.append(article)
        labels[article.id] = f"event{event}"
    return time_order(articles), labels


def synthetic_meanings(
    articles: Sequence[Article], labels: dict[str, str], seed: int = SPEED_SEED
) -> dict[str, list[float]]:
    """A stand-in for sentence embeddings: each event a random direction, each article that
    direction plus as much noise, scaled to unit length (the model's own time is measured by
    benchmarks/embeddings.py; here only clustering with the semantic signal on is timed)."""
    import numpy

    rng = numpy.random.default_rng(seed)
    events = {e: rng.standard_normal(EMBEDDING_DIM) for e in sorted(set(labels.values()))}
    meanings = {}
    for article in articles:
        vector = events[labels[article.id]] + rng.standard_normal(EMBEDDING_DIM)
        meanings[article.id] = (vector / numpy.linalg.norm(vector)).tolist()
    return meanings


def _maxrss_mb() -> float:
    """Peak resident memory of this process image. Linux keeps ru_maxrss across exec, so a
    child spawned from a big parent would report the parent's peak: VmHWM is read instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _speed_scratch(payload: None, ready: Callable[[], None]):
    articles, labels = synthetic_news()
    articles = articles[:SPEED_BASE]
    meanings = synthetic_meanings(articles, labels)
    before = _maxrss_mb()
    ready()
    started = time.perf_counter()
    stories = cluster(articles, (), ClusterConfig(), embeddings=meanings)
    seconds = time.perf_counter() - started
    after = _maxrss_mb()
    quality = score(stories, {a.id: labels[a.id] for a in articles})
    return seconds, before, after, quality, stories


def _speed_traced(payload: None, ready: Callable[[], None]):
    articles, labels = synthetic_news()
    articles = articles[:SPEED_BASE]
    meanings = synthetic_meanings(articles, labels)
    ready()
    tracemalloc.start()
    started = time.perf_counter()
    cluster(articles, (), ClusterConfig(), embeddings=meanings)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds


def _speed_add(payload: list[Story] | None, ready: Callable[[], None]):
    articles, labels = synthetic_news()
    old, new = articles[:SPEED_BASE], articles[SPEED_BASE:]
    stories = payload
    if stories is None:  # from the true events
        groups: dict[str, list[Article]] = defaultdict(list)
        for article in old:
            groups[labels[article.id]].append(article)
        stories = [
            Story(f"true-{k}", [a.id for a in g], g[0].title, g[0].when, g[-1].when)
            for k, g in groups.items()
        ]
    settings = ClusterConfig()
    by_id = {a.id: a for a in old}
    since = min(a.when for a in new) - timedelta(hours=settings.window_hours)
    live = sorted((s for s in stories if s.last_seen >= since), key=lambda s: (s.first_seen, s.id))
    pool = [by_id[i] for s in live for i in s.article_ids if i in by_id] + new
    meanings = synthetic_meanings(articles, labels)
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "cache.sqlite") as store:
        store.save_vectors(article_vectors(old, semantic=True))  # the earlier runs' vectors
        store.add_word_uses(word_uses(old))  # and the word uses they added up
        store.save_embeddings({a.id: meanings[a.id] for a in articles}, EMBEDDING_MODEL)
        ready()
        # The pipeline's cluster stage: vectors and embeddings from the cache (the new
        # articles' embeddings are made by the model, timed in benchmarks/embeddings.py), the
        # new articles' word uses added to the kept ones and names read from them, new vectors
        # made and saved, then the clustering itself.
        started = time.perf_counter()
        cached_vectors = store.vectors(a.id for a in pool)
        store.add_word_uses(word_uses(a for a in new if a.id not in cached_vectors))
        names = names_among(store.capitalised_word_uses())
        known, live = settled(pool, cached_vectors, live, semantic=True)  # all: pool this large
        vectors = article_vectors(pool, known, semantic=True, names=names)
        store.save_vectors({i: v for i, v in vectors.items() if i not in known})
        cached = store.embeddings((a.id for a in pool), EMBEDDING_MODEL)
        loaded = time.perf_counter()
        result = cluster(pool, live, settings, embeddings=cached, vectors=vectors, names=names)
        seconds = time.perf_counter() - started
    live_ids = {s.id for s in live}
    fresh = [s for s in result if s.id not in live_ids]
    joined = len(new) - sum(len(s.article_ids) for s in fresh)
    return seconds, len(live), len(pool), joined, len(fresh), loaded - started


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return (
        f"{statistics.median(values):.2f} s (median of {len(values)}; "
        f"{min(values):.2f}–{max(values):.2f})"
    )


def speed(limit: float, runs: int) -> None:
    print(
        f"\n## Speed: synthetic news, {SPEED_BASE:,} + {SPEED_TOTAL - SPEED_BASE} articles, "
        f"~{EVENTS:,} events over {DAYS} days (seed {SPEED_SEED})\n"
    )
    lines = []
    scratch = [guarded(_speed_scratch, None, limit) for _ in range(runs)]
    failed = next((value for status, value in scratch if status != "ok"), None)
    existing = None
    if failed is None:
        seconds, before, after, quality, existing = scratch[-1][1]
        lines.append(
            (
                f"cluster {SPEED_BASE:,} from scratch",
                _spread([value[0] for _, value in scratch]),
                "< 10 s",
            )
        )
        lines.append(
            (
                "peak resident memory of that process (VmHWM)",
                f"{max(value[2] for _, value in scratch):.0f} MB ({before:.0f} MB before the call)",
                "< 200 MB",
            )
        )
        lines.append(
            (
                "quality on the synthetic events (sanity check)",
                f"{quality.clusters} clusters, BCubed P {quality.precision:.3f} "
                f"R {quality.recall:.3f} F1 {quality.f1:.3f}",
                "",
            )
        )
        status, value = guarded(_speed_traced, None, limit)
        if status == "ok":
            peak, traced_seconds = value
            shown = f"{peak:.0f} MB (call took {traced_seconds:.1f} s under tracing)"
        else:
            shown = f"not measured: {value} under tracing"
        lines.append(("tracemalloc peak of the call", shown, "< 200 MB"))
    else:
        lines.append((f"cluster {SPEED_BASE:,} from scratch", failed, "< 10 s"))
        lines.append(("peak memory", "not measured (the run did not finish)", "< 200 MB"))
    added = [guarded(_speed_add, existing, limit) for _ in range(runs)]
    status, value = next(((st, v) for st, v in added if st != "ok"), added[-1])
    what = f"add {SPEED_TOTAL - SPEED_BASE} to the {SPEED_BASE:,} clustered"
    if existing is None:
        what += " (stories from the true events)"
    if status == "ok":
        seconds, live, pool, joined, started, vectors = value
        shown = (
            f"{_spread([v[0] for _, v in added])}, of which "
            f"{statistics.median(v[5] for _, v in added):.2f} s reading the cached vectors and "
            f"making the new ones ({live} live stories and {pool:,} articles passed; {joined} "
            f"joined a live story, {started} new stories)"
        )
    else:
        shown = value
    lines.append((what, shown, "< 1 s"))
    print("| measurement | result | target |")
    print("|---|---|---|")
    for line in lines:
        print("| " + " | ".join(line) + " |")


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--speed", action="store_true", help="also the 20,000-article test")
    parser.add_argument("--explain", action="store_true", help="show AiBot's worst clusters")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per measurement")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    started = time.perf_counter()

    datasets = load_all(args.data_dir)
    print("# AiBot story clustering: BCubed against labelled stories\n")
    print(f"ClusterConfig defaults: {ClusterConfig()}")
    print(
        f"baseline threshold {BASELINE_THRESHOLD} (tuned once on the UCI headlines) and "
        f"{QUOTED_THRESHOLD} (the value usually quoted)"
    )
    for data in datasets:
        print(f"{data.name}:")
        for note in data.notes:
            print(f"  - {note}")
    print()

    rows = []
    meanings: dict[str, dict[str, list[float]]] = {}
    for data in datasets:
        vectors = None
        if embeddings.available():
            began = time.perf_counter()
            texts = [embeddings.embedding_text(a) for a in data.articles]
            vectors = dict(zip((a.id for a in data.articles), embeddings.embed(texts), strict=True))
            meanings[data.name] = vectors
            print(
                f"{data.name}: {len(texts):,} embeddings ({embeddings.MODEL_NAME}) computed in "
                f"{time.perf_counter() - began:.1f} s, once, outside the timed clustering"
            )
        else:
            print("embeddings extra not installed: AiBot + embeddings rows left out")
        if any(a.text for a in data.articles):
            print(f"{data.name}: {ceiling(data)}")
            if vectors is not None:
                print(f"{data.name}: {pairwise_ceiling(data, vectors)}")
        rows += measure(data, args.runs, args.timeout, vectors)
    print()
    print_quality(worst_first(rows), datasets, args.runs)
    print()
    for data in datasets:
        counts: Counter[str] = Counter()
        stories = hourly(data, ClusterConfig(), embeddings=meanings.get(data.name), counts=counts)
        print(
            f"{data.name}, hourly runs: {counts['posts']} stories reached "
            f"{ClusterConfig().min_sources} outlets (each would be a post); "
            f"{counts['posts merged']} of them later merged into another such story"
        )
        if any(a.text for a in data.articles):
            continue  # titles made from first sentences: a shared one is often boilerplate
        merged = merged_by_headline(data)
        if len(set(merged.values())) < len(set(data.labels.values())):
            found = score(stories, merged)
            print(
                f"  against its labels merged where one headline stands under two stories "
                f"({len(set(merged.values()))} stories): BCubed P {found.precision:.3f} "
                f"R {found.recall:.3f} F1 {found.f1:.3f}"
            )
            print(f"  {time_split_ceiling(data)}")
        for name, labels in (("labels", data.labels), ("merged labels", merged)):
            print(f"  as posts, against the {name}: {post_figures(stories, data, labels)}")

    if args.explain:
        for data in datasets:
            for row in rows:
                if row.data == data.name and row.method.startswith("AiBot, one") and row.score:
                    explain(row, data)

    if args.speed:
        speed(args.timeout, args.runs)
    print(f"\n(total {time.perf_counter() - started:.0f} s; figures are for orientation only)")


if __name__ == "__main__":
    main()
