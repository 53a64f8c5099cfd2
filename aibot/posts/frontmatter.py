"""A post file's text and its Post: reading, validating and writing YAML front matter.

Every check names the file and, where it can, the line of the key at fault. The keys and their
meaning are the editors' contract (docs/editing-posts.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aibot.models import Post, utc
from aibot.posts.slugs import MAX_SLUG, is_slug, slugify
from aibot.support.yamlio import YamlError, dump_yaml, load_yaml

if TYPE_CHECKING:
    pass


FRONT_MATTER_KEYS = (
    "title", "slug", "date", "updated", "updates", "author", "summary", "tags", "image", "sources",
    "related", "aliases", "draft", "review", "locked", "language", "generator", "evidence",
)  # fmt: skip


# Written after every other key, unknown ones included: long, and for the build, not the editor.
LAST_KEYS = ("evidence",)


# Bounds that keep one hand-edited file from costing a build unbounded time and memory: the
# whole file, its front matter (the YAML parser builds a Python object per value), and the
# lists that each make pages (a tag makes a page and two feeds, an alias a forwarding page).
MAX_POST_BYTES = 4 * 1024 * 1024


MAX_FRONT_MATTER_BYTES = 512 * 1024
MAX_PAGES_LIST = 50


@dataclass
class PostError(Exception):
    """A post that cannot be read; `str()` gives `file:line: message`."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:  # to come back from a process pool worker
        return (PostError, (self.path, self.line, self.message))


def load_post(path: Path) -> Post:
    """Read and validate one post; raise PostError naming the file and line."""
    try:
        data = read_post_bytes(path)
    except OSError as exc:
        raise PostError(path, None, f"cannot read: {exc.strerror}") from None
    return post_from_bytes(data, path)


def read_post_bytes(path: Path) -> bytes:
    """A post file's bytes, but never more than one byte over MAX_POST_BYTES (then refused)."""
    with path.open("rb") as file:
        return file.read(MAX_POST_BYTES + 1)


def post_from_bytes(data: bytes, path: Path) -> Post:
    """A post from a file's bytes; raise PostError naming the file and line."""
    if len(data) > MAX_POST_BYTES:
        raise PostError(path, None, f"more than {MAX_POST_BYTES:,} bytes: not read")
    try:
        text = data.decode("utf-8-sig")  # editors' tools may add a BOM
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PostError(path, line, f"not UTF-8 text ({exc.reason})") from None
    # Line endings from Windows (CRLF) or old Macs (CR) read as "\n": a post saved by another
    # system is the same post, not an edit.
    return parse_post(text.replace("\r\n", "\n").replace("\r", "\n"), path)


