"""Render posts into a static site: collect every page's context first, then write each output.

The build reads `content/` only (never the cache). It writes into a fresh folder beside the output
and swaps it in at the end, so a failed build leaves the last good site untouched. Every link is
relative, so the site works from any folder, from `file://` and on any static host. The one
exception is 404.html, which a host serves at any depth: its links start at the path of
`site.base_url`.

The one page that reads the cache is the Sources page, and only to show each feed's health (last
success, articles this week); with no cache it lists the feeds without health.

Pages: posts/SLUG.html, index.html + page/N.html, tags/index.html + tags/TAG.html,
archive/index.html + archive/YYYY/MM.html, about.html, sources.html, search.html, 404.html, the
redirects of renamed posts, atom.xml, sitemap.xml and static/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
import markdown
import nh3
from markupsafe import Markup

from aibot.build.outputs import write_outputs
from aibot.build.search import index_site
from aibot.config import Config
from aibot.models import Post
from aibot.posts import load_posts, old_slugs, slugify
from aibot.related import RELATED_COUNT, RelatedIndex

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align"},
    "th": {"align"},
}
# A citation as nh3 leaves it: `[[2]](#source-2)` in Markdown.
# An <img> tag as html5ever (nh3) writes it: values in double quotes, which may hold < and >.
_IMAGE = re.compile(r'<img\b(?:[^"<>]|"[^"]*")*>')
_CITATION = re.compile(r'<a href="#source-(\d+)" rel="noopener noreferrer">\[(\d+)\]</a>')


@dataclass
class BuildReport:
    output: Path
    posts: int = 0
    pages: int = 0
    seconds: float = 0.0
    search_seconds: float = 0.0  # indexing for search (Pagefind), part of `seconds`
    ok: bool = True
    problems: list[str] = field(default_factory=list)


@dataclass
class PageLink:
    """A post as other pages show it: cards, lists, related, feeds."""

    post: Post
    href: str  # relative to the site root, e.g. posts/slug.html
    html: str = ""
    related: list[tuple[PageLink, str]] = field(default_factory=list)  # (post, reason)
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, href)
    credit: str = ""  # "Based on 3 reports from …" or "Single-source report …"
    image: str = ""  # the post's image as a path inside the site, or "" (see local_image)

    @property
    def meta(self) -> dict[str, Any]:
        return self.post.meta


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


def markdown_to_html(text: str) -> str:
    """Markdown to HTML with nothing dangerous left: no raw scripts, no on* attributes, no
    javascript: links (Python-Markdown passes raw HTML through, so nh3 cleans its output).
    Citations (`[[2]](#source-2)`) become superscript links to the Sources list, whose heading
    gets the id `sources`."""
    rendered = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    cleaned = nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_own_images_only,
    )
    cleaned = _IMAGE.sub(_image_without_source, cleaned)
    cleaned = _CITATION.sub(_citation, cleaned)
    return cleaned.replace("<h2>Sources</h2>", '<h2 id="sources">Sources</h2>', 1)


def _own_images_only(tag: str, attribute: str, value: str) -> str | None:
    """An image in a post is loaded only from the site itself (see local_image for why)."""
    if tag == "img" and attribute == "src" and (urlsplit(value).scheme or value.startswith("//")):
        return None
    return value


def _image_without_source(match: re.Match[str]) -> str:
    """An <img> whose src was dropped becomes its alt text."""
    if " src=" in match.group(0):
        return match.group(0)
    alt = re.search(r' alt="([^"]*)"', match.group(0))
    return f"[{alt.group(1)}]" if alt and alt.group(1).strip() else ""


def _citation(match: re.Match[str]) -> str:
    number, label = match.groups()
    return (
        f'<sup class="cite"><a href="#source-{number}" '
        f'aria-label="Source {label}">[{label}]</a></sup>'
    )


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
            f"Based on {len(names)} reports from {_and(names)}" if reports == len(names)
            else f"Based on {reports} reports from {len(names)} outlets: {_and(names)}"
        )  # fmt: skip
        return line + (f" (also carried by {_and(others)})" if others else "")
    if names:
        also = f", also carried by {_and(others)}" if others else ""
        return f"Single-source report ({names[0]}{also})"
    return "Single-source report" if reports else "No sources listed"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> element: `<`, `>` and `&` are written as
    \\u003c etc., so no string in it can close the element (a title "</script>" stays text)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return Markup(text)


def local_image(value: Any, base_url: str) -> str:
    """A post's `image` as a path inside the site, or "" when it lives on another host.

    Pages never load images from other hosts: that would tell the outlet (and any tracker it
    uses) who reads what, break the offline site and the Content-Security-Policy, and reuse a
    photograph the outlet may not license for reuse. An image of the site's own (a path such as
    `static/img/x.jpg`, shipped in the site's `templates/static/`, or a URL under `base_url`) is
    shown; other posts get a drawn placeholder."""
    text = str(value or "").strip()
    if not text:
        return ""
    base = base_url.rstrip("/") + "/"
    if text.startswith(base):
        text = text[len(base) :]
    elif urlsplit(text).scheme or text.startswith("//"):
        return ""
    path = text.lstrip("/")
    if not path or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return ""
    return path


def build_site(
    config: Config, *, drafts: bool = False, future: bool = False, now: datetime | None = None
) -> BuildReport:
    """Render every published post of `config` into `config.paths.output`."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    output = config.paths.output
    report = BuildReport(output=output)
    posts, errors = load_posts(config.posts_dir, index=config.posts_index)
    report.problems.extend(f"post {e}" for e in errors)
    visible = [
        p for p in posts
        if (drafts or not p.is_draft) and (future or (p.date is not None and p.date <= now))
    ]  # fmt: skip
    visible.sort(key=lambda p: (p.date or now, p.slug), reverse=True)

    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(output)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a site is for serving
    try:
        site = _Site(config, staging, now)
        site.render_all(visible)
        report.pages = site.pages
        report.problems.extend(site.problems)
        search = index_site(staging, previous=output if output.is_dir() else None)
        report.search_seconds = search.seconds
        report.problems.extend(search.problems)
        _swap_in(staging, output)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        report.ok = False
        report.problems.append(
            f"build failed, the previous site was kept: {type(exc).__name__}: {exc}"
        )
    report.posts = len(visible)
    report.seconds = time.perf_counter() - started
    return report


