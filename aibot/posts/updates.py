"""What each update of a post added: the `updates:` front matter and the lines that show it.

When the write stage rewrites a post with new sources it records the update, oldest first:

    updates:
    - at: 2026-11-20T14:00:00Z        # when (the post's `updated` at the time)
      added:                          # the sources this update added
      - {outlet: The Courier, url: https://courier.example/news/3}
      note: The toll rose from 12 to 15.   # optional: a changed figure the writer reported

The body's `## Updates` list (aibot.posts.files), the line under a post's byline and its feed
entries are all made from these entries. A post written before `updates:` existed has only the
Markdown list: its lines are read back as entries with a `note` (the line's text) and nothing
`added`, so they still show, and the next update writes them into `updates:`.

`note` says what changed only when a writer reported it and the grounding check found its
figures in the new sources (aibot.write.changes); the offline writer reports none, so its
updates name the added sources only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from aibot.models import Article, Post, utc


@dataclass(frozen=True)
class Update:
    """One update of a post: when, the sources it added as (outlet, url), and a note."""

    at: datetime | None
    added: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def links(self) -> list[tuple[str, str]]:
        """The added sources as (outlet, url), the url "" unless it is http(s): safe to link."""
        return [(outlet, url if is_web(url) else "") for outlet, url in self.added]

    def as_front_matter(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"at": self.at} if self.at else {}
        if self.added:
            entry["added"] = [{"outlet": outlet, "url": url} for outlet, url in self.added]
        if self.note:
            entry["note"] = self.note
        return entry


def new_update(at: datetime, added: Sequence[Article], changes: Sequence[str] = ()) -> Update:
    """The update that adds `added`, with the changed figures the writer reported."""
    sources = tuple((a.source, a.canonical_url) for a in added)
    return Update(utc(at), sources, " ".join(" ".join(c.split()) for c in changes))


def recorded_updates(post: Post) -> list[Update]:
    """A post's updates, oldest first: its `updates:` entries (those that cannot be read are
    left out), else the lines of its `## Updates` list."""
    entries = post.meta.get("updates")
    if isinstance(entries, list):
        return [u for u in map(_update_of, entries) if u is not None]
    return _listed_updates(post.body)


def latest_update(post: Post) -> Update | None:
    """The post's last update that says something (added sources or a note), if any."""
    found = [u for u in recorded_updates(post) if u.added or u.note]
    return found[-1] if found else None


def updates_problem(value: Any) -> str | None:
    """What `aibot check` says about an `updates:` value it cannot fully read, else None."""
    if not isinstance(value, list):
        return "expected a list of {at, added, note} entries"
    for n, entry in enumerate(value, start=1):
        if _update_of(entry) is None:
            shape = "{at: <date and time>, added: [{outlet, url}], note: <text>}"
            return f"entry {n} is not {shape}"
    return None


def when_text(moment: datetime) -> str:
    """An update's time as the Updates list and feeds write it: "20 November 2026, 14:00 UTC"."""
    return f"{utc(moment):%-d %B %Y, %H:%M} UTC"


def update_text(update: Update) -> str:
    """What an update did, as plain text: "added The Courier and Metro Bulletin. <note>"."""
    return what_it_added([outlet for outlet, _url in update.added], update.note)


def update_summary(update: Update) -> str:
    """The update as a plain line for a feed's summary: "Updated <when>: <what>"."""
    when = f" {when_text(update.at)}" if update.at else ""
    return f"Updated{when}: {update_text(update)}"


def update_html(update: Update) -> str:
    """The update as an HTML paragraph for a feed's content: every text escaped, every added
    source linked to its URL when that is http(s)."""
    names = [
        f'<a href="{html.escape(url, quote=True)}">{html.escape(outlet)}</a>'
        if url
        else html.escape(outlet)
        for outlet, url in update.links
    ]
    when = f" {html.escape(when_text(update.at))}" if update.at else ""
    what = what_it_added(names, html.escape(update.note))
    return f'<p class="update"><strong>Updated{when}:</strong> {what}</p>'


def is_web(url: str) -> bool:
    """Whether `url` may be linked: http(s), with a host."""
    return urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


def what_it_added(names: Sequence[str], note: str) -> str:
    """ "added A and B. <note>": `names` and `note` already escaped for where they go."""
    parts = [f"added {_joined(names)}."] if names else []
    if note:
        parts.append(note)
    return " ".join(parts)


def _joined(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _update_of(entry: Any) -> Update | None:
    """An `updates:` entry as an Update, or None when it is not one."""
    if not isinstance(entry, dict):
        return None
    at = _moment(entry.get("at"))
    added = entry.get("added") or []
    note = entry.get("note") or ""
    if (entry.get("at") is not None and at is None) or not isinstance(added, list):
        return None
    sources = []
    for source in added:
        if not isinstance(source, dict) or not isinstance(source.get("url", ""), str):
            return None
        outlet = " ".join(str(source.get("outlet") or "").split())
        url = str(source.get("url") or "").strip()
        sources.append((outlet or urlsplit(url).hostname or url, url))
    if not isinstance(note, str):
        return None
    return Update(at, tuple(sources), " ".join(note.split()))


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):  # `at: 2026-11-20` reads as a day: its start, in UTC
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


_LIST = re.compile(r"^## Updates\n+((?:- .*\n?)+)", re.M)
_MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\([^()\s]*\)")
_DATED = re.compile(r"^(\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}) UTC: (.*)$")


def _listed_updates(body: str) -> list[Update]:
    """The lines of a body's `## Updates` list (as posts before `updates:` wrote them) as
    updates whose note is the line's text."""
    match = _LIST.search(body)
    if not match:
        return []
    found = []
    for line in match.group(1).splitlines():
        text = _MARKDOWN_LINK.sub(r"\1", line[2:].strip())  # a list whose `updates:` was deleted
        text = re.sub(r"\\(.)", r"\1", text)
        dated = _DATED.match(text)
        at = None
        if dated:
            try:
                at = datetime.strptime(dated[1], "%d %B %Y, %H:%M").replace(tzinfo=UTC)
                text = dated[2]
            except ValueError:
                at = None
        found.append(Update(at, (), text))
    return found
