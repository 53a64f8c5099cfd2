"""The machine-readable outputs of a build: feeds, sitemaps and robots.txt.

    write_outputs(out, links, tags, config, now, *, full_content=True, limit=50,
                  pages=None, write=None) -> int   # the number of files written

`links` are the published posts as PageLinks (render.py), newest first, each with its sanitised
`.html` and its `.tags`; `tags` maps a tag's file name (render.pages.tag_slug) to (tag name, its
links, newest first). It writes, relative to the site root `out`:

    atom.xml, rss.xml, feed.json              the whole site: Atom 1.0, RSS 2.0, JSON Feed 1.1
    tags/<slug>.atom.xml, tags/<slug>.rss.xml  one Atom and one RSS feed per tag
    sitemap.xml                               home, every post, the tag list, every tag page and
                                              `pages` (href -> lastmod or None), with lastmod;
                                              above 50,000 URLs a sitemap index of sitemap-N.xml
    news-sitemap.xml                          Google News: the posts published in the 48 hours up
                                              to `now` (at most 1,000)
    robots.txt                                allows everything and names both sitemaps

Rules every feed follows:
- The latest `limit` posts, in the order given. An entry's id is a tag: URI made of the site's
  host, the day the post was first published and the slug it was first published under
  (`generator.slug`, else the slug): `tag:example.org,2026-11-22:/posts/first-slug`. It does not
  change when the post is rewritten, updated or renamed; two posts can only share one if a slug
  freed by a rename is reused on the same day. Without a date or a host, the post's first URL is
  the id.
- `updated` is the post's `updated`, else its `date`; a feed's own updated time is the newest of
  its entries, so a build with nothing new writes byte-identical feeds (only news-sitemap.xml
  depends on `now`).
- `full_content=True`: the post's HTML (content / content:encoded / content_html) plus the
  summary; False: the summary only (front matter `summary`, else the body's first words). An
  updated post's entry says what its latest update added (aibot.posts.updates): a line after the
  summary, and a paragraph with links to the added sources before the HTML.
  Relative links in the HTML are made absolute against the post's URL, as feed readers need.
- Every text is escaped for its format (XML text and attributes; in JSON `<`, `>` and `&` are
  written as \\u escapes, so no output holds raw markup from a title) and characters XML forbids
  are dropped.

Absolute URLs come from `config.site.base_url`. `write(href, text)`, when given, receives each file
instead of it being written under `out` (a seam for an incremental builder); it is counted all
the same. robots.txt only takes effect at a host's root: with a base_url below the root, crawlers
do not read it (the sitemaps still work when submitted).
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from aibot.config import Config
from aibot.models import Post, utc
from aibot.posts.updates import update_html, update_summary
from aibot.render.incremental import digest

if TYPE_CHECKING:
    from aibot.render.context import PageLink

FEED_LIMIT = 50
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1_000  # Google News reads at most 1,000 URLs per news sitemap
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)
SUMMARY_WORDS = 60

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "AiBot"

Writer = Callable[[str, str], None]
Reuse = Callable[[list[str], str], bool]

# What XML 1.0 does not allow (dropped): written as what it forbids, because the negated class
# of what it allows (tab, newline, CR, \x20-\ud7ff, \ue000-\ufffd, \U00010000-\U0010ffff)
# takes Python ~10 ms to compile, at every start.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A start tag as html5ever (nh3) writes it: attribute values always in double quotes, which may
# hold < and >; text outside tags never holds a raw < or >.
_START_TAG = re.compile(r'<([a-zA-Z][a-zA-Z0-9]*)([^"<>]*(?:"[^"]*"[^"<>]*)*)>')
_ATTRIBUTE = re.compile(r'(\s+)([^\s"\'<>/=]+)(?:="([^"]*)")?')
_TAG = re.compile(r"<[^>]*>")


def write_outputs(
    out: Path,
    links: Sequence[PageLink],
    tags: Mapping[str, tuple[str, Sequence[PageLink]]],
    config: Config,
    now: datetime,
    *,
    full_content: bool = True,
    limit: int = FEED_LIMIT,
    pages: Mapping[str, datetime | None] | None = None,
    write: Writer | None = None,
    reuse: Reuse | None = None,
) -> int:
    """Write every feed, both sitemaps and robots.txt for `links`; return the number of files.

    See the module docstring for the files, the entry ids and the escaping rules. `reuse(hrefs,
    key)`, when given, is asked before each feed is made, with a key of what the feed shows
    (its entries' `content_key`s); when it answers True the files were taken from the last build
    and the feed is not made again (nor counted).
    """
    outputs = _Outputs(out, config, utc(now), full_content, write, reuse)
    outputs.feeds(list(links)[:limit], "", config.site.title, "")
    for key, (name, members) in sorted(tags.items()):
        title = f"{config.site.title}: {name}"
        outputs.feeds(list(members)[:limit], f"tags/{key}", title, f"tags/{key}.html")
    outputs.json_feed(list(links)[:limit])
    outputs.sitemap(links, tags, pages or {})
    outputs.news_sitemap(links)
    outputs.robots()
    return outputs.written


def entry_id(post: Post, base_url: str) -> str:
    """A post's feed id: a tag: URI of the site's host, the post's first day and first slug."""
    generator = post.meta.get("generator")
    first = generator.get("slug") if isinstance(generator, dict) else None
    slug = first if isinstance(first, str) and first else post.slug
    parts = urlsplit(base_url)
    path = quote(parts.path.rstrip("/") + f"/posts/{slug}", safe="/-._~")
    if post.date is None or not parts.hostname:
        return base_url.rstrip("/") + f"/posts/{quote(slug, safe='-._~')}.html"
    return f"tag:{parts.hostname},{utc(post.date):%Y-%m-%d}:{path}"


def absolute_html(html: str, base: str) -> str:
    """`html` (as nh3 writes it) with every href and src made absolute against `base`."""

    def tag(match: re.Match[str]) -> str:
        if "href=" not in match.group(2) and "src=" not in match.group(2):
            return match.group(0)
        return f"<{match.group(1)}{_ATTRIBUTE.sub(attribute, match.group(2))}>"

    def attribute(match: re.Match[str]) -> str:
        space, name, value = match.groups()
        if value is None or name.lower() not in ("href", "src"):
            return match.group(0)
        if value.startswith(("https://", "http://", "mailto:")):
            return match.group(0)
        url = htmllib.unescape(value)
        url = base.split("#")[0] + url if url.startswith("#") else urljoin(base, url)
        return f'{space}{name}="{htmllib.escape(url, quote=True)}"'

    if "href=" not in html and "src=" not in html:
        return html
    return _START_TAG.sub(tag, html)


def summary_text(link: PageLink) -> str:
    """The post's one-sentence dek, else the first words of its body."""
    summary = link.post.meta.get("summary")
    if isinstance(summary, str) and summary.strip():
        return " ".join(summary.split())
    words = htmllib.unescape(_TAG.sub(" ", link.html or "")).split()
    text = " ".join(words[:SUMMARY_WORDS])
    return text + " …" if len(words) > SUMMARY_WORDS else text


def _clean(text: Any) -> str:
    return _NOT_XML.sub("", str(text))


def _x(text: Any) -> str:
    """Text or attribute value, escaped for XML."""
    return htmllib.escape(_clean(text), quote=True)


def _iso(moment: datetime) -> str:
    # Formatted field by field: twice as fast as strftime, for the sitemap's 5,000 dates.
    m = utc(moment)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def _updated(post: Post, now: datetime) -> datetime:
    """When a post last changed, in UTC: `updated`, else `date`, else now."""
    return utc(post.updated or post.date or now)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rfc822(moment: datetime) -> str:
    """An RSS date ("Wed, 25 Nov 2026 10:00:00 GMT"), in English whatever the locale: what
    email.utils.format_datetime writes, without importing the email package at every start."""
    m = utc(moment)
    return f"{_DAYS[m.weekday()]}, {m.day:02d} {_MONTHS[m.month - 1]} {m.year:04d} {m:%H:%M:%S} GMT"


def _json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text + "\n"


class _Entry:
    """What every feed format needs of one post, each part worked out at most once per build."""

    def __init__(self, link: PageLink, outputs: _Outputs) -> None:
        post = link.post
        self.link = link
        self.full_content = outputs.full_content
        self.id = entry_id(post, outputs.base_url)
        self.url = outputs.absolute(link.href)
        self.title = _clean(post.title)
        self.published = utc(post.date) if post.date else None
        self.updated = _updated(post, outputs.now)
        author = post.meta.get("author")
        self.author = _clean(author if isinstance(author, str) and author else outputs.author)
        self.tags = [_clean(name) for name, _href in link.tags]
        image = post.meta.get("image")
        web = isinstance(image, str) and image.startswith(("http://", "https://"))
        self.image = _clean(image) if web else ""

    @cached_property
    def summary(self) -> str:
        update = self.link.latest_update
        text = summary_text(self.link)
        return _clean(f"{text} {update_summary(update)}".strip() if update else text)

    @cached_property
    def html(self) -> str:
        if not self.full_content:
            return ""
        update = self.link.latest_update
        html = (update_html(update) if update else "") + absolute_html(self.link.html, self.url)
        return _clean(html)

    @cached_property
    def atom(self) -> str:
        lines = [
            "  <entry>",
            f'    <title type="text">{_x(self.title)}</title>',
            f"    <id>{_x(self.id)}</id>",
            f'    <link rel="alternate" type="text/html" href="{_x(self.url)}"/>',
        ]
        if self.published:
            lines.append(f"    <published>{_iso(self.published)}</published>")
        lines.append(f"    <updated>{_iso(self.updated)}</updated>")
        lines.append(f"    <author><name>{_x(self.author)}</name></author>")
        lines += [f'    <category term="{_x(name)}"/>' for name in self.tags]
        if self.summary:
            lines.append(f'    <summary type="text">{_x(self.summary)}</summary>')
        if self.html:
            lines.append(f'    <content type="html">{_x(self.html)}</content>')
        lines.append("  </entry>")
        return "\n".join(lines) + "\n"

    @cached_property
    def rss(self) -> str:
        lines = [
            "    <item>",
            f"      <title>{_x(self.title)}</title>",
            f"      <link>{_x(self.url)}</link>",
            f'      <guid isPermaLink="false">{_x(self.id)}</guid>',
        ]
        if self.published:
            lines.append(f"      <pubDate>{_rfc822(self.published)}</pubDate>")
        lines.append(f"      <atom:updated>{_iso(self.updated)}</atom:updated>")
        lines.append(f"      <dc:creator>{_x(self.author)}</dc:creator>")
        lines += [f"      <category>{_x(name)}</category>" for name in self.tags]
        # description is HTML by convention: the plain summary is escaped for HTML first.
        description = htmllib.escape(self.summary, quote=False)
        lines.append(f"      <description>{_x(description)}</description>")
        if self.html:
            lines.append(f"      <content:encoded>{_x(self.html)}</content:encoded>")
        lines.append("    </item>")
        return "\n".join(lines) + "\n"

    def json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "url": self.url, "title": self.title}
        if self.html:
            item["content_html"] = self.html
        else:
            item["content_text"] = self.summary
        if self.summary:
            item["summary"] = self.summary
        if self.image:
            item["image"] = self.image
        if self.published:
            item["date_published"] = _iso(self.published)
        item["date_modified"] = _iso(self.updated)
        item["authors"] = [{"name": self.author}]
        if self.tags:
            item["tags"] = self.tags
        return item