def _aliases(links: list[PageLink]) -> dict[str, PageLink]:
    """Old slug -> the post it forwards to (`posts.old_slugs`); a live post's slug is never
    an alias."""
    live = {link.post.slug for link in links}
    found: dict[str, PageLink] = {}
    for link in links:
        for alias in old_slugs(link.post):
            if alias not in live:
                found.setdefault(alias, link)
    return found


def tag_slug(tag: str) -> str:
    """A tag's file name: its ASCII slug, or a short hash for tags with no Latin letters."""
    if any(c.isascii() and c.isalnum() for c in tag):
        return slugify(tag)
    return "tag-" + hashlib.sha256(tag.encode("utf-8")).hexdigest()[:10]


# A build folder older than this beside the site is a leftover of a killed build.
LEFTOVER_AGE_S = 3600


def _remove_leftovers(output: Path) -> None:
    """Delete `.site.build-*` and `.site.old-*` folders a killed build left beside the site."""
    cutoff = time.time() - LEFTOVER_AGE_S
    for pattern in (f".{output.name}.build-*", f".{output.name}.old-*"):
        for folder in output.parent.glob(pattern):
            try:
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue


def _swap_in(staging: Path, output: Path) -> None:
    """Replace `output` by `staging` with two renames; the old site is removed last."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{time.time_ns()}")
        output.rename(old)
    staging.rename(output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class _Site:
    def __init__(self, config: Config, out: Path, now: datetime) -> None:
        self.config = config
        self.out = out
        self.now = now
        self.pages = 0
        self.problems: list[str] = []
        # Pages besides the home page, posts and tags that belong in sitemap.xml: href ->
        # last modified (None: unknown), for build.outputs.write_outputs(pages=...).
        self.sitemap_pages: dict[str, datetime | None] = {}
        self.env = _environment(config)
        self.zone = ZoneInfo(config.site.timezone)

    def render_all(self, posts: list[Post]) -> None:
        base_url = self.config.site.base_url
        links = [PageLink(p, f"posts/{p.slug}.html") for p in posts]
        by_slug = {link.post.slug: link for link in links}
        tags: dict[str, list[PageLink]] = defaultdict(list)
        tag_names: dict[str, str] = {}
        for link in links:
            link.html = markdown_to_html(link.post.body)
            link.credit = corroboration(link.meta.get("sources"))
            link.image = local_image(link.meta.get("image"), base_url)
            for tag in link.post.tags:
                key = tag_slug(tag)
                tag_names.setdefault(key, tag)
                tags[key].append(link)
                link.tags.append((tag, f"tags/{key}.html"))
        index = RelatedIndex(posts)
        for link in links:
            link.related = self._related(link, index, by_slug)

        for link in links:
            self.page(
                link.href,
                "post.html",
                page=link,
                title=link.post.title,
                description=link.meta.get("summary") or link.post.title,
                og_type="article",
                image_url=self._image_url(link),
                json_ld=self._news_article(link),
            )
        for alias, link in _aliases(links).items():
            self.page(f"posts/{alias}.html", "redirect.html", target=link, title=link.post.title)
        self.paginated("index.html", "page/{n}.html", links, title="")
        for key, members in sorted(tags.items()):
            self.page(
                f"tags/{key}.html",
                "tag.html",
                tag=tag_names[key],
                posts=members,
                title=f"Stories tagged {tag_names[key]}",
            )
        self.page(
            "tags/index.html",
            "tags.html",
            title="Topics",
            tags=[(tag_names[k], f"tags/{k}.html", len(v)) for k, v in sorted(tags.items())],
        )
        self.archive(links)
        self.page("about.html", "about.html", title="About", feeds=self.config.feeds)
        feeds = self._feed_rows(links)
        self.page(
            "sources.html",
            "sources.html",
            title="Sources",
            feeds=feeds,
            health=any(row.this_week is not None for row in feeds),
        )
        self.sitemap_pages.update({"about.html": None, "sources.html": None})
        self.page("search.html", "search.html", title="Search")
        self.page("404.html", "404.html", title="Page not found", root=self._site_path())
        self.pages += write_outputs(
            self.out,
            links,
            {k: (tag_names[k], v) for k, v in tags.items()},
            self.config,
            self.now,
            full_content=self.config.site.feed_full_content,
            pages=self.sitemap_pages,
        )
        self._copy_static()

    def _related(
        self, link: PageLink, index: RelatedIndex, by_slug: dict[str, PageLink]
    ) -> list[tuple[PageLink, str]]:
        """The post's own `related:` list (those still published), filled up with newer posts,
        then with any, to RELATED_COUNT; each with the reason shown on its card."""
        post = link.post
        chosen = [s for s in post.meta.get("related") or [] if s in by_slug and s != post.slug]
        for newer_only in (True, False):
            if len(chosen) >= RELATED_COUNT:
                break
            found = index.related(post, RELATED_COUNT + len(chosen), newer_only=newer_only)
            chosen += [r.slug for r in found if r.slug not in chosen and r.slug in by_slug]
        return [(by_slug[s], index.reason(post, by_slug[s].post)) for s in chosen[:RELATED_COUNT]]

    def paginated(self, first: str, pattern: str, links: list[PageLink], **context: Any) -> None:
        size = self.config.site.posts_per_page
        chunks = [links[i : i + size] for i in range(0, len(links), size)] or [[]]
        hrefs = [first] + [pattern.format(n=n) for n in range(2, len(chunks) + 1)]
        for number, (chunk, href) in enumerate(zip(chunks, hrefs, strict=True), start=1):
            self.page(
                href,
                "index.html",
                posts=chunk,
                number=number,
                total=len(chunks),
                previous=hrefs[number - 2] if number > 1 else None,
                next=hrefs[number] if number < len(chunks) else None,
                json_ld=self._website() if number == 1 else None,
                **context,
            )

    def archive(self, links: list[PageLink]) -> None:
        """archive/index.html listing every month with posts, newest first, and one page per
        month (archive/YYYY/MM.html) listing its posts; months in the site's time zone."""
        months: dict[tuple[int, int], Month] = {}
        for link in links:
            if link.post.date is None:
                continue
            local = link.post.date.astimezone(self.zone)
            key = (local.year, local.month)
            if key not in months:
                months[key] = Month(
                    local.year, local.month, f"{local:%B %Y}", f"archive/{key[0]}/{key[1]:02d}.html"
                )
            months[key].posts.append(link)
        ordered = [months[k] for k in sorted(months, reverse=True)]
        years: dict[int, list[Month]] = defaultdict(list)
        for month in ordered:
            years[month.year].append(month)
        self.page("archive/index.html", "archive.html", title="Archive", years=list(years.items()))
        self.sitemap_pages["archive/index.html"] = _newest(links)
        for i, month in enumerate(ordered):
            self.page(
                month.href,
                "month.html",
                title=f"Stories from {month.label}",
                month=month,
                newer=ordered[i - 1] if i > 0 else None,
                older=ordered[i + 1] if i + 1 < len(ordered) else None,
            )
            self.sitemap_pages[month.href] = _newest(month.posts)

    def _feed_rows(self, links: list[PageLink]) -> list[FeedRow]:
        """The configured feeds, with their health from the cache when there is one."""
        cited: dict[str, int] = defaultdict(int)
        for link in links:
            names = {
                " ".join(str(s.get("outlet") or "").split()).lower()
                for s in link.meta.get("sources") or []
                if isinstance(s, dict)
            }
            for name in names:
                cited[name] += 1
        rows = []
        for feed in self.config.feeds:
            name = feed.name or feed.url
            parts = urlsplit(feed.url)
            web = parts.scheme in ("http", "https")
            rows.append(
                FeedRow(
                    name=name,
                    url=feed.url if web else "",
                    file="" if web else Path(parts.path).name,
                    tags=feed.tags,
                    cited=cited.get(" ".join(name.split()).lower(), 0),
                )
            )
        if self.config.cache_file.is_file():
            try:
                self._add_health(rows)
            except (sqlite3.Error, OSError, ValueError) as exc:
                self.problems.append(f"sources page: feed health not shown: {exc}")
                for row in rows:
                    row.last_success, row.failures, row.this_week = None, 0, None
        return rows

    def _add_health(self, rows: list[FeedRow]) -> None:
        from aibot.store import Store  # only when there is a cache to read

        with Store.read_only(self.config.cache_file) as store:
            counts = store.feed_article_counts(since=self.now - timedelta(days=7))
            for row, feed in zip(rows, self.config.feeds, strict=True):
                state = store.feed_state(feed.url)
                row.failures = state.failures
                row.this_week = counts.get(feed.url, 0)
                if state.last_success:
                    when = datetime.fromisoformat(state.last_success)
                    row.last_success = when if when.tzinfo else when.replace(tzinfo=UTC)

    def _site_path(self) -> str:
        """The path of the site's root on its host ("/" or "/news/"), for pages served at any
        depth."""
        path = urlsplit(self.config.site.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def _absolute(self, path: str) -> str:
        return self.config.site.base_url.rstrip("/") + "/" + path

    def _image_url(self, link: PageLink) -> str:
        """The image for link previews (Open Graph, JSON-LD): the site's own copy if any, else
        the source's URL. Previews are fetched by the sharing service, not the reader."""
        if link.image:
            return self._absolute(link.image)
        return _web_url(link.meta.get("image"))

    def _news_article(self, link: PageLink) -> dict[str, Any]:
        """schema.org NewsArticle for the post page's JSON-LD."""
        post, site, author = link.post, self.config.site, self.config.author
        url = self._absolute(link.href)
        organisation = {"@type": "Organization", "name": author.name, "url": self._absolute("")}
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": post.title,
            "description": str(post.meta.get("summary") or ""),
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "datePublished": _iso(post.date),
            "dateModified": _iso(post.updated or post.date),
            "author": organisation,
            "publisher": {"@type": "Organization", "name": site.title, "url": self._absolute("")},
            "inLanguage": site.language,
            "keywords": post.tags,
            "citation": _source_urls(post.meta.get("sources")),
        }
        image = self._image_url(link)
        if image:
            data["image"] = [image]
        return data

    def _website(self) -> dict[str, Any]:
        site = self.config.site
        return {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site.title,
            "description": site.description,
            "url": self._absolute(""),
            "inLanguage": site.language,
        }

    def page(self, href: str, template: str, **context: Any) -> None:
        depth = href.count("/")
        site = self.config.site
        values: dict[str, Any] = {
            "site": site,
            "author": self.config.author,
            "cluster": self.config.cluster,
            "writer": self.config.writer,
            "root": "../" * depth,
            "href": href,
            "canonical": self._absolute(href),
            "absolute": self._absolute,
            "now": self.now,
            "description": site.description,
            "og_type": "website",
            "image_url": "",
            "json_ld": None,
        }
        values.update(context)
        html = self.env.get_template(template).render(**values)
        target = self.out / href
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        self.pages += 1

    def _copy_static(self) -> None:
        target = self.out / "static"
        theme = resources.files("aibot") / "theme" / "static"
        with resources.as_file(theme) as folder:
            shutil.copytree(folder, target)
        own = self.config.paths.templates / "static"
        if own.is_dir():
            shutil.copytree(own, target, dirs_exist_ok=True)


