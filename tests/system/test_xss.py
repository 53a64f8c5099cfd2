"""XSS: hostile strings in everything AiBot reads never run in a reader's browser.

The corpus (tests/fixtures/xss/payloads.json) holds 77 payloads — script tags, event handlers,
javascript: and data: URLs, SVG, CSS, broken markup, entity tricks, Markdown link and image tricks,
template syntax — each numbered so that one that works names itself: it calls alert(n), sets
window.__pwned_n or asks for http://evil.invalid/n.

They go in through the real pipeline, over HTTP on 127.0.0.1:
- two RSS and two Atom feeds (outlet names from the feeds' titles): item titles, summaries,
  content / content:encoded, authors and categories;
- the article pages the items link to (newspaper4k and trafilatura read them): <title>, meta
  author and description, headline, text, and raw markup; half the pages are disallowed by
  robots.txt, so the feed's own summary or content becomes the article text;
- the model's answers: the second run writes with Claude through the stub Messages API, which puts
  payloads in the headline, summary, section headings, tags and disagreements (its paragraphs are
  the sources' own sentences, payloads included); verify holds most of these posts as drafts
  (their payloads add links no source has), so the site is built with drafts, as an editor
  previews it;
- one post edited by hand: payloads in the front matter (title, summary, author, tags, image,
  sources) and, raw, in the Markdown body.

Each payload in each field comes with a token (zq<payload><field>) that is plain text, so the
tests can tell where it ended up. Then:
- a static check parses every output — HTML pages, Atom and RSS feeds (and the HTML they carry),
  JSON Feed, sitemaps, the Pagefind fragments — and finds no script but the site's own, no on*
  attribute, no javascript:/data:/vbscript: URL, no style (but the briefing emails' inline CSS,
  which may load nothing), no frame, object, embed, base or foreign meta refresh, and no payload
  left unescaped;
- Chromium (Playwright, with the page's Content-Security-Policy bypassed, so that escaping alone
  is tested) opens every page and searches for the tokens: no dialog, no window.__pwned_*, no
  request that leaves 127.0.0.1.
"""

from __future__ import annotations

import gzip
import html
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import html5lib
import pytest
import yaml

from tests.conftest import REPO, anthropic_stub, run_cli
from tests.helpers.browser import serving

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the `browser` fixture reports it
    PlaywrightError = Exception  # noqa: N816
    expect = None

CORPUS = REPO / "tests" / "fixtures" / "xss" / "payloads.json"
BASE_URL = "https://xss.aibot.example/"
STORIES = 40  # the first half written by the extractive writer, the second by Claude (stub)
MODEL_PAYLOADS = 4  # payloads in each model answer field, so that 20 answers carry all 77


@dataclass(frozen=True)
class Payload:
    n: int
    kind: str
    text: str  # with its number in place of {n}


def load_corpus() -> list[Payload]:
    raw = json.loads(CORPUS.read_text(encoding="utf-8"))["payloads"]
    return [
        Payload(n, p["kind"], p["payload"].replace("{n}", str(n)))
        for n, p in enumerate(raw, start=1)
    ]


PAYLOADS = load_corpus()

# Where a payload was put: the code in its token.
FIELDS = {
    "ti": "feed item title",
    "su": "feed item summary",
    "co": "feed item content",
    "au": "feed item author",
    "ca": "feed item category",
    "ou": "feed title (outlet name)",
    "pt": "page <title> and meta tags",
    "pa": "page author",
    "ph": "page headline",
    "px": "page text",
    "pm": "page raw markup",
    "mh": "model headline",
    "ms": "model summary",
    "mg": "model section heading",
    "mt": "model tag",
    "md": "model disagreement",
    "et": "hand-edited title",
    "es": "hand-edited summary",
    "ea": "hand-edited author",
    "eg": "hand-edited tag",
    "eo": "hand-edited source outlet and title",
    "eb": "hand-edited Markdown body",
}


def token(payload: Payload, code: str) -> str:
    return f"zq{payload.n:02d}{code}"


# field code -> the numbers of the payloads put in that field (filled as the sources are made)
PLACED: dict[str, set[int]] = {code: set() for code in FIELDS}


def carried(payload: Payload, code: str) -> str:
    """A payload as a field carries it: its token, then the payload."""
    PLACED[code].add(payload.n)
    return f"{token(payload, code)} {payload.text}"


# The hostile sources


