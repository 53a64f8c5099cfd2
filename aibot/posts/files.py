"""Posts on disk: Markdown with YAML front matter under content/posts/YYYY/slug.md.

This module owns the editors' contract (see docs/editing-posts.md): which keys a post has, how
an editor's change is detected (`generator.body_sha256`, or `locked: true`), and how a Draft
becomes Markdown. Files are written atomically, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from slugify import slugify as make_slug

from aibot.models import Article, Draft, Paragraph, Post, Story, utc
from aibot.posts.evidence import evidence_front_matter, evidence_problem
from aibot.posts.slugs import holder, last_holders
from aibot.support.yamlio import YamlError, dump_yaml, load_yaml

if TYPE_CHECKING:
    from aibot.write.verify import Review

FRONT_MATTER_KEYS = (
    "title", "slug", "date", "updated", "author", "summary", "tags", "image", "sources",
    "related", "aliases", "draft", "review", "locked", "language", "generator", "evidence",
)  # fmt: skip
# Written after every other key, unknown ones included: long, and for the build, not the editor.
LAST_KEYS = ("evidence",)
MAX_SLUG = 80
# Bounds that keep one hand-edited file from costing a build unbounded time and memory: the
# whole file, its front matter (the YAML parser builds a Python object per value), and the
# lists that each make pages (a tag makes a page and two feeds, an alias a forwarding page).
MAX_POST_BYTES = 4 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 512 * 1024
MAX_PAGES_LIST = 50
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names the site's own pages use, and names Windows cannot give a file.
RESERVED_SLUGS = frozenset(
    {
        "index",
        "tags",
        "tag",
        "page",
        "posts",
        "static",
        "feed",
        "feeds",
        "atom",
        "rss",
        "sitemap",
        "search",
        "about",
        "sources",
        "archive",
        "404",
        "con",
        "prn",
        "aux",
        "nul",
    }
    | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)}
)


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


# Reading


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


def is_slug(text: str) -> bool:
    """Lowercase ASCII letters, digits and single hyphens, at most MAX_SLUG characters: safe as
    a file name and a URL path segment (no "/", "..", or reserved name)."""
    return bool(_SLUG.match(text)) and len(text) <= MAX_SLUG and text not in RESERVED_SLUGS


def _key_line(path: Path, key: str) -> int | None:
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


def load_posts(
    posts_dir: Path,
    *,
    index: Path | None = None,
    listing: PostListing | None = None,
    holders: Path | None = None,
) -> tuple[list[Post], list[PostError]]:
    """Every readable post under `posts_dir` (sorted by path) and the errors of the others.

    With `index` (a file in the cache folder), parsed posts are kept there and reused while their
    files are unchanged (see aibot.posts.index). `listing` is `post_listing(posts_dir)` when the
    caller has just made it (a build does, to see whether anything changed): not made twice.
    Of two posts with one slug, one keeps it and the other is an error (see aibot.posts.slugs;
    `holders` is the file where builds remember which post held each slug).
    """
    from aibot.posts.index import cached_posts

    posts: list[Post] = []
    errors: list[PostError] = []
    if not posts_dir.is_dir():
        return posts, errors
    listing = post_listing(posts_dir) if listing is None else listing
    paths = [Path(name) for name, _mtime, _size in listing]
    stats = [(mtime, size) for _name, mtime, size in listing]
    outcomes = cached_posts(paths, index, post_from_bytes, stats=stats)
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, Post):
            posts.append(outcome)
        elif isinstance(outcome, PostError):
            errors.append(outcome)
        else:
            errors.append(PostError(path, None, f"cannot read: {outcome}"))
    seen: dict[str, Post] = {}
    claimants: dict[str, list[Post]] = {}
    for post in posts:
        first = seen.setdefault(post.slug, post)
        if first is not post:
            claimants.setdefault(post.slug, [first]).append(post)
    if claimants:
        posts, refused = _one_post_per_slug(posts, claimants, posts_dir, holders)
        errors.extend(refused)
    return posts, errors


def _one_post_per_slug(
    posts: list[Post], claimants: dict[str, list[Post]], posts_dir: Path, holders: Path | None
) -> tuple[list[Post], list[PostError]]:
    """`posts` without those whose slug another post keeps, and an error for each of them."""
    last = last_holders(holders) if holders else {}
    refused: dict[int, PostError] = {}
    for slug, posts_of_slug in claimants.items():
        held = last.get(slug)
        keeper, why = holder(posts_of_slug, posts_dir / held if held else None)
        for post in posts_of_slug:
            if post is not keeper:
                path = post.path or posts_dir
                message = (
                    f"slug: {slug!r} is already used by {keeper.path}, which keeps it ({why}); "
                    "give this post another slug to publish it"
                )
                refused[id(post)] = PostError(path, _key_line(path, "slug"), message)
    kept = [p for p in posts if id(p) not in refused]
    return kept, [refused[id(p)] for p in posts if id(p) in refused]


# (path, modification time in ns, size) of each post file; size -1: it could not be stat'ed.
PostListing = list[tuple[str, int, int]]


def post_listing(posts_dir: Path) -> PostListing:
    """Every `.md` file under `posts_dir` with its time and size, in Path order (one os.walk
    and a stat each: what an edit build of 5,000 posts needs to know before reading any)."""
    found = []
    for folder, _dirs, names in os.walk(posts_dir):
        for name in names:
            if name.endswith(".md"):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                    found.append((path, stat.st_mtime_ns, stat.st_size))
                except OSError:
                    found.append((path, 0, -1))
    return sorted(found, key=lambda row: row[0].split(os.sep))


def post_warnings(posts: Sequence[Post], *, now: datetime | None = None) -> list[str]:
    """What `aibot check` points out in readable posts: `file:line: message` each."""
    now = now or datetime.now(UTC)
    # An old slug (one that forwards to a post) still names that post in `related:`.
    slugs = {slug for p in posts for slug in [p.slug, *old_slugs(p)]}
    out: list[str] = []
    for post in posts:
        path = post.path or Path(post.slug)

        def at(key: str, message: str, path: Path = path) -> str:
            line = _key_line(path, key)
            return f"{path}:{line}: {message}" if line else f"{path}: {message}"

        for slug in post.meta.get("related") or []:
            if slug not in slugs:
                out.append(at("related", f"related: no post has the slug {slug!r}"))
        for key in post.meta:
            if key not in FRONT_MATTER_KEYS:
                out.append(at(key, f"{key}: not a key AiBot knows (kept as it is; a typo?)"))
        if post.date and post.date > now:
            out.append(at("date", f"date: in the future: published by the first build after "
                                  f"{post.date:%Y-%m-%d %H:%M} UTC"))  # fmt: skip
        if "evidence" in post.meta:
            problem = evidence_problem(post.meta["evidence"])
            if problem:
                out.append(at("evidence", f"evidence: {problem}; ignored (delete it if unsure)"))
        review = post.meta.get("review")
        if post.is_draft and isinstance(review, dict) and review.get("status") == "flagged":
            out.append(at("review", "review: flagged by the grounding check; not published "
                                    "until an editor fixes it and sets draft: false"))  # fmt: skip
    return out


# Writing


def post_text(post: Post) -> str:
    """The file text of a post: front matter in the documented key order, then the body."""
    first = [k for k in FRONT_MATTER_KEYS if k not in LAST_KEYS]
    ordered = {k: post.meta[k] for k in first if k in post.meta}
    ordered.update({k: v for k, v in post.meta.items() if k not in ordered and k not in LAST_KEYS})
    ordered.update({k: post.meta[k] for k in LAST_KEYS if k in post.meta})
    return f"---\n{dump_yaml(_plain(ordered))}---\n\n{post.body.strip()}\n"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        try:
            moment = utc(value)
        except OverflowError:  # 0001-01-01T00:00+01:00 is no moment of year 1 in UTC
            return value.isoformat()
        # Not strftime: its %Y writes the year 999 as "999", which no ISO 8601 reader takes.
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def save_post(post: Post, path: Path | None = None) -> Path:
    """Write `post` atomically (temp file, fsync, rename in the same folder)."""
    target = path or post.path
    if target is None:
        raise ValueError("save_post() needs a path")
    write_atomically(target, post_text(post))
    post.path = target
    return target


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private; a post is an ordinary file: keep the old file's mode,
        # or the one the umask gives a new file.
        os.fchmod(fd, _mode_of(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def post_path(posts_dir: Path, post: Post) -> Path:
    moment = post.date or datetime.now(UTC)
    return posts_dir / f"{moment:%Y}" / f"{post.slug}.md"


# The editors' contract


# The front matter an editor may change: changing any of them, or the body, is an edit.
EDITORIAL_KEYS = (
    "title",
    "summary",
    "tags",
    "draft",
    "slug",
    "date",
    "image",
    "related",
    "aliases",
)


def body_sha256(post: Post) -> str:
    """Hash of everything an editor may change: the body and the editorial front matter."""
    editorial: dict[str, Any] = {k: _plain(post.meta.get(k)) for k in EDITORIAL_KEYS}
    editorial["draft"] = bool(post.meta.get("draft", False))
    for key in ("tags", "related", "aliases"):
        editorial[key] = editorial[key] or []
    editorial["body"] = post.body.strip()
    blob = json.dumps(editorial, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _first_sha256(post: Post) -> str:
    """The hash as posts written before slug, date, image, related and aliases counted."""
    editorial = {
        "title": post.meta.get("title"),
        "summary": post.meta.get("summary"),
        "tags": post.meta.get("tags") or [],
        "draft": bool(post.meta.get("draft", False)),
        "body": post.body.strip(),
    }
    blob = json.dumps(editorial, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def seal(post: Post) -> None:
    """Record the post's hash as written by the pipeline (after any change to its fields)."""
    post.meta.setdefault("generator", {})["body_sha256"] = body_sha256(post)


