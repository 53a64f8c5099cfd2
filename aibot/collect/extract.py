"""Full text and metadata of an article page: newspaper4k and trafilatura, combined.

Both extractors run on every page, from the HTML already fetched (neither touches the network):
newspaper4k with image probing off (`fetch_images = False`: it would download every image) and
without `nlp()` (it downloads NLTK data); trafilatura's `bare_extraction` on the HTML string, in
precision mode, without comments. Both libraries are imported on first use, not at import time:
importing newspaper creates a folder under $TMPDIR and warns when nltk is missing. Their log
records get a NullHandler, so nothing reaches stderr unless the application configures logging.

Metadata (title, authors, published date, image, language, canonical URL, site name) comes from
newspaper4k; trafilatura's fills what newspaper4k left empty (often the date).

The text: the two extractors fail in opposite ways. newspaper4k is precise but drops parts of the
body (a lost first half, a list, a table it did not score); trafilatura finds the whole body but
adds the headline, the standfirst, newsletter boxes and related-link lists. So `.text` is built by
this rule, paragraph by paragraph (words are compared lower-cased, as runs of 4 consecutive word
tokens, "shingles"):

1. Tidy trafilatura's text: a table row (`| a | b |`) becomes its cells separated by spaces, a
   table's `---` rule is dropped, a list item loses its leading `- `.
2. If one extractor produced nothing (or crashed, as newspaper4k does on Japanese pages without
   its optional tokenizer), the other one's text is used.
3. Agreement: the share of the shorter text's shingles that the other text also has. Below 0.5
   the two picked different parts of the page (say a sidebar of teasers and the article). Each
   text is scored by how much of the page's description (og:description) it contains minus its
   link density (the share of its words that are link texts on the page); the higher score wins,
   trafilatura on a tie.
4. Otherwise the texts are merged in trafilatura's paragraph order. A paragraph that both
   extractors found (half of its shingles in the other text) is kept. A paragraph that only one
   found is kept when it looks like body text: it is not part of the title or description, at
   most half of its words are link texts, it has no boilerplate marker ("newsletter", "sign up",
   "copyright", "related stories", "read more", … in a paragraph under 40 words), and, when it
   comes before the first paragraph both found (where headlines, bylines and kickers sit), it has
   at least 20 words and ends like a sentence. A paragraph only newspaper4k found goes after the
   paragraph that holds the text before it.

`.extractor` says whose text it is: "newspaper4k", "trafilatura", or "newspaper4k+trafilatura"
when the merge took paragraphs from both or dropped some of trafilatura's. On the benchmark
(`benchmarks/extraction.py`, 91 pages) this beats either extractor alone; the gain comes from
removing trafilatura's boilerplate where newspaper4k confirms the body, and from recovering
the paragraphs newspaper4k missed.

`stub_reason(text, html)` says why a page is not the article (a paywall, a cookie wall, a stub
under STUB_MIN_WORDS words), or None.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from aibot.collect.urls import canonical_url
from aibot.models import Article
from aibot.text import one_line

NEWSPAPER = "newspaper4k"
TRAFILATURA = "trafilatura"
COMBINED = "newspaper4k+trafilatura"
EXTRACTORS = (NEWSPAPER, TRAFILATURA, COMBINED)

# Below this many words an extracted page is a stub (a teaser, a paywall, a cookie wall).
STUB_MIN_WORDS = 80

# Tuning of the combination rule (see the module docstring).
AGREEMENT = 0.5  # below: the extractors disagree, pick one text
COVERED = 0.5  # share of a paragraph's shingles the other text must have for "both found it"
MAX_LINK_DENSITY = 0.5  # an extra paragraph with more link words than this is navigation
LEAD_MIN_WORDS = 20  # an extra paragraph before the agreed body must be this long...
MARKER_MAX_WORDS = 40  # ...a boilerplate marker only condemns paragraphs shorter than this
SHINGLE = 4

_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "newspaper")


@cache
def _newspaper() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import newspaper

    _quiet_loggers()
    return newspaper


@cache
def _trafilatura() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import trafilatura

    _quiet_loggers()
    return trafilatura


def _quiet_loggers() -> None:
    """Without a handler, Python prints a library's warnings to stderr; with one it does not."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


