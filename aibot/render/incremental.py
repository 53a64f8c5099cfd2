"""What lets a build skip work it has done before.

- Every output file gets a key: a digest of everything that makes it (the template or output kind,
  the posts it shows and their related posts) on top of the *inputs*, a digest of the
  templates, the static files, the configuration and AiBot's own version. The manifest keeps each
  file's key from the last build; a file whose key is unchanged is hard-linked from the current
  site into the new one instead of rendered.
- The whole site gets a key too (the inputs, every published post, the news-sitemap window and
  the feed health the Sources page shows). When it is unchanged and the site on disk is the one the
  manifest describes, the build does nothing at all.
- Markdown → HTML is cached by the digest of the Markdown (HtmlCache, one SQLite file).

All of it lives in `<cache>/build/` and is only a cache: a missing, corrupt or foreign manifest
means a full build, never a wrong one. The manifest is trusted only for the site whose marker file
(`.aibot-build`, holding the build id) matches it, so a site copied, restored or built by another
checkout is rebuilt rather than patched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from aibot.config import Config
from aibot.models import Post
from aibot.support.files import replace_bytes

if TYPE_CHECKING:
    from aibot.render.context import PageLink

VERSION = 2
MARKER = ".aibot-build"  # in the site: the id of the build that made it
# Context names every page shares; their values are covered by the inputs digest.
SHARED = frozenset({"site", "author", "cluster", "writer", "absolute", "now"})
_USES_NOW = re.compile(r"\bnow\b")


def digest(*parts: Any) -> str:
    """A short hex digest of `parts` (strings, numbers, dates, lists, dicts, dataclasses)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        _feed(hasher.update, part)
    return hasher.hexdigest()


def _feed(update: Callable[[bytes], object], value: Any) -> None:
    if isinstance(value, str):
        update(b"s" + value.encode("utf-8", "surrogatepass") + b"\0")
    elif value is None or isinstance(value, bool | int | float):
        update(repr(value).encode() + b"\0")
    elif isinstance(value, datetime):
        update(b"t" + value.isoformat().encode() + b"\0")
    elif isinstance(value, dict):
        update(b"{")
        for key, item in value.items():
            _feed(update, key)
            _feed(update, item)
        update(b"}")
    elif isinstance(value, list | tuple | set | frozenset):
        update(b"[")
        unordered = isinstance(value, set | frozenset)
        items: Iterable[Any] = sorted(value, key=repr) if unordered else value
        for item in items:
            _feed(update, item)
        update(b"]")
    elif hasattr(value, "content_key"):  # a render.PageLink: see context_key
        update(b"k" + value.content_key.encode() + b"\0")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        update(type(value).__name__.encode() + b"(")
        for item in dataclasses.fields(value):
            _feed(update, getattr(value, item.name))
        update(b")")
    elif callable(value):
        update(b"f")  # a helper such as `absolute`: what it does depends on the inputs only
    else:
        update(b"r" + repr(value).encode() + b"\0")


def post_key(post: Post) -> str:
    """A digest of everything a post's file says (front matter and body): the digest of its
    bytes when the posts index gave one, else of the parsed post."""
    return "file:" + post.digest if post.digest else digest(repr(post.meta), post.body)


def context_key(template: str, context: dict[str, Any]) -> str:
    """The key of a page: its template and everything in its context but the shared values.

    Made from repr(): a post in the context (render.PageLink) stands for itself by its
    `content_key`, and what a page shows is plain data (strings, numbers, dates, lists and
    dataclasses of them), whose repr is the same from one run to the next."""
    shown = {k: v for k, v in context.items() if k not in SHARED}
    return digest(template, repr(shown))


def inputs_key(config: Config, now: datetime) -> str:
    """A digest of what every page depends on: AiBot's and its renderers' versions, the
    configuration, and every file of the built-in theme and the site's own templates/ (and
    `now`, when a template shows the build time)."""
    versions = _renderer_versions()
    files: list[tuple[str, bytes]] = []
    theme = resources.files("aibot") / "theme"
    with resources.as_file(theme) as folder:
        files += _files(Path(folder), "theme")
    if config.paths.templates.is_dir():
        files += _files(config.paths.templates, "site")
    # A template that shows `now` (the build time) makes every build different.
    uses_now = any(
        name.endswith((".html", ".xml", ".txt"))
        and _USES_NOW.search(data.decode("utf-8", "replace"))
        for name, data in files
    )
    return digest(VERSION, versions, repr(config), files, now if uses_now else None)


