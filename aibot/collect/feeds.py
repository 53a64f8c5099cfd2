"""Parse RSS/Atom bytes into Articles (titles and summaries as plain text, dates in UTC)."""

from __future__ import annotations

import calendar
import re
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from aibot.collect.urls import canonical_url, is_web_url
from aibot.models import Article
from aibot.support.text import one_line, plain_text


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
        try:
            parsed = feedparser.parse(_valid_charrefs(data), response_headers=response_headers)
        except Exception as exc:  # noqa: BLE001 - a feedparser crash is one bad feed, not a bad run
            problem = f"not an RSS or Atom feed (feedparser failed: {one_line(str(exc))[:160]})"
            return Feed(title="", entries=[], problems=[problem], version="")
    problems: list[str] = []
    if not parsed.get("version") and not parsed.entries:
        what = "empty document" if not data.strip() else "not an RSS or Atom feed"
        detail = f" ({_bozo_text(parsed)})" if parsed.get("bozo") else ""
        return Feed(title="", entries=[], problems=[f"{what}{detail}"], version="")
    if parsed.get("bozo"):
        problems.append(f"feed has errors, kept what parsed: {_bozo_text(parsed)}")
    feed_title = one_line(plain_text(_text(parsed.feed, "title"), _type(parsed.feed, "title")))
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
    try:
        link = urljoin(feed_url, link.strip())
    except ValueError:  # a broken IPv6 literal
        return None
    if not is_web_url(link) and urlsplit(link).scheme != "file":
        return None
    title = one_line(plain_text(_text(entry, "title"), _type(entry, "title")))
    summary = plain_text(_text(entry, "summary"), _type(entry, "summary"))
    content = ""
    for part in entry.get("content", []) or []:
        text = plain_text(_text(part, "value"), part.get("type") or "text/html")
        if len(text) > len(content):
            content = text
    published = _entry_time(entry)
    if published is not None and published > now:
        published = now
    authors = [one_line(_text(a, "name")) for a in entry.get("authors") or []]
    if not any(authors):
        authors = [one_line(_text(entry, "author"))]
    tags = [one_line(_text(t, "term")) for t in entry.get("tags") or []]
    return Article(
        url=link,
        canonical_url=canonical_url(link) if not link.startswith("file:") else link,
        source=feed_title,
        title=title,
        text=content,
        summary=summary,
        published=published,
        feed_url=feed_url,
        authors=[a for a in authors if a],
        tags=[t for t in tags if t],
    )


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # Plain dict lookups: feedparser's own mapping swaps a missing updated_parsed for
        # published_parsed with a DeprecationWarning.
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (ValueError, OverflowError, OSError):  # a year datetime cannot hold
                continue
    return None


_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+)")


def _valid_charrefs(data: bytes) -> bytes:
    """`data` with references to no character (&#xD800;, &#x110000;) made U+FFFD: feedparser's
    fallback parser raises on them, and broken sites write emoji as &#xD83D;&#xDE00;."""

    def fix(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        if len(digits) > 10:  # beyond any character (and int() refuses 4,300 digits)
            return b"&#xFFFD"
        code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        return match.group(0) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD"

    return _CHARREF.sub(fix, data) if b"&#" in data else data


def _text(node: Any, key: str) -> str:
    """A text field of a feed, entry or part; feedparser's fallback parser may leave None."""
    return str(node.get(key) or "")


def _type(node: Any, key: str) -> str:
    detail = node.get(f"{key}_detail") or {}
    return str(detail.get("type") or "text/html")


def _bozo_text(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return one_line(str(exc))[:160] if exc else "unknown error"
