"""Collect: fetch every configured feed, then the page of every entry not seen before.

All network work runs on one event loop (AsyncFetcher: global and per-host limits); extraction,
which is CPU work, runs in a process pool when there are enough pages to repay its start-up, else
in a thread. Results are stored in feed order, so a run is deterministic. One bad feed or page
never stops the rest: each becomes one line of the report.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aibot.collect.dedupe import NEAR_DUPLICATE, index_keys, similarity, sketch
from aibot.collect.extract import decode_page, extract, stub_reason
from aibot.collect.feeds import Feed, parse_feed
from aibot.collect.fetch import AsyncFetcher, FetchError, RetryLater, user_agent
from aibot.collect.junk import junk_kind, junk_reason, without_furniture
from aibot.collect.robots import RobotsRules
from aibot.collect.shared import (
    boilerplate_copy,
    paragraph_hashes,
    shared_paragraphs,
    without_paragraphs,
)
from aibot.config import Config, FeedConfig
from aibot.models import Article
from aibot.report import RunReport
from aibot.store import FeedState, Store
from aibot.support.progress import Progress
from aibot.support.workers import die_with_parent

# Below this many pages a process pool costs more to start than it saves.
POOL_MIN_PAGES = 24
# A feed is read as its newest entries: news feeds carry tens, and a feed of thousands (an
# archive, or a hostile one) would otherwise mean thousands of page fetches in one run.
MAX_ENTRIES_PER_FEED = 500
# Headlines longer than this are cut at a word (a 1 MB <title> must not reach every page).
MAX_TITLE = 300
# Characters that show nothing and join nothing: they split a word in a slug or a search.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff"))
# Feeds are parsed one at a time (parse_feed changes the process's warning filters).
_PARSING = threading.Lock()


@dataclass
class CollectReport:
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_waiting: int = 0  # asked us to come back later (Retry-After)
    articles_new: int = 0
    articles_seen: int = 0
    articles_failed: int = 0
    articles_partial: int = 0
    articles_syndicated: int = 0
    articles_junk: int = 0  # pages that were not news (each listed in `junk`)
    articles_passed_over: int = 0  # dropped in an earlier run: not fetched again
    new_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)  # "<url> (feed <name>): <reason>; <outcome>"


@dataclass
class _Pending:
    feed: FeedConfig
    name: str
    entry: Article
    local_roots: tuple[Path, ...]


@dataclass
class _Page:
    """What came back for one pending entry: an extracted page, or why there is none."""

    item: _Pending
    page: Article | None = None
    stub: str | None = None  # why only the feed's text can be used (paywall, robots.txt, …)
    junk: str | None = None  # why the page is not news (an error page, a consent wall, …)
    error: str = ""
    hashes: list[int] = field(default_factory=list)  # the page text's sketch, made by the worker


def make_fetcher(config: Config) -> AsyncFetcher:
    return AsyncFetcher(
        timeout_s=config.collect.timeout_s,
        max_bytes=config.collect.max_bytes,
        allow_private=config.collect.allow_private_hosts,
        agent=config.collect.user_agent or user_agent(config.site.base_url),
        concurrency=config.collect.concurrency,
        per_host=config.collect.per_host,
    )


def collect(
    config: Config,
    store: Store,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> CollectReport:
    """Fetch feeds and new articles into `store`."""
    return asyncio.run(collect_async(config, store, now=now, progress=progress))


async def collect_async(
    config: Config,
    store: Store,
    fetcher: AsyncFetcher | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> CollectReport:
    now = now or datetime.now(UTC)
    report = CollectReport()
    tick = progress or (lambda stage, done, total: None)
    own = fetcher is None
    fetcher = fetcher or make_fetcher(config)
    validators: dict[str, tuple[str | None, str | None]] = {}  # feed url -> (etag, modified)
    try:
        feeds_done = 0

        async def read(feed: FeedConfig) -> list[_Pending]:
            nonlocal feeds_done
            found = await _read_feed(config, feed, store, fetcher, now, report, validators)
            feeds_done += 1
            tick("feeds", feeds_done, len(config.feeds))
            return found

        found = await asyncio.gather(*(read(feed) for feed in config.feeds))
        pending: list[_Pending] = []
        queued: set[str] = set()
        for item in (i for items in found for i in items):
            if item.entry.url not in queued:
                queued.add(item.entry.url)
                pending.append(item)
        pages = await _fetch_pages(config, store, fetcher, pending, now, tick)
    finally:
        if own:
            await fetcher.aclose()
    for page in pages:
        _store_page(store, page, now, report)
    # Only once its new entries are stored may a feed answer the next run "304 Not Modified":
    # saved earlier, a crash in between would lose those entries while the feed is unchanged.
    for url, (etag, modified) in validators.items():
        state = store.feed_state(url)
        state.etag, state.last_modified = etag, modified
        store.save_feed_state(state)
    return report


async def _fetch_pages(
    config: Config,
    store: Store,
    fetcher: AsyncFetcher,
    pending: list[_Pending],
    now: datetime,
    tick: Progress,
) -> list[_Page]:
    robots = RobotsRules(store, fetcher, now) if config.collect.respect_robots else None
    pool: Executor | None = None
    if len(pending) >= POOL_MIN_PAGES and (os.cpu_count() or 1) > 1:
        pool = ProcessPoolExecutor(
            max_workers=os.cpu_count(), initializer=_start_worker, initargs=(os.getpid(),)
        )
    done = 0

    async def one(item: _Pending) -> _Page:
        nonlocal done
        page = await _fetch_page(item, fetcher, robots, pool, config.collect.thorough_extraction)
        done += 1
        tick("pages", done, len(pending))
        return page

    try:
        return list(await asyncio.gather(*(one(item) for item in pending)))
    finally:
        if pool is not None:
            pool.shutdown()


async def _fetch_page(
    item: _Pending,
    fetcher: AsyncFetcher,
    robots: RobotsRules | None,
    pool: Executor | None,
    thorough: bool,
) -> _Page:
    url = item.entry.url
    if robots is not None and not await robots.allowed(url):
        return _Page(item, stub="disallowed by robots.txt")
    try:
        response = await fetcher.get(url, local_roots=item.local_roots)
    except FetchError as exc:
        return _Page(item, error=f"{exc}; skipped, tried again next run")
    loop = asyncio.get_running_loop()
    if pool is not None:
        job = (extract_page, response.content, response.url, thorough)
        result = await loop.run_in_executor(pool, *job)
    else:
        result = await asyncio.to_thread(extract_page, response.content, response.url, thorough)
    page, stub, junk, error, hashes = result
    return _Page(item, page=page, stub=stub, junk=junk, error=error, hashes=hashes)


def _start_worker(parent: int) -> None:
    # Extraction workers yield the CPU to the event loop: a starved loop fetches slowly, and then
    # the workers starve too.
    os.nice(10)
    die_with_parent(parent)


def extract_page(
    content: bytes, url: str, thorough: bool = False
) -> tuple[Article | None, str | None, str | None, str, list[int]]:
    """Extraction for a worker process: (article without its furniture, why it is a stub or
    None, why it is junk or None, error, sketch)."""
    html = decode_page(content)  # once, by the page's own charset, for both readers
    try:
        page = extract(html, url, thorough=thorough)
    except Exception as exc:  # noqa: BLE001 - an extractor crash is one bad page, not a bad run
        return None, None, None, f"could not extract the article ({type(exc).__name__}: {exc})", []
    junk = junk_reason(page.text, page.title)
    page = replace(page, text=without_furniture(page.text), content_hash="")
    return page, stub_reason(page.text, html), junk, "", sketch(page.text)


def _store_page(store: Store, result: _Page, now: datetime, report: CollectReport) -> None:
    item, entry = result.item, result.item.entry
    if result.page is None and not result.stub:
        report.articles_failed += 1
        report.problems.append(f"page {entry.url} (feed {item.name}): {result.error}")
        return
    article = _merge(item, result.page, now)
    junk = result.junk
    hashes = result.hashes
    if not junk and not result.stub:
        junk, article, hashes = _without_shared_paragraphs(store, article, hashes)
    if junk or result.stub:
        article = _feed_text_only(article, entry, item.name, junk, result.stub, report)
        if article is None:
            store.pass_over(entry.url, junk or result.stub or "no text", now)
            return
        hashes = sketch(article.text)
    if store.has_article(article.id):
        report.articles_seen += 1
        store.add_article(article, seen_as=[entry.url])
        return
    original = _near_duplicate(store, hashes)
    if original is not None:
        junk = _shared_boilerplate(store, article, original, report)
        if junk is None:
            store.add_syndication(original, item.name, article.canonical_url)
            store.mark_seen(entry.url, original)
            report.articles_syndicated += 1
            return
        article = _feed_text_only(article, entry, item.name, junk, None, report)
        if article is None:
            store.pass_over(entry.url, junk, now)
            return
        hashes = sketch(article.text)
    store.add_article(article, seen_as=[entry.url, entry.canonical_url])
    store.add_sketch(article.id, hashes, index_keys(hashes))
    if not article.partial:
        paragraphs = paragraph_hashes(article.text)
        store.add_paragraphs(article.id, article.source, article.title, paragraphs)
    report.articles_new += 1
    report.new_ids.append(article.id)


def _feed_text_only(
    article: Article,
    entry: Article,
    name: str,
    junk: str | None,
    stub: str | None,
    report: CollectReport,
) -> Article | None:
    """The article with its feed's text instead of the page's, or None when the feed has no
    usable text; a junk page (or junk feed text) is listed in the report either way."""
    raw = entry.text if len(entry.text) >= len(entry.summary) else entry.summary
    feed_text = without_furniture(raw)
    # Judged before its furniture goes: a widget's text stripped of its junk sentences leaves a
    # fragment that reads as nothing in particular. A junk headline makes the entry junk too.
    feed_junk = junk_reason(raw, entry.title) if feed_text.strip() else None
    if feed_text.strip() and not feed_junk and junk_kind(entry.title):
        feed_junk = f"{junk_kind(entry.title)}: headline {_quoted(entry.title)}"
    where = f"{entry.url} (feed {name})"
    if not feed_text.strip() or feed_junk:
        if junk or feed_junk:
            report.articles_junk += 1
            reason = junk or f"feed text is {feed_junk}"
            report.junk.append(f"{where}: {reason}; dropped")
        else:
            report.articles_failed += 1
            report.problems.append(f"page {where}: {stub}, and the feed has no text")
        return None
    if junk:
        report.articles_junk += 1
        report.junk.append(f"{where}: {junk}; kept the feed's text")
    report.articles_partial += 1
    return replace(article, text=feed_text, extractor="feed", partial=True, content_hash="")


def _without_shared_paragraphs(
    store: Store, article: Article, hashes: list[int]
) -> tuple[str | None, Article, list[int]]:
    """(why the page is junk or None, the article, its sketch) once the paragraphs it shares
    with unrelated articles of other outlets are taken out of it, and out of them."""
    sightings = store.paragraph_sightings(paragraph_hashes(article.text))
    shared = shared_paragraphs(sightings, article.source, article.title)
    if not shared:
        return None, article, hashes
    # The articles that already hold a paragraph that turns boilerplate only now lose it too
    # (those holding one that was boilerplate before lost it then).
    newly = shared - shared_paragraphs(sightings)
    for other in store.articles(sorted({i for h in newly for i, _, _ in sightings[h]})):
        cleaned = without_paragraphs(other.text, newly)
        if not other.partial and cleaned != other.text:
            store.replace_text(other.id, cleaned, partial=False)
    text = without_paragraphs(article.text, shared)
    article = replace(article, text=text, content_hash="")
    if stub_reason(text, "") is not None:
        reason = "shared boilerplate: little is left once the paragraphs other outlets print "\
                 "under unrelated headlines are taken out"  # fmt: skip
        return reason, article, hashes
    return None, article, sketch(text)


def _shared_boilerplate(
    store: Store, article: Article, original_id: str, report: CollectReport
) -> str | None:
    """Why `article`'s text, a near-duplicate of a cached article's, is boilerplate the two
    outlets share rather than one syndicated story, or None; when it is, the cached article
    keeps only its feed's text too."""
    original = next(iter(store.articles([original_id])), None)
    if original is None or not boilerplate_copy(article, original):
        return None
    if not original.partial:
        summary = without_furniture(original.summary)
        usable = bool(summary.strip()) and not junk_reason(summary, original.title)
        store.replace_text(original.id, summary if usable else "", partial=True)
        outcome = "kept the feed's text" if usable else "text removed"
        report.articles_junk += 1
        reason = f"shared boilerplate: the same text as {article.source}'s “{article.title}”"
        report.junk.append(f"{original.url} (feed {original.source}): {reason}; {outcome}")
    return f"shared boilerplate: the same text as {original.source}'s “{original.title}”"


