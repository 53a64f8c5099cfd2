"""Evidence links: a post's citations lead to the sentence of the source that supports them.

For a post with an `evidence:` mapping in its front matter (aibot.posts.evidence), the body the
build converts differs from the file in two ways, and the file is left as it is:

- each citation `[[n]](#source-n)` of a paragraph links to source n's URL, with a text fragment
  naming the sentences that support the paragraph (aibot.render.fragments); a paragraph with no
  evidence that matches it (edited since, or none found) links to the plain URL;
- each item of the Sources list is followed by a `<details>` element quoting, briefly, the
  sentences the post relied on from that source.

A post without `evidence:` (hand-written, or written before evidence was kept) is converted as
its file says. The sources' text, when the cache still has it, makes each fragment unique on its
page (SourceTexts); without the cache the fragments are the default ones.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from markupsafe import escape

from aibot.models import Post
from aibot.posts.evidence import paragraph_evidence
from aibot.render.fragments import fragment_url

if TYPE_CHECKING:
    from aibot.store import Store

# What a source's <details> quotes of it, at most.
QUOTE_WORDS = 40

_BLOCKS = re.compile(r"(\n[ \t]*\n)")
_CITATION = re.compile(r"\[\[(\d+)\]\]\(#source-(\d+)\)")
# An item of the Sources list, with the lines an editor may have wrapped it onto.
_SOURCE_ITEM = re.compile(
    r'^(\d+[.)][ \t]+)<span id="source-(\d+)"></span>.*(?:\n(?![ \t]*$|\d+[.)][ \t]).+)*', re.M
)


def body_with_evidence(post: Post, texts: Mapping[str, str] | None = None) -> str:
    """The body to convert for `post`: its own, with evidence links and quotes when it has an
    `evidence:` mapping. `texts` maps a source URL to the source's text, where known."""
    if not has_evidence(post):
        return post.body
    urls = _source_urls(post)
    relied: dict[int, list[str]] = {}
    blocks = _BLOCKS.split(post.body)
    for index, block in enumerate(blocks):
        if index % 2 or "](#source-" not in block:
            continue  # a separator, or a block citing nothing
        said = {e.url: e.sentences for e in paragraph_evidence(post, block)}

        def link(match: re.Match[str], said: dict[str, list[str]] = said) -> str:
            label, number = match.groups()
            url = urls.get(int(number))
            if label != number or url is None:
                return match.group(0)
            sentences = said.get(url, [])
            for sentence in sentences:
                quoted = relied.setdefault(int(number), [])
                if sentence not in quoted:
                    quoted.append(sentence)
            target = fragment_url(_href(url), sentences, (texts or {}).get(url))
            return f'[[{label}]]({target} "Source {number}")'

        blocks[index] = _CITATION.sub(link, block)
    body = "".join(blocks)
    return _SOURCE_ITEM.sub(lambda m: m.group(0) + _quotes(m, relied), body)


def has_evidence(post: Post) -> bool:
    """Whether the build gives `post` evidence links (it has an `evidence:` mapping)."""
    return isinstance(post.meta.get("evidence"), dict)


def quoted_briefly(sentences: list[str], limit: int = QUOTE_WORDS) -> list[str]:
    """`sentences` cut to `limit` words in all, at a word, the last one cut ending in "…"."""
    out: list[str] = []
    left = limit
    for sentence in sentences:
        words = sentence.split()
        if left <= 0 or not words:
            break
        if len(words) > left:
            out.append(" ".join(words[:left]) + "…")
            break
        out.append(" ".join(words))
        left -= len(words)
    return out


class SourceTexts:
    """The text of each source of a post, read from the cache when it has it (the build works
    without: a missing or unreadable cache gives no text). A forked render worker opens the
    cache again: a connection must not cross a fork."""

    def __init__(self, cache_file: Path) -> None:
        self.cache_file = cache_file
        self._store: Store | None = None
        self._opened_by: int | None = None
        self._inherited: list[Store] = []  # a parent's connections: never used, never closed

    def of(self, post: Post) -> dict[str, str]:
        """Source URL -> its text, for the sources of `post` the cache holds."""
        ids = _source_ids(post)
        store = self._open() if ids else None
        if store is None:
            return {}
        try:
            articles = store.articles(ids)
        except sqlite3.Error:
            return {}
        return {a.canonical_url: a.text for a in articles if a.text}

    def versions(self, posts: list[Post]) -> dict[str, str]:
        """Article id -> a hash of its text, for the sources of `posts` that have evidence and
        are in the cache: what their pages' keys need to know of the cache (one query a 500)."""
        wanted = list(dict.fromkeys(i for p in posts for i in _source_ids(p)))
        store = self._open() if wanted else None
        if store is None:
            return {}
        try:
            return store.content_hashes(wanted)
        except sqlite3.Error:
            return {}

    def close(self) -> None:
        if self._store is not None and self._opened_by == os.getpid():
            self._store.close()
        self._store = None

    def _open(self) -> Store | None:
        if self._opened_by != os.getpid():
            if self._store is not None:
                self._inherited.append(self._store)
            self._opened_by, self._store = os.getpid(), None
            if self.cache_file.is_file():
                from aibot.store import Store  # only when there is a cache to read

                try:
                    self._store = Store.read_only(self.cache_file)
                except sqlite3.Error:
                    self._store = None
        return self._store


def _source_ids(post: Post) -> list[str]:
    """The cache ids of the sources of a post with evidence (none for a post without)."""
    if not has_evidence(post):
        return []
    sources = post.meta.get("sources")
    return [
        s["id"]
        for s in (sources if isinstance(sources, list) else [])
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    ]


def _source_urls(post: Post) -> dict[int, str]:
    """Citation number -> the web URL of that source in `sources:`."""
    sources = post.meta.get("sources")
    found = {}
    for n, source in enumerate(sources if isinstance(sources, list) else [], start=1):
        url = source.get("url") if isinstance(source, dict) else None
        if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
            found[n] = url
    return found


def _href(url: str) -> str:
    """A URL as a Markdown link destination: nothing in it can end the link."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _quotes(item: re.Match[str], relied: dict[int, list[str]]) -> str:
    """The <details> block after a Sources item: an HTML block inside the list item (indented
    to its text), on one line so that no Markdown is read in it; its text escaped."""
    quoted = quoted_briefly(relied.get(int(item.group(2)), []))
    if not quoted:
        return ""
    said = "".join(f"<p>{escape(s)}</p>" for s in quoted)
    indent = " " * len(item.group(1))
    return (
        f"\n{indent}<details><summary>What this post relies on from it</summary>"
        f"<blockquote>{said}</blockquote></details>"
    )
