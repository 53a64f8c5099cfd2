"""The demo's story labels and the posts they became."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from aibot.config import load_config
from aibot.posts.files import load_posts
from aibot.store import Store


def story_labels(demo: Path) -> dict[str, str]:
    return json.loads((demo / "sample" / "labels.json").read_text())


def add_feed(demo: Path, url: str, name: str) -> None:
    config_file = demo / "aibot.yaml"
    raw = yaml.safe_load(config_file.read_text())
    raw["feeds"].append({"url": url, "name": name, "tags": ["world"]})
    config_file.write_text(yaml.safe_dump(raw, sort_keys=False))


def story_of_page(demo: Path, page: str) -> str:
    """The story id the cache gave to the article read from `page` (relative to sample/)."""
    config = load_config(demo / "aibot.yaml")
    wanted = (demo / "sample" / page).resolve().as_uri()
    with Store(config.cache_file) as store:
        row = store.db.execute("SELECT story_id FROM articles WHERE url=?", (wanted,)).fetchone()
    assert row is not None, f"{page} was not collected"
    return row["story_id"]


def post_of_story(demo: Path, story_id: str) -> Path:
    posts, _ = load_posts(demo / "content" / "posts")
    matches = [p.path for p in posts if p.story_id == story_id]
    assert len(matches) == 1, f"expected one post for story {story_id}, found {matches}"
    return matches[0]
