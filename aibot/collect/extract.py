"""Full text and metadata of an article page: newspaper4k and trafilatura, combined.

Both extractors run on every page, on the HTML already fetched; neither touches the network.
newspaper4k runs with image probing off (`fetch_images = False`: it would download every image)
and without `nlp()` (it downloads NLTK data); trafilatura's `bare_extraction` runs on the HTML
string, in precision mode, without comments. Both libraries are imported on first use, not at
import time (importing newspaper creates a folder under $TMPDIR and warns when nltk is missing);
their warnings are silenced and their loggers have a NullHandler, so nothing reaches stderr
unless the application configures logging.

Metadata (title, authors, published time, image, language, canonical URL, site name) comes from
newspaper4k; trafilatura's fills what newspaper4k left empty, or everything when newspaper4k
crashed. When newspaper4k took the day from the URL (no time, no zone), the page's own time is
used if it falls on that day.

The text. The two extractors fail in opposite ways: newspaper4k is precise but loses parts of the
body (the first half, a list, a table) and sometimes takes a column of teasers instead; trafilatura
finds the whole body but adds the headline, the standfirst, newsletter boxes and related links.
Words are compared lower-cased, as sets of runs of 4 consecutive word tokens ("shingles"); the
rule, with its constants below:

1. Tidy trafilatura's text: a table row (`| a | b |`) becomes its cells separated by spaces, the
   `---` rule under a table header goes, a list item loses its leading `- `.
2. If one extractor produced nothing (or crashed: newspaper4k does on Japanese pages without its
   optional tokenizer), the other one's text is used, without a leading headline.
3. Agreement is the share of the shorter text's shingles that the other text has too. Under
   AGREEMENT (0.5) the two took different parts of the page: each text is scored by the share of
   the page description's words it contains minus its link density (the share of its words that
   are the texts of links on the page), and the higher score wins (trafilatura on a tie).
4. Otherwise the texts are merged, in trafilatura's paragraph order:
   - a paragraph both found (COVERED, half of its shingles, in the other text) is kept, in
     newspaper4k's version when that is the same paragraph with a few more words (trafilatura's
     precision mode sometimes drops a link from the middle of a sentence);
   - the headline (a piece of the title, og:title or h1 of 3 words or more) is dropped anywhere,
     the description only before the first paragraph both found;
   - a paragraph only one found is kept when it looks like body text: at most MAX_LINK_DENSITY
     (half) of its words are link texts, it has no boilerplate marker ("newsletter", "sign up",
     "copyright", "related stories", "read more", "click here", … in a paragraph under
     MARKER_MAX_WORDS, 40, words), and, if it comes before the first paragraph both found (where
     kickers, bylines and datelines sit), it has LEAD_MIN_WORDS (20) words or more and ends like
     a sentence;
   - a paragraph only newspaper4k found goes after the paragraph holding the text before it.

`.extractor` names whose text it is: "newspaper4k" or "trafilatura" when the result is exactly
that extractor's paragraphs (newspaper4k when both are the same), else "newspaper4k+trafilatura".
On the benchmark (`benchmarks/extraction.py`, 91 pages of the scrapinghub set) the result beats
either extractor alone; the constants sit on a plateau there (moving any of them by half changes
F1 by under 0.002), so they are not fitted to those pages.

`stub_reason(text, html)` says why a page is not the article (a paywall, a cookie wall, a stub
under STUB_MIN_WORDS words), or None.
"""

from __future__ import annotations

import contextlib
import importlib
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

from aibot.collect.urls import canonical_url, is_web_url
from aibot.models import Article
from aibot.support.text import one_line

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
HEADLINE_MAX_WORDS = 40  # a longer <title> or <h1> is a broken page, not a headline
# A trafilatura text this long with no short boilerplate paragraph is used without newspaper4k's
# body (whose extraction is two thirds of the cost of a page).
CONFIDENT_WORDS = 300

_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "newspaper")


@cache
def _quiet_import(name: str) -> Any:
    """Import an extractor on first use, with its import-time warnings and log output silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = importlib.import_module(name)
    _quiet_loggers()
    return module


def _newspaper() -> Any:
    return _quiet_import("newspaper")


def _trafilatura() -> Any:
    return _quiet_import("trafilatura")


def _quiet_loggers() -> None:
    """Without a handler, Python prints a library's warnings to stderr; with one it does not."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