def is_edited(post: Post) -> bool:
    generator = post.meta.get("generator")
    recorded = generator.get("body_sha256") if isinstance(generator, dict) else None
    if recorded == body_sha256(post):
        return False
    legacy = isinstance(generator, dict) and "slug" not in generator
    return not (legacy and recorded == _first_sha256(post))


def is_protected(post: Post) -> bool:
    """True when the pipeline must not rewrite this post (edited by hand, or locked)."""
    return bool(post.meta.get("locked")) or is_edited(post)


def slugify(title: str, taken: Iterable[str] = ()) -> str:
    """ASCII (transliterated: "Москва" -> "moskva"), lowercase, hyphenated, at most 80 characters
    on a word boundary, never a reserved name, not in `taken` (else -2, -3, ...)."""
    slug = make_slug(title, max_length=MAX_SLUG - 3, word_boundary=True, save_order=True)
    slug = slug or "story"
    if slug in RESERVED_SLUGS:
        slug = f"{slug}-story"
    taken = set(taken)
    unique, n = slug, 2
    while unique in taken:
        suffix = f"-{n}"  # the base is cut so that the whole stays within MAX_SLUG
        unique, n = f"{slug[: MAX_SLUG - len(suffix)].rstrip('-')}{suffix}", n + 1
    return unique