@dataclass
class _Context:
    """What the combination rule knows about the page besides the two texts."""

    titles: list[str] = field(default_factory=list)  # title, og:title, description: normalised
    description: str = ""
    anchors: dict[str, list[str]] = field(default_factory=dict)  # link texts by first word


def extract(html: bytes | str, url: str) -> Article:
    """The article in `html` fetched from `url`; `.extractor` names what produced `.text`."""
    if isinstance(html, bytes):
        html = _decode(html)
    page, np_error = _run_newspaper(html, url)
    doc = _run_trafilatura(html, url)
    if page is None and doc is None:
        raise np_error or ValueError("no extractor could read the page")
    np_text = (page.text or "").strip() if page is not None and np_error is None else ""
    tf_text = (doc.text or "").strip() if doc is not None else ""
    if np_error is not None and not tf_text:
        raise np_error
    context = _context(page, doc)
    text, extractor = combine(np_text, tf_text, context)

    np_meta = page if page is not None else None
    title = one_line(getattr(np_meta, "title", "") or getattr(doc, "title", "") or "")
    authors = [one_line(a) for a in getattr(np_meta, "authors", None) or [] if a.strip()]
    if not authors and doc is not None and doc.author:
        authors = [one_line(a) for a in re.split(r";|\band\b", doc.author) if a.strip()]
    published = getattr(np_meta, "publish_date", None)
    if not isinstance(published, datetime):
        published = _date(getattr(doc, "date", None))
    image = getattr(np_meta, "meta_img", "") or getattr(np_meta, "top_image", "") or ""
    image = image or getattr(doc, "image", "") or ""
    declared = getattr(np_meta, "canonical_link", "") or getattr(doc, "url", "") or ""
    site = getattr(np_meta, "meta_site_name", "") or getattr(doc, "sitename", "") or ""
    language = getattr(np_meta, "meta_lang", "") or getattr(doc, "language", "") or ""
    return Article(
        url=url,
        canonical_url=_canonical(url, declared),
        source=one_line(site) or (urlsplit(url).hostname or ""),
        title=title,
        text=text,
        published=published,
        authors=authors,
        image=urljoin(url, image) if image else "",
        language=language,
        extractor=extractor,
    )