PLACES = [
    "Alderford", "Brackenmoor", "Cindervale", "Dunmarrow", "Elderwick", "Fallowmere",
    "Gorsebrook", "Hollinshead", "Ivybridge", "Juniper Cove", "Kestrel Point", "Larchmont",
    "Millhaven", "Nettlecombe", "Oakhurst", "Pebblesford", "Quillon", "Rookwood", "Saltmarsh",
    "Thistledown", "Umberlee", "Vantage Bay", "Willowmere", "Yarrowby", "Zephyr Reach",
    "Ashcombe", "Birchwater", "Coldharbour", "Dovecote", "Emberton", "Foxglove", "Greystone",
    "Heathcliff", "Inglenook", "Jasper Hill", "Kingsmead", "Lowther", "Marigold", "Northwold",
    "Ottervale",
]  # fmt: skip
SUBJECTS = [
    "ferry timetable", "library roof", "orchard harvest", "tram extension", "reservoir level",
    "lighthouse repairs", "market hall", "cycle lanes", "school meals", "bridge tolls",
    "flood barrier", "bus depot", "museum archive", "harbour dredging", "wind farm",
    "swimming pool", "street lighting", "railway sidings", "allotment fees", "clinic hours",
    "ice rink", "botanical garden", "sea wall", "parking permits", "fire station",
    "canal locks", "observatory dome", "skate park", "fish quay", "town clock",
    "recycling centre", "ferry pier", "theatre seats", "chess club", "beekeeping course",
    "orchestra tour", "glasshouse", "weather station", "rowing regatta", "cheese fair",
]  # fmt: skip


@dataclass
class Source:
    """One article: a feed entry and its page, with the payloads placed in it."""

    story: int
    fmt: str  # "rss" or "atom"
    path: str  # the page's path on the server
    partial: bool  # robots.txt disallows the page: the feed's text is the article
    summary_only: bool  # a partial entry without content: its summary is the article
    published: datetime
    fields: dict[str, Payload] = field(default_factory=dict)

    @property
    def place(self) -> str:
        return PLACES[self.story]

    @property
    def subject(self) -> str:
        return SUBJECTS[self.story]


def _rotation(code: str, slot: int) -> Payload:
    """The payload for the `slot`-th use of a field: every field walks the whole corpus, each
    from its own starting point."""
    offset = sum(map(ord, code)) * 7
    return PAYLOADS[(slot + offset) % len(PAYLOADS)]


def make_sources(now: datetime) -> list[Source]:
    sources = []
    for story in range(STORIES):
        for k, fmt in enumerate(("rss", "atom")):
            slot = 2 * story + k
            partial = slot % 4 in (1, 2)
            source = Source(
                story=story,
                fmt=fmt,
                path=f"{'partial' if partial else 'pages'}/s{story:02d}-{fmt}.html",
                partial=partial,
                summary_only=slot % 4 == 2,
                published=now - timedelta(hours=30) + timedelta(minutes=20 * slot),
            )
            source.fields = {
                code: _rotation(code, slot) for code in ("ti", "su", "co", "au", "ca", "pt",
                                                         "pa", "ph", "px", "pm")
            }  # fmt: skip
            sources.append(source)
    return sources


def _sentences(source: Source) -> list[str]:
    place, subject = source.place, source.subject
    return [
        f"The council in {place} approved changes to the {subject} on Tuesday evening.",
        f"Residents of {place} had asked for the {subject} to be reviewed for two years.",
        f"A spokesperson said the {subject} plan for {place} would cost less than expected.",
        f"Work on the {subject} is due to begin in {place} before the end of the month.",
        f"Local businesses in {place} welcomed the decision on the {subject}.",
        f"Opponents said the {subject} consultation in {place} had been too short.",
        f"The {subject} will be reviewed again by the {place} council next spring.",
        f"Officials in {place} said more details about the {subject} would follow.",
    ]


def page_html(source: Source) -> str:
    f, esc = source.fields, html.escape
    said = _sentences(source)
    headline = f"{source.place} {source.subject} {carried(f['ph'], 'ph')}"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(carried(f['pt'], 'pt'))}</title>"
        f"<meta name='author' content='{esc(carried(f['pa'], 'pa'))}'>"
        f"<meta property='og:title' content='{esc(carried(f['pt'], 'pt'))}'>"
        f"<meta name='description' content='{esc(carried(f['pt'], 'pt'))}'>"
        f"<meta property='article:published_time' content='{source.published.isoformat()}'>"
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{esc(headline)}</h1>"
        f"<p class='byline'>By {esc(carried(f['pa'], 'pa'))}</p>"
        f"<p>{said[0]} The notice posted in {source.place} read: "
        f"{esc(carried(f['px'], 'px'))}</p>"
        f"<p>{said[1]} {said[2]}</p>"
        f"<p>{said[3]} {said[4]}</p>"
        f"<div>{carried(f['pm'], 'pm')}</div>"
        f"<p>{said[5]} {said[6]} {said[7]}</p>"
        f"</article><footer>Footer</footer></body></html>"
    )


