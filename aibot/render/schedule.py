"""When a site changes with no file changing: a post dated in the future comes of age, or a post
leaves the news sitemap's window. A build remembers the next such moment, and a build before it
with no file changed does nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from aibot.models import Post
from aibot.render.outputs import NEWS_WINDOW


def scheduled_dates(
    posts: list[Post], now: datetime, *, drafts: bool, future: bool
) -> list[datetime]:
    """The dates of the posts left out because they are dated after `now` (none with
    `future`; drafts only with `drafts`, as they are left out anyway)."""
    if future:
        return []
    return [
        p.date for p in posts if p.date is not None and p.date > now and (drafts or not p.is_draft)
    ]


def next_change(posts: list[Post], now: datetime, *, drafts: bool, future: bool) -> str:
    """The next moment the site changes with no file changing: a future post comes of age, or
    a post leaves the news sitemap's window; "" for never."""
    moments = []
    for post in posts:
        if post.date is None or (post.is_draft and not drafts):
            continue
        if post.date > now and not future:
            moments.append(post.date)
        if post.date + NEWS_WINDOW > now:
            moments.append(post.date + NEWS_WINDOW)
    return min(moments).isoformat() if moments else ""


def moment(text: str) -> datetime:
    """A manifest's `valid_until` as a time (never: the far future)."""
    if not text:
        return datetime.max.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
