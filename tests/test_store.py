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
