"""Render posts into a static site: collect every page's context first, then write each output.

The build reads `content/`, and the cache only where there is one, read-only (see below). It
writes into a fresh folder beside the output and swaps it in at the end, so a failed build leaves
the last good site untouched. Every link is relative, so the site works from any folder, from
`file://` and on any static host. The one exception is 404.html, which a host serves at any
depth: its links start at the path of `site.base_url`.

From the cache the build reads two things: each feed's health for the Sources page (last success,
articles this week), and the text of the sources of posts with evidence, which makes their
citations' text fragments unique on the source's page (render.evidence). Without a cache the
Sources page lists the feeds without health, and the fragments are the default ones.

Pages: posts/SLUG.html, index.html + page/N.html, tags/index.html + tags/TAG.html,
archive/index.html + archive/YYYY/MM.html, briefing/ (render.briefing), about.html,
sources.html, search.html, 404.html, the redirects of renamed posts, atom.xml, sitemap.xml and
static/.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aibot.config import Config
from aibot.models import Post
from aibot.posts.files import load_posts, post_listing
from aibot.posts.related import RelatedIndex
from aibot.posts.slugs import holders_file, save_holders
from aibot.render.briefing import FEEDS, briefing_days, briefing_feeds, briefing_pages, feed_key
from aibot.render.context import FeedRow, PageLink
from aibot.render.evidence import SourceTexts, body_with_evidence, has_evidence
from aibot.render.feed_health import feed_health, feed_rows
from aibot.render.incremental import (
    MARKER,
    HtmlCache,
    Manifest,
    context_key,
    digest,
    inputs_key,
    post_key,
    read_manifest,
    shown_key,
    write_manifest,
)
from aibot.render.indexing import BackgroundIndex
from aibot.render.markdown import markdown_to_html
from aibot.render.neighbours import Neighbours, alias_links, related_cards
from aibot.render.outputs import NEWS_WINDOW, write_outputs
from aibot.render.pages import TAG_PAGE_SIZE, PageContexts, tag_slug
from aibot.render.pool import Job, RenderPool, Written
from aibot.render.schedule import moment, next_change, scheduled_dates
from aibot.render.search import (
    shard_count,
    shard_of,
)
from aibot.render.staging import Staging
from aibot.render.swap import (
    current_umask,
    holds_only,
    link_all,
    remove_leftovers,
    remove_tree,
    swap_in,
    write_new,
)
from aibot.render.templates import environment, iso, local_image


@dataclass
class BuildReport:
    output: Path
    posts: int = 0
    pages: int = 0
    seconds: float = 0.0
    search_seconds: float = 0.0  # indexing for search (Pagefind), part of `seconds`
    rendered: int = 0  # files made this time; the others of `pages` came from the last build
    unchanged: bool = False  # nothing changed since the last build: the site was left as it is
    scheduled: int = 0  # posts dated in the future: left out until a build after their date
    next_scheduled: datetime | None = None  # the date of the first of them
    ok: bool = True
    problems: list[str] = field(default_factory=list)


def build_site(
    config: Config,
    *,
    drafts: bool = False,
    future: bool = False,
    now: datetime | None = None,
    background: bool = False,
    processes: int | None = None,
) -> BuildReport:
    """Render every published post of `config` into `config.paths.output`.

    Only what changed since the last build is rendered (render.incremental); the rest is
    hard-linked from the current site into a new folder, which then replaces it in two renames.
    With `background`, the replaced site is deleted by a process of its own after this returns
    (the command line's choice: its user does not wait for ~6,000 files to go).
    `processes` render the pages in that many worker processes (1: in this one); by default one
    per core, at most 8, once there are render.pool.POOL_FROM pages or more to render (Linux only).
    """
    with _collector_paused():
        return _build_site(
            config, drafts=drafts, future=future, now=now, background=background,
            processes=processes,
        )  # fmt: skip


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a build runs, and on again after: a build makes a
    few million objects and hardly any cycles, and collecting while they are made took a
    tenth to a quarter of a one-edit build of 5,000 posts. Render workers turn it on again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _build_site(
    config: Config,
    *,
    drafts: bool,
    future: bool,
    now: datetime | None,
    background: bool,
    processes: int | None,
) -> BuildReport:
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    output = config.paths.output
    report = BuildReport(output=output)
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(output)
    state = config.paths.cache / "build"
    manifest_file = state / "manifest.json"
    last = read_manifest(manifest_file, output) if output.is_dir() else Manifest()
    cache = HtmlCache(state / "html.sqlite", markdown_to_html)
    site = _Site(config, now, inputs_key(config, now), last, output, cache)
    site.pool = RenderPool(processes)
    # Nothing to do when no post file, template or setting changed and no post has come of
    # age or left the news window since: checked from file times alone, no post is read.
    listing = post_listing(config.posts_dir) if config.posts_dir.is_dir() else []
    quick = digest(site.inputs, drafts, future, repr((listing, site.feed_health())))
    intact = bool(last.build_id) and holds_only(output, last.files)
    if intact and last.quick == quick and now < moment(last.valid_until):
        return _unchanged(report, last, site, started)

    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; a site is for serving
    # The new site starts as the last one made of hard links (`cp -al`, in its own process
    # while this one reads the posts); every file made again replaces its link (see _Site).
    site.staging.linking = link_all(output, staging) if intact else None
    holders = holders_file(config.paths.cache)
    posts, errors = load_posts(
        config.posts_dir, index=config.posts_index, listing=listing, holders=holders
    )
    report.problems.extend(f"post {e}" for e in errors)
    try:
        save_holders(holders, config.posts_dir, posts)
    except OSError as exc:
        report.problems.append(f"which post holds each slug was not saved ({exc})")
    visible = [
        p for p in posts
        if (drafts or not p.is_draft) and (future or (p.date is not None and p.date <= now))
    ]  # fmt: skip
    visible.sort(key=lambda p: (p.date or now, p.slug), reverse=True)
    report.posts = len(visible)
    scheduled = scheduled_dates(posts, now, drafts=drafts, future=future)
    report.scheduled, report.next_scheduled = len(scheduled), min(scheduled, default=None)
    feeds = feed_rows(config, visible, site.feed_health())
    whole = site.whole_key(visible, feeds, drafts=drafts, future=future)
    valid_until = next_change(posts, now, drafts=drafts, future=future)
    if intact and last.whole == whole and not errors:
        site.staging.await_links()
        remove_tree(staging)
        last.quick, last.valid_until = quick, valid_until
        last.scheduled, last.next_scheduled = len(scheduled), iso(report.next_scheduled)
        with contextlib.suppress(OSError):
            write_manifest(manifest_file, last)
        return _unchanged(report, last, site, started)

    try:
        site.staging.out = staging
        site.render_all(visible, feeds)
        report.pages = site.staging.pages
        report.rendered = site.staging.rendered
        report.problems.extend(site.problems)
        search = site.search.result()
        report.search_seconds = search.seconds
        report.problems.extend(search.problems)
        build_id = uuid.uuid4().hex
        write_new(staging / MARKER, build_id + "\n")
        swap_in(staging, output, background=background)
    except Exception as exc:
        site.search.abandon()  # let Pagefind finish before its folder goes
        site.staging.await_links()
        shutil.rmtree(staging, ignore_errors=True)
        report.ok = False
        report.problems.append(
            f"build failed, the previous site was kept: {type(exc).__name__}: {exc}"
        )
    finally:
        site.close()
    if report.ok:
        # A build with a bad post is not remembered as whole: the next one looks again.
        try:
            if errors:  # the post files' state is not remembered: the next build reads them
                made = Manifest(build_id, "", site.staging.files)
            else:
                made = Manifest(build_id, whole, site.staging.files, quick, valid_until)
            made.posts = len(visible)
            made.scheduled, made.next_scheduled = len(scheduled), iso(report.next_scheduled)
            write_manifest(manifest_file, made)
        except OSError as exc:
            report.problems.append(f"build cache not saved ({exc}); the next build is a full one")
    if _KEPT is not None:
        _KEPT.append((posts, visible, feeds, site, last))
    report.seconds = time.perf_counter() - started
    return report


# What each build made, when the process exits right after the build (see keep_until_exit).
_KEPT: list[object] | None = None


def keep_until_exit() -> None:
    """Let every later build in this process leave what it made in memory. Freeing a build of
    5,000 posts (a few hundred thousand objects) takes 40-90 ms, time spent for nothing by a
    process that ends right after: the `aibot build` command, which leaves without tearing
    the interpreter down."""
    global _KEPT
    if _KEPT is None:
        _KEPT = []


def _unchanged(report: BuildReport, last: Manifest, site: _Site, started: float) -> BuildReport:
    site.close()
    report.unchanged = True
    report.posts = last.posts
    report.scheduled = last.scheduled
    report.next_scheduled = moment(last.next_scheduled) if last.next_scheduled else None
    report.pages = sum(1 for href in last.files if not href.startswith("static/"))
    report.problems.extend(site.problems)
    report.seconds = time.perf_counter() - started
    return report


class _Site:
    """One build: the pages it lists (render_all, with PageContexts), rendered by its RenderPool
    into its Staging folder, and indexed for search as they are written (BackgroundIndex)."""

    def __init__(
        self,
        config: Config,
        now: datetime,
        inputs: str,
        last: Manifest,
        previous: Path,
        cache: HtmlCache,
    ) -> None:
        self.config = config
        self.pool = RenderPool()  # see build_site
        self.staging = Staging(previous, last, inputs)
        self.now = now
        self.inputs = inputs  # render.incremental.inputs_key
        self.cache = cache
        self.jobs: list[Job] = []
        self.problems: list[str] = []
        self.search = BackgroundIndex()
        # Pages besides the home page, posts and tags that belong in sitemap.xml: href ->
        # last modified (None: unknown), for render.outputs.write_outputs(pages=...).
        self.sitemap_pages: dict[str, datetime | None] = {}
        self.env = environment(config)
        self.zone = ZoneInfo(config.site.timezone)
        self.contexts = PageContexts(
            config, self.zone, now, self.env, self.page, self.sitemap_pages
        )
        self.texts = SourceTexts(config.cache_file)  # for evidence links (render.evidence)
        self.versions: dict[str, str] = {}  # see whole_key

    def close(self) -> None:
        """Let go of the search thread and the HTML cache's and the cache's databases."""
        self.search.close()
        self.cache.close()
        self.texts.close()
        self.staging.await_links()

    def whole_key(
        self, posts: list[Post], feeds: list[FeedRow], *, drafts: bool, future: bool
    ) -> str:
        """A key of everything the site shows: when it equals the last build's, nothing changed."""
        since = self.now - NEWS_WINDOW
        recent = [p.slug for p in posts if p.date is not None and since <= p.date <= self.now]
        published = [(p.slug, post_key(p)) for p in posts]
        # The cache's versions of the text of the sources of posts with evidence links.
        self.versions = self.texts.versions([p for p in posts if has_evidence(p)])
        texts = [sorted(self.versions.items())] if self.versions else []
        return digest(self.inputs, drafts, future, repr((published, recent, feeds, *texts)))

    def render_all(self, posts: list[Post], feeds: list[FeedRow]) -> None:
        base_url = self.config.site.base_url
        links = self._post_links(posts)
        by_slug = {link.post.slug: link for link in links}
        tags: dict[str, list[PageLink]] = defaultdict(list)
        tag_names: dict[str, str] = {}
        for link in links:
            link.image = local_image(link.meta.get("image"), base_url)
            seen: set[str] = set()
            for tag in link.post.tags:
                key = tag_slug(tag)
                if key in seen:
                    continue  # the same topic written twice ("Paris", "paris"): listed once
                seen.add(key)
                tag_names.setdefault(key, tag)
                tags[key].append(link)
                link.tags.append((tag, f"tags/{key}.html"))
        # Reasons need no index of every post: an empty one works them out from the two posts.
        why = RelatedIndex(()).reason
        keys = {link.post.slug: shown_key(link, self.versions) for link in links}
        neighbours = Neighbours(links, tags)
        aliases = alias_links(links)
        for link in links:
            link.shown = related_cards(link, by_slug, aliases, neighbours)
            link.reason = why
            link.content_key = digest(repr((keys[link.post.slug], link.href, link.tags)))
        for link in links:
            link.build_key = digest(link.content_key, *(o.content_key for o in link.shown))

        # Post pages in the order of their search shards, so that the first shards are written
        # (and indexed) while the others are rendered.
        shards = shard_count(len(links))
        for link in sorted(links, key=lambda link: shard_of(link.href, shards)):
            self.page(
                link.href,
                "post.html",
                key=link.build_key,
                make=self.contexts.post_context(link),
                body="" if link.body else link.post.body,  # "": not worth preloading
            )
            # What search indexes is the article alone, which related posts are not part of.
            self.search.pages[link.href] = digest(self.inputs, link.content_key)
        # Search indexes the post pages (Pagefind, in its own processes) shard by shard as they
        # are written, while this process and its workers write every other page and the feeds.
        self.search.start(self.staging)
        self._render_jobs(self.search.written)
        for alias, link in aliases.items():
            self.page(f"posts/{alias}.html", "redirect.html", target=link, title=link.post.title)
        self.contexts.paginated(
            "index.html", "page/{n}.html", links, title="", json_ld=self.contexts.website()
        )
        for key, members in sorted(tags.items()):
            self.contexts.paginated(
                f"tags/{key}.html",
                f"tags/{key}/page/{{n}}.html",
                members,
                "tag.html",
                size=TAG_PAGE_SIZE,
                tag=tag_names[key],
                count=len(members),
                title=f"Stories tagged {tag_names[key]}",
            )
        self.page(
            "tags/index.html",
            "tags.html",
            title="Topics",
            tags=[(tag_names[k], f"tags/{k}.html", len(v)) for k, v in sorted(tags.items())],
        )
        self.contexts.archive(links)
        self.briefing(links)
        self.page("about.html", "about.html", title="About", feeds=self.config.feeds)
        self.page(
            "sources.html",
            "sources.html",
            title="Sources",
            feeds=feeds,
            health=any(row.this_week is not None for row in feeds),
        )
        self.sitemap_pages.update({"about.html": None, "sources.html": None})
        self.page("search.html", "search.html", title="Search")
        self.page("404.html", "404.html", title="Page not found", root=self.contexts.site_path())
        self._render_jobs()
        new = self.staging
        written = write_outputs(
            new.out,
            links,
            {k: (tag_names[k], v) for k, v in tags.items()},
            self.config,
            self.now,
            full_content=self.config.site.feed_full_content,
            pages=self.sitemap_pages,
            write=new.write_output,
            reuse=new.reuse,
        )
        new.pages += written
        new.rendered += written
        new.copy_static(self.config.paths.templates)
        if new.prelinked:
            new.remove_stale()
        # The HTML cache is saved meanwhile too: it holds what was converted, built or not.
        # Bodies no post has any more are deleted once they are a fifth of it (an edit leaves
        # one behind; pruning costs a digest of every body).
        self.cache.save()
        if self.cache.rows() > len(links) + len(links) // 5 + 16:
            self.cache.prune(digest(link.post.body) for link in links)

    def _post_links(self, posts: list[Post]) -> list[PageLink]:
        """A PageLink for each post; a post with evidence shows its body with evidence links
        (made when its page is rendered, from the sources' text in the cache if it has them)."""
        links = []
        for post in posts:
            link = PageLink(post, f"posts/{post.slug}.html", self.cache.html)
            if has_evidence(post):
                link.body = self._with_evidence
            links.append(link)
        return links

    def _with_evidence(self, post: Post) -> str:
        return body_with_evidence(post, self.texts.of(post))

    def briefing(self, links: list[PageLink]) -> None:
        """briefing/: a page and an email per day, the latest day and two feeds of days
        (render.briefing); the feeds are written now, unless the days they show are unchanged."""
        days = briefing_days(links, self.zone)
        for page in briefing_pages(days, self.config.site.title):
            self.page(page.href, page.template, page.key, **page.context)
            if page.modified is not None:
                self.sitemap_pages[page.href] = page.modified
        new = self.staging
        if not new.reuse(list(FEEDS), feed_key(days, self.now)):
            for href, text in briefing_feeds(days, self.config, self.now).items():
                new.write_output(href, text)
                new.pages += 1
                new.rendered += 1

    def feed_health(self) -> dict[str, tuple[datetime | None, int, int]] | None:
        """Feed URL -> (last success, failures in a row, articles this week) from the cache,
        read once per build; None without a cache (or one that cannot be read)."""
        if hasattr(self, "_health"):
            return self._health
        self._health: dict[str, tuple[datetime | None, int, int]] | None = None
        if self.config.cache_file.is_file():
            try:
                self._health = feed_health(self.config, self.now)
            except (sqlite3.Error, OSError, ValueError) as exc:
                self.problems.append(f"sources page: feed health not shown: {exc}")
        return self._health

    def page(
        self,
        href: str,
        template: str,
        key: Any = None,
        make: Callable[[], dict[str, Any]] | None = None,
        body: str = "",
        **context: Any,
    ) -> None:
        """Add a page to render (see _render_jobs). `key`, when given, stands for everything in
        the context, which `make` then makes only if the page is rendered (a post page's context
        is all made from its PageLink and the settings)."""
        if key is None:
            key = digest(self.inputs, context_key(template, context))
        else:
            key = digest(self.inputs, template, key)
        self.staging.files[href] = key
        self.jobs.append(Job(href, template, context, key, make, body))

    def _render_jobs(self, written: Written | None = None) -> None:
        """Render the pages whose keys changed, in worker processes when there are many; the
        others are hard-linked from the last build. `written` hears of each page as it is
        written (all at once for the pages kept) and of a failure."""
        written = written or Written()  # nobody waits on this one
        try:
            self._render_todo(written)
        except BaseException:
            written.fail()
            raise

    def _render_todo(self, written: Written) -> None:
        todo = self.staging.to_make(self.jobs)
        self.jobs = []
        self.pool.render(todo, self._render, written, self.cache)

    def _render(self, job: Job) -> None:
        self.staging.write_page(job.href, self.contexts.html(job))
