"""The library API of DESIGN.md: importable without side effects, usable without the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from aibot.models import Article, Draft, Paragraph, Section

IMPORTS = """
from aibot.config import load_config
from aibot.models import Article, Story, Draft, Section, Paragraph, Post
from aibot.collect.feeds import parse_feed
from aibot.collect.extract import extract
from aibot.cluster.stories import cluster
from aibot.write.extractive import ExtractiveWriter
from aibot.write.claude import ClaudeWriter
from aibot.write.verify import verify
from aibot.posts.frontmatter import load_post
from aibot.posts.files import save_post, render_markdown
from aibot.render import build_site
from aibot.pipeline import run
print("imported")
"""


def test_importing_the_api_creates_nothing_and_warns_nothing(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORTS],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
    assert done.stderr == ""
    assert list(scratch.iterdir()) == []
    assert list(cwd.iterdir()) == []
    assert not (tmp_path / "home").exists()


def test_article_needs_only_the_five_documented_fields() -> None:
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    article = Article("https://x.example/a", "X", "Title", "Body text.", when)
    other = Article("https://x.example/a", "Y", "Other", "Other text.", when)
    assert article.id == other.id  # the id is the canonical URL's hash
    assert article.canonical_url == "https://x.example/a"
    assert article.published == when and article.content_hash


def test_draft_text_is_plain_prose() -> None:
    draft = Draft(
        title="T",
        summary="S",
        sections=[
            Section("One", [Paragraph("First.", ["a"]), Paragraph("Second.", ["b"])]),
            Section("Two", [Paragraph("Third.", ["a"])]),
        ],
    )
    assert draft.text() == "First.\n\nSecond.\n\nThird."
    assert draft.source_ids() == ["a", "b"]