def _feed_text(source: Source, code: str) -> str:
    """Summary or content HTML: the payload once as text and once as markup."""
    said = _sentences(source)
    payload = source.fields[code]
    return (
        f"<p>{said[0]} {said[2]} The notice read: {html.escape(carried(payload, code))}</p>"
        f"<p>{said[3]} {said[6]}</p>{payload.text}"
    )


def _title(source: Source) -> str:
    return f"{source.place} {source.subject} {carried(source.fields['ti'], 'ti')}"


def rss_feed(sources: list[Source], base: str, outlet: Payload) -> str:
    x = html.escape
    items = []
    for s in sources:
        content = "" if s.summary_only else (
            f"<content:encoded>{x(_feed_text(s, 'co'))}</content:encoded>"
        )  # fmt: skip
        items.append(
            f"<item><title>{x(_title(s))}</title><link>{base}{s.path}</link>"
            f"<guid>{base}{s.path}</guid>"
            f"<pubDate>{s.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{x(_feed_text(s, 'su'))}</description>{content}"
            f"<dc:creator>{x(carried(s.fields['au'], 'au'))}</dc:creator>"
            f"<category>{x(carried(s.fields['ca'], 'ca'))}</category></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/' "
        "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
        f"<title>{x(carried(outlet, 'ou'))}</title><link>{base}</link>"
        f"<description>Hostile news</description>{''.join(items)}</channel></rss>"
    )


def atom_feed(sources: list[Source], base: str, outlet: Payload) -> str:
    x = html.escape
    entries = []
    for s in sources:
        content = "" if s.summary_only else (
            f"<content type='html'>{x(_feed_text(s, 'co'))}</content>"
        )  # fmt: skip
        entries.append(
            f"<entry><title type='text'>{x(_title(s))}</title>"
            f"<link rel='alternate' href='{base}{s.path}'/><id>{base}{s.path}</id>"
            f"<published>{s.published.isoformat()}</published>"
            f"<updated>{s.published.isoformat()}</updated>"
            f"<author><name>{x(carried(s.fields['au'], 'au'))}</name></author>"
            f"<category term='{x(carried(s.fields['ca'], 'ca'))}'/>"
            f"<summary type='html'>{x(_feed_text(s, 'su'))}</summary>{content}</entry>"
        )
    updated = max(s.published for s in sources).isoformat()
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title type='text'>{x(carried(outlet, 'ou'))}</title><id>{base}atom</id>"
        f"<updated>{updated}</updated>{''.join(entries)}</feed>"
    )


def write_sources(folder: Path, base: str, now: datetime) -> dict[str, list[Source]]:
    """The server's files; returns the sources of each feed file."""
    sources = make_sources(now)
    feeds: dict[str, list[Source]] = {}
    for s in sources:
        half = "a" if s.story < STORIES // 2 else "b"
        feeds.setdefault(f"{s.fmt}_{half}.xml", []).append(s)
        page = folder / s.path
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(page_html(s), encoding="utf-8")
    for n, (name, members) in enumerate(sorted(feeds.items())):
        outlet = _rotation("ou", n * 19)
        make = rss_feed if name.startswith("rss") else atom_feed
        (folder / name).write_text(make(members, base, outlet), encoding="utf-8")
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /partial/\n")
    return feeds


# What the model answers