def _newest(links: list[PageLink]) -> datetime | None:
    times = [lk.post.updated or lk.post.date for lk in links]
    return max((t for t in times if t is not None), default=None)


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _source_urls(sources: Any) -> list[str]:
    found: list[str] = []
    for source in sources if isinstance(sources, list) else []:
        url = _web_url(source.get("url")) if isinstance(source, dict) else ""
        if url and url not in found:
            found.append(url)
    return found


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _environment(config: Config) -> jinja2.Environment:
    """Templates from the site's own folder first, then the built-in theme. The built-in
    templates are also reachable as `theme/NAME`, so a site's own base.html can extend the
    built-in one and change a single block."""
    theme = jinja2.PackageLoader("aibot", "theme/templates")
    loaders: list[jinja2.BaseLoader] = []
    if config.paths.templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(config.paths.templates))
    loaders += [theme, jinja2.PrefixLoader({"theme": theme})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = _iso
    zone = ZoneInfo(config.site.timezone)
    env.filters["day"] = lambda d: f"{d.astimezone(zone):%-d %B %Y, %H:%M %Z}" if d else ""
    env.filters["date"] = lambda d: f"{d.astimezone(zone):%-d %B %Y}" if d else ""
    env.filters["web_url"] = _web_url
    env.filters["json_ld"] = json_ld
    env.filters["hue"] = lambda text: hashlib.sha256(str(text).encode()).digest()[0] % 6
    env.filters["and_list"] = lambda items: _and([str(i) for i in items]) if items else ""
    return env


def _web_url(url: Any) -> str:
    """Only http(s) URLs reach an href or src; anything else becomes an empty string."""
    text = str(url or "")
    return text if text.startswith(("http://", "https://")) else ""