def _near_duplicate(store: Store, hashes: list[int]) -> str | None:
    """The id of a cached article with near-identical text, if any (the most similar)."""
    best, best_score = None, NEAR_DUPLICATE
    for article_id, other in sorted(store.sketches_sharing(index_keys(hashes)).items()):
        score = similarity(hashes, other)
        if score >= best_score:
            best, best_score = article_id, score
    return best


def _merge(item: _Pending, page: Article | None, now: datetime) -> Article:
    """The stored article: the feed entry's facts, completed by the page's."""
    entry = item.entry
    if page is None:
        page = Article(url=entry.url, source=item.name, title=entry.title)
    canonical = page.canonical_url
    if entry.url.startswith("file:") and canonical.startswith("file:"):
        canonical = entry.url
    return Article(
        url=entry.url,
        canonical_url=canonical,
        source=item.name,
        title=clip_title(entry.title or page.title),
        text=page.text,
        summary=without_furniture(entry.summary),
        published=min(entry.published or page.published or now, now),
        feed_url=entry.feed_url,
        authors=page.authors or entry.authors,
        fetched=now,
        image=page.image,
        language=page.language,
        tags=list(dict.fromkeys(t.lower() for t in entry.tags)),
        extractor=page.extractor,
    )


def clip_title(title: str) -> str:
    """A headline without invisible characters, cut at a word to at most MAX_TITLE."""
    title = " ".join(title.translate(_INVISIBLE).split())
    if len(title) <= MAX_TITLE:
        return title
    cut = title[: MAX_TITLE - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _parse(content: bytes, url: str, headers: Mapping[str, str]) -> Feed:
    with _PARSING:
        return parse_feed(content, url, headers)


async def _read_feed(
    config: Config,
    feed: FeedConfig,
    store: Store,
    fetcher: AsyncFetcher,
    now: datetime,
    report: CollectReport,
    validators: dict[str, tuple[str | None, str | None]],
) -> list[_Pending]:
    state = store.feed_state(feed.url)
    label = feed.name or feed.url
    if state.retry_after and now < datetime.fromisoformat(state.retry_after):
        report.feeds_waiting += 1
        report.problems.append(f"feed {label}: not fetched, the server asked to wait until "
                               f"{state.retry_after}")  # fmt: skip
        return []
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    roots = _local_roots(config, feed.url)
    try:
        response = await fetcher.get(feed.url, headers=headers, local_roots=roots)
    except RetryLater as exc:
        state.retry_after = (now + timedelta(seconds=exc.seconds)).isoformat()
        store.save_feed_state(state)
        report.feeds_waiting += 1
        report.problems.append(f"feed {label} ({feed.url}): {exc}; skipped this run")
        return []
    except FetchError as exc:
        return _feed_failed(config, store, state, report, feed, str(exc), now)
    if response.status == 304:
        return _feed_ok(store, state, report, now, [])
    # Parsing is CPU work (about a second per thousand entries): in a thread, so that the event
    # loop goes on reading the other feeds' answers instead of letting their timeouts run out.
    parsed = await asyncio.to_thread(_parse, response.content, response.url, response.headers)
    if not parsed.version:
        detail = "; ".join(parsed.problems)
        return _feed_failed(config, store, state, report, feed, detail, now)
    validators[feed.url] = (response.headers.get("etag"), response.headers.get("last-modified"))
    if parsed.problems:
        report.problems.append(f"feed {label}: {'; '.join(parsed.problems)}")
    name = feed.name or parsed.title or (urlsplit(feed.url).hostname or feed.url)
    oldest = now - timedelta(hours=config.collect.max_age_hours)
    entries = parsed.entries
    if len(entries) > MAX_ENTRIES_PER_FEED:
        report.problems.append(f"feed {label}: {len(entries)} entries, the newest "
                               f"{MAX_ENTRIES_PER_FEED} read")  # fmt: skip
        entries = sorted(entries, key=lambda e: e.published or now, reverse=True)
        entries = entries[:MAX_ENTRIES_PER_FEED]
    pending = []
    for entry in entries:
        if config.collect.max_age_hours > 0 and entry.published and entry.published < oldest:
            continue
        if store.has_url(entry.url) or store.has_url(entry.canonical_url):
            report.articles_seen += 1
            continue
        if store.passed_over(entry.url):
            report.articles_passed_over += 1
            continue
        entry = replace(entry, source=name, feed_url=feed.url, tags=[*feed.tags, *entry.tags])
        pending.append(_Pending(feed=feed, name=name, entry=entry, local_roots=roots))
    return _feed_ok(store, state, report, now, pending)


def _feed_ok(
    store: Store, state: FeedState, report: CollectReport, now: datetime, pending: list[_Pending]
) -> list[_Pending]:
    state.last_success = now.isoformat()
    state.failures = 0
    state.last_error = None
    state.retry_after = None
    state.failing_since = None
    store.save_feed_state(state)
    report.feeds_ok += 1
    return pending


def _feed_failed(
    config: Config,
    store: Store,
    state: FeedState,
    report: CollectReport,
    feed: FeedConfig,
    error: str,
    now: datetime,
) -> list[_Pending]:
    state.failures += 1
    state.last_error = f"{now.isoformat()} {error}"
    state.failing_since = state.failing_since or now.isoformat()
    store.save_feed_state(state)
    report.feeds_failed += 1
    problem = f"feed {feed.name or feed.url} ({feed.url}): {error}"
    if state.failures >= config.collect.broken_after:
        problem += f" — broken: failed {state.failures} runs in a row"
    report.problems.append(problem)
    return []


def _local_roots(config: Config, url: str) -> tuple[Path, ...]:
    """A local feed may link to pages inside its site's folder; a web feed to no file at all."""
    if urlsplit(url).scheme != "file":
        return ()
    feed_path = Path(unquote(urlsplit(url).path))
    base = config.source.resolve().parent if config.source else feed_path.parent
    return (base,)


def _quoted(text: str, words: int = 10) -> str:
    shown = text.split()
    return f"“{' '.join(shown[:words])}{'…' if len(shown) > words else ''}”"


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
                "articles_failed", "articles_partial", "articles_syndicated",
                "articles_junk", "articles_passed_over"):  # fmt: skip
        setattr(report, key, getattr(report, key) + getattr(result, key))
    report.junk += result.junk
    for line in result.problems:
        report.problem(line)
