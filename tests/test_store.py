"""The SQLite cache (aibot/store.py): what the other modules read from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.models import Article
from aibot.store import Store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_content_hashes_name_each_cached_article_s_text_in_chunks(tmp_path) -> None:
    articles = [
        Article(
            f"https://outlet.example/{n}",
            "Outlet",
            f"Report {n}",
            f"Text {n}.",
            T0 + timedelta(minutes=n),
        )
        for n in range(1, 1203)  # more than two chunks of 500
    ]
    with Store(tmp_path / "cache.sqlite") as store:
        for article in articles:
            store.add_article(article)
        ids = [a.id for a in articles]
        hashes = store.content_hashes([*ids, "not-cached"])
        stored = dict(store.db.execute("SELECT id, content_hash FROM articles"))
    assert hashes == stored
    assert set(hashes) == set(ids)
    assert len(set(hashes.values())) == len(ids)  # each text its own hash


def test_vectors_and_centroids_of_another_reading_are_dropped(tmp_path) -> None:
    from aibot.models import Story

    article = Article("https://outlet.example/1", "Outlet", "Report", "Text.", T0)
    story = Story("s1", [article.id], "Report", T0, T0, centroid={"report": 1.0})
    with Store(tmp_path / "cache.sqlite") as store:
        store.add_article(article)
        assert store.vectors_made_by("short body") is True  # a new cache records it
        store.save_vectors({article.id: {"report": 1.0}})
        store.save_stories([story])
        assert store.vectors_made_by("short body") is False
        assert store.vectors([article.id]) == {article.id: {"report": 1.0}}
        assert store.story("s1").centroid == {"report": 1.0}

        assert store.vectors_made_by("long body") is True
        assert store.vectors([article.id]) == {}
        assert store.story("s1").centroid is None
        assert store.story("s1").article_ids == [article.id]  # the story itself stays
        assert store.vectors_made_by("long body") is False


def test_word_uses_add_up_and_only_words_ever_capitalised_come_back(tmp_path) -> None:
    with Store(tmp_path / "cache.sqlite") as store:
        store.add_word_uses({"talvik": (2, 2), "harbour": (3, 0), "mayor": (4, 1)})
        store.add_word_uses({"talvik": (1, 0), "harbour": (1, 0)})
        assert store.capitalised_word_uses() == {"talvik": (3, 2), "mayor": (4, 1)}
