"""Posts written by hand into a small site, as an editor would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aibot.models import Post
from aibot.posts.files import save_post


def edited_post(slug: str, title: str, body: str = "", **meta: object) -> Post:
    return Post(
        meta={"title": title, "slug": slug, "date": T0, "summary": title, "tags": [], **meta},
        body=body or f"{title}. A paragraph.",
    )


def edited_site(tmp_path: Path, *posts: Post) -> Path:
    config = tmp_path / "aibot.yaml"
    config.write_text('site: {title: Test}\nfeeds: [{url: "https://wire.example.org/rss.xml"}]\n')
    for post in posts:
        save_post(post, tmp_path / "content" / "posts" / "2026" / f"{post.slug}.md")
    return config


T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
