"""Runs of the demo with the Claude writer against the stub Messages API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aibot.posts.frontmatter import load_post

POSTS_IN_DEMO = 9


def configure_claude(folder: Path, **writer: Any) -> Path:
    path = folder / "aibot.yaml"
    data = yaml.safe_load(path.read_text())
    data["writer"] = {"backend": "claude", "max_retries": 0, **writer}
    path.write_text(yaml.safe_dump(data))
    return path


def claude_posts(folder: Path) -> list[Any]:
    return [load_post(p) for p in sorted((folder / "content" / "posts").rglob("*.md"))]
