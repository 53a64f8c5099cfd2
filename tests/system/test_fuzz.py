"""Property tests (Hypothesis) for what reads strangers' input: feed parsing, front matter, slugs,
canonical URLs, HTML sanitising and the grounding check. The invariants live in
fuzz/invariants.py, shared with the atheris targets in fuzz/ (the last test here runs each one
briefly).

Profiles: `ci` (the default, ~200 examples per property) and `long`:
    HYPOTHESIS_PROFILE=long pytest tests/system/test_fuzz.py
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from aibot.collect.extract import extract
from aibot.collect.feeds import parse_feed
from aibot.collect.urls import canonical_url, is_web_url
from aibot.models import Article, Draft, Paragraph, Post, Section
from aibot.posts.files import render_markdown
from aibot.posts.frontmatter import FRONT_MATTER_KEYS, PostError, parse_post, post_text
from aibot.posts.slugs import is_slug
from aibot.render.markdown import markdown_to_html
from aibot.support import yamlio
from aibot.support.yamlio import YamlError, load_yaml, may_hold_alias
from fuzz.invariants import (
    FEED_URL,
    POST_PATH,
    VERIFY_WORDS,
    check_canonical_url,
    check_clean_html,
    check_markdown_to_html,
    check_parse_feed,
    check_post_body,
    check_post_bytes,
    check_post_round_trip,
    check_slugify,
    check_verify,
    executable_constructs,
    verify_case,
)

REPO = Path(__file__).resolve().parents[2]
_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # Failing examples are replayed first on the next run; .pytest_cache is git-ignored.
    database=DirectoryBasedExampleDatabase(REPO / ".pytest_cache" / "hypothesis"),
)
settings.register_profile("ci", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
FUZZ = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))


def pieces(*fragments: str, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text made of hostile fragments and arbitrary characters."""
    part = st.one_of(st.sampled_from(fragments), st.text(max_size=8))
    return st.lists(part, max_size=max_size).map("".join)


# parse_feed

TEXT_FRAGMENTS = (
    "Ferry fares rise", " ", "\n", "\t", "&", "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "&#0;",
    "&#xD800;", "&#x110000;", "&#65;", "&nbsp;", "&bogus;", "&", "]]>", "<![CDATA[", "\x00",
    "\x0b", "\u202e", "\ufeff", "\u200b", "<b>bold</b>", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<p>para</p>", "<", ">", '"', "'", "東京", "🙂", "é",
)  # fmt: skip
LINKS = (
    "https://news.example.org/2026/ferry?utm_source=rss&id=7#top", "/relative/path.html",
    "relative.html", "//cdn.example.net/x", "javascript:alert(1)", "data:text/html,<b>x</b>",
    "file:///etc/passwd", "http://[::1]:8080/a", "http://[::1/x", "http://a.example:99999/",
    "http://a.example:0/", "http://a.example:port/", "https:foo", "http:///x", "http://user:pw@h.example/",
    "HTTP://EXAMPLE.ORG/A", " http://spaced.example/ ", "http://exa mple.org/",
    "http://bücher.example/straße", "mailto:desk@example.org", "", "ftp://files.example/x",
    "?only=query", "#only-fragment", "http://example.org/?utm_medium=a&fbclid=b",
)  # fmt: skip
DATES = (
    "Tue, 10 Mar 2026 09:30:00 GMT", "Mon, 31 Feb 2026 25:61:00 +9999", "2026-03-10T09:30:00Z",
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2100-01-01", "1970-01-01T00:00:00Z",
    "99999-01-01", "-0001-01-01", "yesterday", "", "2026-03-10T09:30:00+25:00", "1e308",
)  # fmt: skip
# A DOCTYPE with entities, including a small "billion laughs" (feedparser must not expand it).
DOCTYPE = (
    '<!DOCTYPE rss [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;">'
    '<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
)


def quoted(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _in_xml(text: str, how: str) -> str:
    if how == "escaped":
        return escape(text)
    if how == "cdata":
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return text  # raw: broken markup on purpose


@st.composite
def feed_documents(draw: st.DrawFn) -> bytes:
    """RSS 2.0, Atom or RSS 1.0 documents with hostile titles, links, dates and entities."""
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    how = draw(st.sampled_from(["escaped", "cdata", "raw"]))
    text = pieces(*TEXT_FRAGMENTS)
    link = st.one_of(st.sampled_from(LINKS), st.text(max_size=30))

    def field(name: str, value: str, attrs: str = "") -> str:
        return f"<{name}{attrs}>{_in_xml(value, how)}</{name}>"

    items = []
    for _ in range(draw(st.integers(0, 4))):
        title, href, when = (
            draw(text),
            draw(link),
            draw(st.sampled_from(DATES) | st.text(max_size=20)),
        )
        body, who, tag = draw(text), draw(text), draw(text)
        kind_attr = draw(st.sampled_from(["", ' type="html"', ' type="text"', ' type="xhtml"']))
        if kind == "atom":
            items.append(
                f'<entry>{field("title", title, kind_attr)}<link href="{quoted(href)}"/>'
                f"{field('id', draw(link))}{field('updated', when)}{field('published', when)}"
                f"{field('summary', body, kind_attr)}{field('content', body, kind_attr)}"
                f'<author>{field("name", who)}</author><category term="{escape(tag)}"/></entry>'
            )
        else:
            items.append(
                f"<item>{field('title', title)}{field('link', href)}{field('guid', draw(link))}"
                f"{field('pubDate', when)}{field('dc:date', when)}{field('description', body)}"
                f"{field('content:encoded', body)}{field('author', who)}{field('category', tag)}"
                "</item>"
            )
    entries = "".join(items)
    feed_title = field("title", draw(text))
    if kind == "atom":
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom">{feed_title}{entries}</feed>'
    elif kind == "rss":
        doc = (
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>{feed_title}{entries}'
            "</channel></rss>"
        )
    else:
        doc = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel>{feed_title}</channel>{entries}</rdf:RDF>"
        )
    entities = draw(st.sampled_from(["none", "declared", "undeclared"]))
    if entities != "none":
        doc = doc.replace("Ferry", "&c;")
    encoding = draw(st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "windows-1252", "bogus"]))
    declared = draw(st.sampled_from([encoding, "utf-8", None]))
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    source = head + (DOCTYPE if entities == "declared" else "") + doc
    codec = encoding if encoding != "bogus" else "utf-8"
    return source.encode(codec, errors="replace")