def draft_to_post(
    draft: Draft,
    story: Story,
    articles: Sequence[Article],
    review: Review,
    *,
    author: str,
    taken_slugs: Iterable[str] = (),
    previous: Post | None = None,
    related: Sequence[str] = (),
    now: datetime | None = None,
) -> Post:
    """A post for `draft`; when `previous` is given, its slug, date and unknown keys are kept."""
    now = now or datetime.now(UTC)
    cited = [a for a in sorted(articles, key=lambda a: (a.when, a.id))]
    latest = min(max(a.when for a in cited), now) if cited else now
    meta: dict[str, Any] = dict(previous.meta) if previous else {}
    meta.update(
        title=draft.title,
        slug=previous.slug if previous else slugify(draft.title, taken_slugs),
        date=previous.date if previous and previous.date else latest,
        author=author,
        summary=draft.summary,
        tags=draft.tags,
        image=next((a.image for a in cited if a.image.startswith(("http://", "https://"))), ""),
        sources=[_source_entry(a) for a in cited],
        related=list(related),
        draft=review.status != "passed",
        review={"status": review.status, "notes": review.notes},
    )
    if previous:
        meta["updated"] = latest
    if not meta["image"]:
        meta.pop("image")
    language = _language(cited)
    if language:
        meta["language"] = language  # pages mark the post's text with it (lang, dir)
    body = render_markdown(draft, cited)
    number = _citation_numbers(cited)
    evidence = evidence_front_matter(
        (_paragraph_markdown(p, number), p.evidence) for s in draft.sections for p in s.paragraphs
    )
    if evidence:
        meta["evidence"] = evidence  # filled in by verify
    else:
        meta.pop("evidence", None)  # a previous version's: of paragraphs no longer there
    updates = _updates(previous) if previous else []
    if previous:
        known = previous.source_urls
        added = [a for a in cited if a.canonical_url not in known]
        if added:
            outlets = ", ".join(dict.fromkeys(a.source for a in added))
            updates.append(f"{_when(latest)}: added {len(added)} report(s) from {outlets}.")
    if updates:
        body += "\n## Updates\n\n" + "\n".join(f"- {_escape(u)}" for u in updates) + "\n"
    post = Post(meta=meta, body=body)
    first_slug = _generator(previous).get("slug") if previous else None
    meta["generator"] = {
        "writer": draft.writer,
        "model": draft.model or None,
        "story": story.id,
        # The slug the post was first published under: its URL keeps working (aliases).
        "slug": first_slug or meta["slug"],
        "body_sha256": body_sha256(post),
    }
    return post


