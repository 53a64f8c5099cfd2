"""The demo site built with its search index, once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DEMO, run_cli


def built_demo_site(factory: pytest.TempPathFactory) -> Path:
    """The demo (a private copy, as the `demo_dir` fixture makes) run once per test session by
    `aibot run`; returns its site/ folder. Shared: copy it before changing anything in it."""
    key = factory.getbasetemp()
    if key not in _BUILT:
        folder = factory.mktemp("demo-site")
        shutil.copy(DEMO / "aibot.yaml", folder / "aibot.yaml")
        shutil.copytree(DEMO / "sample", folder / "sample")
        result = run_cli("run", "-c", str(folder / "aibot.yaml"))
        assert result.exit_code == 0, result.output
        _BUILT[key] = folder / "site"
    return _BUILT[key]


def post_pages(site: Path) -> list[Path]:
    """The built post pages (redirect pages for old slugs left out)."""
    return sorted(
        p for p in (site / "posts").glob("*.html") if 'http-equiv="refresh"' not in p.read_text()
    )


_BUILT: dict[Path, Path] = {}
