"""run(): collect → cluster → write → build, with a RunReport.

Each stage is also a function of its own (the CLI's `collect`, `cluster`, `write`, `build`). No
single feed, page, story or post can stop a run: each failure becomes one line of the report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aibot import embeddings
from aibot.build import BuildReport, build_site
from aibot.cluster import article_vectors, cluster
from aibot.collect.collector import collect
from aibot.config import Config
from aibot.embeddings import Embed
from aibot.models import Article, Post, Story
from aibot.posts import (
    draft_to_post,
    is_protected,
    load_posts,
    post_path,
    related_slugs,
    save_post,
)
from aibot.progress import Progress
from aibot.store import Store
from aibot.write.base import Writer, WriterError
from aibot.write.extractive import ExtractiveWriter
from aibot.write.verify import verify

# Waiting stories listed in the printed report; --json lists them all.
WAITING_SHOWN = 5


@dataclass
class RunReport:
    started: datetime
    writer: str = ""
    clustering: str = ""  # the similarity signals the cluster stage used
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_waiting: int = 0
    articles_new: int = 0
    articles_seen: int = 0
    articles_failed: int = 0
    articles_partial: int = 0
    articles_syndicated: int = 0
    stories: int = 0
    stories_new: int = 0
    stories_grown: int = 0
    stories_waiting: int = 0
    # Why each waiting story has no post yet: {story, title, outlets, needed}.
    waiting: list[dict[str, Any]] = field(default_factory=list)
    posts_written: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    posts_kept: int = 0  # edited or locked by an editor: not rewritten
    posts_held: int = 0  # failed verification: saved as drafts for review
    posts_deferred: int = 0  # over writer.max_posts_per_run: next run
    build_pages: int = 0
    build_seconds: float = 0.0
    build_ok: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)

    @property
    def ok(self) -> bool:
        """False when the run could not do its job: the build failed or no feed answered."""
        no_feed = self.feeds_ok == 0 and self.feeds_failed > 0
        return self.build_ok and not no_feed

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["ok"] = self.ok
        return data

    def lines(self) -> list[str]:
        out = [
            f"feeds     {self.feeds_ok} ok, {self.feeds_failed} failed, "
            f"{self.feeds_waiting} asked us to wait",
            f"articles  {self.articles_new} new, {self.articles_seen} seen, "
            f"{self.articles_failed} failed, {self.articles_partial} partial (feed text only), "
            f"{self.articles_syndicated} syndicated copies merged",
            f"stories   {self.stories} in all: {self.stories_new} new, {self.stories_grown} with "
            f"new sources, {self.stories_waiting} waiting for more sources"
            f"{f' (clustering: {self.clustering})' if self.clustering else ''}",
            f"posts     {self.posts_written} written, {self.posts_updated} updated, "
            f"{self.posts_unchanged} unchanged, {self.posts_kept} kept (edited or locked), "
            f"{self.posts_held} held for review, {self.posts_deferred} deferred"
            f"{f' (writer: {self.writer})' if self.writer else ''}",
            f"build     {self.build_pages} pages in {self.build_seconds:.2f} s"
            f"{'' if self.build_ok else ' FAILED, previous site kept'}",
        ]
        for wait in self.waiting[:WAITING_SHOWN]:
            outlets = ", ".join(wait["outlets"])
            out.append(f"waiting: {wait['title'][:70]} — {wait['independent']} independent "
                       f"outlet(s) ({outlets}), needs {wait['needed']}")  # fmt: skip
        if len(self.waiting) > WAITING_SHOWN:
            out.append(f"waiting: … and {len(self.waiting) - WAITING_SHOWN} more (see --json)")
        out += [f"note: {n}" for n in self.notes]
        out += [f"problem: {p}" for p in self.problems]
        return out


def choose_writer(config: Config) -> Writer:
    """Claude when configured and a key is set; the extractive writer otherwise."""
    backend = config.writer.backend
    has_key = bool(os.environ.get("ANTHROPIC_API_KEY"))
    if backend == "claude" or (backend == "auto" and has_key):
        from aibot.write.claude import ClaudeWriter

        return ClaudeWriter.from_config(config)
    return ExtractiveWriter()


def run(
    config: Config,
    *,
    writer: Writer | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """One full run; never raises for bad input, only for bugs and a broken environment."""
    now = now or datetime.now(UTC)
    report = RunReport(started=now)
    with Store(config.cache_file) as store:
        if store.moved_aside:
            report.notes.append(f"the cache was unreadable and was moved to {store.moved_aside}")
        collect_stage(config, store, report, now=now, progress=progress)
        cluster_stage(config, store, report)
        write_stage(config, store, report, writer=writer, now=now)
        build_stage(config, report, now=now)
        store.log_run(now, report.to_dict())
    return report


def collect_stage(
    config: Config,
    store: Store,
    report: RunReport,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> None:
    result = collect(config, store, now=now, progress=progress)
    for key in ("feeds_ok", "feeds_failed", "feeds_waiting", "articles_new", "articles_seen",
                "articles_failed", "articles_partial", "articles_syndicated"):  # fmt: skip
        setattr(report, key, getattr(report, key) + getattr(result, key))
    for line in result.problems:
        report.problem(line)


def cluster_stage(
    config: Config, store: Store, report: RunReport, *, embed: Embed | None = None
) -> list[Story]:
    """Attach every unclustered article to a story; return the stories that changed.

    `embed` replaces the packaged embedding model (tests); by default the model is used when
    the embeddings extra is installed and `cluster.embeddings` is not off."""
    newcomers = store.unclustered_articles()
    if not newcomers:
        return []
    window = timedelta(hours=config.cluster.window_hours)
    live = store.live_stories(since=min(a.when for a in newcomers) - window)
    pool = store.articles(i for s in live for i in s.article_ids) + newcomers
    before = {s.id: len(s.article_ids) for s in live}
    meanings = _embeddings(config, store, report, pool, embed)
    known = store.vectors(a.id for a in pool)
    vectors = article_vectors(pool, known)
    store.save_vectors({i: v for i, v in vectors.items() if i not in known})
    stories = cluster(pool, live, config.cluster, embeddings=meanings, vectors=vectors)
    changed = [s for s in stories if len(s.article_ids) != before.get(s.id, -1)]
    store.save_stories(changed)
    report.stories_new += sum(1 for s in changed if s.id not in before)
    report.stories_grown += sum(1 for s in changed if s.id in before)
    return changed


def _embeddings(
    config: Config, store: Store, report: RunReport, pool: list[Article], embed: Embed | None
) -> dict[str, list[float]] | None:
    """The pool's sentence embeddings (cached in the store), or None for TF-IDF alone."""
    report.clustering = "TF-IDF"
    if config.cluster.embeddings == "off":
        return None
    if embed is None:
        if not embeddings.available():
            return None
        embed = embeddings.embed
    cached = store.embeddings((a.id for a in pool), embeddings.MODEL_NAME)
    try:
        everything, fresh = embeddings.embeddings_for(pool, cached, embed)
    except Exception as exc:  # a broken model install must not stop the run
        report.problem(f"embeddings: {type(exc).__name__}: {exc}; clustered with TF-IDF alone")
        return None
    store.save_embeddings(fresh, embeddings.MODEL_NAME)
    report.clustering = f"TF-IDF + embeddings ({embeddings.MODEL_NAME})"
    return everything


