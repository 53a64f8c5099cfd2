"""`aibot check` as a user runs it: what it says about the posts AiBot wrote itself."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from aibot.models import Review, Story
from aibot.posts.files import draft_to_post
from aibot.posts.frontmatter import FRONT_MATTER_KEYS
from tests.helpers.posts import WHEN, make_articles, make_draft


def _aibot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", *args],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_check_after_the_demo_run_gives_no_warning(tmp_path: Path) -> None:
    env = {"AIBOT_DEMO_DIR": str(tmp_path / "demo")}
    ran = _aibot("run", "--demo", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    posts = list((tmp_path / "demo" / "content" / "posts").rglob("*.md"))
    assert any("\nlanguage: en\n" in p.read_text() for p in posts)  # the key AiBot writes

    checked = _aibot("check", "--demo", cwd=tmp_path, env=env)
    config = tmp_path / "demo" / "aibot.yaml"
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout == (
        f"{config}: ok, 7 feeds; {len(posts)} posts ok, 0 with errors, 0 warnings\n"
    )


def test_every_key_the_pipeline_writes_is_one_check_knows() -> None:
    articles = [
        dataclasses.replace(a, language="de", image="https://harbour.example.org/ferry.jpg")
        for a in make_articles()
    ]
    draft = make_draft(articles)
    story = Story("story-1", [a.id for a in articles], draft.title, WHEN, WHEN)
    first = draft_to_post(draft, story, articles, Review("passed"), author="AiBot", now=WHEN)
    again = draft_to_post(
        draft, story, articles, Review("flagged", ["a number"]), author="AiBot",
        previous=first, now=WHEN + timedelta(hours=3),
    )  # fmt: skip
    assert {"language", "image", "updated"} <= set(again.meta)
    assert set(first.meta) | set(again.meta) <= set(FRONT_MATTER_KEYS)
