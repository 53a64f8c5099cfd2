"""Parse RSS/Atom bytes into Articles (titles and summaries as plain text, dates in UTC)."""

from __future__ import annotations

import calendar
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from aibot.collect.urls import canonical_url
from aibot.models import Article
from aibot.text import one_line, plain_text


@dataclass
class Feed:
    title: str
    entries: list[Article]
    problems: list[str] = field(default_factory=list)
    version: str = ""


def parse_feed(data: bytes, url: str, headers: Mapping[str, str] | None = None) -> Feed:
    """Parse a feed document given as bytes (never a string: feedparser would open it as a path).

    A document that is not a feed at all yields no entries and one problem; a feed with errors
    (feedparser's `bozo`) keeps what parsed and notes the error.
    """
    if not isinstance(data, bytes):
        raise TypeError("parse_feed() takes the document as bytes")
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if urlsplit(url).scheme in ("http", "https"):
        # feedparser resolves relative links against this; it mangles file: URLs, which are
        # resolved below with urljoin instead.
        response_headers.setdefault("content-location", url)
    # A feed read from a file or a library caller has no Content-Type; that is not an error.
    response_headers.setdefault("content-type", "application/xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(data, response_headers=response_headers)
    problems: list[str] = []
    if not parsed.get("version") and not parsed.entries:
        what = "empty document" if not data.strip() else "not an RSS or Atom feed"
        detail = f" ({_bozo_text(parsed)})" if parsed.get("bozo") else ""
        return Feed(title="", entries=[], problems=[f"{what}{detail}"], version="")
    if parsed.get("bozo"):
        problems.append(f"feed has errors, kept what parsed: {_bozo_text(parsed)}")
    feed_title = one_line(plain_text(parsed.feed.get("title", ""), _type(parsed.feed, "title")))
    now = datetime.now(UTC)
    entries = []
    for entry in parsed.entries:
        article = _article(entry, url, feed_title, now)
        if article is not None:
            entries.append(article)
    if len(entries) < len(parsed.entries):
        problems.append(
            f"{len(parsed.entries) - len(entries)} of {len(parsed.entries)} "
            "entries have no usable link and were skipped"
        )
    return Feed(title=feed_title, entries=entries, problems=problems, version=parsed.version)


def _article(entry: Any, feed_url: str, feed_title: str, now: datetime) -> Article | None:
    link = entry.get("link") or ""
    if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
        link = entry["id"]
    if not link:
        return None
    link = urljoin(feed_url, link.strip())
    if urlsplit(link).scheme not in ("http", "https", "file"):
        return None
    title = one_line(plain_text(entry.get("title", ""), _type(entry, "title")))
    summary = plain_text(entry.get("summary", ""), _type(entry, "summary"))
    content = ""
    for part in entry.get("content", []) or []:
        text = plain_text(part.get("value", ""), part.get("type", "text/html"))
        if len(text) > len(content):
            content = text
    published = _entry_time(entry)
    if published is not None and published > now:
        published = now
    authors = [one_line(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")]
    if not authors and entry.get("author"):
        authors = [one_line(entry["author"])]
    tags = [one_line(t.get("term", "")) for t in entry.get("tags", []) if t.get("term")]
    return Article(
        url=link,
        canonical_url=canonical_url(link) if not link.startswith("file:") else link,
        source=feed_title,
        title=title,
        text=content,
        summary=summary,
        published=published,
        feed_url=feed_url,
        authors=authors,
        tags=tags,
    )


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # Plain dict lookups: feedparser's own mapping swaps a missing updated_parsed for
        # published_parsed with a DeprecationWarning.
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _type(node: Any, key: str) -> str:
    detail = node.get(f"{key}_detail") or {}
    return str(detail.get("type") or "text/html")


def _bozo_text(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return one_line(str(exc))[:160] if exc else "unknown error"