def _decode(content: bytes) -> str:
    """UTF-8 when it is valid, else the charset the page declares, else Windows-1252."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", content[:4096], re.I)
    if declared:
        try:
            return content.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return content.decode("cp1252", errors="replace")


def _run_newspaper(html: str, url: str) -> tuple[Any, Exception | None]:
    """(the parsed newspaper Article or None, the error that stopped its text, if any).

    A crash in the body extraction (e.g. a missing tokenizer for the page's language) keeps the
    metadata newspaper4k read before it.
    """
    newspaper = _newspaper()
    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True
    page = newspaper.Article(url, config=config)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            page.download(input_html=html)
            page.parse()
    except Exception as exc:  # noqa: BLE001 - trafilatura may still read the page
        return (page if page.doc is not None else None), exc
    return page, None


def _run_trafilatura(html: str, url: str) -> Any:
    """trafilatura's Document (text and metadata) for the HTML string, or None."""
    trafilatura = _trafilatura()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return trafilatura.bare_extraction(
                html,
                url=url,
                favor_precision=True,
                include_comments=False,
                include_tables=True,
                with_metadata=True,
            )
    except Exception:  # noqa: BLE001 - newspaper4k may still read the page
        return None


def _context(page: Any, doc: Any) -> _Context:
    """Titles, description and link texts of the page, from the parsed documents."""
    titles: list[str] = []
    description = ""
    anchors: dict[str, list[str]] = {}
    tree = getattr(page, "doc", None)
    if tree is not None:
        titles.append(tree.findtext(".//title") or "")
        for name in ("og:title", "twitter:title", "og:description", "description"):
            titles.extend(_meta(tree, name))
        description = next(iter(_meta(tree, "og:description") + _meta(tree, "description")), "")
        for link in tree.iter("a"):
            words = _words(link.text_content())
            if words:
                anchors.setdefault(words[0], []).append(" ".join(words))
    if doc is not None:
        titles += [doc.title or "", doc.description or ""]
        description = description or doc.description or ""
    for key, texts in anchors.items():
        anchors[key] = sorted(set(texts), key=len, reverse=True)
    normalised = {" ".join(_words(t)) for t in titles}
    return _Context(titles=sorted(t for t in normalised if t), description=description,
                    anchors=anchors)  # fmt: skip


def _meta(tree: Any, name: str) -> list[str]:
    values = tree.xpath("//meta[@property=$n or @name=$n]/@content", n=name)
    return [str(v).strip() for v in values if str(v).strip()]


def _date(value: Any) -> datetime | None:
    """trafilatura's date (`YYYY-MM-DD`) as midnight UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the combination rule -------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_TABLE_ROW = re.compile(r"^\|(.*)\|$")
_BULLET = re.compile(r"^[-*•]\s+")
_BOILERPLATE = re.compile(
    r"newsletter|subscrib|sign(ing)? up|log ?in\b|copyright|©|all rights reserved|"
    r"filed under|^source:|follow (us|@)|share (this|on)|^related\b|related (articles|stories|"
    r"coverage|posts|content)|read more|^advertisement|if you enjoyed|explore further|"
    r"^(leave|post|show|view|load) (a )?comments?|^\d+ comments?$|^comments?$|^tags?:|"
    r"most (read|popular|viewed)|recommended for you|^(photo|image|video)( credit)?:",
    re.IGNORECASE,
)


def combine(np_text: str, tf_text: str, context: _Context | None = None) -> tuple[str, str]:
    """(text, extractor name) from newspaper4k's and trafilatura's texts of the same page."""
    context = context or _Context()
    np_paras = _paragraphs(np_text)
    tf_paras = _paragraphs(tidy(tf_text))
    if not tf_paras:
        return "\n\n".join(np_paras), NEWSPAPER
    if not np_paras:
        return "\n\n".join(_drop_leading_titles(tf_paras, context)), TRAFILATURA
    np_shingles = _shingles(" ".join(np_paras))
    tf_shingles = _shingles(" ".join(tf_paras))
    shared = len(np_shingles & tf_shingles)
    agreement = shared / max(1, min(len(np_shingles), len(tf_shingles)))
    if agreement < AGREEMENT:
        if _quality(np_paras, context) > _quality(tf_paras, context):
            return "\n\n".join(np_paras), NEWSPAPER
        return "\n\n".join(_drop_leading_titles(tf_paras, context)), TRAFILATURA
    merged = _merge(np_paras, tf_paras, np_shingles, context)
    if merged == tf_paras:
        return "\n\n".join(merged), TRAFILATURA
    if merged == np_paras:
        return "\n\n".join(merged), NEWSPAPER
    return "\n\n".join(merged), COMBINED


def tidy(text: str) -> str:
    """trafilatura's plain text without Markdown: table rows as cells, list items unbulleted."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        row = _TABLE_ROW.match(line)
        if row:
            cells = [c.strip() for c in row.group(1).split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue  # the rule under a table's header
            line = " ".join(c for c in cells if c)
        lines.append(_BULLET.sub("", line))
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    if len(words) < SHINGLE:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def _found_in(paragraph: str, shingles: set[tuple[str, ...]], flat: str) -> bool:
    """Whether the other extractor's text (its shingles, its normalised words) has it too."""
    words = _words(paragraph)
    if len(words) < SHINGLE:
        return f" {' '.join(words)} " in flat
    own = _shingles(paragraph)
    return len(own & shingles) >= COVERED * len(own)


def _merge(
    np_paras: list[str],
    tf_paras: list[str],
    np_shingles: set[tuple[str, ...]],
    context: _Context,
) -> list[str]:
    np_flat = f" {' '.join(_words(' '.join(np_paras)))} "
    shared = [_found_in(p, np_shingles, np_flat) for p in tf_paras]
    first_shared = shared.index(True) if True in shared else len(tf_paras)
    # Where newspaper4k's own paragraphs go: after the trafilatura paragraph holding the text
    # before them (owner[shingle] = index of the first trafilatura paragraph with it).
    owner: dict[tuple[str, ...], int] = {}
    for index, paragraph in enumerate(tf_paras):
        for shingle in _shingles(paragraph):
            owner.setdefault(shingle, index)
    tf_flats = [f" {' '.join(_words(p))} " for p in tf_paras]
    inserts: dict[int, list[str]] = {}
    last = -1
    for paragraph in np_paras:
        words = _words(paragraph)
        if len(words) >= SHINGLE:
            own = _shingles(paragraph)
            places = Counter(owner[s] for s in own if s in owner)
            found = sum(places.values()) >= COVERED * len(own)
        else:
            needle = f" {' '.join(words)} "
            places = Counter(i for i, flat in enumerate(tf_flats) if needle in flat)
            found = bool(places)
        if found:
            last = max(last, places.most_common(1)[0][0])
        elif _looks_like_body(paragraph, context, lead=last < 0):
            inserts.setdefault(last + 1, []).append(paragraph)
    merged: list[str] = []
    for index, paragraph in enumerate(tf_paras):
        merged += inserts.get(index, [])
        if shared[index] or _looks_like_body(paragraph, context, lead=index < first_shared):
            merged.append(paragraph)
    merged += inserts.get(len(tf_paras), [])
    return merged


def _looks_like_body(paragraph: str, context: _Context, *, lead: bool) -> bool:
    """Whether a paragraph only one extractor found is article text (see the module doc)."""
    words = _words(paragraph)
    if not words:
        return False
    flat = " ".join(words)
    if any(flat in title for title in context.titles):
        return False
    if _link_density(words, context) > MAX_LINK_DENSITY:
        return False
    if len(words) < MARKER_MAX_WORDS and _BOILERPLATE.search(paragraph):
        return False
    return not lead or (len(words) >= LEAD_MIN_WORDS and paragraph[-1] in ".!?\"'”’»)")


def _link_density(words: Sequence[str], context: _Context) -> float:
    """The share of the words that belong to a link text of the page found in them."""
    if not words or not context.anchors:
        return 0.0
    flat = f" {' '.join(words)} "
    linked = 0
    for first in set(words):
        for anchor in context.anchors.get(first, ()):
            if f" {anchor} " in flat:
                linked += anchor.count(" ") + 1
                break  # the longest link text starting with this word counts, once
    return min(1.0, linked / len(words))


def _quality(paragraphs: Iterable[str], context: _Context) -> float:
    """How much of the page's description a text has, less its link density."""
    words = _words(" ".join(paragraphs))
    wanted = set(_words(context.description))
    found = len(wanted & set(words)) / len(wanted) if wanted else 0.0
    return found - _link_density(words, context)


def _drop_leading_titles(paragraphs: list[str], context: _Context) -> list[str]:
    """Without the headline and standfirst trafilatura puts before the body."""
    start = 0
    while start < len(paragraphs) - 1:
        flat = " ".join(_words(paragraphs[start]))
        if not flat or not any(flat in title for title in context.titles):
            break
        start += 1
    return paragraphs[start:]


# --- stubs ----------------------------------------------------------------------------------

_PAYWALL = (
    "subscribe to continue reading",
    "subscribe to read",
    "subscribe to keep reading",
    "subscribe now to continue",
    "subscribe to unlock",
    "subscribers only",
    "for subscribers only",
    "this article is for subscribers",
    "this content is for subscribers",
    "exclusive to subscribers",
    "available to subscribers",
    "already a subscriber",
    "become a subscriber to",
    "become a member to read",
    "members only",
    "sign in to continue reading",
    "sign in to read",
    "log in to continue reading",
    "log in to read",
    "register to continue reading",
    "to continue reading",
    "continue reading with a subscription",
    "you have reached your limit",
    "you've reached your limit",
    "you have reached your free article limit",
    "you've used all your free articles",
    "free articles remaining",
    "start your free trial to read",
    "premium article",
    "this is a premium",
)
# The phrases of _PAYWALL that say the text stops here (not a "Log in" link in a header).
_PAYWALL_CUT = (
    "subscribe to continue reading",
    "subscribe to read",
    "subscribe to keep reading",
    "subscribe now to continue",
    "subscribe to unlock",
    "sign in to continue reading",
    "log in to continue reading",
    "register to continue reading",
    "continue reading with a subscription",
    "you have reached your limit",
    "you've reached your limit",
    "you have reached your free article limit",
    "you've used all your free articles",
    "this article is for subscribers",
    "this content is for subscribers",
)
_COOKIE_WALL = (
    "accept all cookies",
    "accept cookies",
    "we use cookies",
    "this site uses cookies",
    "this website uses cookies",
    "use of cookies",
    "cookie policy",
    "cookie settings",
    "manage cookies",
    "cookie consent",
    "consent to cookies",
    "reject all",
    "manage your privacy",
    "we value your privacy",
    "your privacy choices",
    "we and our partners",
)
# A text this long with a wall's words in it is the article with a leftover box, not a wall.
WALL_MAX_WORDS = 400
# The page's HTML alone (not the text) names a paywall: only a short text is then a teaser.
TEASER_MAX_WORDS = 200
_NOT_FREE = re.compile(r"""["']?isAccessibleForFree["']?\s*:\s*["']?false""", re.IGNORECASE)
_INVISIBLE = re.compile(
    r"<(script|style|template|noscript)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")


def stub_reason(article_text: str, html: str | bytes) -> str | None:
    """Why the extracted text is not the article (paywall, cookie wall, stub), or None.

    In order: a paywall phrase in the text (e.g. "paywall marker: subscribe to continue
    reading"), a cookie-consent phrase in the text ("cookie wall: …"), both only when the text
    is under WALL_MAX_WORDS words; a page marked `isAccessibleForFree: false` or showing a
    paywall phrase while the text is under TEASER_MAX_WORDS words ("paywall marker: …"); a text
    under STUB_MIN_WORDS words ("under 80 words").
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    text = " ".join(article_text.lower().replace("’", "'").split())
    count = len(article_text.split())
    if count < WALL_MAX_WORDS:
        phrase = _first_in(text, _PAYWALL)
        if phrase:
            return f"paywall marker: {phrase}"
        hits = [p for p in _COOKIE_WALL if p in text]
        # One cookie phrase in a real article is a sentence about cookies; two are a banner.
        if hits and (len(hits) >= 2 or count < STUB_MIN_WORDS):
            return f"cookie wall: {hits[0]}"
    if count < TEASER_MAX_WORDS:
        if _NOT_FREE.search(html):
            return "paywall marker: isAccessibleForFree is false"
        visible = " ".join(_TAG.sub(" ", _INVISIBLE.sub(" ", html)).lower().split())
        phrase = _first_in(visible.replace("’", "'"), _PAYWALL_CUT)
        if phrase:
            return f"paywall marker: {phrase}"
    if count < STUB_MIN_WORDS:
        return f"under {STUB_MIN_WORDS} words"
    return None


def _first_in(text: str, phrases: Iterable[str]) -> str | None:
    return next((p for p in phrases if p in text), None)


def _canonical(url: str, declared: str) -> str:
    """The page's declared canonical URL when it is a web URL, else the fetched URL."""
    if declared:
        absolute = urljoin(url, declared.strip())
        if urlsplit(absolute).scheme in ("http", "https"):
            return canonical_url(absolute)
    return canonical_url(url) if urlsplit(url).scheme in ("http", "https") else url
