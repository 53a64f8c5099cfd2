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

import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

from markupsafe import escape

from aibot.models import Post
from aibot.posts.evidence import paragraph_evidence
from aibot.render.fragments import fragment_url

# What a source's <details> quotes of it, at most.
QUOTE_WORDS = 40

_BLOCKS = re.compile(r"(\n[ \t]*\n)")
_CITATION = re.compile(r"\[\[(\d+)\]\]\(#source-(\d+)\)")
_SOURCE_ITEM = re.compile(r'^(\d+[.)][ \t]+)<span id="source-(\d+)"></span>.*$', re.M)


def body_with_evidence(post: Post, texts: Mapping[str, str] | None = None) -> str:
    """The body to convert for `post`: its own, with evidence links and quotes when it has an
    `evidence:` mapping. `texts` maps a source URL to the source's text, where known."""
    if not isinstance(post.meta.get("evidence"), dict):
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
    without: a missing or unreadable cache gives no text)."""

    def __init__(self, cache_file: Path) -> None:
        self.cache_file = cache_file
        self._store = None
        self._tried = False

    def of(self, post: Post) -> dict[str, str]:
        """Source URL -> its text, for the sources of `post` the cache holds."""
        if not isinstance(post.meta.get("evidence"), dict):
            return {}
        store = self._open()
        sources = post.meta.get("sources")
        ids = [
            s["id"]
            for s in (sources if isinstance(sources, list) else [])
            if isinstance(s, dict) and isinstance(s.get("id"), str)
        ]
        if store is None or not ids:
            return {}
        try:
            articles = store.articles(ids)
        except sqlite3.Error:
            return {}
        return {a.canonical_url: a.text for a in articles if a.text}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open(self):  # noqa: ANN202 - a Store, imported only when there is a cache
        if not self._tried:
            self._tried = True
            if self.cache_file.is_file():
                from aibot.store import Store

                try:
                    self._store = Store.read_only(self.cache_file)
                except sqlite3.Error:
                    self._store = None
        return self._store


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