HOSTS = ("news.example.org", "News.Example.ORG", "xn--bcher-kva.example", "[2001:db8::1]")
xml_text = st.text(
    st.characters(
        min_codepoint=0x20, blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff"
    )
)


@st.composite
def feeds_of_web_links(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """Well-formed RSS or Atom whose every entry links to a web page (hosts returned)."""
    atom = draw(st.booleans())
    hosts, items = [], []
    for n in range(draw(st.integers(1, 5))):
        host = draw(st.sampled_from(HOSTS))
        path = draw(st.from_regex(r"(/[a-zA-Z0-9._~-]{1,8}){0,3}", fullmatch=True))
        query = draw(st.sampled_from(["", f"?id={n}", "?utm_source=rss&id=1", "#top"]))
        port = draw(st.sampled_from(["", ":8443"]))
        link, title = f"https://{host}{port}{path}{query}", escape(draw(xml_text))
        hosts.append(host.lower().strip("[]"))
        if atom:
            items.append(f'<entry><title>{title}</title><link href="{quoted(link)}"/></entry>')
        else:
            items.append(f"<item><title>{title}</title><link>{escape(link)}</link></item>")
    if atom:
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{"".join(items)}</feed>'
    else:
        doc = f'<rss version="2.0"><channel><title>T</title>{"".join(items)}</channel></rss>'
    return doc.encode(), hosts


def _rss_item(link: str, title: str = "Ferry", date: str = "") -> bytes:
    return (
        f'<rss version="2.0"><channel><title>Gazette</title><item><title>{title}</title>'
        f"<link>{escape(link)}</link><pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()


# Found by the corrupted-feed property: feedparser's fallback parser leaves `summary` None here.
SUMMARY_LEFT_NONE = (
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://a.example/x"/>'
    b"<summary><![CDATA[fares]]\x00></summary><content><![CDATA[x]]></content></entry></feed>"
)


@FUZZ
@given(st.binary(max_size=4000))
@example(b"")
@example(b"\xff\xfe<\x00r\x00s\x00s\x00")
def test_parse_feed_survives_arbitrary_bytes(data: bytes):
    check_parse_feed(data)


@FUZZ
@given(feed_documents())
@example(_rss_item("https://a.example/x", title="&#xD800;&#x110000;"))
@example(_rss_item("https://a.example/x", date="0001-01-01T00:00:00+14:00"))
@example(SUMMARY_LEFT_NONE)
def test_parse_feed_survives_hostile_feeds_and_keeps_only_usable_entries(data: bytes):
    check_parse_feed(data)


@FUZZ
@given(feeds_of_web_links())
def test_parse_feed_keeps_every_entry_that_links_to_a_web_page(case: tuple[bytes, list[str]]):
    data, hosts = case
    feed = check_parse_feed(data)
    assert [urlsplit(a.url).hostname for a in feed.entries] == hosts
    assert feed.problems == []


@FUZZ
@given(feed_documents(), st.integers(0, 4000), st.binary(min_size=1, max_size=16))
def test_parse_feed_survives_a_corrupted_feed(data: bytes, at: int, noise: bytes):
    at = at % (len(data) + 1)
    check_parse_feed(data[:at] + noise + data[at + len(noise) :])


@pytest.mark.parametrize(
    "link", ["http://a.example:99999/x", "http://a.example:port/x", "http:ferry", "http:///"]
)
def test_parse_feed_skips_an_entry_whose_link_no_one_can_fetch(link: str):
    # Found by the properties above: a port out of range raised ValueError out of parse_feed
    # (and out of the whole collect run); a link without a host became an article.
    feed = parse_feed(_rss_item(link), FEED_URL)
    assert feed.entries == []
    assert feed.problems == ["1 of 1 entries have no usable link and were skipped"]


@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#x110000;", "&#xD83D;&#xDE00;", "&#9999999999999;"]
)
def test_parse_feed_reads_a_reference_to_no_character_as_a_replacement_character(reference):
    # Found by the properties: feedparser's fallback parser raised ValueError or
    # UnicodeEncodeError on these (broken sites write emoji as UTF-16 halves).
    feed = parse_feed(_rss_item("https://a.example/x", title=f"Caf&#233; {reference}"), FEED_URL)
    assert [a.title for a in feed.entries] == ["Café " + "\ufffd" * reference.count(";")]


_RSS = (
    '<rss version="2.0"><channel><title>T</title><item><title>x{}</title>'
    "<link>https://a.example/x</link></item></channel></rss>"
)
FEEDPARSER_CRASHES = {
    # Found by the long run: feedparser itself raised on each (the fix above reaches only
    # ASCII-compatible encodings).
    "utf-16 reference to no character": (
        '<?xml version="1.0" encoding="utf-16"?>' + _RSS.format("&#xD800;")
    ).encode("utf-16"),
    "NUL in the encoding name": ('<?xml version="1.0" encoding="\x00tf-8"?>' + _RSS).encode(),
    "bytes in the encoding name": b'<?xml version="1.0" encoding="iso-885\xba\x82Y"?>'
    + _RSS.encode(),
    "broken RDF namespace": b'<rdf:RDF xmlns:rdf="http://www.w\xa0\xc8\xc1rg/1999/02/22-rdf-syntax-ns#"'
    b' xmlns="http://purl.org/rss/1.0/"><item><title>t</title><link>https://a.example/x</link>'
    b"</item></rdf:RDF>",
}


@pytest.mark.parametrize("data", FEEDPARSER_CRASHES.values(), ids=FEEDPARSER_CRASHES.keys())
def test_a_crash_inside_feedparser_is_a_problem_of_that_feed(data: bytes):
    feed = parse_feed(data, FEED_URL)
    assert feed.entries == [] and feed.version == ""
    assert feed.problems[0].startswith("not an RSS or Atom feed (feedparser failed: ")


def test_parse_feed_keeps_an_entry_whose_date_no_datetime_can_hold():
    # Found by the properties: year 1 at +14:00 is year 0 in UTC; ValueError out of parse_feed.
    feed = parse_feed(_rss_item("https://a.example/x", date="0001-01-01T00:00:00+14:00"), FEED_URL)
    assert [(a.url, a.published) for a in feed.entries] == [("https://a.example/x", None)]


def test_parse_feed_reads_an_entry_the_fallback_parser_left_without_summary():
    # Found by the properties: summary None reached html_to_text (TypeError).
    feed = parse_feed(SUMMARY_LEFT_NONE, FEED_URL)
    assert [(a.url, a.summary) for a in feed.entries] == [("https://a.example/x", "")]


@pytest.mark.parametrize("markup", ["&lt;![ broken", "&lt;![foo[x]]&gt; y", "a &lt;![\x00DATA["])
def test_parse_feed_reads_a_summary_with_a_broken_marked_section(markup: str):
    # Found by the long run: Python's HTMLParser raised AssertionError on a broken "<![".
    rss = _RSS.replace("</title>", f"</title><description>{markup}</description>", 2)
    (entry,) = parse_feed(rss.format("").encode(), FEED_URL).entries
    assert "<![" in entry.summary


def test_parse_feed_drops_blank_tags_and_authors():
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://a.example/x"/>'
        b'<category term=" "/><category term="ferry"/><author><name> </name></author>'
        b"</entry></feed>"
    )
    (entry,) = parse_feed(atom, FEED_URL).entries
    assert (entry.tags, entry.authors) == (["ferry"], [])