@dataclass
class _Context:
    """What the combination rule knows about the page besides the two texts."""

    headlines: list[str] = field(default_factory=list)  # <title>, og:title, …: normalised words
    standfirsts: list[str] = field(default_factory=list)  # the descriptions, normalised words
    description: str = ""
    anchors: dict[str, list[str]] = field(default_factory=dict)  # link texts by first word


def extract(html: bytes | str, url: str, *, thorough: bool = False) -> Article:
    """The article in `html` fetched from `url`; `.extractor` names what produced `.text`.

    `thorough` runs both extractors on every page (F1 0.977 on the benchmark, about 1.5 times
    the time); by default a long, clean trafilatura text is taken as it is (F1 0.968).
    """
    if isinstance(html, bytes):
        html = decode_page(html)
    doc = _run_trafilatura(html, url)
    tf_text = (doc.text or "").strip() if doc is not None else ""
    if not thorough and _clean_and_long(tf_text):
        # The common case, at a third of the cost: trafilatura's text needs no second opinion,
        # and newspaper4k only reads the metadata.
        page = _run_newspaper_metadata(html, url)
        context = _context(page, doc)
        text = "\n\n".join(_drop_leading_titles(_paragraphs(tidy(tf_text)), context))
        extractor = TRAFILATURA
    else:
        page, np_error = _run_newspaper(html, url)
        if page is None and doc is None:
            raise np_error or ValueError("no extractor could read the page")
        np_text = (page.text or "").strip() if page is not None and np_error is None else ""
        if np_error is not None and not tf_text:
            raise np_error
        context = _context(page, doc)
        text, extractor = combine(np_text, tf_text, context)

    title = one_line(getattr(page, "title", "") or getattr(doc, "title", "") or "")
    authors = [one_line(a) for a in getattr(page, "authors", None) or [] if a.strip()]
    if not authors and doc is not None and doc.author:
        authors = [one_line(a) for a in re.split(r";|\band\b", doc.author) if a.strip()]
    published = _published(page) or _date(getattr(doc, "date", None))
    image = getattr(page, "meta_img", "") or getattr(page, "top_image", "") or ""
    image = image or getattr(doc, "image", "") or ""
    declared = getattr(page, "canonical_link", "") or getattr(doc, "url", "") or ""
    site = getattr(page, "meta_site_name", "") or getattr(doc, "sitename", "") or ""
    language = getattr(page, "meta_lang", "") or getattr(doc, "language", "") or ""
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


def decode_page(content: bytes) -> str:
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


def _newspaper_article(url: str) -> Any:
    """A newspaper4k Article that never touches the network (no image probing, no memo)."""
    newspaper = _newspaper()
    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True
    return newspaper.Article(url, config=config)


