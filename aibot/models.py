"""The vocabulary of AiBot: Article, Story, Draft (Section, Paragraph, Evidence), Review, Post,
Usage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal


def article_id_for(canonical_url: str) -> str:
    """The stable id of an article: a short hash of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def utc(moment: datetime) -> datetime:
    """The same moment as an aware UTC datetime (naive values are taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class Article:
    """One page from one outlet."""

    url: str
    source: str
    title: str
    text: str = ""
    published: datetime | None = None
    canonical_url: str = ""
    id: str = ""
    feed_url: str = ""
    summary: str = ""
    authors: list[str] = field(default_factory=list)
    fetched: datetime | None = None
    image: str = ""
    language: str = ""
    content_hash: str = ""
    tags: list[str] = field(default_factory=list)
    extractor: str = ""
    # True when the page was a stub (paywall, cookie wall, too short): the text is the feed's.
    partial: bool = False
    # Other outlets that published the same text (syndicated copies), as {outlet, url}.
    syndicated: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.canonical_url:
            self.canonical_url = self.url
        if not self.id:
            self.id = article_id_for(self.canonical_url)
        if self.published is not None:
            self.published = utc(self.published)
        if self.fetched is not None:
            self.fetched = utc(self.fetched)
        if not self.content_hash and self.text:
            self.content_hash = hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def outlets(self) -> list[str]:
        """This article's outlet and those of its syndicated copies, without repeats."""
        return list(dict.fromkeys([self.source, *(s.get("outlet", "") for s in self.syndicated)]))

    @property
    def when(self) -> datetime:
        """Publication time, else fetch time, else the epoch: always comparable."""
        return self.published or self.fetched or datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Story:
    """A set of articles about one event."""

    id: str
    article_ids: list[str]
    title: str
    first_seen: datetime
    last_seen: datetime
    post_slug: str | None = None
    # The sum of its articles' clustering vectors (aibot.cluster.stories), kept so that a later
    # run need not add them up again; None when not known.
    centroid: dict[str, float] | None = field(default=None, compare=False, repr=False)
    # Ids of earlier stories this one took in during the last clustering call (their articles are
    # now its own): a story already written may turn out to be part of another one.
    absorbed: list[str] = field(default_factory=list, compare=False)


@dataclass
class Evidence:
    """The sentences of one cited source that support a paragraph: `url` is the source's
    canonical URL, `sentences` at most two of its sentences, verbatim."""

    url: str
    sentences: list[str] = field(default_factory=list)


@dataclass
class Paragraph:
    text: str
    sources: list[str] = field(default_factory=list)
    # Filled by aibot.write.verify: for each cited source, the sentences that support the text.
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Section:
    heading: str
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Draft:
    """What a writer returns; verified before it becomes a post."""

    title: str
    summary: str
    sections: list[Section]
    tags: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    # Figures the writer reports changed between the sources' reports ("The toll rose from 12 to
    # 15."), each citing the sources of the new figure; an update of a post notes them.
    changes: list[Paragraph] = field(default_factory=list)
    writer: str = ""
    model: str = ""
    usage: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        """The plain prose: no headings, no citations."""
        return "\n\n".join(p.text for s in self.sections for p in s.paragraphs)

    def source_ids(self) -> list[str]:
        """Every article id cited, in order of first citation."""
        seen: dict[str, None] = {}
        for section in self.sections:
            for paragraph in section.paragraphs:
                seen.update(dict.fromkeys(paragraph.sources))
        return list(seen)


@dataclass
class Post:
    """A Markdown file with YAML front matter: `meta` keeps every key, known or not."""

    meta: dict[str, Any]
    body: str
    path: Path | None = None
    # BLAKE2 of the file's bytes when read through the posts index (aibot.posts.index), else "".
    digest: str = field(default="", compare=False, repr=False)

    @property
    def slug(self) -> str:
        value = self.meta.get("slug")
        return value if type(value) is str else str(value or "")  # asked ~70,000 times a build

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or "")

    @property
    def date(self) -> datetime | None:
        value = self.meta.get("date")
        return value if isinstance(value, datetime) else None

    @property
    def updated(self) -> datetime | None:
        value = self.meta.get("updated")
        return value if isinstance(value, datetime) else None

    @property
    def is_draft(self) -> bool:
        return bool(self.meta.get("draft", False))

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.meta.get("tags") or []]

    @property
    def story_id(self) -> str | None:
        generator = self.meta.get("generator") or {}
        return generator.get("story") if isinstance(generator, dict) else None

    @property
    def source_urls(self) -> set[str]:
        return {str(s.get("url")) for s in self.meta.get("sources") or [] if isinstance(s, dict)}


@dataclass(frozen=True)
class Usage:
    """One model call's tokens, as the API reports them."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    batch: bool = False

    @classmethod
    def from_api(cls, model: str, usage: object, *, batch: bool = False) -> Usage:
        """From the SDK's `Usage` object (absent cache counts read as 0)."""
        return cls(
            model=model,
            input_tokens=getattr(usage, "input_tokens", 0) or 0,
            output_tokens=getattr(usage, "output_tokens", 0) or 0,
            cache_read_input_tokens=getattr(usage, "cache_read_input_tokens", 0) or 0,
            cache_creation_input_tokens=getattr(usage, "cache_creation_input_tokens", 0) or 0,
            batch=batch,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
        }


@dataclass
class Review:
    status: Literal["passed", "flagged"]
    notes: list[str] = field(default_factory=list)
