"""The Sources page's lines: each feed, the posts that cite it, and its health as a build reads
it from the cache."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aibot.config import Config
from aibot.models import Post
from aibot.render.context import FeedRow

Health = dict[str, tuple[datetime | None, int, int]]


def feed_health(config: Config, now: datetime) -> Health:
    """Feed URL -> (last success, failures in a row, articles in the week before `now`), read
    from the cache file, which must exist (a read error is the caller's to report)."""
    from aibot.store import Store  # only when there is a cache to read

    health: Health = {}
    with Store.read_only(config.cache_file) as store:
        counts = store.feed_article_counts(since=now - timedelta(days=7))
        for feed in config.feeds:
            state = store.feed_state(feed.url)
            when = None
            if state.last_success:
                when = datetime.fromisoformat(state.last_success)
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
            health[feed.url] = (when, state.failures, counts.get(feed.url, 0))
    return health


def feed_rows(config: Config, posts: list[Post], health: Health | None) -> list[FeedRow]:
    """The configured feeds, with their health from the cache when there is one."""
    cited: dict[str, int] = defaultdict(int)
    outlets: dict[Any, str] = {}  # an outlet as written -> as compared (a few dozen)
    for post in posts:
        names = set()
        for source in post.meta.get("sources") or []:
            if isinstance(source, dict):
                written = source.get("outlet")
                name = outlets.get(written) if isinstance(written, str) else None
                if name is None:
                    name = " ".join(str(written or "").split()).lower()
                    if isinstance(written, str):
                        outlets[written] = name
                names.add(name)
        for name in names:
            cited[name] += 1
    rows = []
    for feed in config.feeds:
        name = feed.name or feed.url
        parts = urlsplit(feed.url)
        web = parts.scheme in ("http", "https")
        row = FeedRow(
            name=name,
            url=feed.url if web else "",
            file="" if web else Path(parts.path).name,
            tags=feed.tags,
            cited=cited.get(" ".join(name.split()).lower(), 0),
        )
        if health is not None:
            row.last_success, row.failures, row.this_week = health[feed.url]
        rows.append(row)
    return rows
