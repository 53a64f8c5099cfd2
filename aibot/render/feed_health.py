"""Each feed's health for the Sources page, as a build reads it from the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.config import Config

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