def old_slugs(post: Post) -> list[str]:
    """Slugs that forward to `post`: the one it was first published under (if an editor changed
    it since) and those listed in `aliases:`; only valid slugs, never its own."""
    first = _generator(post).get("slug")
    aliases = post.meta.get("aliases") or []
    if not aliases and (first is None or first == post.slug):
        return []  # most posts: asked for each of them by every build
    found = [first, *aliases]
    return [s for s in dict.fromkeys(found) if isinstance(s, str) and s != post.slug and is_slug(s)]


def _generator(post: Post) -> dict[str, Any]:
    generator = post.meta.get("generator")
    return generator if isinstance(generator, dict) else {}


_UPDATES = re.compile(r"^## Updates\n+((?:- .*\n?)+)", re.M)


def _updates(post: Post) -> list[str]:
    """The dated lines of a post's "Updates" list, oldest first, as plain text."""
    match = _UPDATES.search(post.body)
    if not match:
        return []
    lines = [line[2:].strip() for line in match.group(1).splitlines() if line.startswith("- ")]
    return [re.sub(r"\\(.)", r"\1", line) for line in lines]


def _when(moment: datetime) -> str:
    return f"{utc(moment):%-d %B %Y, %H:%M} UTC"


def _language(articles: Sequence[Article]) -> str:
    """The language the sources are written in ("ar", "zh"), when those that say agree."""
    found = {a.language.split("-")[0].split("_")[0].lower() for a in articles if a.language}
    (language,) = found if len(found) == 1 else ("",)
    return language if re.fullmatch(r"[a-z]{2,3}", language) else ""


def _source_entry(article: Article) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": article.id,
        "outlet": article.source,
        "title": article.title,
        "url": article.canonical_url,
        "published": article.when,
    }
    if len(article.outlets) > 1:
        entry["also"] = article.outlets[1:]  # syndicated copies: one source, several outlets
    if article.partial:
        entry["partial"] = True  # only the feed's summary could be read
    return entry


# Markdown


def render_markdown(draft: Draft, articles: Sequence[Article]) -> str:
    """The post body: sections with headings, numbered citations, then the Sources list."""
    number = _citation_numbers(articles)
    out: list[str] = []
    for section in draft.sections:
        if section.heading:  # the first section of an offline draft has none
            out.append(f"## {_escape(section.heading)}\n")
        for paragraph in section.paragraphs:
            out.append(f"{_paragraph_markdown(paragraph, number)}\n")
    if draft.disagreements:
        out.append("## Where sources differ\n")
        out.extend(f"- {_escape(d)}" for d in draft.disagreements)
        out.append("")
    out.append("## Sources\n")
    for n, article in enumerate(articles, start=1):
        title = _escape(article.title or article.canonical_url)
        link = (
            f"[{title}]({_link(article.canonical_url)})"
            if _is_web(article.canonical_url)
            else title
        )
        outlet = _escape(article.source)
        if len(article.outlets) > 1:
            outlet += f" (also published by {_escape(', '.join(article.outlets[1:]))})"
        out.append(f'{n}. <span id="source-{n}"></span>{outlet}: {link}')
    return "\n".join(out).strip() + "\n"


def _citation_numbers(articles: Sequence[Article]) -> dict[str, int]:
    """Article id -> its number in the Sources list."""
    return {a.id: n for n, a in enumerate(articles, start=1)}


def _paragraph_markdown(paragraph: Paragraph, number: dict[str, int]) -> str:
    """A paragraph as the body writes it: the text, then its numbered citations."""
    cites = "".join(
        f" [[{number[i]}]](#source-{number[i]})" for i in paragraph.sources if i in number
    )
    return f"{_escape(paragraph.text)}{cites}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _escape(text: str) -> str:
    """Source text as literal Markdown: no markup, links or HTML can come from a source (but an
    e-mail address, which GitHub's Markdown links as mailto: whatever the escapes)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)  # "1." or "1)" would start a list
    escaped = re.sub(r"^([-+])", r"\\\1", escaped)  # "-" or "+" a list, "---" a rule
    # GitHub's Markdown links "www." and "scheme://" by itself; an escaped "." or ":" stops it.
    escaped = re.sub(r"(?i)(www)\.", r"\1\\.", escaped)
    return escaped.replace("://", "\\://")


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _link(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


# Related posts