def _run_newspaper(html: str, url: str) -> tuple[Any, Exception | None]:
    """(the parsed newspaper Article or None, the error that stopped its text, if any).

    A crash in the body extraction (e.g. a missing tokenizer for the page's language) keeps the
    metadata newspaper4k read before it.
    """
    page = _newspaper_article(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            page.download(input_html=html)
            page.parse()
    except Exception as exc:  # noqa: BLE001 - trafilatura may still read the page
        return (page if page.doc is not None else None), exc
    return page, None


def _clean_and_long(text: str) -> bool:
    """True when trafilatura's text is long and has no short boilerplate paragraph in it: then
    the combination rule keeps it as it is in nearly every case (see CONFIDENT_WORDS)."""
    paragraphs = _paragraphs(tidy(text))
    if len(_words(" ".join(paragraphs))) < CONFIDENT_WORDS:
        return False
    return not any(len(p.split()) < MARKER_MAX_WORDS and _BOILERPLATE.search(p) for p in paragraphs)


def _run_newspaper_metadata(html: str, url: str) -> Any:
    """newspaper4k's metadata (title, authors, date, canonical URL, image, site, language)
    without its body extraction, which is two thirds of its cost; None if it fails."""
    page = _newspaper_article(url)  # imports newspaper quietly first
    from newspaper import parsers

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            page.download(input_html=html)
            page.doc = parsers.fromstring(page.html)
            if page.doc is None:
                return None
            reader = page.extractor
            page.title = reader.get_title(page.doc)
            page.authors = reader.get_authors(page.doc)[: page.config.max_authors]
            metadata = reader.get_metadata(url, page.doc)
            page.meta_lang = metadata["language"]
            page.meta_site_name = metadata["site_name"]
            page.canonical_link = metadata["canonical_link"]
            page.meta_description = metadata["description"]
            page.publish_date = reader.get_publishing_date(url, page.doc)
            reader.image_extractor.parse(page.doc, None, url)
            page.meta_img = reader.image_extractor.meta_image
    except Exception:  # noqa: BLE001 - trafilatura's metadata fills in
        return None
    return page


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
    """Headlines, descriptions and link texts of the page, from the parsed documents."""
    headlines: list[str] = []
    standfirsts: list[str] = []
    anchors: dict[str, list[str]] = {}
    tree = getattr(page, "doc", None)
    if tree is not None:
        headlines.append(tree.findtext(".//title") or "")
        headlines += _meta(tree, "og:title") + _meta(tree, "twitter:title")
        headlines += [h.text_content() for h in tree.iter("h1")]
        standfirsts += _meta(tree, "og:description") + _meta(tree, "description")
        standfirsts += _meta(tree, "twitter:description")
        for link in tree.iter("a"):
            words = _words(link.text_content())
            if words:
                anchors.setdefault(words[0], []).append(" ".join(words))
    if doc is not None:
        headlines.append(doc.title or "")
        standfirsts.append(doc.description or "")
    for key, texts in anchors.items():
        anchors[key] = sorted(set(texts), key=len, reverse=True)
    return _Context(
        headlines=[h for h in _normalised(headlines) if h.count(" ") < HEADLINE_MAX_WORDS],
        standfirsts=_normalised(standfirsts),
        description=next((s for s in standfirsts if s.strip()), ""),
        anchors=anchors,
    )


def _normalised(texts: list[str]) -> list[str]:
    return sorted({" ".join(_words(t)) for t in texts} - {""})


def _meta(tree: Any, name: str) -> list[str]:
    values = tree.xpath("//meta[@property=$n or @name=$n]/@content", n=name)
    return [str(v).strip() for v in values if str(v).strip()]


def _published(page: Any) -> datetime | None:
    """newspaper4k's publication time; the page's own when the URL gave only the day.

    newspaper4k trusts a date in the URL (/2026/03/04/) before the page's metadata, which loses
    the time and the time zone; the metadata's time is taken when it falls on the same day.
    """
    published = getattr(page, "publish_date", None)
    if not isinstance(published, datetime):
        return None
    if published.tzinfo is None and published.time() == datetime.min.time():
        try:
            precise = page.extractor.get_publishing_date("", page.doc)
        except Exception:  # noqa: BLE001 - keep the day from the URL
            precise = None
        if isinstance(precise, datetime) and precise.date() == published.date():
            return precise
    return published


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
    r"most (read|popular|viewed)|recommended for you|^(photo|image|video)( credit)?:|"
    r"follow [\w ]+ on (twitter|facebook|instagram|youtube)|requires javascript|click here|"
    r"tell us what you think",
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
    if merged == np_paras:
        return "\n\n".join(merged), NEWSPAPER
    if merged == tf_paras:
        return "\n\n".join(merged), TRAFILATURA
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
    np_exact = {" ".join(_words(p)) for p in np_paras}
    found = [_found_in(p, np_shingles, np_flat) for p in tf_paras]
    # The body starts at the first paragraph both found that is not the headline or standfirst
    # (their words recur in the first sentence often enough to look found).
    titles = [_is_title(p, context) and " ".join(_words(p)) not in np_exact for p in tf_paras]
    first_shared = next(
        (i for i, (f, t) in enumerate(zip(found, titles, strict=True)) if f and not t),
        len(tf_paras),
    )
    # After it, only a repeated headline is dropped: the description may be the first lines
    # of the body (some sites fill it in from the text).
    titles = [
        title and (i < first_shared or _is_title(p, context, standfirst=False))
        for i, (p, title) in enumerate(zip(tf_paras, titles, strict=True))
    ]
    # Where each newspaper4k paragraph sits in trafilatura's: the trafilatura paragraph that
    # holds most of its shingles (owner[shingle] = the first trafilatura paragraph with it).
    owner: dict[tuple[str, ...], int] = {}
    tf_shingles = [_shingles(p) for p in tf_paras]
    for index, shingles in enumerate(tf_shingles):
        for shingle in shingles:
            owner.setdefault(shingle, index)
    tf_flats = [f" {' '.join(_words(p))} " for p in tf_paras]
    inserts: dict[int, list[str]] = {}
    homes: dict[int, list[str]] = {}
    last = -1
    for paragraph in np_paras:
        words = _words(paragraph)
        if len(words) >= SHINGLE:
            own = _shingles(paragraph)
            places = Counter(owner[s] for s in own if s in owner)
            located = sum(places.values()) >= COVERED * len(own)
            if places and not located:  # trafilatura may have this paragraph with words cut
                best = tf_shingles[places.most_common(1)[0][0]]
                located = len(best & own) >= COVERED * len(best)
        else:
            needle = f" {' '.join(words)} "
            places = Counter(i for i, flat in enumerate(tf_flats) if needle in flat)
            located = bool(places)
        if located:
            home = places.most_common(1)[0][0]
            homes.setdefault(home, []).append(paragraph)
            last = max(last, home)
        elif _looks_like_body(paragraph, context, lead=last < 0):
            inserts.setdefault(last + 1, []).append(paragraph)
    merged: list[str] = []
    for index, paragraph in enumerate(tf_paras):
        merged += inserts.get(index, [])
        lead = index < first_shared
        if titles[index]:
            continue
        if found[index]:
            merged.append(_fuller(paragraph, homes.get(index, [])))
        elif _looks_like_body(paragraph, context, lead=lead):
            merged.append(paragraph)
    merged += inserts.get(len(tf_paras), [])
    return merged


def _fuller(paragraph: str, versions: list[str]) -> str:
    """newspaper4k's version of a paragraph when it is the same with a few more words.

    trafilatura's precision mode sometimes drops a link inside a sentence ("has reported that
    for his role"); newspaper4k keeps it.
    """
    if len(versions) != 1:
        return paragraph
    words, other = _words(paragraph), _words(versions[0])
    if len(words) < len(other) <= 1.5 * len(words) + 3 and set(words) <= set(other):
        return versions[0]
    return paragraph


def _looks_like_body(paragraph: str, context: _Context, *, lead: bool) -> bool:
    """Whether a paragraph only one extractor found is article text (see the module doc)."""
    words = _words(paragraph)
    if not words:
        return False
    if _is_title(paragraph, context, standfirst=lead):
        return False
    if _link_density(words, context) > MAX_LINK_DENSITY:
        return False
    if len(words) < MARKER_MAX_WORDS and _BOILERPLATE.search(paragraph):
        return False
    return not lead or (len(words) >= LEAD_MIN_WORDS and paragraph[-1] in ".!?\"'”’»)")


def _is_title(paragraph: str, context: _Context, *, standfirst: bool = True) -> bool:
    """Whether the paragraph is (part of) a headline of the page, or of its description.

    A piece of a headline counts from 3 words on (a one-word heading may be in the title too).
    """
    words = _words(paragraph)
    flat = " ".join(words)
    if not flat:
        return False
    if len(words) >= 3 and any(flat in headline for headline in context.headlines):
        return True
    return standfirst and any(flat in text for text in context.standfirsts)


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
    while start < len(paragraphs) - 1 and _is_title(paragraphs[start], context):
        start += 1
    return paragraphs[start:]


# --- stubs ----------------------------------------------------------------------------------

# Paywall phrases that say the text stops here (not a "Log in" link in a header).
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
# Every paywall phrase: those, and ones that only mark a paywall in a short text.
_PAYWALL = (
    *_PAYWALL_CUT,
    "exclusive to subscribers",
    "already a subscriber",
    "become a subscriber to",
    "become a member to read",
    "sign in to read",
    "log in to read",
    "free articles remaining",
    "start your free trial to read",
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
# Chinese and Japanese are written without spaces between words: about two characters make one.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]")


def word_count(text: str) -> int:
    """Words in `text`; a run of Chinese or Japanese characters counts one word per two."""
    characters = len(_CJK.findall(text))
    rest = _CJK_PUNCTUATION.sub(" ", _CJK.sub(" ", text))
    return len(rest.split()) + (characters + 1) // 2


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
    count = word_count(article_text)
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
        with contextlib.suppress(ValueError):  # a broken IPv6 literal
            absolute = urljoin(url, declared.strip())
            if is_web_url(absolute):
                return canonical_url(absolute)
    return canonical_url(url) if urlsplit(url).scheme in ("http", "https") else url
