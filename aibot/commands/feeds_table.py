"""Feed health for `aibot feeds`: one row per configured feed, from the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.config import Config
from aibot.store import Store

HealthRow = tuple[str, str, int, str, str]


def feed_health_rows(config: Config, now: datetime | None = None) -> list[HealthRow]:
    """(name, last success, consecutive failures, articles per day over 7 days, last error)."""
    now = now or datetime.now(UTC)
    if not config.cache_file.exists():
        return [(f.name or f.url, "never", 0, "-", "") for f in config.feeds]
    with Store(config.cache_file) as store:
        counts = store.feed_article_counts(since=now - timedelta(days=7))
        rows = []
        for feed in config.feeds:
            state = store.feed_state(feed.url)
            error = (state.last_error or "").split(" ", 1)[-1] if state.last_error else ""
            if state.retry_after and now < datetime.fromisoformat(state.retry_after):
                error = f"asked us to wait until {state.retry_after[:16].replace('T', ' ')}"
            rows.append(
                (
                    feed.name or feed.url,
                    (state.last_success or "never")[:16].replace("T", " "),
                    state.failures,
                    f"{counts.get(feed.url, 0) / 7:.1f}",
                    error,
                )
            )
    return rows