def write_stage(
    config: Config,
    store: Store,
    report: RunReport,
    *,
    writer: Writer | None = None,
    now: datetime | None = None,
) -> None:
    """Write a post for every ready story without one; refresh unedited posts that grew."""
    now = now or datetime.now(UTC)
    if writer is None:
        try:
            writer = choose_writer(config)
        except WriterError as exc:
            report.problem(f"writer: {exc}; using the extractive writer")
            writer = ExtractiveWriter()
    report.writer = writer.name
    loaded, errors = load_posts(config.posts_dir)
    posts = _Posts(loaded)
    for error in errors:
        report.problem(f"post {error}")
    # A post that cannot be read may still be a story's post: its raw text is searched for the
    # story's source URLs, so that a broken file never leads to a duplicate post.
    broken = {e.path: _raw_text(e.path) for e in errors}
    trusted = {f.url for f in config.feeds if f.trusted_single_source}
    stories = store.all_stories()
    report.stories = len(stories)
    for story in stories:
        articles = store.articles(story.article_ids)
        if not articles:
            continue
        existing = posts.find(story, articles)
        if existing is None and _in_broken_post(articles, broken):
            report.posts_kept += 1
            continue
        if existing is not None:
            _refresh(config, store, report, writer, story, articles, existing, posts, now)
            continue
        outlets = {a.source for a in articles}
        if len(outlets) < config.cluster.min_sources and not trusted & {
            a.feed_url for a in articles
        }:
            report.stories_waiting += 1
            report.waiting.append({
                "story": story.id, "title": story.title, "independent": len(outlets),
                "outlets": sorted({o for a in articles for o in a.outlets}),
                "needed": config.cluster.min_sources,
            })  # fmt: skip
            continue
        if report.posts_written >= config.writer.max_posts_per_run:
            report.posts_deferred += 1
            continue
        post = _draft(config, report, writer, story, articles, posts.all, None, now)
        if post is None:
            continue
        path = post_path(config.posts_dir, post)
        if path.exists():
            report.problem(
                f"story {story.id}: {path} exists but is not this story's post; not overwritten"
            )
            continue
        save_post(post, path)
        posts.add(post)
        store.set_post_slug(story.id, post.slug)
        report.posts_written += 1
        report.posts_held += int(post.is_draft)