def test_parse_feed_keeps_an_entry_with_a_relative_link():
    feed = parse_feed(_rss_item("/2026/ferry.html"), FEED_URL)
    assert [a.url for a in feed.entries] == ["https://feeds.example.org/2026/ferry.html"]


def test_extract_falls_back_to_the_page_url_for_a_broken_declared_canonical():
    # Same finding in article pages: a <link rel=canonical> with a bad port raised ValueError.
    words = "The ferry will run more often this spring, the council said. " * 20
    for declared in ("http://harbour.example.org:99999/ferry", "http:ferry", "http://[::1/x"):
        page = (
            f'<html><head><title>Ferry</title><link rel="canonical" href="{declared}"></head>'
            f"<body><article><p>{words}</p></article></body></html>"
        )
        article = extract(page, "https://harbour.example.org/ferry?utm_source=x")
        assert article.canonical_url == "https://harbour.example.org/ferry"


# canonical_url

URL_PARTS = {
    "scheme": ["http", "https", "HTTP", "Https", "ftp", "javascript", "file", "", "h t t p"],
    "userinfo": ["", "user@", "user:pw@", "a@b@", "%40@", ":@"],
    "host": [
        "example.org", "EXAMPLE.Org", "xn--bcher-kva.example", "bücher.example", "127.0.0.1",
        "[::1]", "[fe80::1%25eth0]", "[::1", "a b", "", "exa%41mple.org", "a..b", "-x-.example",
    ],
    "port": ["", ":80", ":443", ":8080", ":0", ":65535", ":65536", ":99999", ":abc", ":", ":-1"],
    "path": ["", "/", "/a/b", "/a/../b", "/%2e%2e/", "/東京", "/a b", "//double", "/a;p=1"],
    "query": [
        "", "?", "?a=1&b=2", "?utm_source=x&utm_MEDIUM=y&id=7", "?fbclid=1&GCLID=2&x=3", "?a=%zz",
        "?q=a+b&q=a%20b", "?a=1;b=2", "?x", "?&&", "?é=ü", "?a=%00",
    ],
    "fragment": ["", "#", "#top", "#utm_source=x"],
}  # fmt: skip


