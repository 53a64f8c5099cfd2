"""The write stage: which stories get a post, drafting them, checking the drafts, saving the posts.

1. Plan: every story ready for a post (enough independent outlets, within
   `writer.max_posts_per_run`) and every unedited post whose story gained sources becomes a job.
   A story told by two or more posts (stories merged by clustering) keeps one: the others are
   retired into it at once (their slugs become its aliases, their files go) and it is updated
   with their sources; a post edited by hand or locked is never retired, only reported.
2. Draft: one writer call per job, or, with `writer.batch`, one Message Batch for all jobs that
   is collected in this run if it ends within `writer.batch_wait_s`, else by a later run.
   Before each call the writer's worst-case cost is checked against what is left of
   `writer.max_cost_per_run`; several API failures in a row end drafting for this run.
3. Finish: verify each draft; a flagged draft gets one repair attempt when the writer offers one;
   the post is saved atomically, as a draft for review if still flagged.

A job that is not finished (API down, cost cap, batch still running) leaves no file behind and is
planned again by the next run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aibot.config import Config
from aibot.models import Article, Draft, Post, Review, Story, Usage
from aibot.posts.files import (
    draft_to_post,
    is_protected,
    load_posts,
    old_slugs,
    post_path,
    save_post,
    seal,
)
from aibot.posts.frontmatter import MAX_PAGES_LIST
from aibot.posts.related import RelatedIndex
from aibot.posts.slugs import holders_file
from aibot.report import RunReport
from aibot.store import Store
from aibot.support.plural import counted
from aibot.write.base import (
    Batches,
    CountsTokens,
    Repairs,
    ReportsUsage,
    ServiceError,
    Writer,
    WriterError,
)
from aibot.write.changes import drop_unsupported_changes
from aibot.write.cost import Budget, cost_of, upper_bound
from aibot.write.extractive import ExtractiveWriter
from aibot.write.verify import paragraph_problems, verify


def choose_writer(config: Config) -> Writer:
    """Claude when configured and a key is set; the extractive writer otherwise."""
    backend = config.writer.backend
    has_key = bool(os.environ.get("ANTHROPIC_API_KEY"))
    if backend == "claude" or (backend == "auto" and has_key):
        from aibot.write.claude import ClaudeWriter

        return ClaudeWriter.from_config(config)
    return ExtractiveWriter(target_words=config.writer.target_words, timezone=config.site.timezone)


@dataclass
class Job:
    """One story to draft: a new post when `existing` is None, else an update of `existing`."""

    story: Story
    articles: list[Article]
    existing: Post | None = None


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
            writer = ExtractiveWriter(
                target_words=config.writer.target_words, timezone=config.site.timezone
            )
    report.writer = writer.name
    stage = _Stage(config, store, report, writer, now)
    if config.writer.batch and isinstance(writer, Batches):
        stage.collect_batches()
    jobs = stage.plan()
    if config.writer.batch and isinstance(writer, Batches):
        stage.draft_in_batch(jobs)
    else:
        stage.draft_one_by_one(jobs)


class _Stage:
    def __init__(
        self, config: Config, store: Store, report: RunReport, writer: Writer, now: datetime
    ) -> None:
        self.config, self.store, self.report, self.writer, self.now = (
            config, store, report, writer, now
        )  # fmt: skip
        holders = holders_file(config.paths.cache)
        loaded, errors = load_posts(config.posts_dir, index=config.posts_index, holders=holders)
        self.posts = _Posts(loaded)
        for error in errors:
            report.problem(f"post {error}")
        # A post that cannot be read may still be a story's post: its raw text is searched for
        # the story's source URLs, so that a broken file never leads to a duplicate post.
        self.broken = {e.path: _raw_text(e.path) for e in errors}
        cap = config.writer.max_cost_per_run or None
        report.cost_cap_usd = cap
        self.budget = Budget(cap, store.run_cost(report.run_id))
        # The posts as the run found them: new posts link back to them; the build links forward.
        self.related_index = RelatedIndex(loaded)
        self.in_batch: set[str] = set()  # story ids waiting in a Message Batch
        self.story_id = ""  # the story the next ledger entries belong to
        if isinstance(writer, ReportsUsage):
            writer.on_usage = self.record_call

    # Plan

    def plan(self) -> list[Job]:
        config, report = self.config, self.report
        trusted = {f.url for f in config.feeds if f.trusted_single_source}
        stories = self.store.all_stories()
        merged = self.store.merged_stories()
        report.stories = len(stories)
        jobs: list[Job] = []
        new_posts = 0
        for story in stories:
            if story.id in self.in_batch:
                continue
            articles = self.store.articles(story.article_ids)
            if not articles:
                continue
            found = self.posts.find_all(story, articles, merged.get(story.id, ()))
            if not found and _in_broken_post(articles, self.broken):
                report.posts_kept += 1
                continue
            if found:
                existing, retired = self._one_post(story, found)
                job = self._update(story, articles, existing, retired) if existing else None
                if job is not None:
                    jobs.append(job)
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
            if new_posts >= config.writer.max_posts_per_run:
                report.posts_deferred += 1
                continue
            new_posts += 1
            jobs.append(Job(story, articles))
        return jobs

    def _update(
        self, story: Story, articles: list[Article], existing: Post, retired: Sequence[Post] = ()
    ) -> Job | None:
        if story.post_slug != existing.slug:
            self.store.set_post_slug(story.id, existing.slug)
        fresh = [a for a in articles if a.canonical_url not in existing.source_urls]
        if not fresh:
            self.report.posts_unchanged += 1
            return None
        if is_protected(existing):
            self.report.posts_kept += 1
            state = "locked" if existing.meta.get("locked") else "edited"
            self.report.notes.append(
                f"story {story.id} has {counted(len(fresh), 'new source')}; "
                f"post {existing.slug} is {state}, not updated"
            )
            return None
        return Job(story, _union(existing, articles, self.store, also=retired), existing)

    # Stories told by more than one post

    def _one_post(self, story: Story, posts: list[Post]) -> tuple[Post | None, list[Post]]:
        """The post that tells `story` from now on (None when every one of its posts is edited
        or locked) and the posts retired into it in this call. The survivor is the earliest
        published of the posts the pipeline may change; edited and locked posts are kept as
        they are, and reported for an editor to merge."""
        if len(posts) == 1:
            return posts[0], []
        kept = [p for p in posts if is_protected(p)]
        free = sorted((p for p in posts if not is_protected(p)), key=_first_published)
        survivor = free[0] if free else None
        for post in kept:
            self.report.posts_kept += 1
            self.report.notes.append(_merge_by_hand(story, posts, post, survivor))
        if survivor is None or len(free) == 1:
            return survivor, []
        return self._retired_into(survivor, free[1:])

    def _retired_into(self, survivor: Post, others: list[Post]) -> tuple[Post, list[Post]]:
        """Retire `others` into `survivor`: their slugs (and the old slugs that forwarded to
        them) become its aliases, saved first, then their files are removed. A crash in between
        leaves both files, and the next run removes the rest."""
        aliases = [str(a) for a in survivor.meta.get("aliases") or []]
        retiring: list[Post] = []
        for other in others:
            new = [s for s in [other.slug, *old_slugs(other)] if s not in aliases]
            new = [s for s in new if s != survivor.slug]
            if len(aliases) + len(new) > MAX_PAGES_LIST:
                self.report.problem(
                    f"post {other.path}: tells the story of {survivor.slug} but was not merged "
                    f"into it: it would have more than {MAX_PAGES_LIST} aliases; merge by hand"
                )
                continue
            aliases += new
            retiring.append(other)
        if not retiring:
            return survivor, []
        if aliases != (survivor.meta.get("aliases") or []):
            meta = {**survivor.meta, "aliases": aliases}
            meta["generator"] = dict(meta.get("generator") or {})
            updated = Post(meta=meta, body=survivor.body, path=survivor.path)
            seal(updated)
            if not self._saved(updated, survivor.path):
                return survivor, []
            self.posts.replace(survivor, updated)
            self.related_index.add(updated)
            survivor = updated
        retired = []
        for other in retiring:
            if self._removed(other, survivor):
                retired.append(other)
        return survivor, retired

    def _removed(self, post: Post, survivor: Post) -> bool:
        try:
            if post.path is not None:
                post.path.unlink(missing_ok=True)
        except OSError as exc:
            self.report.problem(
                f"post {post.path}: merged into {survivor.slug} but not removed "
                f"({exc.strerror or exc}); tried again next run"
            )
            return False
        self.posts.remove(post)
        self.related_index.remove(post.slug)
        self.report.posts_merged += 1
        self.report.notes.append(
            f"post {post.slug} merged into {survivor.slug} (same story): its address forwards "
            f"there, {post.path} removed"
        )
        return True

    # Draft, one call per story

    def draft_one_by_one(self, jobs: list[Job]) -> None:
        failures = 0
        for n, job in enumerate(jobs):
            if not self._affordable(job):
                self._stop_for_cost(jobs[n:])
                return
            self.story_id = job.story.id
            try:
                draft = self.writer.write(job.story, job.articles)
            except ServiceError as exc:
                failures += 1
                self._failed(job, exc)
                if exc.fatal or failures >= self.config.writer.max_failures_in_a_row:
                    self._stop_for_service(jobs[n + 1 :], exc, failures)
                    return
                continue
            except Exception as exc:  # noqa: BLE001 - one story's failure is reported, not fatal
                self._failed(job, exc)
                continue
            failures = 0
            if not self.finish(job, draft):
                self._stop_for_disk(jobs[n + 1 :])
                return

    def _affordable(self, job: Job) -> bool:
        return self.budget.allows(self._worst_case(job, batch=False))

    def _worst_case(self, job: Job, *, batch: bool) -> float:
        if not isinstance(self.writer, CountsTokens):
            return 0.0
        count = self.writer.input_tokens
        return upper_bound(
            self.writer.model,
            count(job.articles),
            self.config.writer.max_output_tokens,
            self.config.writer.prices,
            batch=batch,
        )

    def _stop_for_cost(self, left: Sequence[Job]) -> None:
        self.report.posts_deferred += len(left)
        self.report.notes.append(
            f"cost cap reached: ${self.budget.spent:.4f} spent of writer.max_cost_per_run "
            f"${self.budget.cap:.2f}; {len(left)} story(ies) left for the next run"
        )

    def _stop_for_service(self, left: Sequence[Job], exc: ServiceError, failures: int) -> None:
        why = "it cannot succeed this run" if exc.fatal else f"{failures} failures in a row"
        self.report.problem(
            f"writer {self.writer.name}: stopped after {why} ({exc}); "
            f"{len(left)} more story(ies) left for the next run"
        )

    def _stop_for_disk(self, left: Sequence[Job]) -> None:
        if not left:
            return
        self.report.posts_deferred += len(left)
        self.report.problem(
            f"posts: stopped writing, a post could not be saved; {len(left)} more story(ies) "
            "left for the next run"
        )

    def _failed(self, job: Job, exc: Exception) -> None:
        self.report.posts_failed += 1
        what = exc if isinstance(exc, WriterError) else f"{type(exc).__name__}: {exc}"
        self.report.problem(
            f"story {job.story.id} ({job.story.title[:60]}): writer {self.writer.name} failed: "
            f"{what}; tried again next run"
        )

    # Draft, one Message Batch for all

    def draft_in_batch(self, jobs: list[Job]) -> None:
        from aibot.write import batch

        affordable: list[Job] = []
        for n, job in enumerate(jobs):
            estimate = self._worst_case(job, batch=True)
            if not self.budget.allows(estimate):
                self._stop_for_cost(jobs[n:])
                break
            self.budget.spend(estimate)  # reserved until the results come in
            affordable.append(job)
        if not affordable:
            return
        assert isinstance(self.writer, Batches)  # the stage batches only for such a writer
        requests = {job.story.id: self.writer.request(job.articles) for job in affordable}
        try:
            batch_id = batch.submit(self.writer.client, requests)  # type: ignore[attr-defined]
        except ServiceError as exc:
            self.report.posts_failed += len(affordable)  # every story of the batch was tried
            self._stop_for_service(affordable, exc, 1)
            return
        self.store.save_batch(
            batch_id,
            {job.story.id: {"articles": [a.id for a in job.articles]} for job in affordable},
        )
        self.report.batches.append(batch_id)
        self.budget.spent = self.store.run_cost(self.report.run_id)
        self.collect_batches(wait=True)

    def collect_batches(self, *, wait: bool = False) -> None:
        """Finish the jobs of every batch that has ended; note the ones still running."""
        from aibot.write import batch

        client = self.writer.client  # type: ignore[attr-defined]
        for batch_id, requests in self.store.open_batches():
            try:
                ended = batch.wait(
                    client,
                    batch_id,
                    self.config.writer.batch_wait_s if wait else 0.0,
                    self.config.writer.batch_poll_s,
                )
                results = batch.results(client, batch_id) if ended else None
            except ServiceError as exc:
                self.report.problem(f"batch {batch_id}: {exc}; asked again next run")
                self.in_batch.update(requests)
                continue
            if results is None:
                self.in_batch.update(requests)
                self.report.notes.append(
                    f"batch {batch_id}: {len(requests)} story(ies) still being written; "
                    "collected by a later run"
                )
                continue
            if batch_id not in self.report.batches:
                self.report.batches.append(batch_id)
            for story_id, request in requests.items():
                self._finish_from_batch(story_id, request, results.get(story_id))
            self.store.close_batch(batch_id)

    def _finish_from_batch(self, story_id: str, request: dict[str, Any], result: Any) -> None:
        story = self.store.story(story_id)
        articles = self.store.articles(request.get("articles", []))
        if story is None or story.id != story_id or not articles:
            return  # gone, or merged into another story: that one is planned afresh
        existing = self.posts.find(story, articles)
        if existing is not None and is_protected(existing):
            self.report.posts_kept += 1
            return
        job = Job(story, articles, existing)
        self.story_id = story_id
        try:
            message = _succeeded(result, story_id)
            assert isinstance(self.writer, Batches)
            draft = self.writer.draft_from_message(message, articles, batch=True)
        except WriterError as exc:
            self._failed(job, exc)
            return
        self.finish(job, draft)

    # Finish

    def record_call(self, usage: Usage, purpose: str) -> None:
        cost = cost_of(usage, self.config.writer.prices)
        self.store.record_call(self.report.run_id, self.story_id, purpose, usage, cost)
        self.report.count_call(usage, cost)
        self.budget.spend(cost)

    def finish(self, job: Job, draft: Draft) -> bool:
        """Verify and save the post; False when it could not be saved (a full disk, say: the
        file as it was is kept, and the story is tried again next run)."""
        review = verify(draft, job.articles, timezone=self.config.site.timezone)
        if review.status != "passed":
            draft, review = self._repaired(job, draft, review)
        timezone = self.config.site.timezone
        for note in drop_unsupported_changes(draft, job.articles, timezone=timezone):
            self.report.notes.append(f"story {job.story.id}: {note}")
        post = self._post(job, draft, review)
        if job.existing is None:
            path = post_path(self.config.posts_dir, post)
            if path.exists():
                self.report.problem(
                    f"story {job.story.id}: {path} exists but is not this story's post; "
                    "not overwritten"
                )
                return True
            if not self._saved(post, path):
                return False
            self.posts.add(post)
            self.related_index.add(post)
            self.store.set_post_slug(job.story.id, post.slug)
            self.report.posts_written += 1
        else:
            if not self._saved(post, job.existing.path):
                return False
            self.posts.replace(job.existing, post)
            self.related_index.add(post)
            self.report.posts_updated += 1
        self.report.posts_held += int(post.is_draft)
        return True

    def _saved(self, post: Post, path: Path | None) -> bool:
        try:
            save_post(post, path)
        except OSError as exc:
            self.report.posts_failed += 1
            what = "kept as it was" if path is not None and path.exists() else "not written"
            self.report.problem(
                f"post {path}: not saved ({exc.strerror or exc}); the file is {what}, "
                "tried again next run"
            )
            return False
        return True

    def _repaired(self, job: Job, draft: Draft, review: Review) -> tuple[Draft, Review]:
        """The draft after one repair attempt, if the writer offers one and it cleared the notes."""
        if not isinstance(self.writer, Repairs) or not self.config.writer.repair:
            return draft, review
        repair, small = self.writer.repair, self.writer.small_model
        estimate = upper_bound(small, self.config.writer.max_input_tokens // 2 + 1_000, 2_000,
                               self.config.writer.prices)  # fmt: skip
        if not self.budget.allows(estimate):
            return draft, review
        self.story_id = job.story.id
        try:
            fixed = repair(
                draft,
                paragraph_problems(draft, job.articles, timezone=self.config.site.timezone),
                job.articles,
            )
        except Exception as exc:  # noqa: BLE001 - the unrepaired draft is still held for review
            self.report.notes.append(f"story {job.story.id}: repair failed: {exc}")
            return draft, review
        fixed_review = verify(fixed, job.articles, timezone=self.config.site.timezone)
        if fixed_review.status != "passed":
            return draft, review
        self.report.posts_repaired += 1
        return fixed, fixed_review

    def _post(self, job: Job, draft: Draft, review: Review) -> Post:
        # Every article given to the writer is listed, cited or not, so that the next run can
        # tell new sources from known ones.
        post = draft_to_post(
            draft, job.story, job.articles, review,
            author=self.config.author.name,
            taken_slugs=_taken_slugs(self.posts.all),
            previous=job.existing,
            now=self.now,
        )  # fmt: skip
        post.meta["related"] = [r.slug for r in self.related_index.related(post)]
        seal(post)
        if review.status != "passed":
            self.report.notes.append(
                f"post {post.slug} held for review: {'; '.join(review.notes[:3])}"
            )
        return post


def _first_published(post: Post) -> tuple[bool, datetime, str]:
    """Sort key of a story's posts: published before drafts, then the earliest first."""
    return (post.is_draft, post.date or datetime.max.replace(tzinfo=UTC), post.slug)


