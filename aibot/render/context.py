"""What templates see of posts: PageLink (a post as cards, lists and feeds show it), Month
(an archive page) and FeedRow (a line of the Sources page)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aibot.models import Post
from aibot.posts.updates import Update, latest_update
from aibot.render.markdown import markdown_to_html


@dataclass
class PageLink:
    """A post as other pages show it: cards, lists, related, feeds."""

    post: Post
    href: str  # relative to the site root, e.g. posts/slug.html
    # Markdown -> HTML, called the first time `html` is read (a build passes its cache's).
    to_html: Callable[[str], str] = field(default=lambda text: markdown_to_html(text), repr=False)
    shown: list[PageLink] = field(default_factory=list)  # its related posts, in order
    # Why `shown` posts are related to this one: computed when its page is rendered.
    reason: Callable[[Post, Post], str] | None = field(default=None, repr=False)
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, href)
    image: str = ""  # the post's image as a path inside the site, or "" (see local_image)
    # The Markdown its page shows, made from the post when its HTML is first read; None: the
    # file's own body (render.evidence.body_with_evidence is one).
    body: Callable[[Post], str] | None = field(default=None, repr=False)
    # Digests of what pages show of this post (build.incremental): `content_key` of the post's
    # file, URL and tags (all a card, a feed entry or the search index shows), `build_key` of
    # that and the content keys of its related posts (all its own page shows: a reason shown on
    # a related card depends on the two posts alone).
    content_key: str = ""
    build_key: str = ""
    _html: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # what a page's key sees of a post shown on it
        return f"PageLink({self.href!r}, {self.content_key!r})"

    @functools.cached_property
    def related(self) -> list[tuple[PageLink, str]]:
        """The related posts with the reason shown on each card."""
        reason = self.reason or (lambda _post, _other: "")
        return [(other, reason(self.post, other.post)) for other in self.shown]

    @property
    def meta(self) -> dict[str, Any]:
        return self.post.meta

    @functools.cached_property
    def credit(self) -> str:
        """ "Based on 3 reports from …" or "Single-source report …" (see corroboration)."""
        return corroboration(self.meta.get("sources"))

    @functools.cached_property
    def latest_update(self) -> Update | None:
        """The post's last update, shown under its byline and in its feed entries."""
        return latest_update(self.post)

    @property
    def html(self) -> str:
        """The post's body as sanitised HTML."""
        if self._html is None:
            self._html = self.to_html(self.body(self.post) if self.body else self.post.body)
        return self._html


@dataclass
class Month:
    """One page of the monthly archive."""

    year: int
    month: int
    label: str  # "November 2026"
    href: str  # archive/2026/11.html
    posts: list[PageLink] = field(default_factory=list)


@dataclass
class FeedRow:
    """A configured feed as the Sources page shows it."""

    name: str
    url: str  # an http(s) URL to link, or "" for a local file
    file: str  # the file name of a local feed, or ""
    tags: tuple[str, ...]
    cited: int  # published posts citing this outlet
    last_success: datetime | None = None
    failures: int = 0
    this_week: int | None = None  # None: no cache, health unknown


def month_key(month: Any) -> Any:
    """A Month as its page's key sees it (its posts by their content keys); anything else as
    it is."""
    if not isinstance(month, Month):
        return month
    return (month.year, month.month, month.label, month.href, [p.content_key for p in month.posts])


def corroboration(sources: Any) -> str:
    """The line under a post's byline saying how many independent outlets it rests on:
    "Based on 3 reports from A, B and C", "Single-source report (A)". Syndicated copies (an
    article's `also` outlets) are one report, named as "also carried by"."""
    outlets: dict[str, str] = {}  # lower-case name -> name as first written
    carried: dict[str, str] = {}
    reports = 0
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict):
            continue
        reports += 1
        name = " ".join(str(source.get("outlet") or "").split())
        if name:
            outlets.setdefault(name.lower(), name)
        also = source.get("also") or []
        for other in also if isinstance(also, list) else [also]:
            other = " ".join(str(other).split())
            if other:
                carried.setdefault(other.lower(), other)
    for key in outlets:
        carried.pop(key, None)
    names = list(outlets.values())
    others = list(carried.values())
    if len(names) > 1:
        line = (
            f"Based on {len(names)} reports from {joined(names)}" if reports == len(names)
            else f"Based on {reports} reports from {len(names)} outlets: {joined(names)}"
        )  # fmt: skip
        return line + (f" (also carried by {joined(others)})" if others else "")
    if names:
        also = f", also carried by {joined(others)}" if others else ""
        return f"Single-source report ({names[0]}{also})"
    return "Single-source report" if reports else "No sources listed"


def joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
