"""Story clustering on the labelled demo sample: right groups, incremental, stable, pure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aibot.cluster.stories import cluster
from aibot.config import ClusterConfig
from aibot.models import Article, Story


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


def test_two_earlier_fragments_of_one_event_join_when_a_later_call_links_them(
    demo_articles,
) -> None:
    articles, labels = demo_articles
    by_label: dict[str, list] = defaultdict(list)
    for article in sorted(articles, key=lambda a: (a.when, a.id)):
        by_label[labels[article.id]].append(article)
    first, second, *rest = max(by_label.values(), key=len)
    assert rest, "the demo's largest story has at least three articles"
    # Two stories made in earlier runs, each holding one report of the same event.
    fragments = [
        Story(f"fragment-{n}", [a.id], a.title, a.when, a.when)
        for n, a in enumerate((first, second))
    ]
    stories = cluster(articles, fragments)
    home = next(s for s in stories if first.id in s.article_ids)
    assert home.id == "fragment-0"  # the earlier story keeps its id (and its post's URL)
    assert home.absorbed == ["fragment-1"]
    assert set(home.article_ids) == {a.id for a in (first, second, *rest)}
    assert "fragment-1" not in {s.id for s in stories}


def test_earlier_fragments_whose_vectors_are_made_again_are_compared_again(demo_articles) -> None:
    from aibot.cluster.stories import article_vectors

    articles, labels = demo_articles
    by_label: dict[str, list] = defaultdict(list)
    for article in sorted(articles, key=lambda a: (a.when, a.id)):
        by_label[labels[article.id]].append(article)
    first, second, *_ = max(by_label.values(), key=len)
    # A report of another event, the only newcomer: it touches neither fragment.
    other = max(
        (a for a in articles if labels[a.id] != labels[first.id]),
        key=lambda a: (a.when, a.id),
    )
    pool = [first, second, other]
    vectors = article_vectors(pool)

    def fragments(*, kept: bool) -> list[Story]:
        return [
            Story(
                f"fragment-{n}",
                [a.id],
                a.title,
                a.when,
                a.when,
                centroid=dict(vectors[a.id]) if kept else None,
            )
            for n, a in enumerate((first, second))
        ]

    # Made again with this call's IDF, the fragments compare as they have not before.
    remade = cluster(pool, fragments(kept=False))
    assert {frozenset(s.article_ids) for s in remade} == {
        frozenset({first.id, second.id}),
        frozenset({other.id}),
    }
    assert remade[0].id == "fragment-0" and remade[0].absorbed == ["fragment-1"]
    # Kept vectors and centroids compare as in the call that made them: a run does not score
    # every live story again unless it changed.
    kept = {i: v for i, v in vectors.items() if i != other.id}
    assert len(cluster(pool, fragments(kept=True), vectors=kept)) == 3


def test_an_article_outside_the_window_starts_a_new_story(demo_articles) -> None:
    articles, _ = demo_articles
    first = sorted(articles, key=lambda a: (a.when, a.id))[0]
    echo = replace(first, id="", url=first.url + "?later", canonical_url="",
                   published=first.when + timedelta(days=30))  # fmt: skip
    stories = cluster([first, echo], settings=ClusterConfig(window_hours=72))
    assert len(stories) == 2
    together = cluster([first, echo], settings=ClusterConfig(window_hours=24 * 60))
    assert len(together) == 1


def test_kept_vectors_and_centroids_give_the_same_stories(demo_articles, tmp_path) -> None:
    from aibot.cluster.stories import article_vectors
    from aibot.store import Store

    articles, _ = demo_articles
    ordered = sorted(articles, key=lambda a: (a.when, a.id))
    earlier, later = ordered[:20], ordered[20:]
    vectors = article_vectors(earlier)
    before = cluster(earlier, vectors=vectors)
    assert all(s.centroid for s in before)
    with Store(tmp_path / "cache.sqlite") as store:
        store.save_vectors(vectors)
        for article in earlier:
            store.add_article(article)
        store.save_stories(before)
        kept = store.all_stories()
        assert [s.id for s in kept] == [s.id for s in before]
        for stored, made in zip(kept, before, strict=True):
            assert stored.centroid == pytest.approx(made.centroid, rel=1e-12)
        known = store.vectors(a.id for a in earlier)
    assert known.keys() == vectors.keys()
    for article_id, vector in vectors.items():
        assert list(known[article_id]) == list(vector)  # heaviest first, as made
        assert known[article_id] == pytest.approx(vector, rel=1e-6)

    # The next run, from what the cache kept, groups the later articles as a run from
    # recomputed vectors and summed centroids does.
    from_cache = cluster(ordered, kept, vectors=article_vectors(ordered, known))
    plain = cluster(ordered, [replace(s, centroid=None) for s in before], vectors=vectors)
    assert _partition(from_cache) == _partition(plain)
    assert [s.id for s in from_cache[: len(before)]] == [s.id for s in before]
    assert len(later) > 0


def test_a_run_leaves_the_given_stories_as_they_were_and_keeps_centroids_heaviest_first(
    demo_articles,
) -> None:
    from aibot.cluster.stories import article_vectors

    articles, labels = demo_articles
    ordered = sorted(articles, key=lambda a: (a.when, a.id))
    last = {labels[a.id]: a.id for a in ordered}  # each story's latest report comes later
    earlier = [a for a in ordered if a.id not in last.values()]
    vectors = article_vectors(ordered)
    before = cluster(earlier, vectors=vectors)
    centroids = {s.id: dict(s.centroid) for s in before}
    members = {s.id: list(s.article_ids) for s in before}

    after = cluster(ordered, before, vectors=vectors)

    grown = [s for s in after if s.id in members and len(s.article_ids) > len(members[s.id])]
    assert grown, "the later articles should add to an earlier story"
    for story in before:  # the caller's stories: not a term or an article changed
        assert story.centroid == centroids[story.id]
        assert list(story.centroid) == list(centroids[story.id])
        assert story.article_ids == members[story.id]
    for story in after:
        weights = list(story.centroid.values())
        assert weights == sorted(weights, reverse=True)
    for story in grown:
        assert story.centroid != centroids[story.id]


def test_vectors_are_unit_length_heaviest_first_and_never_negative(demo_articles) -> None:
    import math

    from aibot.cluster.stories import VECTOR_TERMS, article_vectors

    articles, _ = demo_articles
    vectors = article_vectors(articles)
    assert vectors.keys() == {a.id for a in articles}
    for vector in vectors.values():
        weights = list(vector.values())
        assert 0 < len(weights) <= VECTOR_TERMS
        assert math.isclose(sum(w * w for w in weights), 1.0, rel_tol=1e-9)
        assert weights == sorted(weights, reverse=True)
        assert min(weights) > 0

    # A word met only once past the lead weighs little, never less than nothing.
    lead = " ".join(["harbour crane strike"] * 34)  # 102 words
    first = replace(articles[0], text=f"{lead} ferry timetable", title="Crane strike")
    second = replace(articles[1], text=lead, title="Crane strike")
    vector = article_vectors([first, second])[first.id]
    assert {"ferri", "timet"} <= vector.keys()
    assert min(vector.values()) > 0


def test_a_backlog_is_taken_an_hour_of_publication_at_a_time() -> None:
    from aibot.cluster.stories import _hours

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    minutes = [0, 30, 59, 61, 62, 180]
    articles = [
        Article(
            f"https://outlet.example/{m}", "Outlet", f"Report {m}", "", start + timedelta(minutes=m)
        )
        for m in minutes
    ]
    batches = [[int(a.title.split()[1]) for a in batch] for batch in _hours(articles)]
    assert batches == [[0, 30, 59], [61, 62], [180]]


def test_one_call_over_the_demo_gives_the_stories_of_hourly_calls(demo_articles) -> None:
    articles, _ = demo_articles
    ordered = sorted(articles, key=lambda a: (a.when, a.id))
    stories: list[Story] = []
    cut = ordered[0].when
    while cut <= ordered[-1].when:
        cut += timedelta(hours=1)
        stories = cluster([a for a in ordered if a.when < cut], stories)
    at_once = cluster(ordered)
    assert sorted(sorted(s.article_ids) for s in at_once) == sorted(
        sorted(s.article_ids) for s in stories
    )
    assert all(not s.absorbed for s in at_once)  # no story of an earlier call was given


# A full text whose name stands only at the start of its sentences: its own text cannot tell
# that "Talvik" is a name, and "harbour" is used as often.
_OPENING_NAMES = Article(
    "https://a.example/talvik",
    "Outlet A",
    "Storm damage assessed",
    " ".join(
        ["Talvik counted the damage on Monday. Harbour walls gave way in the night."] * 3
        + ["Talvik said the harbour would reopen within a week, once the walls were checked."]
        + ["Crews worked through the afternoon to clear the quay of fallen stone and timber."] * 2
    ),
    datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
)


def test_names_learnt_in_earlier_runs_weigh_in_a_full_text_that_cannot_show_them() -> None:
    from aibot.cluster.stories import article_vectors, names_among

    earlier = {"talvik": (6, 6), "harbour": (5, 0)}  # word_uses of earlier runs' full texts
    alone = article_vectors([_OPENING_NAMES])[_OPENING_NAMES.id]
    taught = article_vectors([_OPENING_NAMES], names=names_among(earlier))[_OPENING_NAMES.id]
    assert alone["talvik"] == pytest.approx(alone["harbour"])
    assert taught["talvik"] > 1.2 * taught["harbour"]  # counted ENTITY_WEIGHT times


def test_names_learnt_over_runs_leave_headlines_to_their_own() -> None:
    from aibot.cluster.stories import article_vectors

    headline = replace(_OPENING_NAMES, text="", title="Talvik harbour walls give way in storm")
    taught = article_vectors([headline], names=frozenset({"talvik"}))
    assert taught == article_vectors([headline])


def test_word_uses_count_mid_sentence_capitals_in_full_texts_only() -> None:
    from aibot.cluster.stories import names_among, word_uses

    told = replace(
        _OPENING_NAMES,
        text="On Monday the council said Talvik would lead the repairs. Workers on the harbour "
        "said the harbour walls gave way in the night, and Talvik agreed. " + _OPENING_NAMES.text,
    )
    headline = replace(_OPENING_NAMES, text="", title="Crews thank Talvik for quick repairs")
    uses = word_uses([told, headline])
    assert uses["talvik"] == (2, 2)
    assert uses["harbour"] == (2, 0)
    assert "quick" not in uses  # the headline's words are not counted: it is no full text
    assert names_among(uses) == {"talvik"}


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = sum(w * w for w in weights.values()) ** 0.5
    return dict(sorted(((t, w / norm) for t, w in weights.items()), key=lambda tw: -tw[1]))


def test_two_stories_alike_only_as_wholes_stay_apart() -> None:
    # Two reports of a senator's lawsuit, then two of her farm-bill vote, each vote report with
    # particulars of its own. Added up, the vote story is mostly what its reports share, her
    # name among it, and reaches the merge bar against the lawsuit story; neither vote report
    # does on its own, so the two stories stay apart.
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    body = " ".join(["text"] * 120)  # full texts
    vectors: dict[str, dict[str, float]] = {}

    def report(slug: str, hours: float, weights: dict[str, float]) -> Article:
        article = Article(f"https://{slug}.example/news", slug, f"Quint report {slug}", body,
                          start + timedelta(hours=hours))  # fmt: skip
        vectors[article.id] = _unit(weights)
        return article

    lawsuit = [
        report(f"lawsuit{n}", 0.2 * n, {"quint": 1.0, "senat": 0.8, "lawsuit": 1.0, "plant": 0.9,
                                       "court": 0.8, f"own{n}a": 0.7, f"own{n}b": 0.6})
        for n in range(2)
    ]  # fmt: skip
    vote = [
        report(f"vote{n}", 2 + n, {"quint": 0.8, "senat": 0.64, "farm": 1.0, "bill": 0.9,
                                  f"vote{n}a": 1.0, f"vote{n}b": 1.0, f"vote{n}c": 1.0})
        for n in range(2)
    ]  # fmt: skip
    stories = cluster([*lawsuit, *vote], vectors=vectors)
    assert _partition(stories) == {frozenset(a.id for a in group) for group in (lawsuit, vote)}