@st.composite
def urls(draw: st.DrawFn) -> str:
    part = {k: draw(st.sampled_from(v) | st.text(max_size=6)) for k, v in URL_PARTS.items()}
    space = draw(st.sampled_from(["", " ", "\t", "\n"]))
    return (
        f"{space}{part['scheme']}://{part['userinfo']}{part['host']}{part['port']}"
        f"{part['path']}{part['query']}{part['fragment']}{space}"
    )


@FUZZ
@given(st.one_of(urls(), st.text(max_size=60)))
@example("http://a.example:99999/")
@example("https:foo")
@example("http://[fe80::1%25ETH0]/")
@example("http://example.org/ #")
@example("http://[::1]@0")
def test_canonical_url_is_idempotent_and_keeps_scheme_host_and_path(url: str):
    check_canonical_url(url)


def test_canonical_url_keeps_the_case_of_an_ipv6_zone():
    # Found by the long run: the zone (case-sensitive) was lower-cased with the host.
    assert canonical_url("HTTP://[FE80::1%25ETH0]:80/A") == "http://[fe80::1%25ETH0]/A"


def test_canonical_url_encodes_white_space_in_the_path():
    # Found by the long run: "/ #" lost its fragment but kept the space, which the next call
    # stripped: the same link had two canonical forms (two article ids).
    assert canonical_url("http://example.org/ #top") == "http://example.org/%20"
    assert canonical_url("http://example.org/a b/\u3000x") == "http://example.org/a%20b/%E3%80%80x"


def test_canonical_url_quotes_the_user_name():
    # Found by the long run: the user "[" of "http://[::1]@0" was written raw: "http://[@0/",
    # which no URL parser reads.
    assert canonical_url("http://[::1]@0") == "http://%5B@0/"
    assert canonical_url("http://ed%40x:pw@example.org/") == "http://ed%40x@example.org/"


def test_is_web_url_accepts_only_http_urls_with_a_host_and_a_usable_port():
    accepted = ["https://example.org", "HTTP://Example.org:8080/a?b#c", " http://[::1]/ "]
    refused = ["https:foo", "http:///x", "http://a.example:99999/", "http://a.example:0/",
               "http://[::1/x", "javascript:alert(1)", "file:///etc/passwd",
               "//example.org/"]  # fmt: skip
    assert [u for u in accepted if is_web_url(u)] == accepted
    assert [u for u in refused if is_web_url(u)] == []


# slugify

TITLE_FRAGMENTS = (
    "../../etc/passwd", "..", "/", "\\", "C:\\Windows", "CON", "nul", "com1", "LPT9", "index",
    "Москва", "東京", "🙂", "-", "...", "\x00", " trailing. ", "Ærøskøbing", "straße", "İstanbul",
    "ǅ", "ﬁ", "\u200b", "\u0301", "\u202e", "ß" * 40, "word " * 30, "a" * 200, "2026", "---",
)  # fmt: skip


@st.composite
def titles_and_taken(draw: st.DrawFn) -> tuple[str, set[str]]:
    title = draw(st.one_of(pieces(*TITLE_FRAGMENTS), st.text()))
    first = check_slugify(title)
    taken = draw(st.sets(st.sampled_from([first, *(f"{first}-{n}" for n in range(2, 6))])))
    return title, taken


@FUZZ
@given(titles_and_taken())
@example(("../../etc/passwd", set()))
@example(("CON", {"con-story"}))
def test_slugify_gives_a_safe_unique_stable_idempotent_slug(case: tuple[str, set[str]]):
    title, taken = case
    check_slugify(title, taken)


# Front matter

