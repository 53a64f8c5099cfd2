"""Render posts into a static site: collect every page's context first, then write each output.

The build reads `content/` only (never the cache). It writes into a fresh folder beside the output
and swaps it in at the end, so a failed build leaves the last good site untouched. Every link is
relative, so the site works from any folder, from `file://` and on any static host.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markdown
import nh3

from aibot.config import Config
from aibot.models import Post
from aibot.posts import is_slug, load_posts, slugify
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


@dataclass
class BuildReport:
    output: Path
    posts: int = 0
    pages: int = 0
    seconds: float = 0.0
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

    @property
    def meta(self) -> dict[str, Any]:
        return self.post.meta


def markdown_to_html(text: str) -> str:
    """Markdown to HTML with nothing dangerous left: no raw scripts, no on* attributes, no
    javascript: links (Python-Markdown passes raw HTML through, so nh3 cleans its output)."""
    rendered = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


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
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a site is for serving
    try:
        site = _Site(config, staging, now)
        site.render_all(visible)
        report.pages = site.pages
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
    """Old slug -> the post now at another: the slug it was first published under (an editor
    changed it since) and any listed in its `aliases:`. A live post's slug is never an alias."""
    live = {link.post.slug for link in links}
    found: dict[str, PageLink] = {}
    for link in links:
        generator = link.meta.get("generator")
        first = generator.get("slug") if isinstance(generator, dict) else None
        for alias in [first, *(link.meta.get("aliases") or [])]:
            if isinstance(alias, str) and is_slug(alias) and alias not in live:
                found.setdefault(alias, link)
    return found


def tag_slug(tag: str) -> str:
    """A tag's file name: its ASCII slug, or a short hash for tags with no Latin letters."""
    if any(c.isascii() and c.isalnum() for c in tag):
        return slugify(tag)
    return "tag-" + hashlib.sha256(tag.encode("utf-8")).hexdigest()[:10]


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
        self.env = _environment(config)

    def render_all(self, posts: list[Post]) -> None:
        links = [PageLink(p, f"posts/{p.slug}.html") for p in posts]
        by_slug = {link.post.slug: link for link in links}
        tags: dict[str, list[PageLink]] = defaultdict(list)
        tag_names: dict[str, str] = {}
        for link in links:
            link.html = markdown_to_html(link.post.body)
            for tag in link.post.tags:
                key = tag_slug(tag)
                tag_names.setdefault(key, tag)
                tags[key].append(link)
                link.tags.append((tag, f"tags/{key}.html"))
        index = RelatedIndex(posts)
        for link in links:
            link.related = self._related(link, index, by_slug)

        for link in links:
            self.page(link.href, "post.html", page=link, title=link.post.title)
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
        self.page("404.html", "404.html", title="Page not found")
        latest = max(
            (lk.post.updated or lk.post.date or self.now for lk in links), default=self.now
        )
        self.page("atom.xml", "atom.xml", posts=links[:50], updated=latest, title="")
        self.page("sitemap.xml", "sitemap.xml", posts=links, tags=sorted(tags), title="")
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
                **context,
            )

    def page(self, href: str, template: str, **context: Any) -> None:
        depth = href.count("/")
        site = self.config.site
        html = self.env.get_template(template).render(
            site=site,
            author=self.config.author,
            root="../" * depth,
            href=href,
            canonical=site.base_url.rstrip("/") + "/" + href,
            absolute=lambda path: site.base_url.rstrip("/") + "/" + path,
            now=self.now,
            **context,
        )
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _environment(config: Config) -> jinja2.Environment:
    """Templates from the site's own folder first, then the built-in theme."""
    loaders: list[jinja2.BaseLoader] = []
    if config.paths.templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(config.paths.templates))
    loaders.append(jinja2.PackageLoader("aibot", "theme/templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if d else ""
    zone = ZoneInfo(config.site.timezone)
    env.filters["day"] = lambda d: f"{d.astimezone(zone):%-d %B %Y, %H:%M %Z}" if d else ""
    env.filters["web_url"] = _web_url
    return env


def _web_url(url: Any) -> str:
    """Only http(s) URLs reach an href or src; anything else becomes an empty string."""
    text = str(url or "")
    return text if text.startswith(("http://", "https://")) else ""
