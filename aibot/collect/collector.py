"""Collect: fetch every configured feed, then the page of every entry not seen before."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aibot.collect.extract import extract
from aibot.collect.feeds import parse_feed
from aibot.collect.fetch import Fetcher, FetchError, user_agent
from aibot.config import Config, FeedConfig
from aibot.models import Article
from aibot.store import FeedState, Store

# Below this many words an extracted page is a stub (paywall, cookie wall): the feed text wins.
MIN_WORDS = 80


@dataclass
class CollectReport:
    feeds_ok: int = 0
    feeds_failed: int = 0
    articles_new: int = 0
    articles_seen: int = 0
    articles_failed: int = 0
    new_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    feed: FeedConfig
    name: str
    entry: Article
    local_roots: tuple[Path, ...]


def make_fetcher(config: Config) -> Fetcher:
    return Fetcher(
        timeout_s=config.collect.timeout_s,
        max_bytes=config.collect.max_bytes,
        allow_private=config.collect.allow_private_hosts,
        agent=config.collect.user_agent or user_agent(config.site.base_url),
    )


def collect(
    config: Config, store: Store, fetcher: Fetcher | None = None, now: datetime | None = None
) -> CollectReport:
    """Fetch feeds and new articles into `store`; one bad feed or page never stops the rest."""
    now = now or datetime.now(UTC)
    report = CollectReport()
    own_fetcher = fetcher is None
    fetcher = fetcher or make_fetcher(config)
    try:
        pending: list[_Pending] = []
        queued: set[str] = set()
        for feed in config.feeds:
            for item in _new_entries(config, feed, store, fetcher, now, report):
                if item.entry.url not in queued:
                    queued.add(item.entry.url)
                    pending.append(item)
        workers = max(1, min(config.collect.concurrency, len(pending)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda p: _fetch_article(p, fetcher, now), pending))
        for item, (article, problem) in zip(pending, results, strict=True):
            if article is None:
                report.articles_failed += 1
                report.problems.append(f"page {item.entry.url} (feed {item.name}): {problem}")
                continue
            if store.has_article(article.id):
                report.articles_seen += 1
                store.add_article(article, seen_as=[item.entry.url])
                continue
            store.add_article(article, seen_as=[item.entry.url, item.entry.canonical_url])
            report.articles_new += 1
            report.new_ids.append(article.id)
    finally:
        if own_fetcher:
            fetcher.close()
    return report


def _new_entries(
    config: Config,
    feed: FeedConfig,
    store: Store,
    fetcher: Fetcher,
    now: datetime,
    report: CollectReport,
) -> list[_Pending]:
    state = store.feed_state(feed.url)
    label = feed.name or feed.url
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    roots = _local_roots(config, feed.url)
    try:
        response = fetcher.get(feed.url, headers=headers, local_roots=roots)
    except FetchError as exc:
        return _feed_failed(store, state, report, f"feed {label} ({feed.url}): {exc}", now)
    state.etag = response.headers.get("etag")
    state.last_modified = response.headers.get("last-modified")
    if response.status == 304:
        return _feed_ok(store, state, report, now, [])
    parsed = parse_feed(response.content, response.url, response.headers)
    if not parsed.version:
        detail = "; ".join(parsed.problems)
        return _feed_failed(store, state, report, f"feed {label} ({feed.url}): {detail}", now)
    if parsed.problems:
        report.problems.append(f"feed {label}: {'; '.join(parsed.problems)}")
    name = feed.name or parsed.title or (urlsplit(feed.url).hostname or feed.url)
    oldest = now - timedelta(hours=config.collect.max_age_hours)
    pending = []
    for entry in parsed.entries:
        if config.collect.max_age_hours > 0 and entry.published and entry.published < oldest:
            continue
        if store.has_url(entry.url) or store.has_url(entry.canonical_url):
            report.articles_seen += 1
            continue
        entry = replace(entry, source=name, tags=[*feed.tags, *entry.tags])
        pending.append(_Pending(feed=feed, name=name, entry=entry, local_roots=roots))
    return _feed_ok(store, state, report, now, pending)


def _feed_ok(
    store: Store, state: FeedState, report: CollectReport, now: datetime, pending: list[_Pending]
) -> list[_Pending]:
    state.last_success = now.isoformat()
    state.failures = 0
    state.last_error = None
    store.save_feed_state(state)
    report.feeds_ok += 1
    return pending


def _feed_failed(
    store: Store, state: FeedState, report: CollectReport, problem: str, now: datetime
) -> list[_Pending]:
    state.failures += 1
    state.last_error = f"{now.isoformat()} {problem}"
    store.save_feed_state(state)
    report.feeds_failed += 1
    report.problems.append(problem)
    return []


def _local_roots(config: Config, url: str) -> tuple[Path, ...]:
    """A local feed may link to pages inside its site's folder; a web feed to no file at all."""
    if urlsplit(url).scheme != "file":
        return ()
    feed_path = Path(unquote(urlsplit(url).path))
    base = config.source.resolve().parent if config.source else feed_path.parent
    return (base,)


def _fetch_article(item: _Pending, fetcher: Fetcher, now: datetime) -> tuple[Article | None, str]:
    entry = item.entry
    try:
        response = fetcher.get(entry.url, local_roots=item.local_roots)
    except FetchError as exc:
        return None, f"{exc}; skipped, tried again next run"
    try:
        page = extract(response.content, response.url)
    except Exception as exc:  # noqa: BLE001 - an extractor crash is one bad page, not a bad run
        return None, f"could not extract the article ({type(exc).__name__}: {exc})"
    text, extractor = page.text, page.extractor
    feed_text = entry.text if len(entry.text) >= len(entry.summary) else entry.summary
    if len(text.split()) < MIN_WORDS and len(feed_text.split()) > len(text.split()):
        text, extractor = feed_text, "feed"
    if not text.strip():
        return None, "no article text on the page or in the feed"
    canonical = page.canonical_url
    if entry.url.startswith("file:") and canonical.startswith("file:"):
        canonical = entry.url
    return (
        Article(
            url=entry.url,
            canonical_url=canonical,
            source=item.name,
            title=entry.title or page.title,
            text=text,
            summary=entry.summary,
            published=entry.published or page.published or now,
            feed_url=entry.feed_url,
            authors=page.authors or entry.authors,
            fetched=now,
            image=page.image,
            language=page.language,
            tags=list(dict.fromkeys(t.lower() for t in entry.tags)),
            extractor=extractor,
        ),
        "",
    )
