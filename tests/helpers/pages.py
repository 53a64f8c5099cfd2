"""A small site of posts and the demo site built once, for tests of what pages show."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from aibot.config import Config, config_from_mapping
from tests.conftest import DEMO, run_cli
from tests.helpers.site import add_post

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def demo_site(factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/demo after one `aibot run` (embeddings off: faster, same pages).
    Tests must not change it; build elsewhere (see `build_into`)."""
    if "demo" not in SHARED_DEMO:
        folder = factory.mktemp("demo-site")
        raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
        raw.setdefault("cluster", {})["embeddings"] = "off"
        (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        shutil.copytree(DEMO / "sample", folder / "sample")
        result = run_cli("run", "-c", str(folder / "aibot.yaml"))
        assert result.exit_code == 0, result.output
        SHARED_DEMO["demo"] = folder
    return SHARED_DEMO["demo"]


BIO = "Quill reads the Harbour papers every morning."


DISCLAIMER = "Quill can be wrong: check anything important against the linked sources."


BODY = """## What changes

Fares on the island ferry rise by a fifth in April. [[1]](#source-1)

Councillors voted 7-2 for the rise on Tuesday. [[2]](#source-2)

## Sources

1. <span id="source-1"></span>Harbour Gazette: [Ferry fares rise](https://g.test/ferry)
2. <span id="source-2"></span>Hill Courier: [Council vote](https://c.test/ferry)
"""


TWO_SOURCES = [
    {"outlet": "Harbour Gazette", "title": "Ferry fares rise", "url": "https://g.test/ferry"},
    {"outlet": "Hill Courier", "title": "Council vote", "url": "https://c.test/ferry"},
]


def small_config(base: Path, **sections: Any) -> Config:
    raw: dict[str, Any] = {
        "site": {"title": "Harbour Daily", "base_url": "https://harbour.example.org/"},
        "author": {"name": "Quill", "bio": BIO, "disclaimer": DISCLAIMER},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    return config_from_mapping(raw, base_dir=base)


def ferry_post(base: Path, slug: str, title: str = "Ferry fares rise", **meta: Any) -> Path:
    """add_post with the ferry story's body, summary, tag and two sources unless given;
    `date` is the post's date (10 March 2026 by default)."""
    when = meta.pop("date", datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    body = meta.pop("body", BODY)
    meta.setdefault("summary", "Fares rise by a fifth.")
    meta.setdefault("tags", ["Transport"])
    meta.setdefault("sources", TWO_SOURCES)
    return add_post(base, slug, title, when, body, **meta)


SHARED_DEMO: dict[str, Path] = {}
