"""Which post keeps a slug that two post files claim.

A copied post (`cp harbour-reopens.md copy-of-harbour.md`) has the same slug as the post it was
copied from, and must never take its URL over. The post that had the slug at the last build keeps
it: each build remembers which file held each slug, in `<cache>/slug-holders.json`. Without
that record (no build yet, or the cache deleted), the earlier `date` keeps it, then the file named
after the slug (`harbour-reopens.md`, as AiBot names its posts), and only between files alike in
both, the path that sorts first.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
from slugify import slugify as make_slug

from aibot.models import Post
from aibot.support.files import replace_bytes

VERSION = 1


def holders_file(cache: Path) -> Path:
    """Where a site's builds remember which file held each slug."""
    return cache / "slug-holders.json"


def last_holders(file: Path) -> dict[str, str]:
    """Slug -> the post file (relative to the posts folder) that held it at the last build;
    empty when there is no record or it cannot be read (a cache: the rules without it apply)."""
    try:
        data = orjson.loads(file.read_bytes())
        held = data["holders"] if data.get("version") == VERSION else {}
        return {slug: name for slug, name in held.items() if isinstance(name, str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_holders(file: Path, posts_dir: Path, posts: Iterable[Post]) -> None:
    """Remember the file of each post's slug, relative to `posts_dir`. Written (atomically)
    only when it changed: most builds change no slug and move no file."""
    prefix = str(posts_dir) + os.sep
    held = {}
    for post in posts:
        name = str(post.path)
        held[post.slug] = name[len(prefix) :] if name.startswith(prefix) else name
    data = orjson.dumps({"version": VERSION, "holders": held})
    with contextlib.suppress(OSError):
        if file.read_bytes() == data:
            return
    replace_bytes(file, data)


def holder(claimants: Sequence[Post], last: Path | None) -> tuple[Post, str]:
    """The post of `claimants` (two or more posts with one slug) that keeps the slug, and why,
    as a clause for the others' messages. `last`: the file that held it at the last build."""
    for post in claimants:
        if last is not None and post.path == last:
            return post, "it had the slug at the last build"
    ranked = sorted(claimants, key=_rank)
    keeper, runner_up = ranked[0], ranked[1]
    if keeper.date != runner_up.date:
        return keeper, "it is dated earlier"
    if _named_after_slug(keeper) and not _named_after_slug(runner_up):
        return keeper, "its file is named after the slug"
    return keeper, "its path sorts first"


def _rank(post: Post) -> tuple[object, ...]:
    when = post.date.timestamp() if post.date else math.inf
    return (when, not _named_after_slug(post), (post.path or Path()).parts)


def _named_after_slug(post: Post) -> bool:
    return post.path is not None and post.path.name == f"{post.slug}.md"


MAX_SLUG = 80


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


def is_slug(text: str) -> bool:
    """Lowercase ASCII letters, digits and single hyphens, at most MAX_SLUG characters: safe as
    a file name and a URL path segment (no "/", "..", or reserved name)."""
    return bool(_SLUG.match(text)) and len(text) <= MAX_SLUG and text not in RESERVED_SLUGS


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
