"""The labelled clustering dev sets, fed to `aibot.cluster.stories` the way the pipeline feeds it.

Five sets, read at run time (the Multi-News file is licence-restricted and never copied into the
repository):

- `uci_news_dev.jsonl`: 4,249 headlines, business and entertainment (UCI News Aggregator,
  Gasparetti 2016, CC BY 4.0). Its timestamps are crawl times that give the stories away, so
  the hourly feed spreads each story's articles as the stream set does (see `synthetic_times`).
- `uci_news_stream_dev.jsonl`: 4,996 headlines in 163 stories, all four categories, with
  synthetic publication times over three days (see ../shared/data/README.md).
- `multinews_docs_dev.jsonl`: 291 full articles of 100 stories (Multi-News), without the page
  furniture that collection removes; no titles, so the first sentence stands in; synthetic
  times as for the UCI set.
- the demo sample (examples/demo/sample, labels.json), collected with aibot itself;
- tests/fixtures/cluster_labelled.jsonl: 50 invented wire-style articles in 12 stories.

`hourly(...)` feeds a set as hourly runs: each call gets the articles published in that hour,
the live stories (last article within `window_hours` of the hour's first article) and their
articles, the TF-IDF vectors made in earlier runs and the names learnt from every run's full
texts, as `aibot.cluster.stage.cluster_stage` does.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aibot.cluster.stories import (
    article_vectors,
    cluster,
    names_among,
    settled,
    word_uses,
)
from aibot.collect.junk import without_furniture
from aibot.config import ClusterConfig
from aibot.models import Article, Story
from aibot.support.text import sentences

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT.parent / "shared/data/clustering"
FIXTURE = ROOT / "tests/fixtures/cluster_labelled.jsonl"
DEMO = ROOT / "examples/demo"
TITLE_MAX_WORDS = 30
# Synthetic times where a set has none that can be trusted: each story starts at a random time
# in a WINDOW_HOURS window and its articles follow at exponential delays (mean MEAN_DELAY_HOURS,
# at most MAX_DELAY_HOURS), as ../shared/data/README.md describes for the stream set.
WINDOW_HOURS = 72
MEAN_DELAY_HOURS = 5.0
MAX_DELAY_HOURS = 48.0
SEED = 11


@dataclass
class DataSet:
    name: str
    articles: list[Article]
    labels: dict[str, str]  # article id -> true story
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    clusters: int


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _unique(url: str, seen: Counter[str]) -> str:
    seen[url] += 1
    return url if seen[url] == 1 else f"{url}#dup{seen[url]}"


def first_sentence(text: str) -> str:
    paragraph = next((p for p in text.split("\n") if p.strip()), "")
    first = (sentences(paragraph) or [paragraph])[0]
    return " ".join(first.split()[:TITLE_MAX_WORDS])


def seed_list(text: str) -> list[int]:
    """An argparse type: seeds given as "1,2,3", each once."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give whole numbers separated by commas"
        ) from None
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: a seed is repeated")
    return seeds


def synthetic_times(
    stories: Sequence[str],
    seed: int = SEED,
    *,
    window: float = WINDOW_HOURS,
    mean_delay: float = MEAN_DELAY_HOURS,
) -> list[datetime]:
    """A publication time for each row, given each row's story, in the stream set's way: each
    story starts at a random moment of `window` hours; its other rows follow at exponential
    delays (mean `mean_delay` hours, at most MAX_DELAY_HOURS)."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 6, tzinfo=UTC)
    begins: dict[str, datetime] = {}
    times = []
    for story in stories:
        if story not in begins:
            begins[story] = start + timedelta(hours=rng.uniform(0, window))
            times.append(begins[story])
            continue
        delay = min(rng.expovariate(1 / mean_delay), MAX_DELAY_HOURS)
        times.append(begins[story] + timedelta(hours=delay))
    return times


def with_times_drawn(data: DataSet, seed: int, *, window: float, mean_delay: float) -> DataSet:
    """The set with other synthetic times (`synthetic_times`), in its file's order."""
    times = synthetic_times(
        [data.labels[a.id] for a in data.articles], seed, window=window, mean_delay=mean_delay
    )
    articles = [replace(a, published=when) for a, when in zip(data.articles, times, strict=True)]
    return replace(data, articles=articles, notes=[*data.notes, f"times drawn with seed {seed}"])