def parse_post(text: str, path: Path) -> Post:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise PostError(path, 1, _unopened(lines[0] if lines else ""))
    # At the start of a line: an indented "---" is part of a value the dumper folded.
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise _unclosed(lines, path)
    front = "".join(lines[1:end])
    if len(front.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        message = f"front matter is more than {MAX_FRONT_MATTER_BYTES:,} bytes: not read"
        raise PostError(path, 2, message)
    try:
        meta = load_yaml(front)
    except YamlError as exc:
        line = exc.line + 1 if exc.line else None  # +1 for the opening '---'
        raise PostError(path, line, f"front matter: {exc}") from None
    if not isinstance(meta, dict):
        raise PostError(path, 2, "front matter must be a mapping of keys to values")
    body = "".join(lines[end + 1 :]).lstrip("\n")
    _validate(meta, front, path)
    return Post(meta=meta, body=body, path=path)


# A line front matter may hold: a key, a list item, an indented continuation, a comment.
_FRONT_MATTER_LINE = re.compile(r"^(?:[\w-]+\s*:|[-#\s]|$)")


_DASHES = re.compile(r"^\s*[-–—]+\s*$")


def _unopened(first: str) -> str:
    """What is wrong with a post whose first line is not '---'."""
    if _DASHES.match(first):
        return (
            f"front matter opens with a line of exactly three hyphens '---', got {first.strip()!r}"
        )
    if re.match(r"^[\w-]+\s*:", first):
        return "no front matter: the line '---' above the first key is missing; add it as line 1"
    return "no front matter: the file must start with a line '---'"


def _unclosed(lines: list[str], path: Path) -> PostError:
    """The error of front matter without its closing '---': on the first line that cannot be
    front matter (where the text starts), when there is one."""
    for number, line in enumerate(lines[1:], start=2):
        if _DASHES.match(line):
            message = "front matter closes with a line of exactly three hyphens '---'"
            return PostError(path, number, f"{message}, got {line.strip()!r}")
        if not _FRONT_MATTER_LINE.match(line):
            message = "front matter is not closed by a line '---'; add one above this line"
            return PostError(path, number, message)
    return PostError(path, 1, "front matter is not closed by a line '---'")


def _validate(meta: dict[str, Any], front: str, path: Path) -> None:
    def fail(key: str, message: str) -> PostError:
        match = re.search(rf"^{re.escape(key)}\s*:", front, re.M)
        line = front[: match.start()].count("\n") + 2 if match else 2
        return PostError(path, line, f"{key}: {message}")

    title = meta.get("title")
    if title is None or title == "":
        raise fail("title", f"{_absent('title', meta)}; every post needs one: its headline")
    if not isinstance(title, str) or not title.strip():
        raise fail("title", f"expected the headline as text, got {_shown(title)}")
    slug = meta.get("slug")
    if slug is None or slug == "":
        example = f"slug: {slugify(title)}"
        needs = f"every post needs one, its name in the site's links: {example}"
        raise fail("slug", f"{_absent('slug', meta)}; {needs}")
    if not isinstance(slug, str) or not is_slug(slug):
        raise fail(
            "slug",
            f"expected lowercase letters, digits and hyphens (at most {MAX_SLUG}, not a name "
            f"the site uses itself), got {_shown(slug)}",
        )
    for key in ("date", "updated"):
        if key in meta and meta[key] is not None:
            moment = _as_datetime(meta[key])
            if moment is None:
                example = "2026-01-31T09:30:00Z"
                raise fail(key, f"expected a date and time like {example}, got {_shown(meta[key])}")
            meta[key] = moment
    if meta.get("date") is None:
        needs = "every post needs one: when it was first published, e.g. date: 2026-01-31T09:30:00Z"
        raise fail("date", f"{_absent('date', meta)}; {needs}")
    for key in ("tags", "related", "aliases"):
        value = meta.get(key, [])
        if value is None:
            meta[key] = []
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, f"expected a list of text, got {_shown(value)}")
        elif key != "related" and len(value) > MAX_PAGES_LIST:
            raise fail(key, f"at most {MAX_PAGES_LIST} (each makes pages), got {len(value):,}")
    for alias in meta.get("aliases") or []:
        if not is_slug(alias):
            expected = "slugs (lowercase letters, digits, hyphens)"
            raise fail("aliases", f"expected {expected}, got {_shown(alias)}")
    for key in ("draft", "locked"):
        if key in meta and not isinstance(meta[key], bool):
            raise fail(key, f"expected true or false, got {_shown(meta[key])}")
    sources = meta.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise fail("sources", "expected a list of {outlet, title, url} entries")
    for key in ("summary", "author", "image"):
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            raise fail(key, f"expected text, got {_shown(meta[key])}")


def _absent(key: str, meta: dict[str, Any]) -> str:
    """How a required key is absent: not written at all, or written with no value."""
    return "missing" if key not in meta else "empty"


def _shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 100 else f"{text[:100]}… ({len(text):,} characters)"


def key_line(path: Path, key: str) -> int | None:
    """The 1-based line of `key:` in a post file, for messages about a valid file."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        return None
    return next((n for n, line in enumerate(lines, 1) if line.startswith(f"{key}:")), None)


def _as_datetime(value: Any) -> datetime | None:
    try:
        if isinstance(value, datetime):
            return utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # not a date, or one that is before year 1 in UTC
        return None
    return None


def post_text(post: Post) -> str:
    """The file text of a post: front matter in the documented key order, then the body."""
    first = [k for k in FRONT_MATTER_KEYS if k not in LAST_KEYS]
    ordered = {k: post.meta[k] for k in first if k in post.meta}
    ordered.update({k: v for k, v in post.meta.items() if k not in ordered and k not in LAST_KEYS})
    ordered.update({k: post.meta[k] for k in LAST_KEYS if k in post.meta})
    return f"---\n{dump_yaml(plain_value(ordered))}---\n\n{post.body.strip()}\n"


def plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        try:
            moment = utc(value)
        except OverflowError:  # 0001-01-01T00:00+01:00 is no moment of year 1 in UTC
            return value.isoformat()
        # Not strftime: its %Y writes the year 999 as "999", which no ISO 8601 reader takes.
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    return value
