"""The library API of DESIGN.md: importable without side effects, usable without the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import aibot
from aibot.models import Article, Draft, Paragraph, Section

IMPORTS = """
import aibot
from aibot import *
from aibot.cluster import cluster
print(len(aibot.__all__))
"""

# The public API as docs/library-api.md lists it: a change to it is a change of this list.
PUBLIC = [
    "__version__",
    "Config", "ConfigError", "load_config",
    "Article", "Story", "Draft", "Section", "Paragraph", "Evidence", "Review", "Post",
    "parse_feed", "extract",
    "Writer", "WriterError", "ExtractiveWriter", "ClaudeWriter", "verify",
    "PostError", "load_post", "load_posts", "save_post", "render_markdown", "paragraph_evidence",
    "BuildReport", "build_site",
    "RunReport", "run",
]  # fmt: skip


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
    assert (done.returncode, done.stdout) == (0, f"{len(PUBLIC)}\n"), done.stderr
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


def test_the_public_api_is_pinned() -> None:
    assert aibot.__all__ == PUBLIC


def test_each_public_name_is_the_object_of_its_module() -> None:
    import importlib

    for name in PUBLIC[1:]:
        module = importlib.import_module(aibot._API[name])
        assert getattr(aibot, name) is getattr(module, name), name


def test_importing_aibot_imports_none_of_its_modules() -> None:
    script = "import sys, aibot; print([m for m in sys.modules if m.startswith('aibot.')])"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout == "[]\n"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'aibot' has no attribute 'build'"):
        aibot.build  # noqa: B018 - the look-up is the test