def load_uci(path: Path, name: str, *, keep_times: bool) -> DataSet:
    rows = _read_jsonl(path)
    seen: Counter[str] = Counter()
    if keep_times:
        times = [datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")) for r in rows]
    else:
        times = synthetic_times([str(r["story"]) for r in rows])
    articles, labels = [], {}
    for row, when in zip(rows, times, strict=True):
        url = _unique(row["url"], seen)
        article = Article(url, row.get("source") or "unknown", row["title"], "", when)
        articles.append(article)
        labels[article.id] = str(row["story"])
    note = (
        "times as the file gives them"
        if keep_times
        else "synthetic times (its crawl times give the stories away)"
    )
    return DataSet(name, articles, labels, [f"{len(articles):,} headlines; {note}"])


def load_multinews(path: Path) -> DataSet:
    rows = _read_jsonl(path)
    seen: Counter[str] = Counter()
    times = synthetic_times([str(r["story"]) for r in rows])
    articles, labels = [], {}
    for row, when in zip(rows, times, strict=True):
        # As collection leaves a page's text: without captions, credits and share prompts, which
        # open many of these documents and would otherwise stand in for their headlines.
        text = without_furniture(row.get("text") or "")
        url = _unique(row.get("url") or f"https://multi-news.invalid/{row['id']}", seen)
        title = row.get("title") or first_sentence(text)
        article = Article(url, row.get("source") or "unknown", title, text, when)
        articles.append(article)
        labels[article.id] = str(row["story"])
    notes = [
        f"{len(articles)} full articles without page furniture; title = first sentence; "
        "synthetic times"
    ]
    return DataSet("Multi-News full text", articles, labels, notes)


def load_fixture(path: Path = FIXTURE) -> DataSet:
    articles, labels = [], {}
    for row in _read_jsonl(path):
        when = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        article = Article(row["url"], row["source"], row["title"], row["text"], when)
        articles.append(article)
        labels[article.id] = row["story"]
    return DataSet("labelled fixture", articles, labels, [f"{len(articles)} invented articles"])


def load_demo(demo: Path = DEMO) -> DataSet:
    """The demo sample, collected by aibot from its files (pages extracted as in a run)."""
    from aibot.collect.stage import collect
    from aibot.config import load_config
    from aibot.store import Store

    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        shutil.copy(demo / "aibot.yaml", site / "aibot.yaml")
        shutil.copytree(demo / "sample", site / "sample")
        config = load_config(site / "aibot.yaml")
        with Store(config.cache_file) as store:
            collect(config, store)
            articles = store.unclustered_articles()
        names = json.loads((site / "sample/labels.json").read_text())
        prefix = (site / "sample").resolve().as_uri() + "/"
        labels = {a.id: names[a.url.removeprefix(prefix)] for a in articles}
    return DataSet("demo sample", articles, labels, [f"{len(articles)} demo articles"])


def load_all(data_dir: Path = DEFAULT_DATA_DIR) -> list[DataSet]:
    """Every dev set that can be found (the shared data may be missing)."""
    sets = []
    if (data_dir / "uci_news_stream_dev.jsonl").exists():
        sets.append(load_uci(data_dir / "uci_news_stream_dev.jsonl", "UCI stream", keep_times=True))
    if (data_dir / "uci_news_dev.jsonl").exists():
        sets.append(load_uci(data_dir / "uci_news_dev.jsonl", "UCI headlines", keep_times=False))
    if (data_dir / "multinews_docs_dev.jsonl").exists():
        sets.append(load_multinews(data_dir / "multinews_docs_dev.jsonl"))
    sets.append(load_demo())
    sets.append(load_fixture())
    return sets


def merged_by_headline(data: DataSet) -> dict[str, str]:
    """The labels with two stories made one wherever a headline stands, word for word, under
    both (the UCI files' source split some events into several story ids). A set with texts
    keeps its labels: its stand-in titles (first sentences) may be page furniture."""
    if any(a.text for a in data.articles):
        return dict(data.labels)
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            label = parent[label]
        return label

    first: dict[str, str] = {}
    for article in data.articles:
        headline = article.title.strip().lower()
        if headline in first:
            parent[root(data.labels[article.id])] = root(data.labels[first[headline]])
        else:
            first[headline] = article.id
    return {i: root(label) for i, label in data.labels.items()}


def bcubed(stories: Iterable[Story], labels: dict[str, str]) -> Score:
    """BCubed precision, recall and F1 over the labelled articles; a missing one is a singleton."""
    predicted: dict[str, str] = {}
    clusters = 0
    for story in stories:
        clusters += 1
        for article_id in story.article_ids:
            predicted.setdefault(article_id, story.id)
    members: dict[str, list[str]] = {}
    for item in labels:
        members.setdefault(predicted.get(item, f"missing:{item}"), []).append(item)
    sizes = Counter(labels.values())
    precision = recall = 0.0
    for group in members.values():
        counts = Counter(labels[i] for i in group)
        for label, n in counts.items():
            precision += n * n / len(group)
            recall += n * n / sizes[label]
    precision, recall = precision / len(labels), recall / len(labels)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, clusters)