def _merge_by_hand(story: Story, posts: Sequence[Post], kept: Post, survivor: Post | None) -> str:
    how = "locked" if kept.meta.get("locked") else "edited by hand"
    others = [p.slug for p in posts if p is not kept]
    where = (
        f"move what you want into {survivor.slug}, list {kept.slug} under its aliases: and "
        f"delete {kept.path}"
        if survivor is not None
        else "keep one post, list the others' slugs under its aliases: and delete their files"
    )
    return (
        f"story {story.id}: posts {kept.slug} and {', '.join(others)} tell one story (stories "
        f"merged); post {kept.slug} was {how} and is kept as it is; merge it by hand: {where}"
    )


def _taken_slugs(posts: Sequence[Post]) -> set[str]:
    """Slugs a new post may not have: every post's, and the old ones that still forward to a
    post, so an old URL never changes meaning."""
    return {slug for post in posts for slug in [post.slug, *old_slugs(post)]}


def regenerated_post(
    config: Config,
    store: Store,
    post: Post,
    writer: Writer,
    *,
    now: datetime | None = None,
) -> tuple[Post, int]:
    """What the writer makes of `post`'s story now, as the write stage would save it, and how
    many of the story's sources the post does not cite yet. For `aibot diff`: nothing is saved.
    Raise LookupError when the cache no longer holds the story's articles."""
    generator = post.meta.get("generator")
    story_id = generator.get("story") if isinstance(generator, dict) else None
    story = store.story(str(story_id)) if story_id else None
    articles = store.articles(story.article_ids) if story else []
    if story is None or not articles:
        raise LookupError(
            f"the cache has no articles of this post's story ({story_id or 'none recorded'}); "
            "run `aibot run` first"
        )
    fresh = [a for a in articles if a.canonical_url not in post.source_urls]
    sources = _union(post, articles, store)
    draft = writer.write(story, sources)
    review = verify(draft, sources, timezone=config.site.timezone)
    drop_unsupported_changes(draft, sources, timezone=config.site.timezone)
    new = draft_to_post(
        draft, story, sources, review, author=config.author.name, previous=post, now=now
    )
    new.meta["related"] = post.meta.get("related") or []
    if not fresh and "updated" not in post.meta:  # nothing new: no update to record
        new.meta.pop("updated", None)
    seal(new)
    return new, len(fresh)