YAML_TRICKS = (
    "no", "yes", "on", "off", "y", "n", "null", "~", "true", "False", "2026-03-14",
    "2026-03-14T09:30:00Z", "12:30", "1e3", "0x1F", "0o17", "+1", ".inf", "-.nan", "Breaking: x",
    "a: b", "- item", "? key", "#comment", " #not", "&anchor", "*alias", "!tag", "%directive",
    "@at", "`tick", "'quote", '"dq', "|", ">", "---", "...", " --- ", "{a: b}", "[a, b]",
    " leading", "trailing ", "\ttab", "multi\nline", "crlf\r\nline", "\rcr", "\x85nel",
    "\u2028ls", "\u2029ps", "\ufeffbom", "\x00nul", "\x1b[31m", "\x7f", "é", "東京", "🙂",
    "\u202eRTL", "\\", "\\n", "'", "''", '"', "key: 'v'", "=", "<<", "0", "-0", "1_000",
)  # fmt: skip
# Long lines make the dumper fold them, with a "---" that may land on a line of its own.
tricky = st.one_of(
    pieces(*YAML_TRICKS),
    st.text(),
    st.lists(st.sampled_from(["x" * 40, "---", " ", "...", "word"]), max_size=12).map("".join),
)
nonblank = tricky.filter(lambda s: s.strip())
slugs = st.from_regex(r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8}){0,4}", fullmatch=True).filter(is_slug)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
plain = st.one_of(tricky, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
values = st.recursive(
    plain,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
    max_leaves=8,
)
bodies = st.lists(
    st.one_of(
        tricky, st.sampled_from(["---", "...", "---\ntitle: x\n---", "\r\n", "## Sources\n"])
    ),
    max_size=8,
).map("\n".join)


@st.composite
def posts(draw: st.DrawFn) -> Post:
    meta = {"title": draw(nonblank), "slug": draw(slugs), "date": draw(moments)}
    optional = {
        "updated": moments,
        "author": tricky,
        "summary": tricky,
        "image": tricky,
        "tags": st.lists(tricky, max_size=4),
        "related": st.lists(slugs, max_size=3),
        "aliases": st.lists(slugs, max_size=3),
        "draft": st.booleans(),
        "locked": st.booleans(),
        "sources": st.lists(
            st.dictionaries(st.sampled_from(["id", "outlet", "title", "url", "published"]), tricky),
            max_size=3,
        ),
        "review": st.fixed_dictionaries(
            {"status": st.sampled_from(["passed", "flagged"]), "notes": st.lists(tricky)}
        ),
        "generator": st.dictionaries(st.sampled_from(["writer", "model", "story"]), tricky),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        meta[key] = draw(optional[key])
    for key, value in draw(st.dictionaries(tricky, values, max_size=3)).items():
        if key not in FRONT_MATTER_KEYS:
            meta[key] = value  # unknown keys are kept as they are
    return Post(meta=meta, body=draw(bodies))


FOLDED_DASHES = (
    "The council said on Tuesday that the ferry will cost more from April, and that the new "
    "timetable ---"
)


@FUZZ
@given(posts())
@example(
    Post(
        {
            "title": "T",
            "slug": "t",
            "date": datetime(2026, 1, 1, tzinfo=UTC),
            "summary": FOLDED_DASHES,
        },
        "",
    )
)
def test_front_matter_round_trip_keeps_every_key_and_the_body(post: Post):
    check_post_round_trip(post)


def test_a_long_value_ending_in_dashes_reads_back():
    # Found by the long run: the dumper folds a long value onto a second line, indented; when
    # that line was "  ---" the reader took it for the end of the front matter.
    meta = {"title": "T", "slug": "t", "date": datetime(2026, 1, 1, tzinfo=UTC)}
    text = post_text(Post({**meta, "summary": FOLDED_DASHES}, "Body"))
    assert "\n  ---\n" in text
    assert parse_post(text, POST_PATH).meta["summary"] == FOLDED_DASHES


def test_a_post_dated_before_the_year_1000_reads_back():
    # Found by the round trip: strftime's %Y wrote the year 999 as "999", which did not load.
    post = Post(meta={"title": "T", "slug": "t", "date": datetime(999, 1, 1, tzinfo=UTC)}, body="")
    assert "date: '0999-01-01T00:00:00Z'" in post_text(post)
    assert check_post_round_trip(post).date == datetime(999, 1, 1, tzinfo=UTC)


def test_a_moment_before_year_1_in_utc_is_saved_as_written():
    # Found by the round trip: a value of another key loaded as such a moment raised
    # OverflowError when the post was saved.
    text = "---\ntitle: T\nslug: t\ndate: 2026-03-14\nseen: 0001-01-01T00:00:00+01:00\n---\n"
    saved = post_text(parse_post(text, POST_PATH))
    assert "seen: '0001-01-01T00:00:00+01:00'" in saved
    assert post_text(parse_post(saved, POST_PATH)) == saved


def test_a_post_whose_summary_holds_no_yaml_surprise_reads_back():
    meta = {"title": "no", "slug": "no", "date": datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
            "summary": "Breaking: 2026-03-14 --- yes",
            "tags": ["no", "2026-03-14", " x "]}  # fmt: skip
    loaded = check_post_round_trip(Post(meta=dict(meta), body="---\n\nBody"))
    assert loaded.meta == meta and loaded.body == "---\n\nBody\n"


YAML_VALUES = (
    "x", "'quoted'", '"dq \\x41 \\ud800"', "2026-03-14T09:30:00Z", "2026-13-45", "2026-02-30",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-03-14 09:30:00.123456+05:30",
    "!!timestamp x", "!!int abc", "!!int 0x_", "!!bool maybe", "!!float x", "!!binary '!!'",
    "!!set {a, b}", "!!omap [a]", "!!pairs x", "!!python/object:os.system x", "!!str 1",
    "!!null x", "&a x", "*a", "[a, *a]", "{a: 1, a: 2}", "[", "{", "'unclosed", "|\n  block",
    ">-\n  folded", "? complex\n: key", "[[[[[[]]]]]]", "{? [a]: b}", "1e999", "-.inf", "~",
    "\t tab", "@x", "%x", "!<tag:yaml.org,2002:int> 1", "!local x", "[no, yes, on]",
    "{title: x}", "- a\n- b", "null", "true",
)  # fmt: skip


@st.composite
def post_files(draw: st.DrawFn) -> bytes:
    """Front matter that is mostly valid, with a hostile value in one place or another."""
    value = st.one_of(st.sampled_from(YAML_VALUES), tricky)
    lines = {
        "title": "Ferry fares rise",
        "slug": "ferry-fares-rise",
        "date": "2026-03-14T09:30:00Z",
    }
    for key in draw(st.lists(st.sampled_from([*FRONT_MATTER_KEYS, "extra"]), max_size=3)):
        lines[key] = draw(value)
    front = "\n".join(f"{k}: {v}" for k, v in lines.items())
    text = f"---\n{front}\n---\n\n{draw(bodies)}\n"
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text.replace("\n", newline)).encode("utf-8", errors="surrogatepass")


@FUZZ
@given(st.one_of(post_files(), st.binary(max_size=600)))
@example(b"---\ntitle: x\nslug: x\ndate: 2026-13-45\n---\n")
@example(b"---\ntitle: x\nslug: x\ndate: 0001-01-01T00:00:00+01:00\n---\n")
@example(b"---\ntitle: x\nslug: x\ndate: 2026-03-14\nextra: !!bool maybe\n---\n")
def test_any_post_file_reads_as_a_post_or_a_post_error_and_a_saved_post_reads_back(data: bytes):
    check_post_bytes(data)


YAML_PIECES = (
    "&a", "*a", "&", "*", " ", "\n", "- ", ": ", ":", "? ", "[", "]", "{", "}", ",", "a", "1", "=",
    "?", "/", "'", '"', "!!str ", "--- ", "\t", "\ufeff", "#",
)  # fmt: skip


@FUZZ
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=16).map("".join))
@example('{"a":&x 1, "b":*x}')
@example("url: https://a.example/?x=1&y=2")
def test_text_the_alias_precheck_passes_holds_no_anchor_or_alias(text: str):
    """load_yaml scans a document's events for aliases only when yamlio.may_hold_alias says it
    may hold one: it must never miss one that PyYAML would read."""
    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return
    found = any(
        isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) is not None for e in events
    )
    assert not found or may_hold_alias(text)


