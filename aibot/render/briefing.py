"""The daily briefing: one page per day of stories, the latest day, an email-ready copy of each
day and two feeds of days.

    briefing/YYYY-MM-DD.html         a day's stories, most widely reported first
    briefing/YYYY-MM-DD.email.html   the same list for a newsletter: inline CSS, absolute links
    briefing/index.html              the latest day, and links to the days before it
    briefing/atom.xml, feed.json     Atom 1.0 and JSON Feed 1.1, one entry per day

A post belongs to the day of its `date` (first published) in the site's time zone; a day with no
published post has no page and no entry. A day's stories are ranked by the number of independent
outlets among their `sources` (see `outlet_count`), then by their latest report (`updated`,
else `date`), newest first.

Each day's entry keeps its id (a tag: URI of the site's host and the day); its `updated` is the
newest `date` or `updated` of the day's stories, so a story added or updated moves it on. Every
file is keyed by what it shows (render.incremental): a build re-renders only the days whose posts
changed (and the neighbours of a new or vanished day, whose page links to it).
"""

from __future__ import annotations

import functools
import html as htmllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from aibot.config import Config
from aibot.models import utc
from aibot.render.context import PageLink
from aibot.render.incremental import digest
from aibot.render.outputs import (
    ATOM_NS,
    GENERATOR,
    JSON_FEED_VERSION,
    _clean,
    _iso,
    _json,
    _x,
    summary_text,
)
from aibot.support.plural import counted

FOLDER = "briefing"
FEED_DAYS = 30  # entries in each feed of briefings
EARLIER_DAYS = 14  # days listed under the latest one on briefing/index.html
ATOM, JSON = f"{FOLDER}/atom.xml", f"{FOLDER}/feed.json"
FEEDS = (ATOM, JSON)


@dataclass
class Item:
    """One story of a day's briefing."""

    link: PageLink
    outlets: int  # independent outlets among its sources

    @property
    def summary(self) -> str:
        return summary_text(self.link)

    @property
    def credit(self) -> str:
        return counted(self.outlets, "outlet")


@dataclass
class Day:
    """The stories first published on one day, in the site's time zone."""

    day: date
    items: list[Item] = field(default_factory=list)

    @property
    def label(self) -> str:
        """ "Tuesday 10 March 2026" """
        return f"{self.day:%A} {self.day.day} {self.day:%B %Y}"

    @property
    def href(self) -> str:
        return f"{FOLDER}/{self.day.isoformat()}.html"

    @property
    def email(self) -> str:
        return f"{FOLDER}/{self.day.isoformat()}.email.html"

    @property
    def published(self) -> datetime:
        """When its first story was published."""
        return min(utc(item.link.post.date) for item in self.items)  # type: ignore[arg-type]

    @property
    def updated(self) -> datetime:
        """The newest first-published or updated time of its stories."""
        return max(_latest(item.link) for item in self.items)

    @property
    def key(self) -> str:
        """A digest of everything the day's page shows (its posts by their content keys)."""
        return digest(self.href, [(i.link.content_key, i.outlets) for i in self.items])


def briefing_days(links: Iterable[PageLink], zone: ZoneInfo) -> list[Day]:
    """The days with at least one post, newest first, each with its stories ranked."""
    days: dict[date, Day] = {}
    for link in links:
        if link.post.date is None:
            continue
        local = utc(link.post.date).astimezone(zone).date()
        outlets = outlet_count(link.meta.get("sources"))
        days.setdefault(local, Day(local)).items.append(Item(link, outlets))
    for day in days.values():
        day.items.sort(key=lambda i: (-i.outlets, -_latest(i.link).timestamp(), i.link.post.slug))
    return [days[d] for d in sorted(days, reverse=True)]


def outlet_count(sources: Any) -> int:
    """The number of independent outlets among a post's `sources`: distinct outlet names
    (case and spacing ignored), so two feeds configured with the same `name` count once; a
    source without an outlet counts by its URL's registered domain. Syndicated copies (a
    source's `also`) carried the same text and add nothing."""
    found = (
        {outlet_of(s) for s in sources if isinstance(s, dict)}
        if isinstance(sources, list)
        else set()
    )
    found.discard("")
    return len(found)


def outlet_of(source: dict[str, Any]) -> str:
    """What tells one outlet from another: its name, else the registered domain of its URL
    ("news.harbour.co.uk" -> "harbour.co.uk"), else ""."""
    name = " ".join(str(source.get("outlet") or "").split()).casefold()
    if name:
        return name
    try:
        host = urlsplit(str(source.get("url") or "")).hostname or ""
    except ValueError:  # not a URL ("http://[x"): an editor's slip
        host = ""
    return f"domain:{_registered_domain(host)}" if host else ""


@functools.lru_cache(maxsize=1024)
def _registered_domain(host: str) -> str:
    return _domains()(host).top_domain_under_public_suffix or host


@functools.cache
def _domains() -> Any:
    """tldextract on the Public Suffix List it ships: it never fetches the list, nor caches it
    on disk. Private suffixes count (each blogspot.com blog is its own outlet). Loaded the
    first time a source has no outlet name (~0.1 s)."""
    import tldextract

    return tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True
    )


def _latest(link: PageLink) -> datetime:
    return utc(link.post.updated or link.post.date)  # type: ignore[arg-type]


@dataclass
class Page:
    """A briefing page to render: its file, template, key and context."""

    href: str
    template: str
    key: str
    context: dict[str, Any]
    modified: datetime | None = None  # for the sitemap; None: not listed there


