"""The SQLite cache under `.aibot/`: articles, stories, feed state, the run log, the cost ledger.

It is only a cache: `content/` is the truth. A database that cannot be opened, is not SQLite, is
of another schema version or lacks a column this version reads is moved aside and started afresh;
one found damaged during a run (`is_damaged`) is moved aside by the pipeline, which starts again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aibot.models import Article, Story

if TYPE_CHECKING:
    from aibot.models import Usage

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    source TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    text TEXT NOT NULL,
    authors TEXT NOT NULL,
    published TEXT,
    fetched TEXT,
    image TEXT NOT NULL,
    language TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    tags TEXT NOT NULL,
    extractor TEXT NOT NULL,
    partial INTEGER NOT NULL DEFAULT 0,
    syndicated TEXT NOT NULL DEFAULT '[]',
    story_id TEXT
);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE TABLE IF NOT EXISTS seen_urls (url TEXT PRIMARY KEY, article_id TEXT NOT NULL);
-- pages dropped as not news or for want of text: not fetched (nor reported) again
CREATE TABLE IF NOT EXISTS passed_over (
    url TEXT PRIMARY KEY, why TEXT NOT NULL, seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sketches (article_id TEXT PRIMARY KEY, hashes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sketch_index (hash INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sketch_index_hash ON sketch_index (hash);
CREATE TABLE IF NOT EXISTS paragraphs (  -- where each paragraph of a page's text was seen
    hash INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paragraphs_hash ON paragraphs (hash);
CREATE TABLE IF NOT EXISTS robots (
    host TEXT PRIMARY KEY, body TEXT NOT NULL, fetched TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    post_slug TEXT,
    merged_into TEXT  -- the story that absorbed this one (aibot.models.Story.absorbed), if any
);
CREATE INDEX IF NOT EXISTS stories_last_seen ON stories (last_seen);
CREATE TABLE IF NOT EXISTS vectors (
    article_id TEXT PRIMARY KEY,
    terms TEXT NOT NULL,  -- space-separated, heaviest first
    weights BLOB NOT NULL  -- float32 per term, machine byte order
);
CREATE TABLE IF NOT EXISTS centroids (
    story_id TEXT PRIMARY KEY,
    terms TEXT NOT NULL,  -- space-separated
    weights BLOB NOT NULL  -- float64 per term, machine byte order
);
CREATE TABLE IF NOT EXISTS word_uses (  -- in full texts' titles and leads, added up over runs
    word TEXT PRIMARY KEY,
    seen INTEGER NOT NULL,  -- mid-sentence uses
    capital INTEGER NOT NULL  -- of which capitalised (aibot.cluster.stories.word_uses)
);
CREATE TABLE IF NOT EXISTS embeddings (
    article_id TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,  -- float32, machine byte order
    PRIMARY KEY (article_id, model)
);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_success TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    retry_after TEXT,
    failing_since TEXT  -- the first of the failures in a row (None while the feed answers)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (  -- one row per model call, failed answers included
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,  -- the run's id (RunReport.run_id)
    at TEXT NOT NULL,
    story_id TEXT NOT NULL,
    purpose TEXT NOT NULL,  -- write or repair
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    cost REAL NOT NULL  -- US dollars, priced from writer.prices when the call was made
);
CREATE TABLE IF NOT EXISTS batches (  -- Message Batches sent and not yet collected
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    requests TEXT NOT NULL  -- JSON: custom_id -> {story, articles}
);
"""