def _succeeded(result: Any, story_id: str) -> Any:
    """The message of a batch result, or WriterError saying why there is none."""
    if result is None:
        raise WriterError(f"the batch has no result for {story_id}")
    kind = getattr(result, "type", "")
    if kind == "succeeded":
        return result.message
    if kind == "errored":
        error = getattr(getattr(result, "error", None), "error", None)
        message = getattr(error, "message", "") or "no detail"
        raise WriterError(f"the batch request failed ({message})")
    raise WriterError(f"the batch request was {kind or 'lost'}")


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

    def remove(self, post: Post) -> None:
        self.all = [p for p in self.all if p is not post]
        for table in (self._by_story, self._by_url):
            for key in [k for k, v in table.items() if v is post]:
                del table[key]

    def find_all(
        self, story: Story, articles: Sequence[Article], absorbed: Iterable[Story] = ()
    ) -> list[Post]:
        """Every post of the story: those recording its id or the id of a story it absorbed,
        and any citing one of its articles."""
        found: list[Post] = []
        candidates = [self._by_story.get(s.id) for s in (story, *absorbed)]
        candidates += [self._by_url.get(a.canonical_url) for a in articles]
        for post in candidates:
            if post is not None and not any(post is p for p in found):
                found.append(post)
        return found

    def find(self, story: Story, articles: Sequence[Article]) -> Post | None:
        """The story's post: by the story id it records, else by a shared source URL."""
        post = self._by_story.get(story.id)
        if post is not None:
            return post
        return next(
            (self._by_url[a.canonical_url] for a in articles if a.canonical_url in self._by_url),
            None,
        )


def _union(
    existing: Post, articles: Sequence[Article], store: Store, *, also: Sequence[Post] = ()
) -> list[Article]:
    """The story's articles plus any the post (and the posts merged into it) cited before that
    the cache still has."""
    cited = (s for post in (existing, *also) for s in post.meta.get("sources") or [])
    ids = list(dict.fromkeys(str(s.get("id")) for s in cited if isinstance(s, dict)))
    known = {a.id for a in articles}
    return [*articles, *(a for a in store.articles(ids) if a.id not in known)]