Cluster = Callable[..., list[Story]]


def one_call(data: DataSet, settings: ClusterConfig, *, embeddings=None) -> list[Story]:
    ordered = sorted(data.articles, key=lambda a: (a.when, a.id))
    return cluster(ordered, (), settings, embeddings=embeddings)


def hourly(
    data: DataSet,
    settings: ClusterConfig,
    *,
    embeddings=None,
    hours: float = 1.0,
    counts: Counter[str] | None = None,
) -> list[Story]:
    """Feed the set as runs every `hours`, as the pipeline's cluster stage does.

    `counts`, when given, gets "posts": stories that reached `min_sources` outlets after some
    run (each would have been written), and "posts merged": such stories absorbed later by
    another such story (two published posts found to be one story)."""
    counts = Counter() if counts is None else counts
    published: set[str] = set()
    ordered = sorted(data.articles, key=lambda a: (a.when, a.id))
    by_id = {a.id: a for a in ordered}
    window = timedelta(hours=settings.window_hours)
    step = timedelta(hours=hours)
    stories: dict[str, Story] = {}
    known: dict[str, dict[str, float]] = {}
    uses: dict[str, tuple[int, int]] = {}  # the cache's word_uses table
    start, at = ordered[0].when, 0
    cut = start + step
    while at < len(ordered):
        batch = []
        while at < len(ordered) and ordered[at].when < cut:
            batch.append(ordered[at])
            at += 1
        cut += step
        if not batch:
            continue
        since = min(a.when for a in batch) - window
        live = sorted(
            (s for s in stories.values() if s.last_seen >= since),
            key=lambda s: (s.first_seen, s.id),
        )
        pool = [by_id[i] for s in live for i in s.article_ids] + batch
        for word, (seen, capital) in word_uses(batch).items():
            before = uses.get(word, (0, 0))
            uses[word] = (before[0] + seen, before[1] + capital)
        names = names_among(uses) if embeddings else None
        kept, live = settled(pool, known, live, semantic=bool(embeddings))
        vectors = article_vectors(pool, kept, semantic=bool(embeddings), names=names)
        known.update(vectors)
        live = [replace(s, article_ids=list(s.article_ids)) for s in live]
        found = cluster(pool, live, settings, embeddings=embeddings, vectors=vectors, names=names)
        for story in found:
            for gone in story.absorbed:
                stories.pop(gone, None)
                if gone in published and story.id in published:
                    counts["posts merged"] += 1
            stories[story.id] = story
        for story in stories.values():
            outlets = {by_id[i].source for i in story.article_ids}
            if story.id not in published and len(outlets) >= settings.min_sources:
                published.add(story.id)
                counts["posts"] += 1
    return list(stories.values())
