"""`aibot new "Title"`: the file of a hand-written post, ready to edit.

The post is marked as an editor's (`locked: true`, `generator.writer: hand-written`), so the
pipeline never rewrites it, and starts as a draft (`draft: true`) until the editor publishes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from aibot.models import Post
from aibot.posts.files import load_posts, post_path
from aibot.posts.frontmatter import post_text
from aibot.posts.slugs import is_slug, slugify

HAND_WRITTEN = "hand-written"


class NewPostError(ValueError):
    """The post cannot be made: its file or its slug exists already, or the slug is invalid."""


def new_post(
    posts_dir: Path,
    title: str,
    *,
    slug: str = "",
    tags: Sequence[str] = (),
    now: datetime | None = None,
    index: Path | None = None,
) -> Path:
    """Write a new hand-written post into `posts_dir/YYYY/<slug>.md` and return its path.
    Raise NewPostError rather than overwrite a file or reuse another post's slug."""
    if not title.strip():
        raise NewPostError("the title is empty")
    slug = slug or slugify(title)
    if not is_slug(slug):
        raise NewPostError(
            f"{slug!r} cannot be a slug: lowercase letters, digits and single hyphens, at most "
            "80 characters, not a name the site uses itself (index, tags, feed, …)"
        )
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    post = Post(
        meta={
            "title": title.strip(),
            "slug": slug,
            "date": moment,
            "summary": "",
            "tags": list(tags),
            "draft": True,
            "locked": True,
            "generator": {"writer": HAND_WRITTEN, "slug": slug},
        },
        body="",
    )
    path = post_path(posts_dir, post)
    if path.exists():
        raise NewPostError(f"{path} exists already; nothing was written")
    posts, _ = load_posts(posts_dir, index=index)
    holder = next((p.path for p in posts if p.slug == slug), None)
    if holder is not None:
        raise NewPostError(
            f"the slug {slug} is already used by {holder}; choose another with --slug"
        )
    _create(path, post_text(post))
    return path


def _create(path: Path, text: str) -> None:
    """Write `text` to a new file at `path`, whole or not at all, never over an existing file
    (a temporary file, then a hard link to the name, which fails when the name is taken)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise NewPostError(f"{path} exists already; nothing was written") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
