"""What must hold for any input: one check per fuzzed function.

Shared by the Hypothesis properties (tests/system/test_fuzz.py) and the atheris targets
(fuzz/fuzz_*.py). Each check calls the real function; it raises AssertionError when an invariant
does not hold, and lets any exception the function does not document escape: both are findings.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import html5lib

from aibot.collect.feeds import Feed, parse_feed
from aibot.collect.urls import canonical_url, is_web_url
from aibot.models import Article, Draft, Paragraph, Post, Review, Section, article_id_for
from aibot.posts.files import render_markdown
from aibot.posts.frontmatter import PostError, parse_post, post_from_bytes, post_text
from aibot.posts.slugs import is_slug, slugify
from aibot.render.markdown import clean_html, markdown_to_html
from aibot.render.outputs import absolute_html
from aibot.write.verify import verify

FEED_URL = "https://feeds.example.org/world/rss.xml"
POST_PATH = Path("content/posts/2026/fuzzed.md")
SITE_URL = "https://news.example.org/posts/fuzzed.html"

# Parse feeds


def check_parse_feed(data: bytes, url: str = FEED_URL) -> Feed:
    """parse_feed never raises on bytes, and every entry is an Article the collector can use."""
    feed = parse_feed(data, url)
    assert isinstance(feed.title, str) and feed.title == _one_line(feed.title), feed.title
    assert isinstance(feed.version, str)
    assert all(isinstance(p, str) and p for p in feed.problems), feed.problems
    if not feed.version and not feed.entries:
        assert feed.problems, "a document that is no feed must say why"
    # Dates in the future are clamped to the moment of parsing.
    latest = datetime.now(UTC) + timedelta(seconds=1)
    for article in feed.entries:
        check_article(article, url, latest)
    return feed


def check_article(article: Article, feed_url: str, latest: datetime) -> None:
    assert isinstance(article, Article)
    if urlsplit(article.url).scheme == "file":
        # Kept for local feeds; the fetcher reads no file outside a local feed's folder.
        assert article.canonical_url == article.url
    else:
        assert is_web_url(article.url), f"not an http(s) URL with a host: {article.url!r}"
        assert article.canonical_url == canonical_url(article.url), article.url
        assert is_web_url(article.canonical_url), article.canonical_url
    assert article.id == article_id_for(article.canonical_url)
    assert article.feed_url == feed_url
    for text in (article.title, article.source):
        assert isinstance(text, str) and text == _one_line(text), text
    assert isinstance(article.summary, str) and isinstance(article.text, str)
    for values in (article.authors, article.tags):
        assert isinstance(values, list)
        assert all(isinstance(v, str) and v and v == _one_line(v) for v in values), values
    if article.published is not None:
        assert article.published.utcoffset() == timedelta(0), article.published
        assert article.published <= latest, article.published


def _one_line(text: str) -> str:
    return " ".join(text.split())


# Canonical URLs


def check_canonical_url(url: str) -> None:
    """canonical_url: raises only ValueError, and only for what is_web_url refuses; for a web URL
    it gives a web URL of the same scheme, host, port, user and path, without fragment or
    tracking keys, and is idempotent."""
    try:
        out = canonical_url(url)
    except ValueError:
        assert not is_web_url(url), f"canonical_url refused a web URL: {url!r}"
        return
    if not is_web_url(url):
        return  # garbage in, a string out: callers check is_web_url first
    before, after = urlsplit(url.strip()), urlsplit(out)
    assert is_web_url(out), (url, out)
    assert canonical_url(out) == out, (
        f"not idempotent: {url!r} -> {out!r} -> {canonical_url(out)!r}"
    )
    assert after.scheme == before.scheme.lower(), (url, out)
    assert after.hostname == before.hostname, (url, out)
    assert unquote(after.username or "") == unquote(before.username or ""), (url, out)
    default = {"http": 80, "https": 443}[after.scheme]
    assert (after.port or default) == (before.port or default), (url, out)
    assert unquote(after.path) == unquote(before.path or "/"), (url, out)  # spaces encoded
    assert not after.fragment, (url, out)
    keys = [k.lower() for k, _ in parse_qsl(after.query, keep_blank_values=True)]
    assert not [k for k in keys if k.startswith("utm_") or k in ("fbclid", "gclid")], (url, out)


# Slugs


def check_slugify(title: str, taken: Iterable[str] = ()) -> str:
    """A slug is a safe file name and URL segment, never taken, stable and idempotent."""
    taken = set(taken)
    slug = slugify(title, taken)
    assert is_slug(slug), f"{title!r} -> {slug!r}"  # [a-z0-9] words joined by single hyphens
    assert slug not in taken, (title, slug)
    assert slugify(title, taken) == slug, "not stable"
    plain = slugify(title)
    assert slugify(plain) == plain, f"not idempotent: {title!r} -> {plain!r} -> {slugify(plain)!r}"
    return slug


# Front matter


def check_post_round_trip(post: Post) -> Post:
    """A post written with post_text reads back with the same front matter and body."""
    text = post_text(post)
    loaded = parse_post(text, POST_PATH)
    assert loaded.meta == post.meta, _first_difference(post.meta, loaded.meta)
    assert loaded.body.strip() == post.body.strip(), (post.body, loaded.body)
    assert post_text(loaded) == text
    return loaded


def check_post_bytes(data: bytes) -> Post | None:
    """Any bytes: a Post or a PostError naming the file; a Post read once and written again
    reads back, and writing it once more changes nothing."""
    try:
        post = post_from_bytes(data, POST_PATH)
    except PostError as exc:
        assert exc.path == POST_PATH and str(exc).startswith(str(POST_PATH)), exc
        assert exc.line is None or exc.line >= 1, exc
        return None
    assert isinstance(post.meta, dict) and post.title.strip() and is_slug(post.slug)
    assert post.date is not None and post.date.utcoffset() == timedelta(0)
    text = post_text(post)
    again = parse_post(text, POST_PATH)  # the pipeline never writes a post it cannot read
    assert post_text(again) == text, "saving a saved post again changed it"
    return post


def _first_difference(expected: dict, got: dict) -> str:
    for key in expected.keys() | got.keys():
        if expected.get(key, KeyError) != got.get(key, KeyError):
            return f"{key}: wrote {expected.get(key)!r}, read {got.get(key)!r}"
    return "same items, different order?"


# HTML sanitising

# Elements and attributes that run script, load a document or restyle the page.
_EXECUTABLE_ELEMENTS = frozenset(
    "script style iframe frame frameset object embed applet base link meta form input button "
    "textarea select template noscript portal svg math xmp noembed noframes plaintext".split()
)
_EXECUTABLE_ATTRIBUTES = frozenset(
    "style srcdoc formaction action background dynsrc lowsrc ping http-equiv".split()
)
_URL_ATTRIBUTES = frozenset("href src action formaction poster cite data srcset background".split())
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def executable_constructs(html: str) -> list[str]:
    """What in `html`, parsed as a browser parses it (html5lib, in a <div>), could run code:
    script-like elements, on* and style attributes, URLs of a scheme other than http, https
    and mailto (javascript:, vbscript:, data: ...), and any SVG or MathML element."""
    root = html5lib.parseFragment(
        html, container="div", treebuilder="etree", namespaceHTMLElements=False
    )
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        namespace, name = _split_name(element.tag)
        if namespace or name.lower() in _EXECUTABLE_ELEMENTS:
            found.append(f"element <{element.tag}>")
        for key, value in element.attrib.items():
            _, attribute = _split_name(key)
            attribute = attribute.lower()
            if attribute.startswith("on") or attribute in _EXECUTABLE_ATTRIBUTES:
                found.append(f"attribute {attribute} on <{name}>")
            if attribute in _URL_ATTRIBUTES and url_scheme(value) not in _SAFE_SCHEMES | {""}:
                found.append(f"{url_scheme(value)}: URL in {attribute} on <{name}>")
    return found


def url_scheme(value: str) -> str:
    """The scheme a browser reads in an attribute value ("" for a relative URL): it drops
    leading and trailing C0 controls and spaces and every tab and newline first."""
    value = re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21))))
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else ""


def _split_name(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def check_markdown_to_html(text: str) -> str:
    """Markdown (raw HTML allowed) -> HTML with nothing executable, images from the site only;
    the same holds once the feeds make its links absolute."""
    html = markdown_to_html(text)
    assert not executable_constructs(html), (text, html, executable_constructs(html))
    for src in re.findall(r'<img\b[^>]*?\ssrc="([^"]*)"', html):
        assert not url_scheme(src) and not src.startswith("//"), f"remote image {src!r}"
    in_feed = absolute_html(html, SITE_URL)
    assert not executable_constructs(in_feed), (text, in_feed, executable_constructs(in_feed))
    return html


# What AiBot itself puts in a post body: headings, paragraphs, the Sources list with its anchors,
# citations, the "Where sources differ" list.
POST_BODY_TAGS = frozenset({"h2", "p", "ol", "ul", "li", "span", "a", "sup"})


def check_post_body(draft: Draft, articles: Sequence[Article]) -> str:
    """Text from a writer and from sources stays text in the page: no executable construct, only
    the elements AiBot writes, and links only to citations and the sources' own web pages
    (mailto: aside: GitHub's Markdown links an e-mail address, and escaping cannot stop it)."""
    html = markdown_to_html(render_markdown(draft, articles))
    assert not executable_constructs(html), (html, executable_constructs(html))
    root = html5lib.parseFragment(
        html, container="div", treebuilder="etree", namespaceHTMLElements=False
    )
    hosts = {urlsplit(a.canonical_url).hostname for a in articles if is_web_url(a.canonical_url)}
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        assert element.tag in POST_BODY_TAGS, (element.tag, html)
        href = element.get("href")
        if element.tag == "a" and not (href or "").startswith(("#source-", "mailto:")):
            assert href and urlsplit(href).hostname in hosts, (href, html)
    return html


def check_clean_html(html: str) -> str:
    """clean_html leaves nothing executable, and is idempotent as a browser reads it: cleaning
    its output again gives the same document (no mutation through re-parsing)."""
    cleaned = clean_html(html)
    assert not executable_constructs(cleaned), (html, cleaned, executable_constructs(cleaned))
    again = clean_html(cleaned)
    assert as_browser_reads(again) == as_browser_reads(cleaned), (html, cleaned, again)
    return cleaned


def as_browser_reads(html: str) -> str:
    """`html` parsed as a browser parses it (in a <div>) and written out in one normal form.

    Not the text itself: nh3 may write a tree no parser builds (an <a> inside an <a>), which
    a second cleaning writes as the browser reads it; both hold only the allowed elements."""
    root = html5lib.parseFragment(
        html, container="div", treebuilder="etree", namespaceHTMLElements=False
    )
    return html5lib.serialize(root, tree="etree", alphabetical_attributes=True)


# Grounding checks


def check_verify(draft: Draft, articles: Sequence[Article]) -> Review:
    """verify never raises, its review is consistent, and the same draft and sources give the
    same review whatever the order of the sources and however often it runs; it changes nothing
    but the paragraphs' evidence, which is made of the cited sources' own sentences."""
    before = copy.deepcopy((_without_evidence(draft), list(articles)))
    review = verify(draft, articles)
    assert (_without_evidence(draft), list(articles)) == before, "verify changed its input"
    evidence = [p.evidence for s in draft.sections for p in s.paragraphs]
    texts = {a.canonical_url: " ".join(a.text.split()) for a in articles}
    for paragraph in (p for s in draft.sections for p in s.paragraphs):
        cited = {a.canonical_url for a in articles if a.id in paragraph.sources}
        for found in paragraph.evidence:
            assert found.url in cited, (found, paragraph)
            assert 0 < len(found.sentences) <= 2, found
            assert all(" ".join(s.split()) in texts[found.url] for s in found.sentences), found
    assert review.status in ("passed", "flagged")
    assert all(isinstance(n, str) and n for n in review.notes)
    assert (review.status == "flagged") == bool(review.notes), review
    places = {
        f"section {s + 1} ({section.heading}), paragraph {p + 1}: "
        for s, section in enumerate(draft.sections)
        for p in range(len(section.paragraphs))
    }
    # The parts that cite no source are checked against all of them (see verify).
    places |= {"headline: ", "summary: "}
    places |= {f"disagreement {n}: " for n in range(1, len(draft.disagreements) + 1)}
    assert all(any(n.startswith(place) for place in places) for n in review.notes), review.notes
    assert verify(draft, list(reversed(articles))) == review, "depends on the order of sources"
    again = copy.deepcopy(draft)
    assert verify(again, articles) == review, "not deterministic"
    assert [p.evidence for s in again.sections for p in s.paragraphs] == evidence, "evidence"
    return review


def _without_evidence(draft: Draft) -> Draft:
    """A copy of `draft` with no paragraph evidence: the one thing verify sets."""
    copied = copy.deepcopy(draft)
    for section in copied.sections:
        for paragraph in section.paragraphs:
            paragraph.evidence = []
    return copied


# Drafts and sources for verify, built from a vocabulary of what it reads: amounts written in
# every way it folds, dates, names, quotations, sentence ends.
VERIFY_WORDS = (
    "1,000", "1000", "one thousand", "5.6", "$5.6 billion", "5.6bn dollars", "US$5.6 billion",
    "12%", "twenty-five million", "a thousand", "3", "1.2.3", "99,99", "0.000001", "1e9", "٣",
    "１２", "½", "²", "March", "Tuesday", "March 5", "5th of March", "July 100", "31 April",
    "2014", ", 2014", "2014-07-31", "7/31/2014", "13/13/14", "31.07.2014", "Anna Schmidt", "NATO",
    "O'Brien", "al-Assad", "McDonald's", "“quoted words here”", '"an unbalanced quote',
    "”", "‘", ".", "!", "?", ":", ";", "the", "council", "ferry", "fares", "rise", "said", "\n",
    "Mr.", "U.S.", "-", "—", "$", "£", "€", "m", "bn", "hundred", "and", "Meanwhile", "Officials",
)  # fmt: skip
OUTLETS = ("Harbour Gazette", "NATO", "", "Hill Courier")


def verify_case(
    pick: Callable[[int], int], words: Callable[[], str]
) -> tuple[Draft, list[Article]]:
    """A draft and its sources: `pick(n)` chooses a number below n, `words()` gives a text."""
    when = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    articles = [
        Article(
            url=f"https://outlet{n}.example/story-{n}",
            source=OUTLETS[pick(len(OUTLETS))],
            title=words(),
            text=words(),
            published=when + timedelta(hours=n),
        )
        for n in range(pick(5))
    ]
    ids = [a.id for a in articles] + ["unknown-id"]
    sections = [
        Section(
            words(),
            [
                Paragraph(words(), [ids[pick(len(ids))] for _ in range(pick(4))])
                for _ in range(pick(4))
            ],
        )
        for _ in range(pick(4))
    ]
    return Draft(title=words(), summary=words(), sections=sections, tags=["x"]), articles