def _files(base: Path, label: str) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(base.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            found.append((f"{label}/{path.relative_to(base).as_posix()}", path.read_bytes()))
    return found


def _renderer_versions() -> list[str]:
    """AiBot's, Jinja's and nh3's versions, and the size and time of cmark-gfm's compiled
    library (it has no version attribute; another version is another file). Read from the
    modules: importlib.metadata would cost ~60 ms of every build's start."""
    import cmarkgfm._cmark
    import jinja2
    import nh3

    import aibot

    try:
        library = os.stat(cmarkgfm._cmark.__file__ or "")
        cmark = f"{library.st_size}:{library.st_mtime_ns}"
    except OSError:
        cmark = ""
    return [aibot.__version__, jinja2.__version__, cmark, nh3.__version__]


@dataclasses.dataclass
class Manifest:
    """What the last build made: its id (also in the site's marker file), the inputs and whole-
    site keys, and each output file's key."""

    build_id: str = ""
    whole: str = ""
    files: dict[str, str] = dataclasses.field(default_factory=dict)
    quick: str = ""  # the key of the post files' times and sizes, the inputs and feed health
    valid_until: str = ""  # ISO time the site changes by itself (a post comes of age), or ""
    posts: int = 0  # published posts in the site
    scheduled: int = 0  # posts dated in the future, left out until then
    next_scheduled: str = ""  # ISO date of the first of them, or ""


def read_manifest(path: Path, site: Path) -> Manifest:
    """The manifest at `path` if it describes `site` as it is on disk, else an empty one."""
    try:
        data = orjson.loads(path.read_bytes())
        marker = (site / MARKER).read_text(encoding="utf-8").strip()
        if data.get("version") != VERSION or not marker or data.get("build_id") != marker:
            return Manifest()
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            return Manifest()
        return Manifest(
            build_id=marker,
            whole=str(data.get("whole", "")),
            files=files,
            # A manifest without the scheduled posts' count (an older AiBot's) cannot answer
            # a build that skips reading the posts: that build reads them, once.
            quick=str(data.get("quick", "")) if "scheduled" in data else "",
            valid_until=str(data.get("valid_until", "")),
            posts=data["posts"] if isinstance(data.get("posts"), int) else 0,
            scheduled=data["scheduled"] if isinstance(data.get("scheduled"), int) else 0,
            next_scheduled=str(data.get("next_scheduled", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Manifest()


def write_manifest(path: Path, manifest: Manifest) -> None:
    data = {"version": VERSION}
    data.update((item.name, getattr(manifest, item.name)) for item in dataclasses.fields(manifest))
    replace_bytes(path, orjson.dumps(data))


class HtmlCache:
    """Markdown → HTML by the digest of the Markdown, in one SQLite file.

    Only the process that made the cache reads and writes the file. A forked worker converts
    what it needs and keeps the results in `made`, which it hands back for the main process to
    `keep`; `save` stores everything new in one transaction. A cache that cannot be opened,
    read or written only makes builds slower."""

    def __init__(self, path: Path, convert: Callable[[str], str]) -> None:
        self.path = path
        self.convert = convert
        self.made: dict[str, str] = {}  # converted by this process, not saved yet
        self.known: dict[str, str] = {}  # read from the file
        self.hits = 0
        self.misses = 0
        self._owner = os.getpid()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def html(self, markdown: str) -> str:
        key = digest(markdown)
        found = self.known.get(key) or self.made.get(key)
        if found is None and os.getpid() == self._owner:
            found = self._read([key]).get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        text = self.made[key] = self.convert(markdown)
        return text

    def preload(self, markdowns: Iterable[str]) -> None:
        """Read the cached HTML of these bodies in one go (before forking workers)."""
        keys = [digest(m) for m in markdowns]
        self.known.update(self._read([k for k in keys if k not in self.known]))

    def keep(self, made: dict[str, str]) -> None:
        """HTML a worker made, to be saved with this process's own."""
        self.made.update(made)

    def save(self) -> None:
        db = self._open()
        if db is None or not self.made:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO html (key, html) VALUES (?, ?)", self.made.items()
                )
            self.known.update(self.made)
            self.made = {}
        except sqlite3.Error:
            self._broken = True

    def rows(self) -> int:
        """How many bodies the cache holds (0 when it cannot be read)."""
        db = self._open()
        try:
            return db.execute("SELECT COUNT(*) FROM html").fetchone()[0] if db else 0
        except sqlite3.Error:
            return 0

    def prune(self, keep: Iterable[str]) -> int:
        """Delete cached bodies whose Markdown digests are not in `keep`; return how many."""
        db = self._open()
        if db is None:
            return 0
        wanted = set(keep)
        try:
            stale = [(k,) for (k,) in db.execute("SELECT key FROM html") if k not in wanted]
            with db:
                db.executemany("DELETE FROM html WHERE key = ?", stale)
            return len(stale)
        except sqlite3.Error:
            return 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _read(self, keys: list[str]) -> dict[str, str]:
        db = self._open()
        found: dict[str, str] = {}
        if db is None:
            return found
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT key, html FROM html WHERE key IN ({marks})"  # noqa: S608
                found.update(db.execute(query, chunk))
        except sqlite3.Error:
            self._broken = True
        return found

    def _open(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken or os.getpid() != self._owner:
            return self._db if os.getpid() == self._owner else None
        for _attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path)
                db.execute("PRAGMA synchronous = OFF")  # a cache: a crash costs a rebuild
                db.execute("CREATE TABLE IF NOT EXISTS html (key TEXT PRIMARY KEY, html TEXT)")
                self._db = db
                return db
            except sqlite3.DatabaseError:  # not a database (any more): start it again
                with contextlib.suppress(OSError):
                    self.path.unlink()
            except (sqlite3.Error, OSError):
                break
        self._broken = True  # built without the cache this time
        return None


def shown_key(link: PageLink, versions: dict[str, str]) -> str:
    """The key of what a post's page shows of its file; with evidence links, of the versions of
    its sources' text in the cache too (they make its text fragments)."""
    key = post_key(link.post)
    if not link.body:
        return key
    sources = link.meta.get("sources")
    ids = [s.get("id") for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []
    return digest(key, [versions.get(i, "") if isinstance(i, str) else "" for i in ids])
