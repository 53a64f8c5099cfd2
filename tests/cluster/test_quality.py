"""Clustering quality on a labelled news fixture, measured with BCubed.

tests/fixtures/cluster_labelled.jsonl holds 50 fictional wire-style articles from eight outlets
in 12 labelled stories over four days (2-5 March 2026), worded differently within a story and
interleaved in time. It includes the hard cases a clusterer must keep apart:

* two storms with near-identical names: Storm Ilse in northern Vellmark and, two days later,
  Tropical Storm Ilsa in the southern Tesserine Islands;
* two companies' quarterly earnings on the same day (Corvane Motors, Brightwell Foods);
* two events with the same mayor in the same city (Teodora Vance of Port Alder opening a
  bridge, then facing a budget vote two days later);

plus a court verdict, a cup final, a fossil discovery, a rail strike, an election result and a
product recall. BCubed (Bagga & Baldwin): for each article, precision = |its predicted story ∩ its
true story| / |its predicted story| and recall = the same / |its true story|, both averaged over
articles; F1 is their harmonic mean.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from aibot.cluster.stories import cluster
from aibot.models import Article, Story
from tests.helpers.clustering import Labels, assert_meets_bar, load_fixture

# Of the 12 labelled stories, at least this many must come out whole (in one predicted story).
MIN_WHOLE_STORIES = 10

# Pairs of labelled stories that share many words or names but are different events.
HARD_PAIRS = {
    "storms with near-identical names": ("storm-ilse", "storm-ilsa"),
    "same-day quarterly earnings of two companies": ("earnings-corvane", "earnings-brightwell"),
    "same mayor, same city, two events": ("mayor-bridge", "mayor-budget"),
}


@pytest.fixture(scope="module")
def labelled() -> tuple[list[Article], Labels]:
    return load_fixture()


@pytest.fixture(scope="module")
def titles(labelled) -> dict[str, str]:
    articles, _ = labelled
    return {a.id: a.title for a in articles}


def split_stories(stories: list[Story], labels: Labels, titles: dict[str, str]) -> list[str]:
    """One message per labelled story spread over more than one predicted story."""
    homes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for story in stories:
        for article_id in story.article_ids:
            if article_id in labels:
                homes[labels[article_id]][story.id].append(titles[article_id])
    return [
        f"{label} split over {len(parts)} stories: "
        + " | ".join(f"{sid}: {heads}" for sid, heads in parts.items())
        for label, parts in sorted(homes.items())
        if len(parts) > 1
    ]


def mixed_pairs(stories: list[Story], labels: Labels, titles: dict[str, str], pair) -> list[str]:
    """The predicted stories that hold articles of both labels in `pair`."""
    found = []
    for story in stories:
        here = {labels.get(i) for i in story.article_ids}
        if set(pair) <= here:
            heads = [f"[{labels[i]}] {titles[i]}" for i in story.article_ids if labels[i] in pair]
            found.append(f"story {story.id} ({story.title!r}) holds: " + "; ".join(heads))
    return found


def test_fixture_is_what_the_quality_tests_assume(labelled) -> None:
    articles, labels = labelled
    sizes = Counter(labels.values())
    assert len(articles) >= 40 and len(sizes) >= 10
    assert all(3 <= n <= 6 for n in sizes.values()), sizes
    assert len({a.url for a in articles}) == len(articles)
    for pair in HARD_PAIRS.values():
        assert set(pair) <= sizes.keys(), pair


def test_bcubed_meets_the_bar(labelled, titles) -> None:
    articles, labels = labelled
    assert_meets_bar(cluster(articles), labels, titles)


@pytest.mark.parametrize("case", sorted(HARD_PAIRS))
def test_hard_pairs_are_never_one_story(labelled, titles, case: str) -> None:
    articles, labels = labelled
    stories = cluster(articles)
    mixed = mixed_pairs(stories, labels, titles, HARD_PAIRS[case])
    assert not mixed, f"{case}: merged\n" + "\n".join(mixed)


def test_most_stories_come_out_whole(labelled, titles) -> None:
    articles, labels = labelled
    stories = cluster(articles)
    split = split_stories(stories, labels, titles)
    whole = len(set(labels.values())) - len(split)
    assert whole >= MIN_WHOLE_STORIES, (
        f"only {whole} labelled stories are whole (need {MIN_WHOLE_STORIES}):\n" + "\n".join(split)
    )


def test_same_input_gives_the_same_stories(labelled) -> None:
    articles, _ = labelled
    first = cluster(articles)
    again, _ = load_fixture()  # fresh objects: nothing may leak through shared state
    second = cluster(again)
    assert [(s.id, s.article_ids, s.title) for s in first] == [
        (s.id, s.article_ids, s.title) for s in second
    ]


def test_clustering_in_two_halves_keeps_ids_and_quality(labelled, titles) -> None:
    articles, labels = labelled
    half = len(articles) // 2
    before = cluster(articles[:half])
    snapshot = [(s.id, list(s.article_ids)) for s in before]
    after = cluster(articles, before)
    assert [(s.id, s.article_ids) for s in before] == snapshot, "the given stories were mutated"
    assert [s.id for s in after[: len(before)]] == [s.id for s in before]
    by_id = {s.id: s for s in after}
    for story in before:
        assert set(story.article_ids) <= set(by_id[story.id].article_ids), story.title
    assert_meets_bar(after, labels, titles)
    for case, pair in HARD_PAIRS.items():
        mixed = mixed_pairs(after, labels, titles, pair)
        assert not mixed, f"{case}: merged when clustered in two halves\n" + "\n".join(mixed)


SAME_NAMES = Path(__file__).parents[1] / "fixtures" / "cluster_same_names.jsonl"


def test_reports_sharing_only_a_name_stay_apart() -> None:
    """Three events of one senator and two of one company on one day, three outlets each: a
    name in common never makes two events one story, and each event comes out whole."""
    articles, labels = [], {}
    for row in map(json.loads, SAME_NAMES.read_text(encoding="utf-8").splitlines()):
        article = Article(
            url=row["url"], source=row["source"], title=row["title"], text=row["text"],
            published=datetime.fromisoformat(row["published"].replace("Z", "+00:00")),
        )  # fmt: skip
        articles.append(article)
        labels[article.id] = row["story"]
    articles.sort(key=lambda a: (a.when, a.id))
    stories = cluster(articles)
    assert sorted(sorted(labels[i] for i in s.article_ids) for s in stories) == sorted(
        [label] * 3 for label in set(labels.values())
    )