@dataclass
class FeedState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    failures: int = 0
    retry_after: str | None = None
    failing_since: str | None = None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Store:
    """A connection to the cache file; use as a context manager or call close()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.moved_aside: Path | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:
            self.moved_aside = move_aside(path)
            self.db = self._connect()

    @classmethod
    def read_only(cls, path: Path) -> Store:
        """The cache opened for reading: nothing is created, migrated or moved aside. A file that
        is missing, unreadable or of another schema version raises sqlite3.DatabaseError (the
        build reads feed health this way: a page must never change the cache)."""
        store = cls.__new__(cls)
        store.path, store.moved_aside = path, None
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        try:
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None or row["value"] != str(SCHEMA_VERSION):
                found = row["value"] if row is not None else "none"
                raise sqlite3.DatabaseError(f"cache schema {found} != {SCHEMA_VERSION}")
        except sqlite3.Error:
            db.close()
            raise
        store.db = db
        return store

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL keeps the file consistent through a crash and skips the fsync per
            # commit (a crash may only lose the last commits: this is a cache, content/ is truth).
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            _add_missing_columns(db)
            _check_columns(db)
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                db.commit()
            elif row["value"] != str(SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"cache schema {row['value']} != {SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # Articles

    def has_url(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM seen_urls WHERE url=?", (url,)).fetchone() is not None

    def pass_over(self, url: str, why: str, seen: datetime) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO passed_over VALUES (?, ?, ?)", (url, why, _iso(seen))
            )

    def passed_over(self, url: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM passed_over WHERE url=?", (url,)).fetchone() is not None
        )

    def has_article(self, article_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone()
            is not None
        )

    def add_article(self, article: Article, *, seen_as: Iterable[str] = ()) -> None:
        row = asdict(article)
        row["authors"] = json.dumps(article.authors)
        row["tags"] = json.dumps(article.tags)
        row["syndicated"] = json.dumps(article.syndicated)
        row["partial"] = int(article.partial)
        row["published"] = _iso(article.published)
        row["fetched"] = _iso(article.fetched)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.db:
            self.db.execute(
                f"INSERT OR IGNORE INTO articles ({columns}) VALUES ({marks})", tuple(row.values())
            )
            for url in {article.url, article.canonical_url, *seen_as}:
                self.db.execute("INSERT OR IGNORE INTO seen_urls VALUES (?, ?)", (url, article.id))

    def articles(self, ids: Iterable[str]) -> list[Article]:
        """Articles by id, in the order asked (unknown ids are left out)."""
        wanted = list(ids)
        found: dict[str, Article] = {}
        for chunk in _chunks(wanted, 500):
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.execute(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                found[row["id"]] = _article(row)
        return [found[i] for i in wanted if i in found]

    def content_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        """Article id -> the hash of its text, for the ids the cache holds."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ", ".join("?" for _ in chunk)
            query = f"SELECT id, content_hash FROM articles WHERE id IN ({marks})"
            found.update((row["id"], row["content_hash"]) for row in self.db.execute(query, chunk))
        return found

    def unclustered_articles(self) -> list[Article]:
        rows = self.db.execute(
            "SELECT * FROM articles WHERE story_id IS NULL ORDER BY published, id"
        )
        return [_article(r) for r in rows]

    def add_syndication(self, article_id: str, outlet: str, url: str) -> None:
        """Record that `outlet` published article `article_id`'s text at `url`."""
        row = self.db.execute(
            "SELECT syndicated FROM articles WHERE id=?", (article_id,)
        ).fetchone()
        if row is None:
            return
        copies = json.loads(row["syndicated"])
        if not any(c.get("url") == url for c in copies):
            copies.append({"outlet": outlet, "url": url})
        with self.db:
            self.db.execute(
                "UPDATE articles SET syndicated=? WHERE id=?", (json.dumps(copies), article_id)
            )
            self.db.execute("INSERT OR IGNORE INTO seen_urls VALUES (?, ?)", (url, article_id))

    def mark_seen(self, url: str, article_id: str) -> None:
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO seen_urls VALUES (?, ?)", (url, article_id))

    def add_sketch(self, article_id: str, hashes: list[int], index: Iterable[int]) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO sketches VALUES (?, ?)", (article_id, json.dumps(hashes))
            )
            self.db.executemany(
                "INSERT INTO sketch_index VALUES (?, ?)", [(h, article_id) for h in index]
            )

    def sketches_sharing(self, hashes: Iterable[int]) -> dict[str, list[int]]:
        """Sketches of articles indexed under any of `hashes`: {article id: sketch}."""
        wanted = list(hashes)
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = self.db.execute(
            f"SELECT DISTINCT s.article_id, s.hashes FROM sketch_index i "
            f"JOIN sketches s ON s.article_id = i.article_id WHERE i.hash IN ({marks})",
            wanted,
        )
        return {r["article_id"]: json.loads(r["hashes"]) for r in rows}

    def replace_text(self, article_id: str, text: str, *, partial: bool) -> None:
        """Give a cached article a new text (its page text cleaned, or its feed's text)."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""
        with self.db:
            self.db.execute(
                "UPDATE articles SET text=?, content_hash=?, partial=? WHERE id=?",
                (text, digest, int(partial), article_id),
            )

    def add_paragraphs(
        self, article_id: str, source: str, title: str, hashes: Iterable[int]
    ) -> None:
        rows = [(h, article_id, source, title) for h in dict.fromkeys(hashes)]
        with self.db:
            self.db.executemany("INSERT INTO paragraphs VALUES (?, ?, ?, ?)", rows)

    def paragraph_sightings(self, hashes: Iterable[int]) -> dict[int, list[tuple[str, str, str]]]:
        """Where each of `hashes` was seen: {hash: [(article id, source, title), …]}."""
        found: dict[int, list[tuple[str, str, str]]] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes)), 500):
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.execute(
                f"SELECT hash, article_id, source, title FROM paragraphs WHERE hash IN ({marks}) "
                "ORDER BY rowid",
                chunk,
            )
            for row in rows:
                found.setdefault(row["hash"], []).append(
                    (row["article_id"], row["source"], row["title"])
                )
        return found

    def robots(self, host: str) -> tuple[str, datetime] | None:
        row = self.db.execute("SELECT body, fetched FROM robots WHERE host=?", (host,)).fetchone()
        return (row["body"], datetime.fromisoformat(row["fetched"])) if row else None

    def save_robots(self, host: str, body: str, fetched: datetime) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO robots VALUES (?, ?, ?)", (host, body, fetched.isoformat())
            )

    def feed_article_counts(self, since: datetime) -> dict[str, int]:
        """Articles per feed URL published since `since`."""
        rows = self.db.execute(
            "SELECT feed_url, COUNT(*) AS n FROM articles WHERE published >= ? GROUP BY feed_url",
            (since.isoformat(),),
        )
        return {r["feed_url"]: r["n"] for r in rows}

    # Stories

    def live_stories(self, since: datetime) -> list[Story]:
        """Unmerged stories whose last article is at or after `since`, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM stories WHERE last_seen >= ? AND merged_into IS NULL "
            "ORDER BY first_seen, id",
            (since.isoformat(),),
        ).fetchall()
        return [self._story(r) for r in rows]

    def all_stories(self) -> list[Story]:
        """Every story not merged into another, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM stories WHERE merged_into IS NULL ORDER BY first_seen, id"
        ).fetchall()
        return [self._story(r) for r in rows]

    def story(self, story_id: str) -> Story | None:
        """The story with this id or, when it was merged into another, the one that absorbed it
        (its id differs from `story_id` then)."""
        row = self.db.execute("SELECT * FROM stories WHERE id=?", (story_id,)).fetchone()
        if row is not None and row["merged_into"]:
            row = self.db.execute(
                "SELECT * FROM stories WHERE id=?", (row["merged_into"],)
            ).fetchone()
        return self._story(row) if row is not None else None

    def merged_stories(self) -> dict[str, list[Story]]:
        """Story id -> the stories merged into it, oldest first: their articles are its own now,
        and each keeps its title and `post_slug` (a post written for it may still be on disk)."""
        rows = self.db.execute(
            "SELECT * FROM stories WHERE merged_into IS NOT NULL ORDER BY first_seen, id"
        ).fetchall()
        found: dict[str, list[Story]] = {}
        for row in rows:
            found.setdefault(row["merged_into"], []).append(self._story(row))
        return found

    def _story(self, row: sqlite3.Row) -> Story:
        ids = [
            r["id"]
            for r in self.db.execute(
                "SELECT id FROM articles WHERE story_id=? ORDER BY published, id", (row["id"],)
            )
        ]
        centroid = self.db.execute(
            "SELECT terms, weights FROM centroids WHERE story_id=?", (row["id"],)
        ).fetchone()
        return Story(
            id=row["id"],
            article_ids=ids,
            title=row["title"],
            first_seen=datetime.fromisoformat(row["first_seen"]),
            last_seen=datetime.fromisoformat(row["last_seen"]),
            post_slug=row["post_slug"],
            centroid=_terms(centroid["terms"], centroid["weights"], "d") if centroid else None,
        )

    def vectors(self, ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """Article id -> its clustering vector (aibot.cluster.stories.article_vectors), for
        those kept."""
        found: dict[str, dict[str, float]] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT article_id, terms, weights FROM vectors WHERE article_id IN ({marks})"
            for article_id, terms, weights in self.db.execute(query, chunk):
                found[article_id] = _terms(terms, weights, "f")
        return found

    def vectors_made_by(self, reading: str) -> bool:
        """Record how the kept vectors are made (aibot.cluster.stories.vector_reading). When
        that changes, the vectors and the story centroids summed from them are dropped, to be
        made again; return whether they were."""
        with self.db:
            row = self.db.execute("SELECT value FROM meta WHERE key='vectors'").fetchone()
            if row is not None and row["value"] == reading:
                return False
            self.db.execute("DELETE FROM vectors")
            self.db.execute("DELETE FROM centroids")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors', ?)", (reading,))
        return True

    def add_word_uses(self, uses: Mapping[str, tuple[int, int]]) -> None:
        """Add a run's word uses (aibot.cluster.stories.word_uses) to those kept."""
        with self.db:
            self.db.executemany(
                "INSERT INTO word_uses VALUES (?, ?, ?) ON CONFLICT (word) DO UPDATE SET "
                "seen = seen + excluded.seen, capital = capital + excluded.capital",
                [(word, seen, capital) for word, (seen, capital) in uses.items()],
            )

    def capitalised_word_uses(self) -> dict[str, tuple[int, int]]:
        """The kept word uses of the words ever capitalised mid-sentence: all that can be a
        name (aibot.cluster.stories.names_among)."""
        query = "SELECT word, seen, capital FROM word_uses WHERE capital > 0"
        return {word: (seen, capital) for word, seen, capital in self.db.execute(query)}

    def save_vectors(self, vectors: dict[str, dict[str, float]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(i, " ".join(v), array("f", v.values()).tobytes()) for i, v in vectors.items()],
            )

    def embeddings(self, ids: Iterable[str], model: str) -> dict[str, Sequence[float]]:
        """Article id -> its stored embedding by `model` (float32 numbers), for those stored."""
        found: dict[str, Sequence[float]] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT article_id, vector FROM embeddings "
                f"WHERE model=? AND article_id IN ({marks})",
                [model, *chunk],
            )
            for row in rows:
                # Left packed: clustering reads it as an array in one step, not number by number.
                found[row["article_id"]] = array("f", row["vector"])
        return found

    def save_embeddings(self, vectors: Mapping[str, Sequence[float]], model: str) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(i, model, array("f", v).tobytes()) for i, v in vectors.items()],
            )

    def save_stories(self, stories: Iterable[Story]) -> None:
        """Insert or update stories and give them their articles. The stories each one lists in
        `absorbed` are marked merged into it (with those merged into them before), in the same
        transaction: no story is ever left without its articles."""
        with self.db:
            for story in stories:
                self.db.execute(
                    "INSERT INTO stories (id, title, first_seen, last_seen, post_slug) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title, "
                    "first_seen=excluded.first_seen, last_seen=excluded.last_seen, "
                    "post_slug=COALESCE(excluded.post_slug, stories.post_slug)",
                    (
                        story.id,
                        story.title,
                        story.first_seen.isoformat(),
                        story.last_seen.isoformat(),
                        story.post_slug,
                    ),
                )
                self.db.executemany(
                    "UPDATE articles SET story_id=? WHERE id=?",
                    [(story.id, article_id) for article_id in story.article_ids],
                )
                if story.centroid is not None:
                    self.db.execute(
                        "INSERT OR REPLACE INTO centroids VALUES (?, ?, ?)",
                        (
                            story.id,
                            " ".join(story.centroid),
                            array("d", story.centroid.values()).tobytes(),
                        ),
                    )
                self._absorb(story.id, [i for i in story.absorbed if i != story.id])

    def _absorb(self, survivor: str, absorbed: list[str]) -> None:
        for chunk in _chunks(absorbed, 500):
            marks = ", ".join("?" for _ in chunk)
            self.db.execute(
                f"UPDATE stories SET merged_into=? "
                f"WHERE id IN ({marks}) OR merged_into IN ({marks})",
                [survivor, *chunk, *chunk],
            )
            self.db.execute(f"DELETE FROM centroids WHERE story_id IN ({marks})", chunk)

    def set_post_slug(self, story_id: str, slug: str) -> None:
        with self.db:
            self.db.execute("UPDATE stories SET post_slug=? WHERE id=?", (slug, story_id))

    # Feeds and runs

    def feed_state(self, url: str) -> FeedState:
        row = self.db.execute("SELECT * FROM feeds WHERE url=?", (url,)).fetchone()
        return FeedState(**dict(row)) if row is not None else FeedState(url=url)

    def save_feed_state(self, state: FeedState) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO feeds (url, etag, last_modified, last_success, last_error, "
                "failures, retry_after, failing_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.url,
                    state.etag,
                    state.last_modified,
                    state.last_success,
                    state.last_error,
                    state.failures,
                    state.retry_after,
                    state.failing_since,
                ),
            )

    def feed_states(self) -> Iterator[FeedState]:
        for row in self.db.execute("SELECT * FROM feeds ORDER BY url"):
            yield FeedState(**dict(row))

    def log_run(self, started: datetime, report: dict[str, Any]) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO runs (started, report) VALUES (?, ?)",
                (started.isoformat(), json.dumps(report, default=str)),
            )

    # The cost ledger

    def record_call(self, run: str, story_id: str, purpose: str, usage: Usage, cost: float) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO ledger (run, at, story_id, purpose, model, input_tokens, "
                "cache_read_tokens, cache_write_tokens, output_tokens, batch, cost) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run, datetime.now(UTC).isoformat(), story_id, purpose,
                    usage.model, usage.input_tokens, usage.cache_read_input_tokens,
                    usage.cache_creation_input_tokens, usage.output_tokens, int(usage.batch), cost,
                ),
            )  # fmt: skip

    def ledger_by_run(self, limit: int = 0) -> list[dict[str, Any]]:
        """Per run, newest first: calls, tokens and dollars."""
        rows = self.db.execute(
            "SELECT run, MIN(at) AS started, COUNT(*) AS calls, SUM(input_tokens) AS input_tokens, "
            "SUM(cache_read_tokens) AS cache_read_tokens, "
            "SUM(cache_write_tokens) AS cache_write_tokens, "
            "SUM(output_tokens) AS output_tokens, SUM(batch) AS batch_calls, SUM(cost) AS cost, "
            "GROUP_CONCAT(DISTINCT model) AS models "
            "FROM ledger GROUP BY run ORDER BY MIN(at) DESC LIMIT ?",
            (limit or -1,),
        )
        return [dict(r) for r in rows]

    def ledger_total(self) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT COUNT(DISTINCT run) AS runs, COUNT(*) AS calls, "
            "COALESCE(SUM(input_tokens), 0) AS input_tokens, "
            "COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens, "
            "COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens, "
            "COALESCE(SUM(output_tokens), 0) AS output_tokens, "
            "COALESCE(SUM(cost), 0) AS cost FROM ledger"
        ).fetchone()
        return dict(row)

    def run_cost(self, run: str) -> float:
        row = self.db.execute(
            "SELECT COALESCE(SUM(cost), 0) FROM ledger WHERE run=?", (run,)
        ).fetchone()
        return float(row[0])

    # Message Batches in flight

    def open_batches(self) -> list[tuple[str, dict[str, dict[str, Any]]]]:
        rows = self.db.execute("SELECT id, requests FROM batches ORDER BY created, id")
        return [(r["id"], json.loads(r["requests"])) for r in rows]

    def save_batch(self, batch_id: str, requests: dict[str, dict[str, Any]]) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO batches VALUES (?, ?, ?)",
                (batch_id, datetime.now(UTC).isoformat(), json.dumps(requests)),
            )

    def close_batch(self, batch_id: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM batches WHERE id=?", (batch_id,))

    def last_run(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row["report"]) if row is not None else None


def _article(row: sqlite3.Row) -> Article:
    data = dict(row)
    data.pop("story_id")
    data["authors"] = json.loads(data["authors"])
    data["tags"] = json.loads(data["tags"])
    data["syndicated"] = json.loads(data["syndicated"])
    data["partial"] = bool(data["partial"])
    data["published"] = _when(data["published"])
    data["fetched"] = _when(data["fetched"])
    return Article(**data)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Columns added since schema version 2 first shipped: (table, column, type).
_ADDED_COLUMNS = (("feeds", "failing_since", "TEXT"), ("stories", "merged_into", "TEXT"))


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Columns added since a cache was made (of the same schema version): added empty."""
    for table, column, kind in _ADDED_COLUMNS:
        columns = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
        if columns and column not in columns:
            with db:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


@functools.cache
def _columns_expected() -> dict[str, frozenset[str]]:
    db = sqlite3.connect(":memory:")
    db.executescript(_SCHEMA)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    found = {t: frozenset(r[1] for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    db.close()
    return found


def _check_columns(db: sqlite3.Connection) -> None:
    """Raise DatabaseError when a table lacks a column (a file of another program or schema
    whose tables share our names: CREATE TABLE IF NOT EXISTS left them as they were)."""
    for table, expected in _columns_expected().items():
        found = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
        if not expected <= found:
            missing = ", ".join(sorted(expected - found))
            raise sqlite3.DatabaseError(f"cache table {table} lacks {missing}: another schema")


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether an error says the cache file itself is damaged (not SQLite, or malformed)."""
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def move_aside(path: Path) -> Path:
    """Keep an unusable cache (and its -wal, -shm files) for inspection under a name of its
    own, `<name>.broken` (then .broken-2, ...), and let a fresh one take its place. The cache
    may be a directory or a symbolic link (even a dangling or looping one): it is renamed."""
    aside, n = path.with_name(path.name + ".broken"), 2
    while any(os.path.lexists(f"{aside}{suffix}") for suffix in ("", "-wal", "-shm")):
        aside, n = path.with_name(f"{path.name}.broken-{n}"), n + 1
    for suffix in ("", "-wal", "-shm"):
        old = f"{path}{suffix}"
        if os.path.lexists(old):
            os.replace(old, f"{aside}{suffix}")
    return aside


def _terms(terms: str, weights: bytes, kind: str) -> dict[str, float]:
    """A term vector stored as its space-separated terms and packed weights."""
    return dict(zip(terms.split(), array(kind, weights), strict=True))