def hostile_answers() -> Callable[[Any, dict[str, Any]], tuple[int, dict[str, Any]]]:
    """A stub script item: the stub's own answer (the sources' sentences, with their
    payloads), with payloads in every field the model writes."""
    slots = itertools.count()

    def several(code: str, slot: int, count: int = MODEL_PAYLOADS) -> list[str]:
        return [carried(_rotation(code, slot * MODEL_PAYLOADS + i), code) for i in range(count)]

    def answer(api: Any, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        slot = next(slots)
        written = anthropic_stub.written_answer(request)
        written["headline"] = " ".join(several("mh", slot))
        written["summary"] = " ".join(several("ms", slot))
        headings = several("mg", slot, min(MODEL_PAYLOADS, len(written["sections"])))
        for section, heading in zip(written["sections"], headings, strict=False):
            section["heading"] = heading
        written["tags"] = several("mt", slot)
        written["disagreements"] = several("md", slot)
        return 200, api.message(request, written)

    return answer


# A post edited by hand


def hand_edited_post(now: datetime) -> str:
    def one(code: str, slot: int = 0) -> str:
        return carried(_rotation(code, slot), code)

    meta = {
        "title": one("et"),
        "slug": "hand-edited-post",
        "date": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "author": one("ea"),
        "summary": one("es"),
        "tags": [one("eg", n) for n in range(4)],
        "image": "javascript:alert(1)",
        "image_alt": one("es", 1),
        "sources": [
            {
                "id": "h1",
                "outlet": one("eo", 0),
                "title": one("eo", 1),
                "url": "javascript:window.__pwned_0=1",
                "published": "2026-11-20T08:00:00Z",
            },
            {
                "id": "h2",
                "outlet": one("eo", 2),
                "title": one("eo", 3),
                "url": "data:text/html,<script>window.__pwned_0=1</script>",
            },
        ],  # fmt: skip
        "draft": False,
    }
    body = "\n\n".join(carried(p, "eb") for p in PAYLOADS)
    return f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n\n{body}\n"


# The hostile site, built once for the module


@dataclass
class HostileSite:
    folder: Path
    site: Path
    sources: dict[str, list[Source]]
    api: Any  # the stub Messages API


def _config(folder: Path, base: str, feeds: list[str], writer: str) -> Path:
    config = {
        "site": {"title": "Hostile Input Gazette", "base_url": BASE_URL, "language": "en"},
        "feeds": [{"url": base + name, "trusted_single_source": True} for name in feeds],
        "collect": {"max_age_hours": 0, "allow_private_hosts": True, "timeout_s": 10},
        "cluster": {"min_sources": 2, "embeddings": "off"},
        "writer": {"backend": writer, "max_posts_per_run": 100, "repair": False,
                   "max_retries": 0},
    }  # fmt: skip
    path = folder / "aibot.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    now = datetime.now(UTC).replace(microsecond=0)
    root = tmp_path_factory.mktemp("xss")
    served, folder = root / "served", root / "site-folder"
    served.mkdir()
    folder.mkdir()
    mp = pytest.MonkeyPatch()
    with serving(served) as server, anthropic_stub.serving() as (api, api_url):
        sources = write_sources(served, server.base, now)
        config = _config(folder, server.base, ["rss_a.xml", "atom_a.xml"], "extractive")
        first = run_cli("run", "-c", str(config))
        assert first.exit_code == 0, first.output
        posts = folder / "content" / "posts" / f"{now:%Y}"
        posts.mkdir(parents=True, exist_ok=True)
        (posts / "hand-edited-post.md").write_text(hand_edited_post(now), encoding="utf-8")
        api.script += [hostile_answers()] * STORIES
        mp.setenv("ANTHROPIC_API_KEY", "test-key")
        mp.setenv("ANTHROPIC_BASE_URL", api_url)
        config = _config(folder, server.base, sorted(sources), "claude")
        second = run_cli("run", "-c", str(config))
        assert second.exit_code == 0, second.output
        mp.undo()
        # verify holds the answers whose payloads add links as drafts; editors preview drafts,
        # so the site is built with them.
        built = run_cli("build", "--drafts", "-c", str(config))
        assert built.exit_code == 0, built.output
        yield HostileSite(folder, folder / "site", sources, api)


# The static check


# Where a URL goes: every attribute that can hold one.
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "data", "background",
    "ping", "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "manifest", "icon", "usemap",
    "srcset", "imagesrcset",
}  # fmt: skip
# Elements a page must never have (whatever their attributes).
FORBIDDEN_ELEMENTS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "portal",
    "noscript", "template", "xmp", "plaintext", "textarea", "math",
}  # fmt: skip
# Attributes that run or load something whatever their name suggests.
FORBIDDEN_ATTRIBUTES = {"style", "srcdoc", "formaction", "xlink:href", "ping"}
WEB_SCHEMES = {"", "http", "https", "mailto"}
# What a page may load by itself: only the site's own files.
LOADED_BY = {("img", "src"), ("script", "src"), ("link", "href"), ("video", "poster"),
             ("img", "srcset"), ("source", "src"), ("source", "srcset"), ("input", "src"),
             ("audio", "src"), ("video", "src"), ("track", "src")}  # fmt: skip


def _scheme(url: str) -> str:
    """The scheme a browser would see: control characters and white space dropped first."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(url)).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else ""


def _own(url: str) -> bool:
    """A URL of the site itself: relative, or under the site's base URL."""
    return _scheme(url) == "" and not url.strip().startswith("//") or url.startswith(BASE_URL)