def briefing_pages(days: list[Day], site_title: str) -> list[Page]:
    """Every day's page and email, and briefing/index.html (the latest day, or an empty
    briefing when the site has no story yet)."""
    pages = []
    for n, day in enumerate(days):
        newer = _ref(days[n - 1]) if n > 0 else None
        older = _ref(days[n + 1]) if n + 1 < len(days) else None
        title = f"Briefing for {day.label}"
        stories = counted(len(day.items), "story", "stories")
        description = f"The {stories} of {day.label}, most widely reported first."
        shown = {"title": title, "description": description, "day": day}
        page = {**shown, "newer": newer, "older": older, "latest": False, "earlier": []}
        key = digest(day.key, newer, older)  # the page links to the days either side
        pages.append(Page(day.href, "briefing.html", key, page, day.updated))
        pages.append(Page(day.email, "briefing-email.html", day.key, shown))
    latest = days[0] if days else None
    earlier = [(d.href, d.label, len(d.items)) for d in days[1 : EARLIER_DAYS + 1]]
    context = {
        "title": "Daily briefing",
        "description": f"The day's stories on {site_title}, most widely reported first.",
        "day": latest,
        "newer": None,
        "older": None,
        "latest": True,
        "earlier": earlier,
    }
    key = digest(latest.key if latest else "", earlier)
    modified = latest.updated if latest else None
    pages.append(Page(f"{FOLDER}/index.html", "briefing.html", key, context, modified))
    return pages


def _ref(day: Day) -> tuple[str, str]:
    return (day.href, day.label)


# The feeds


def feed_key(days: list[Day], now: datetime) -> str:
    """A digest of what both feeds show (`now` too when there is no day: their date then)."""
    return digest("briefing feeds", [d.key for d in days[:FEED_DAYS]], None if days else now)


def briefing_feeds(days: list[Day], config: Config, now: datetime) -> dict[str, str]:
    """briefing/atom.xml and briefing/feed.json (file -> text) of the latest FEED_DAYS days."""
    feed = _Feed(days[:FEED_DAYS], config, now)
    return {ATOM: feed.atom(), JSON: feed.json()}


def day_id(day: Day, base_url: str) -> str:
    """A day's feed id: a tag: URI of the site's host and the day, the same in every build."""
    parts = urlsplit(base_url)
    path = quote(parts.path.rstrip("/") + f"/{FOLDER}/{day.day.isoformat()}", safe="/-._~")
    if not parts.hostname:
        return base_url.rstrip("/") + "/" + day.href
    return f"tag:{parts.hostname},{day.day.isoformat()}:{path}"


class _Feed:
    def __init__(self, days: list[Day], config: Config, now: datetime) -> None:
        self.days = days
        self.config = config
        self.base_url = config.site.base_url.rstrip("/") + "/"
        self.title = f"{config.site.title}: daily briefing"
        self.updated = max((d.updated for d in days), default=utc(now))

    def absolute(self, href: str) -> str:
        return self.base_url + href

    def content(self, day: Day) -> str:
        """The day's list as HTML: every text escaped, every link absolute."""
        rows = []
        for item in day.items:
            url = htmllib.escape(self.absolute(item.link.href), quote=True)
            title = htmllib.escape(_clean(item.link.post.title), quote=False)
            summary = htmllib.escape(_clean(item.summary), quote=False)
            rows.append(f'<li><a href="{url}">{title}</a> ({item.credit})<br>{summary}</li>')
        return "<ol>" + "".join(rows) + "</ol>"

    def summary(self, day: Day) -> str:
        titles = "; ".join(_clean(item.link.post.title) for item in day.items)
        return f"{counted(len(day.items), 'story', 'stories')}: {titles}"

    def atom(self) -> str:
        site = self.config.site
        home, self_url = _x(self.absolute(f"{FOLDER}/index.html")), _x(self.absolute(ATOM))
        entries = []
        for day in self.days:
            page = _x(self.absolute(day.href))
            entries.append(
                "  <entry>\n"
                f'    <title type="text">{_x("Briefing for " + day.label)}</title>\n'
                f"    <id>{_x(day_id(day, self.base_url))}</id>\n"
                f'    <link rel="alternate" type="text/html" href="{page}"/>\n'
                f"    <published>{_iso(day.published)}</published>\n"
                f"    <updated>{_iso(day.updated)}</updated>\n"
                f'    <summary type="text">{_x(self.summary(day))}</summary>\n'
                f'    <content type="html">{_x(self.content(day))}</content>\n'
                "  </entry>\n"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="{ATOM_NS}" xml:lang="{_x(site.language)}">\n'
            f'  <title type="text">{_x(self.title)}</title>\n'
            f"  <id>{self_url}</id>\n"
            f'  <link rel="alternate" type="text/html" href="{home}"/>\n'
            f'  <link rel="self" type="application/atom+xml" href="{self_url}"/>\n'
            f"  <updated>{_iso(self.updated)}</updated>\n"
            f"  <author><name>{_x(self.config.author.name)}</name></author>\n"
            f"  <generator>{GENERATOR}</generator>\n" + "".join(entries) + "</feed>\n"
        )

    def json(self) -> str:
        site = self.config.site
        items = [
            {
                "id": day_id(day, self.base_url),
                "url": self.absolute(day.href),
                "title": _clean("Briefing for " + day.label),
                "content_html": self.content(day),
                "summary": self.summary(day),
                "date_published": _iso(day.published),
                "date_modified": _iso(day.updated),
            }
            for day in self.days
        ]
        feed = {
            "version": JSON_FEED_VERSION,
            "title": _clean(self.title),
            "home_page_url": self.absolute(f"{FOLDER}/index.html"),
            "feed_url": self.absolute(JSON),
            "description": _clean(site.description),
            "language": site.language,
            "authors": [{"name": _clean(self.config.author.name)}],
            "items": items,
        }
        return _json(feed)