def _raw_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _in_broken_post(articles: Sequence[Article], broken: dict[Path, str]) -> bool:
    return any(a.canonical_url in text for text in broken.values() for a in articles)


class _Posts:
    """The site's posts, found by the story id they record or by a source URL they cite."""

    def __init__(self, posts: Sequence[Post]) -> None:
        self.all: list[Post] = []
        self._by_story: dict[str, Post] = {}
        self._by_url: dict[str, Post] = {}
        for post in posts:
            self.add(post)

    def add(self, post: Post) -> None:
        self.all.append(post)
        if post.story_id:
            self._by_story.setdefault(post.story_id, post)
        for url in sorted(post.source_urls):
            self._by_url.setdefault(url, post)

    def replace(self, old: Post, new: Post) -> None:
        self.all[self.all.index(old)] = new
        for table in (self._by_story, self._by_url):
            for key in [k for k, v in table.items() if v is old]:
                table[key] = new
        for url in new.source_urls:
            self._by_url.setdefault(url, new)

    def find(self, story: Story, articles: Sequence[Article]) -> Post | None:
        """The story's post: by the story id it records, else by a shared source URL."""
        post = self._by_story.get(story.id)
        if post is not None:
            return post
        return next(
            (self._by_url[a.canonical_url] for a in articles if a.canonical_url in self._by_url),
            None,
        )


def _refresh(
    config: Config,
    store: Store,
    report: RunReport,
    writer: Writer,
    story: Story,
    articles: Sequence[Article],
    existing: Post,
    posts: _Posts,
    now: datetime,
) -> None:
    if story.post_slug != existing.slug:
        store.set_post_slug(story.id, existing.slug)
    fresh = [a for a in articles if a.canonical_url not in existing.source_urls]
    if not fresh:
        report.posts_unchanged += 1
        return
    if is_protected(existing):
        report.posts_kept += 1
        report.notes.append(
            f"story {story.id} has {len(fresh)} new source(s); post {existing.slug} is "
            f"{'locked' if existing.meta.get('locked') else 'edited'}, not updated"
        )
        return
    sources = _union(existing, articles, store)
    post = _draft(config, report, writer, story, sources, posts.all, existing, now)
    if post is None:
        return
    save_post(post, existing.path)
    posts.replace(existing, post)
    report.posts_updated += 1
    report.posts_held += int(post.is_draft)


def _union(existing: Post, articles: Sequence[Article], store: Store) -> list[Article]:
    """The story's articles plus any the post cited before that the cache still has."""
    ids = [str(s.get("id")) for s in existing.meta.get("sources") or [] if isinstance(s, dict)]
    known = {a.id for a in articles}
    return [*articles, *(a for a in store.articles(ids) if a.id not in known)]


def _draft(
    config: Config,
    report: RunReport,
    writer: Writer,
    story: Story,
    articles: Sequence[Article],
    posts: list[Post],
    previous: Post | None,
    now: datetime,
) -> Post | None:
    try:
        draft = writer.write(story, articles)
    except Exception as exc:  # noqa: BLE001 - one story's failure is reported, the run goes on
        report.problem(
            f"story {story.id} ({story.title[:60]}): writer {writer.name} failed: "
            f"{type(exc).__name__}: {exc}; tried again next run"
        )
        return None
    review = verify(draft, articles)
    # Every article given to the writer is listed, cited or not, so that the next run can tell
    # new sources from known ones.
    post = draft_to_post(
        draft, story, articles, review,
        author=config.author.name,
        taken_slugs=[p.slug for p in posts],
        previous=previous,
        now=now,
    )  # fmt: skip
    others = [p for p in posts if p is not previous]
    post.meta["related"] = related_slugs(post, others)
    if review.status != "passed":
        report.notes.append(f"post {post.slug} held for review: {'; '.join(review.notes[:3])}")
    return post


def build_stage(config: Config, report: RunReport, *, now: datetime | None = None) -> BuildReport:
    result = build_site(config, now=now)
    report.build_pages = result.pages
    report.build_seconds = result.seconds
    report.build_ok = result.ok
    for line in result.problems:
        report.problem(line)
    return result
