"""Story clustering on the labelled demo sample: right groups, incremental, stable, pure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from aibot.cluster import cluster
from aibot.config import ClusterConfig
from aibot.models import Story


def _partition(stories: list[Story]) -> set[frozenset[str]]:
    return {frozenset(s.article_ids) for s in stories}


def _truth(labels: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for article_id, label in labels.items():
        groups[label].add(article_id)
    return {frozenset(g) for g in groups.values()}


def test_demo_articles_group_exactly_as_labelled(demo_articles) -> None:
    articles, labels = demo_articles
    assert _partition(cluster(articles)) == _truth(labels)


def test_two_storms_with_shared_words_stay_apart(demo_articles) -> None:
    articles, labels = demo_articles
    stories = cluster(articles)
    for story in stories:
        assert len({labels[i] for i in story.article_ids}) == 1, story.title


def test_same_input_gives_the_same_stories(demo_articles) -> None:
    articles, _ = demo_articles
    first = cluster(articles)
    second = cluster(list(articles))
    assert [(s.id, s.article_ids, s.title) for s in first] == [
        (s.id, s.article_ids, s.title) for s in second
    ]


def test_a_later_article_joins_its_existing_story_and_ids_are_kept(demo_articles) -> None:
    articles, labels = demo_articles
    *earlier, last = sorted(articles, key=lambda a: (a.when, a.id))
    before = cluster(earlier)
    after = cluster([*earlier, last], before)
    assert [s.id for s in after[: len(before)]] == [s.id for s in before]
    home = next(s for s in after if last.id in s.article_ids)
    assert {labels[i] for i in home.article_ids} == {labels[last.id]}
    mates = [a.id for a in earlier if labels[a.id] == labels[last.id]]
    if mates:  # the last article's story already existed: it must join it, not start another
        assert home.id in {s.id for s in before}
        assert len(after) == len(before)
    for old in before:
        assert set(old.article_ids) <= set(next(s for s in after if s.id == old.id).article_ids)


def test_an_article_outside_the_window_starts_a_new_story(demo_articles) -> None:
    articles, _ = demo_articles
    first = sorted(articles, key=lambda a: (a.when, a.id))[0]
    echo = replace(first, id="", url=first.url + "?later", canonical_url="",
                   published=first.when + timedelta(days=30))  # fmt: skip
    stories = cluster([first, echo], settings=ClusterConfig(window_hours=72))
    assert len(stories) == 2
    together = cluster([first, echo], settings=ClusterConfig(window_hours=24 * 60))
    assert len(together) == 1