YAML_DOCUMENT_PIECES = (
    "a", "b", "1", "2026-03-14", "null", "true", "~", "0x1f", "1e3", ".inf", "<<", "=", "'q'",
    '"d"', "!!str ", "!!int ", "!!set ", "!!omap ", "!!binary ", "!!python/name:x ", " ", "\n",
    "  ", "- ", ": ", "? ", "[", "]", "{", "}", ", ", "|\n  ", ">\n  ", "#c",
)  # fmt: skip


@FUZZ
@given(st.lists(st.sampled_from(YAML_DOCUMENT_PIECES), max_size=24).map("".join))
@example("<<: {a: 1}\nb: 2")
@example("a: 1\na: x")
@example("? [a]\n: b")
@example("!!str {a: b}")
@example("= : v")
@example("a: !!set {x, y}")
@example("!!int ")
@example("[a? ]")  # libyaml reads ['a?'], PyYAML's Python parser refuses it
def test_load_yaml_reads_what_pyyaml_s_safe_loader_reads(text: str):
    """yamlio builds text, lists and text-keyed mappings itself (_Loader._value): the result,
    or the error, must be that of PyYAML's safe loader on the same parser (libyaml's where
    PyYAML has it, as yamlio uses it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        expected = yaml.load(text, Loader=loader)  # noqa: S506 - the safe loader
    except (yaml.YAMLError, *yamlio._CONSTRUCTING):
        with pytest.raises(YamlError):
            load_yaml(text)
        return
    assert _typed(load_yaml(text)) == _typed(expected)


def _typed(value: object) -> object:
    """`value` with the type of every part in it (1 == True, but not here)."""
    if isinstance(value, dict):
        return ("dict", tuple((_typed(k), _typed(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_typed(v) for v in value))
    if isinstance(value, set):
        return ("set", frozenset(_typed(v) for v in value))
    return (type(value).__name__, value)


def test_a_url_query_needs_no_alias_scan():
    assert not may_hold_alias("url: https://a.example/news?id=1&page=2\nnote: 2*3\n")
    assert may_hold_alias("a: &x 1\nb: *x\n")


@pytest.mark.parametrize(
    ("value", "line", "message"),
    [
        ("date: 2026-13-45", 4, "month must be in 1..12"),
        ("date: 0001-01-01T00:00:00+01:00", 4, "expected a date and time"),
        ("extra: !!timestamp soon", 5, "soon"),
        ("extra: !!int abc", 5, "abc"),
        ("extra: !!bool maybe", 5, "maybe"),
        ("extra: !!float x", 5, "x"),
        ("extra: !!int", 5, "cannot read '' as int"),  # IndexError inside PyYAML
    ],
)
def test_a_value_yaml_cannot_construct_is_a_post_error_with_its_line(value, line, message):
    # Found by the property above: these raised ValueError, AttributeError, KeyError or
    # OverflowError out of load_post, with no file or line.
    key = value.split(":")[0]
    front = {"title": "title: Ferry", "slug": "slug: ferry", "date": "date: 2026-03-14"}
    front[key] = value
    text = "---\n" + "\n".join(front.values()) + "\n---\n\nBody\n"
    with pytest.raises(PostError) as caught:
        parse_post(text, POST_PATH)
    assert (caught.value.path, caught.value.line) == (POST_PATH, line)
    assert message in caught.value.message


# HTML sanitising

TAGS = (
    "script", "style", "iframe", "svg", "math", "img", "a", "p", "div", "object", "embed", "base",
    "meta", "link", "form", "input", "button", "textarea", "template", "noscript", "table",
    "select", "option", "xmp", "plaintext", "noembed", "title", "span", "b", "mi", "mglyph",
    "annotation-xml", "foreignObject", "desc", "video", "audio", "source", "details", "marquee",
    "frameset", "body", "html", "head", "h2", "sup", "td", "pre", "code",
    "math><mi", "scr<script>ipt",
)  # fmt: skip
ATTRIBUTES = (
    "href", "src", "onerror", "onload", "onclick", "ONMOUSEOVER", "style", "srcdoc", "formaction",
    "action", "xlink:href", "data", "background", "poster", "id", "class", "title", "alt",
    "srcset", "http-equiv", "content", "rel", "target", "align", "width", "encoding",
)  # fmt: skip
ATTRIBUTE_VALUES = (
    "javascript:alert(1)", "java\tscript:alert(1)", "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "\x01javascript:x",
    "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>", "//evil.example/x.png", "https://ok.example/",
    "/local.png", "images/local.png", "#source-1",
    "mailto:desk@example.org", "expression(alert(1))",
    "url(javascript:alert(1))", 'x" onerror="alert(1)', "0;url=javascript:alert(1)", "refresh",
    "text/html", "",
)  # fmt: skip
BROKEN = (
    "<", "</", "<!--", "-->", "<![CDATA[", "]]>", "<?xml x?>", "<!DOCTYPE html>", "&lt;script&gt;",
    "&#x3C;script&#x3E;", "&#60", "&nbsp;", "\x00", "`", "<a href=", "'", '"', "/>", "<p", "\n\n",
)  # fmt: skip
MARKDOWN = (
    "[x](javascript:alert(1))", "![x](data:image/png;base64,AAAA)", "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)", "[x](  javascript:alert(1)  )",
    "[x](java&#115;cript:alert(1))", "[x](<javascript:alert(1)>)",
    "[^1]\n\n[^1]: <script>x</script>",
    "![a photo](https://cdn.example/p.jpg)", "![](/static/p.jpg)", "<https://ok.example/>",
    "www.example.org", "`<script>`", "```\n<script>\n```", "    <script>",
    "| a | b |\n|---|---|\n| <b onclick=x>c</b> | d |",
    "[[2]](#source-2)", '<span id="source-1"></span>', "## Sources", "> quote", "- item", "***",
    "[x](vbscript:x)", "[x](data:text/html,x)", "[x](mailto:a@b)", "<a href='javascript:x'>y</a>",
)  # fmt: skip


@st.composite
def hostile_html(draw: st.DrawFn, depth: int = 0) -> str:
    """A grammar of tags, attributes, URLs and broken markup (and Markdown tricks around it)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.integers(0, 9))
        if choice < 5 and depth < 3:
            tag = draw(st.sampled_from(TAGS))
            attrs = ""
            for _ in range(draw(st.integers(0, 3))):
                name, value = (
                    draw(st.sampled_from(ATTRIBUTES)),
                    draw(st.sampled_from(ATTRIBUTE_VALUES)),
                )
                quote = draw(st.sampled_from(['"', "'", "", "`"]))
                attrs += draw(st.sampled_from([" ", "/", "\n"])) + f"{name}={quote}{value}{quote}"
            inner = (
                draw(hostile_html(depth + 1)) if draw(st.booleans()) else draw(st.text(max_size=5))
            )
            close = draw(st.sampled_from([f"</{tag}>", "", f"</{tag}", "</p>"]))
            out.append(f"<{tag}{attrs}>{inner}{close}")
        elif choice < 7:
            out.append(draw(st.sampled_from(MARKDOWN)))
        elif choice < 9:
            out.append(draw(st.sampled_from(BROKEN)))
        else:
            out.append(draw(st.text(max_size=10)))
    return "".join(out)