def _attribute_name(key: str) -> str:
    """html5lib writes namespaced attributes as {namespace}name: xlink:href stays xlink:href."""
    namespace, _, name = key.rpartition("}")
    return f"xlink:{name}" if namespace.endswith("xlink") else name.lower()


# What lets CSS load or run something: a URL, an import, an IE expression, an escape hiding one.
UNSAFE_CSS = re.compile(r"url\(|@import|expression|\\|javascript:|behavior|binding", re.I)


def unsafe_html(text: str, *, page: bool = False, email: bool = False) -> list[str]:
    """Everything in an HTML document (page=True) or fragment that could run script or load
    something from elsewhere. An email (a briefing's email copy, which mail clients read only
    with inline CSS) may have style attributes, if they load nothing."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    tree = parser.parse(text) if page else parser.parseFragment(text)
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = element.tag.split("}")[-1].lower()
        attributes = {_attribute_name(k): v for k, v in element.attrib.items()}
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attributes.items())}>"
        if tag in FORBIDDEN_ELEMENTS or tag == "svg" and not page:
            found.append(f"element {where}")
        if tag == "script":
            kind = attributes.get("type", "")
            if kind == "application/ld+json":
                body = element.text or ""
                json.loads(body)  # it is data, and it parses
                if "</" in body or "<!--" in body:
                    found.append(f"closable JSON-LD {body[:80]!r}")
            elif not (page and "src" in attributes and _own(attributes["src"])):
                found.append(f"script {where} {(element.text or '')[:60]!r}")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            target = attributes.get("content", "").partition("url=")[2]
            if not _own(target):
                found.append(f"foreign refresh {where}")
        if tag == "form" and not _own(attributes.get("action", "")):
            found.append(f"foreign form {where}")
        for name, value in attributes.items():
            if email and name == "style" and not UNSAFE_CSS.search(html.unescape(value)):
                continue
            if name.startswith("on") or name in FORBIDDEN_ATTRIBUTES:
                found.append(f"attribute {name} in {where}")
            if name in URL_ATTRIBUTES:
                urls = [u.strip().split(" ")[0] for u in value.split(",")] if "srcset" in name \
                    else [value]  # fmt: skip
                for url in urls:
                    if _scheme(url) not in WEB_SCHEMES:
                        found.append(f"{_scheme(url)}: URL in {where}")
                    elif (tag, name) in LOADED_BY and not _own(url):
                        found.append(f"loads from another host: {where}")
    return found


@dataclass
class Outputs:
    """The site's files by kind, as text."""

    pages: dict[str, str]  # HTML pages
    xml: dict[str, str]  # feeds and sitemaps
    json_feeds: dict[str, str]
    fragments: dict[str, str]  # Pagefind's per-page records, decompressed
    other: dict[str, str]


def read_outputs(site: Path) -> Outputs:
    out = Outputs({}, {}, {}, {}, {})
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(site).as_posix()
        if name.endswith(".pf_fragment"):
            data = gzip.decompress(path.read_bytes())
            out.fragments[name] = data.removeprefix(b"pagefind_dcd").decode("utf-8")
        elif name.startswith("pagefind/") or name.startswith("static/"):
            continue  # Pagefind's and the theme's own code, indexes and styles
        elif name.endswith(".html"):
            out.pages[name] = path.read_text(encoding="utf-8")
        elif name.endswith(".xml"):
            out.xml[name] = path.read_text(encoding="utf-8")
        elif name.endswith(".json"):
            out.json_feeds[name] = path.read_text(encoding="utf-8")
        else:
            out.other[name] = path.read_text(encoding="utf-8")
    return out


