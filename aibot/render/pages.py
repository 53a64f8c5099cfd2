"""What pages show: the context of a post's page (its link previews and JSON-LD), the lists of
posts over numbered pages (the home page, the topics) and the archive, and a topic's file name."""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

from aibot.config import Config
from aibot.posts.slugs import slugify
from aibot.render.context import Month, PageLink, month_key
from aibot.render.incremental import context_key
from aibot.render.pool import Job
from aibot.render.templates import iso, web_url

# Cards on each page of a topic (the home page shows site.posts_per_page).
TAG_PAGE_SIZE = 20


@functools.lru_cache(maxsize=4096)
def tag_slug(tag: str) -> str:
    """A tag's file name: its ASCII slug, or a short hash for tags with no Latin letters."""
    if any(c.isascii() and c.isalnum() for c in tag):
        return slugify(tag)
    return "tag-" + hashlib.sha256(tag.encode("utf-8")).hexdigest()[:10]


class PageContexts:
    """The contexts of the site's pages, each handed to `page` (the build's _Site.page, which
    keys it and lists it to render); pages that belong in sitemap.xml are added to
    `sitemap_pages` (href -> last modified)."""

    def __init__(
        self,
        config: Config,
        zone: ZoneInfo,
        now: datetime,
        env: jinja2.Environment,
        page: Callable[..., None],
        sitemap_pages: dict[str, datetime | None],
    ) -> None:
        self.config = config
        self.zone = zone
        self.now = now
        self.env = env  # render.templates.environment
        self.page = page
        self.sitemap_pages = sitemap_pages

    def html(self, job: Job) -> str:
        """The page of `job`: its template rendered with its context on top of what every page
        is given."""
        depth = job.href.count("/")
        site = self.config.site
        values: dict[str, Any] = {
            "site": site,
            "author": self.config.author,
            "cluster": self.config.cluster,
            "writer": self.config.writer,
            "root": "../" * depth,
            "href": job.href,
            "canonical": self.absolute(job.href),
            "absolute": self.absolute,
            "now": self.now,
            "description": site.description,
            "og_type": "website",
            "image_url": "",
            "json_ld": None,
        }
        values.update(job.make() if job.make else job.context)
        return self.env.get_template(job.template).render(**values)

    def site_path(self) -> str:
        """The path of the site's root on its host ("/" or "/news/"), for pages served at any
        depth."""
        path = urlsplit(self.config.site.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def absolute(self, path: str) -> str:
        return self.config.site.base_url.rstrip("/") + "/" + path

    def image_url(self, link: PageLink) -> str:
        """The image for link previews (Open Graph, JSON-LD): the site's own copy if any, else
        the source's URL. Previews are fetched by the sharing service, not the reader."""
        if link.image:
            return self.absolute(link.image)
        return web_url(link.meta.get("image"))

    def news_article(self, link: PageLink) -> dict[str, Any]:
        """schema.org NewsArticle for the post page's JSON-LD."""
        post, site, author = link.post, self.config.site, self.config.author
        url = self.absolute(link.href)
        organisation = {"@type": "Organization", "name": author.name, "url": self.absolute("")}
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": post.title,
            "description": str(post.meta.get("summary") or ""),
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "datePublished": iso(post.date),
            "dateModified": iso(post.updated or post.date),
            "author": organisation,
            "publisher": {"@type": "Organization", "name": site.title, "url": self.absolute("")},
            "inLanguage": site.language,
            "keywords": post.tags,
            "citation": _source_urls(post.meta.get("sources")),
        }
        image = self.image_url(link)
        if image:
            data["image"] = [image]
        return data

    def website(self) -> dict[str, Any]:
        site = self.config.site
        return {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site.title,
            "description": site.description,
            "url": self.absolute(""),
            "inLanguage": site.language,
        }

    def post_context(self, link: PageLink) -> Callable[[], dict[str, Any]]:
        def make() -> dict[str, Any]:
            return {
                "page": link,
                "title": link.post.title,
                "description": link.meta.get("summary") or link.post.title,
                "og_type": "article",
                "image_url": self.image_url(link),
                "json_ld": self.news_article(link),
            }

        return make

    def paginated(
        self,
        first: str,
        pattern: str,
        links: list[PageLink],
        template: str = "index.html",
        size: int | None = None,
        **context: Any,
    ) -> None:
        """`links` over pages of `size` (site.posts_per_page): `first`, then `pattern` with
        {n} = 2, 3, …; each page knows its number, the total and its neighbours."""
        size = size or self.config.site.posts_per_page
        chunks = [links[i : i + size] for i in range(0, len(links), size)] or [[]]
        hrefs = [first] + [pattern.format(n=n) for n in range(2, len(chunks) + 1)]
        for number, (chunk, href) in enumerate(zip(chunks, hrefs, strict=True), start=1):
            shown = {
                **context,
                "number": number,
                "total": len(chunks),
                "previous": hrefs[number - 2] if number > 1 else None,
                "next": hrefs[number] if number < len(chunks) else None,
                "json_ld": context.get("json_ld") if number == 1 else None,
            }
            # Keyed by its cards' content keys: the same as the page's context, ~1,300 list
            # pages without a Python call per card (see PageLink.__repr__).
            cards = [link.content_key for link in chunk]
            key = context_key(template, {**shown, "posts": cards})
            self.page(href, template, key=key, posts=chunk, **shown)

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
        # Keyed as paginated() keys its pages: months by their posts' content keys.
        listed = [(year, [month_key(m) for m in in_year]) for year, in_year in years.items()]
        key = context_key("archive.html", {"title": "Archive", "years": listed})
        self.page(
            "archive/index.html", "archive.html", key, title="Archive", years=list(years.items())
        )
        self.sitemap_pages["archive/index.html"] = _newest(links)
        for i, month in enumerate(ordered):
            newer = ordered[i - 1] if i > 0 else None
            older = ordered[i + 1] if i + 1 < len(ordered) else None
            title = f"Stories from {month.label}"
            shown = {"title": title, "month": month, "newer": newer, "older": older}
            key = context_key("month.html", {k: month_key(v) for k, v in shown.items()})
            self.page(
                month.href,
                "month.html",
                key,
                title=title,
                month=month,
                newer=newer,
                older=older,
            )
            self.sitemap_pages[month.href] = _newest(month.posts)


def _newest(links: list[PageLink]) -> datetime | None:
    times = [lk.post.updated or lk.post.date for lk in links]
    return max((t for t in times if t is not None), default=None)


def _source_urls(sources: Any) -> list[str]:
    found: list[str] = []
    for source in sources if isinstance(sources, list) else []:
        url = web_url(source.get("url")) if isinstance(source, dict) else ""
        if url and url not in found:
            found.append(url)
    return found