@FUZZ
@given(hostile_html())
@example('<a href="java\tscript:alert(1)">x</a><img src=x onerror=alert(1)>')
@example("<svg><style><img src=x onerror=alert(1)></style></svg>")
@example("<math><mi><mglyph><style><img src=x onerror=alert(1)>")
def test_markdown_to_html_leaves_nothing_executable(markdown: str):
    check_markdown_to_html(markdown)


@FUZZ
@given(hostile_html())
@example('<noscript><p title="</noscript><img src=x onerror=alert(1)>">')
@example("<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>")
def test_clean_html_leaves_nothing_executable_and_is_idempotent(html: str):
    check_clean_html(html)


# Markdown that GitHub's flavour would turn into markup: autolinks, strikethrough, lists.
MARKUP_IN_TEXT = (
    "www.evil.example", "https://evil.example/x", "~~struck~~", "~one~", "- ", "+ ", "* ",
    "1) ", "1. ", "---", "desk@evil.example", "http://", "WWW.", "[x]: https://evil.example",
)  # fmt: skip
source_text = pieces(*MARKUP_IN_TEXT, *MARKDOWN, *BROKEN, *TEXT_FRAGMENTS)


@st.composite
def hostile_drafts(draw: st.DrawFn) -> tuple[Draft, list[Article]]:
    """A draft and its sources whose every text is hostile (a model or an outlet wrote it)."""
    urls = st.sampled_from(
        ["https://g.example/a", "https://h.example/a?x=<b>&y=(1)", "javascript:alert(1)", "x"]
    )
    articles = [
        Article(url=draw(urls), source=draw(source_text), title=draw(source_text), text="t")
        for _ in range(draw(st.integers(1, 3)))
    ]
    ids = st.lists(st.sampled_from([a.id for a in articles]), max_size=2)
    sections = [
        Section(draw(source_text), [Paragraph(draw(source_text), draw(ids))])
        for _ in range(draw(st.integers(1, 2)))
    ]
    disagreements = draw(st.lists(source_text, max_size=2))
    draft = Draft("T", "S", sections, disagreements=disagreements)
    return draft, articles