def feed_html(name: str, text: str) -> dict[str, str]:
    """The HTML a feed carries (content, summary, description), unescaped, by where it is; and
    its plain-text parts checked to be text only."""
    root = ET.fromstring(text)
    atom = "{http://www.w3.org/2005/Atom}"
    found: dict[str, str] = {}
    if root.tag == f"{atom}feed":
        for n, entry in enumerate(root.iter(f"{atom}entry")):
            for part in ("content", "summary", "title"):
                node = entry.find(f"{atom}{part}")
                if node is not None and node.get("type") == "html":
                    found[f"{name} entry {n} {part}"] = node.text or ""
                elif node is not None:
                    assert node.get("type", "text") == "text", (name, part, node.get("type"))
            for link in entry.iter(f"{atom}link"):
                assert _scheme(link.get("href", "")) in ("http", "https"), link.attrib
    elif root.tag == "rss":
        for n, item in enumerate(root.iter("item")):
            for part in ("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
                node = item.find(part)
                if node is not None:
                    found[f"{name} item {n} {part}"] = node.text or ""
            link = item.findtext("link") or ""
            assert _scheme(link) in ("http", "https"), link
    else:  # a sitemap: every address is one of the site's own
        for loc in root.iter():
            if loc.tag.endswith("}loc"):
                assert (loc.text or "").startswith(BASE_URL), loc.text
    return found


@pytest.fixture(scope="module")
def outputs(hostile: HostileSite) -> Outputs:
    return read_outputs(hostile.site)


def test_the_payloads_reached_the_site(hostile: HostileSite, outputs: Outputs) -> None:
    """The test is not vacuous: posts were written from the hostile sources by both writers,
    and the payloads' tokens are on the pages, in the feeds and in the search index."""
    posts = [p for p in outputs.pages if p.startswith("posts/")]
    assert len(posts) >= STORIES - 4, sorted(outputs.pages)
    everything = "\n".join(outputs.pages.values())
    assert "hand-edited-post" in everything
    writers = re.findall(r"^  writer: (\w+)", "\n".join(
        p.read_text(encoding="utf-8") for p in (hostile.folder / "content").rglob("*.md")
    ), re.M)  # fmt: skip
    assert writers.count("extractive") >= STORIES // 2 - 2, writers
    assert writers.count("claude") >= STORIES // 2 - 2, writers
    held = re.findall(r"^draft: true", "\n".join(
        p.read_text(encoding="utf-8") for p in (hostile.folder / "content").rglob("*.md")
    ), re.M)  # fmt: skip
    assert held  # verify held the answers that add links (http://evil.invalid/…)
    reached = coverage(outputs)
    pages = {t for t, kinds in reached.items() if "HTML pages" in kinds}
    for code in ("ti", "su", "co", "px", "mh", "ms", "mg", "mt", "md", "et", "es", "ea", "eg",
                 "eo", "eb", "ou", "ca"):  # fmt: skip
        found = {t for t in pages if t.endswith(code)}
        assert found, f"no payload given as {FIELDS[code]} reached a page"
    every = {p.n for p in PAYLOADS}
    assert {int(t[2:4]) for t in pages} == every  # every payload is on some page
    assert {int(t[2:4]) for t, kinds in reached.items() if "search index" in kinds} == every
    print_coverage(reached, len(outputs.pages))


def print_coverage(reached: dict[str, set[str]], pages: int) -> None:
    """The counts README quotes (shown with pytest -s)."""
    kinds = ["HTML pages", "Atom/RSS feeds", "JSON Feed", "sitemaps", "search index"]
    print(f"\n{len(PAYLOADS)} payloads, {len(FIELDS)} fields, {pages} HTML pages")
    print(f"{'field':<32} {'placed':>6} " + " ".join(f"{k:>14}" for k in kinds))
    for code, name in FIELDS.items():
        placed = len(PLACED[code])
        counts = [sum(1 for t, k in reached.items() if t.endswith(code) and kind in k)
                  for kind in kinds]  # fmt: skip
        print(f"{name:<32} {placed:>6} " + " ".join(f"{c:>14}" for c in counts))
    pairs = {kind: sum(1 for k in reached.values() if kind in k) for kind in kinds}
    print("(payload, field) pairs found:", pairs)


def coverage(outputs: Outputs) -> dict[str, set[str]]:
    """token -> the kinds of output it appears in."""
    texts = {
        "HTML pages": "\n".join(outputs.pages.values()),
        "Atom/RSS feeds": "\n".join(t for n, t in outputs.xml.items() if "sitemap" not in n),
        "sitemaps": "\n".join(t for n, t in outputs.xml.items() if "sitemap" in n),
        "JSON Feed": "\n".join(outputs.json_feeds.values()),
        "search index": "\n".join(outputs.fragments.values()),
    }
    reached: dict[str, set[str]] = {}
    for payload in PAYLOADS:
        for code in FIELDS:
            kinds = {kind for kind, text in texts.items() if token(payload, code) in text}
            if kinds:
                reached[token(payload, code)] = kinds
    return reached


def test_no_page_holds_anything_that_runs_or_loads(outputs: Outputs) -> None:
    problems = {}
    for name, text in outputs.pages.items():
        found = unsafe_html(text, page=True, email=name.endswith(".email.html"))
        if found:
            problems[name] = found
    assert problems == {}
    assert len(outputs.pages) > STORIES


def test_no_payload_is_left_unescaped_in_any_file(outputs: Outputs) -> None:
    """A payload with markup never appears as it was written: in HTML and XML its < is
    escaped; JSON writes < as \\u003c. (Pagefind's records are the pages' text, where a payload
    is characters a reader sees: see test_search_shows_payloads_as_text.)"""
    files = {**outputs.pages, **outputs.xml, **outputs.json_feeds, **outputs.other}
    markup = [p for p in PAYLOADS if re.search(r"<[a-zA-Z!/]", p.text)]
    assert len(markup) > 50
    left = [(name, p.n) for name, text in files.items() for p in markup if p.text in text]
    assert left == []


def test_feeds_carry_only_clean_html_and_plain_text(outputs: Outputs) -> None:
    feeds = {n: t for n, t in outputs.xml.items() if "sitemap" not in n}
    assert {"atom.xml", "rss.xml"} <= set(feeds)
    carried_html = {}
    for name, text in outputs.xml.items():
        carried_html.update(feed_html(name, text))
    assert len(carried_html) > STORIES
    problems = {where: found for where, text in carried_html.items()
                if (found := unsafe_html(text))}  # fmt: skip
    assert problems == {}


def test_the_json_feed_carries_only_clean_html_and_web_urls(outputs: Outputs) -> None:
    feed = json.loads(outputs.json_feeds["feed.json"])
    assert len(feed["items"]) > 10
    for item in feed["items"]:
        assert unsafe_html(item.get("content_html", "")) == [], item["url"]
        for key in ("url", "external_url", "image", "banner_image"):
            if key in item:
                assert _scheme(item[key]) in ("http", "https"), (key, item[key])
    raw = outputs.json_feeds["feed.json"]
    assert "<" not in raw and ">" not in raw  # written as \\u003c and \\u003e


def test_search_records_are_text_of_the_sites_own_pages(outputs: Outputs) -> None:
    """Pagefind keeps each page's text as the reader sees it: a payload there is characters
    (its excerpts escape them, and search.js shows them as text: see the browser tests)."""
    assert len(outputs.fragments) >= STORIES
    text = "\n".join(outputs.fragments.values())
    for name, record in ((n, json.loads(t)) for n, t in outputs.fragments.items()):
        assert _scheme(record["url"]) == "" and record["url"].startswith("/"), name
    shown = [p for p in PAYLOADS if "<" in p.text and p.text in text]
    assert len(shown) > 20  # as text, exactly as written: nothing was turned into markup


# In the browser


@pytest.fixture(scope="module")
def served_site(hostile: HostileSite) -> Iterator[Any]:
    with serving(hostile.site) as served:
        yield served


@dataclass
class Alarms:
    """Everything a payload that ran would leave behind."""

    dialogs: list[str] = field(default_factory=list)
    pwned: list[str] = field(default_factory=list)


# Once what a page queued on load (focus, toggle and error events) has run — two animation
# frames —, the window properties a payload would have set.
_PWNED = """async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return Object.keys(window).filter((k) => k.startsWith("__pwned"));
}"""


def watched_page(context: Any, alarms: Alarms) -> Any:
    page = context.new_page()

    def on_dialog(dialog: Any) -> None:
        alarms.dialogs.append(f"{page.url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def visit(page: Any, url: str, alarms: Alarms, until: str = "load") -> int:
    response = page.goto(url, wait_until=until)
    try:
        for frame in page.frames:
            alarms.pwned += [f"{page.url}: {key}" for key in frame.evaluate(_PWNED)]
    except PlaywrightError as exc:  # the page went elsewhere by itself (a refresh, a script)
        alarms.pwned.append(f"{url}: {exc.message.splitlines()[0]}")
    return response.status if response else 0


def _payload_requests(requests: list[str]) -> list[str]:
    """data: and blob: requests made by a payload (loopback ones are the site's own)."""
    return [u for u in requests if not u.startswith("http://127.0.0.1:")
            and re.search(r"evil\.invalid|pwned|alert", u, re.I)]  # fmt: skip


def test_the_browser_check_catches_a_payload_that_runs(open_context, tmp_path: Path) -> None:
    """The control: the same watch on a page that does hold live payloads sees every one."""
    (tmp_path / "live.html").write_text(
        "<!doctype html><title>live</title><p>text</p>"
        "<img src=x onerror=window.__pwned_901=1><script>alert(902)</script>"
        "<input autofocus onfocus=window.__pwned_903=1>"
        "<img src='http://evil.invalid/904.png'>",
        encoding="utf-8",
    )
    context, watch = open_context(bypass_csp=True)
    alarms = Alarms()
    page = watched_page(context, alarms)
    with serving(tmp_path) as served:
        assert visit(page, served.url("live.html"), alarms) == 200
    assert alarms.dialogs and "902" in alarms.dialogs[0]
    assert {p.rsplit(": ", 1)[1] for p in alarms.pwned} == {"__pwned_901", "__pwned_903"}
    assert watch.outside() == ["http://evil.invalid/904.png"]


def test_no_page_runs_a_payload_in_chromium(
    served_site: Any, outputs: Outputs, open_context
) -> None:
    context, watch = open_context(bypass_csp=True)
    alarms = Alarms()
    page = watched_page(context, alarms)
    for path in sorted(outputs.pages):
        assert visit(page, served_site.url(path), alarms) == 200, path
        assert len(page.frames) == 1, path
    assert alarms.dialogs == []
    assert alarms.pwned == []
    assert watch.outside() == []
    assert _payload_requests(watch.requests) == []
    # An editor's <img src=x> stays an image of the site's own (posts/x, not found): the one
    # kind of console error allowed here; no script error.
    errors = [e for e in watch.errors if "Failed to load resource" not in e]
    assert errors == []
    assert len(watch.requests) >= len(outputs.pages)


def _indexed_tokens(outputs: Outputs, code: str) -> list[str]:
    """The tokens of field `code` that search holds (Pagefind's records of the post pages)."""
    return sorted(
        {t for text in outputs.fragments.values() for t in re.findall(rf"zq\d\d{code}", text)}
    )


def test_search_shows_payloads_as_text(outputs: Outputs, served_site: Any, open_context) -> None:
    """Results for tokens of payloads in headlines, summaries, section headings and the edited
    body: each result is a link and an excerpt, the payload in them is text."""
    chosen = [(1, "mh"), (11, "mh"), (15, "ms"), (40, "mg"), (54, "ms"), (60, "mh"),
              (0, "eb"), (12, "eb"), (55, "eb"), (56, "eb"), (70, "eb"), (76, "eb")]  # fmt: skip
    # Which payloads the model's answers carry depends on how many calls it got (repairs
    # included), and markup an editor left open (an unclosed <style>) hides the rest of that
    # body: a chosen token search does not hold is replaced by one of its field it does.
    wanted = []
    for n, code in chosen:
        held = [t for t in _indexed_tokens(outputs, code) if t not in wanted]
        wanted.append(token(PAYLOADS[n], code) if token(PAYLOADS[n], code) in held else held[0])
    context, watch = open_context(bypass_csp=True)
    alarms = Alarms()
    page = watched_page(context, alarms)
    shown = 0
    for word in wanted:
        visit(page, served_site.url(f"search.html?q={word}"), alarms)
        results = page.locator("#search-results li")
        expect(results.first).to_be_visible()
        tags = page.evaluate(
            "() => [...document.querySelectorAll('#search-results *')].map((e) => e.localName)"
        )
        assert set(tags) <= {"li", "h2", "a", "p", "mark"}, (word, set(tags))
        text = page.locator("#search-results").inner_text()
        payload = PAYLOADS[int(word[2:4]) - 1]
        shown += " ".join(payload.text.split()) in " ".join(text.split())
    assert shown >= len(wanted) // 2  # the payload is readable, as characters
    assert alarms.dialogs == [] and alarms.pwned == []
    assert watch.outside() == [] and watch.errors == []


_QUERY_SHOWN = """() => [document.getElementById("search-status").textContent,
                         document.getElementById("search-q").value]"""


def test_a_payload_in_the_search_query_is_shown_as_text(served_site: Any, open_context) -> None:
    """search.html?q=… puts the query in the box, the status line and the title."""
    context, watch = open_context(bypass_csp=True)
    alarms = Alarms()
    page = watched_page(context, alarms)
    for payload in PAYLOADS:
        query = urlencode({"q": payload.text})
        url = served_site.url(f"search.html?{query}")
        assert visit(page, url, alarms, until="domcontentloaded") == 200
        # search.js (a module: it has run by now) put the query in the box, the title and the
        # status line; the search itself is not awaited.
        status, box = page.evaluate(_QUERY_SHOWN)
        assert re.search("Searching for|match", status), status
        assert " ".join(payload.text.split()) in " ".join(status.split())
        assert box == payload.text.replace("\n", "")
    assert alarms.dialogs == [] and alarms.pwned == []
    assert watch.outside() == [] and watch.errors == []