class _Outputs:
    def __init__(
        self,
        out: Path,
        config: Config,
        now: datetime,
        full_content: bool,
        write: Writer | None,
        reuse: Reuse | None = None,
    ) -> None:
        self.out = out
        self.site = config.site
        self.author = config.author.name
        self.base_url = config.site.base_url.rstrip("/") + "/"
        self.now = now
        self.full_content = full_content
        self._write = write
        self._reuse = reuse
        self.written = 0
        self._entries: dict[int, _Entry] = {}

    def absolute(self, href: str) -> str:
        return self.base_url + href

    def entry(self, link: PageLink) -> _Entry:
        found = self._entries.get(id(link))
        if found is None:
            found = self._entries[id(link)] = _Entry(link, self)
        return found

    def emit(self, href: str, text: str) -> None:
        if self._write is not None:
            self._write(href, text)
        else:
            target = self.out / href
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        self.written += 1

    def reused(self, hrefs: list[str], *parts: Any) -> bool:
        """Whether the files `hrefs`, made from `parts`, were taken from the last build."""
        if self._reuse is None:
            return False
        return self._reuse(hrefs, digest(self.full_content, *parts))

    def _latest(self, links: Iterable[PageLink]) -> datetime:
        return max((_updated(link.post, self.now) for link in links), default=self.now)

    def feeds(self, links: list[PageLink], stem: str, title: str, page: str) -> None:
        """`<stem>.atom.xml` and `<stem>.rss.xml`, or atom.xml and rss.xml for the site."""
        atom, rss = (f"{stem}.{kind}.xml" if stem else f"{kind}.xml" for kind in ("atom", "rss"))
        if self.reused([atom, rss], "feeds", title, page, [link.content_key for link in links]):
            return
        entries = [self.entry(link) for link in links]
        home, updated = self.absolute(page), self._latest(links)
        self_rss = _x(self.absolute(rss))
        language, description = _x(self.site.language), _x(self.site.description)
        self.emit(
            atom,
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="{ATOM_NS}" xml:lang="{language}">\n'
            f'  <title type="text">{_x(title)}</title>\n'
            f'  <subtitle type="text">{description}</subtitle>\n'
            f"  <id>{_x(self.absolute(atom) if stem else self.base_url)}</id>\n"
            f'  <link rel="alternate" type="text/html" href="{_x(home)}"/>\n'
            f'  <link rel="self" type="application/atom+xml" href="{_x(self.absolute(atom))}"/>\n'
            f"  <updated>{_iso(updated)}</updated>\n"
            f"  <author><name>{_x(self.author)}</name></author>\n"
            f"  <generator>{GENERATOR}</generator>\n"
            + "".join(e.atom for e in entries)
            + "</feed>\n",
        )
        self.emit(
            rss,
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<rss version="2.0" xmlns:atom="{ATOM_NS}"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            "  <channel>\n"
            f"    <title>{_x(title)}</title>\n"
            f"    <link>{_x(home)}</link>\n"
            f"    <description>{description}</description>\n"
            f"    <language>{language}</language>\n"
            f"    <lastBuildDate>{_rfc822(updated)}</lastBuildDate>\n"
            f"    <generator>{GENERATOR}</generator>\n"
            f'    <atom:link rel="self" type="application/rss+xml" href="{self_rss}"/>\n'
            + "".join(e.rss for e in entries)
            + "  </channel>\n</rss>\n",
        )

    def json_feed(self, links: list[PageLink]) -> None:
        if self.reused(["feed.json"], "json feed", [link.content_key for link in links]):
            return
        feed = {
            "version": JSON_FEED_VERSION,
            "title": _clean(self.site.title),
            "home_page_url": self.base_url,
            "feed_url": self.absolute("feed.json"),
            "description": _clean(self.site.description),
            "language": self.site.language,
            "authors": [{"name": _clean(self.author)}],
            "items": [self.entry(link).json() for link in links],
        }
        self.emit("feed.json", _json(feed))

    def sitemap(
        self,
        links: Sequence[PageLink],
        tags: Mapping[str, tuple[str, Sequence[PageLink]]],
        pages: Mapping[str, datetime | None],
    ) -> None:
        changed = {link.href: _updated(link.post, self.now) for link in links}
        latest = max(changed.values()) if changed else None
        urls: list[tuple[str, datetime | None]] = [("index.html", latest)]
        urls += changed.items()
        urls.append(("tags/index.html", latest))
        for key, (_name, members) in sorted(tags.items()):
            newest = max(changed[link.href] for link in members) if members else None
            urls.append((f"tags/{key}.html", newest))
        listed = {href for href, _moment in urls}
        urls += [(href, moment) for href, moment in pages.items() if href not in listed]
        rows = [
            f"  <url><loc>{_x(self.absolute(href))}</loc>"
            + (f"<lastmod>{_iso(moment)}</lastmod>" if moment else "")
            + "</url>\n"
            for href, moment in urls
        ]
        head = f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        if len(rows) <= SITEMAP_LIMIT:
            self.emit("sitemap.xml", head + "".join(rows) + "</urlset>\n")
            return
        parts = []
        for number, start in enumerate(range(0, len(rows), SITEMAP_LIMIT), start=1):
            chunk = rows[start : start + SITEMAP_LIMIT]
            dated = [m for _href, m in urls[start : start + SITEMAP_LIMIT] if m]
            newest = max(dated, key=utc, default=None)
            self.emit(f"sitemap-{number}.xml", head + "".join(chunk) + "</urlset>\n")
            parts.append(
                f"  <sitemap><loc>{_x(self.absolute(f'sitemap-{number}.xml'))}</loc>"
                + (f"<lastmod>{_iso(newest)}</lastmod>" if newest else "")
                + "</sitemap>\n"
            )
        self.emit(
            "sitemap.xml",
            f'<?xml version="1.0" encoding="utf-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "".join(parts)
            + "</sitemapindex>\n",
        )

    def news_sitemap(self, links: Sequence[PageLink]) -> None:
        """Posts first published in the NEWS_WINDOW up to now, newest first."""
        since = self.now - NEWS_WINDOW
        recent = [
            (utc(link.post.date), link)
            for link in links
            if link.post.date and since <= utc(link.post.date) <= self.now
        ]
        recent.sort(key=lambda pair: pair[0], reverse=True)
        name, language = _x(self.site.title), _x(news_language(self.site.language))
        rows = [
            f"  <url>\n    <loc>{_x(self.absolute(link.href))}</loc>\n"
            "    <news:news>\n"
            "      <news:publication>\n"
            f"        <news:name>{name}</news:name>\n"
            f"        <news:language>{language}</news:language>\n"
            "      </news:publication>\n"
            f"      <news:publication_date>{_iso(published)}</news:publication_date>\n"
            f"      <news:title>{_x(link.post.title)}</news:title>\n"
            "    </news:news>\n  </url>\n"
            for published, link in recent[:NEWS_LIMIT]
        ]
        self.emit(
            "news-sitemap.xml",
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n'
            + "".join(rows)
            + "</urlset>\n",
        )

    def robots(self) -> None:
        self.emit(
            "robots.txt",
            "User-agent: *\nAllow: /\n\n"
            f"Sitemap: {self.absolute('sitemap.xml')}\n"
            f"Sitemap: {self.absolute('news-sitemap.xml')}\n",
        )


def news_language(language: str) -> str:
    """The language code Google News asks for: ISO 639 (`en` for `en-GB`), but zh-cn / zh-tw."""
    code = language.strip().lower().replace("_", "-")
    if code.startswith("zh"):
        traditional = any(mark in code for mark in ("hant", "-tw", "-hk", "-mo"))
        return "zh-tw" if traditional else "zh-cn"
    return code.split("-")[0] or "en"