@FUZZ
@given(hostile_drafts())
def test_text_from_writers_and_sources_never_becomes_markup_or_links(case):
    check_post_body(*case)


@pytest.mark.parametrize(
    "text",
    ["see www.evil.example", "_www.evil.example", "https://evil.example/x", "~~struck~~",
     "~one~", "1) first", "1. first", "- item", "+ item", "---"],
)  # fmt: skip
def test_text_in_a_draft_reads_as_written(text: str):
    # Found by the property above: GitHub's Markdown made links, strikethrough, lists and rules
    # of these, though render_markdown promised no markup or link could come from a source.
    article = Article("https://g.example/a", "Gazette", "Ferry", "t")
    draft = Draft("T", "S", [Section("H", [Paragraph(text, [article.id])])])
    html = markdown_to_html(render_markdown(draft, [article]))
    assert f"<h2>H</h2>\n<p>{text} <sup" in html


def test_the_executable_check_sees_what_a_browser_would_run():
    # The checker itself must catch each kind of construct, or the properties above prove nothing.
    caught = {
        "<script>x</script>", "<img src=x onerror=alert(1)>", '<a href="java\tscript:x">y</a>',
        '<a href=" &#106;avascript:x">y</a>', "<svg></svg>", '<p style="x">y</p>',
        '<meta http-equiv="refresh" content="0;url=javascript:x">', '<img src="data:x">',
        '<iframe srcdoc="x"></iframe>', '<a href="vbscript:x">y</a>',
    }  # fmt: skip
    assert [html for html in caught if not executable_constructs(html)] == []
    harmless = (
        '<p><a href="https://ok.example/" rel="noopener">a</a> &lt;script&gt; <img src="p.jpg"></p>'
    )
    assert executable_constructs(harmless) == []


# verify

prose = st.lists(st.one_of(st.sampled_from(VERIFY_WORDS), st.text(max_size=8)), max_size=25).map(
    " ".join
)


@st.composite
def drafts_and_articles(draw: st.DrawFn) -> tuple[Draft, list[Article]]:
    return verify_case(lambda n: draw(st.integers(0, n - 1)), lambda: draw(prose))


@FUZZ
@given(drafts_and_articles())
# Found by the long run: the summary is checked too (for links and planted words), so a note
# may name it rather than a paragraph.
@example((Draft("", "HTTP:0", [], ["x"]), []))
def test_verify_never_crashes_and_is_deterministic(case: tuple[Draft, list[Article]]):
    check_verify(*case)


def test_verify_gives_the_same_notes_in_processes_with_other_hash_seeds():
    # Sets and dicts of strings iterate in a per-process order: notes must not depend on it.
    def notes(seed: str) -> str:
        return subprocess.run(
            [sys.executable, "fuzz/verify_corpus.py", "300"],
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    with ThreadPoolExecutor(os.cpu_count()) as processes:  # side by side: one core each
        outputs = list(processes.map(notes, ("1", "2", "3")))
    assert outputs[0].count("\n") == 300 and "flagged" in outputs[0] and "passed" in outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]


# The atheris targets

TARGETS = sorted((REPO / "fuzz").glob("fuzz_*.py"))
needs_atheris = pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() == "x86_64"),
    reason="atheris ships wheels for Linux x86_64 only",
)


def test_there_is_an_atheris_target_per_fuzzed_function():
    names = {t.stem for t in TARGETS}
    assert names == {
        "fuzz_parse_feed", "fuzz_front_matter", "fuzz_slugify", "fuzz_canonical_url",
        "fuzz_sanitise", "fuzz_verify",
    }  # fmt: skip


ATHERIS_RUNS = 500


def _atheris_run(target: Path, corpus: Path) -> subprocess.CompletedProcess[str]:
    seeds = REPO / "fuzz" / "seeds" / target.stem.removeprefix("fuzz_")
    return subprocess.run(
        [sys.executable, str(target), str(corpus), str(seeds), f"-runs={ATHERIS_RUNS}", "-seed=1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def atheris_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Future]]:
    """Every target's run, started together as the first of these tests begins: each is one
    single-threaded process, so they run side by side, one per core."""
    with ThreadPoolExecutor(os.cpu_count()) as processes:
        yield {
            target: processes.submit(_atheris_run, target, tmp_path_factory.mktemp(target.stem))
            for target in TARGETS
        }


@needs_atheris
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.stem)
def test_atheris_target_runs_without_a_finding(target: Path, atheris_runs: dict[Path, Future]):
    result = atheris_runs[target].result(timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Done {ATHERIS_RUNS} runs" in result.stderr, result.stderr[-3000:]
