"""The repository's own configuration files load and say what README says they do."""

from __future__ import annotations

from urllib.parse import urlsplit

from aibot.config import load_config
from tests.conftest import DEMO, REPO


def test_production_config_lists_real_feeds_across_sections() -> None:
    config = load_config(REPO / "aibot.yaml")
    assert len(config.feeds) >= 12
    assert all(urlsplit(f.url).scheme == "https" for f in config.feeds)
    assert len({f.name for f in config.feeds}) >= 6
    assert {"world", "business", "tech", "science"} <= {t for f in config.feeds for t in f.tags}
    assert config.paths.content == REPO / "content"
    assert not config.collect.allow_private_hosts


def test_demo_config_stays_inside_examples_demo() -> None:
    config = load_config(DEMO / "aibot.yaml")
    for folder in (config.paths.content, config.paths.output, config.paths.cache):
        assert folder.resolve().is_relative_to(DEMO.resolve())
    assert all(f.url.startswith((DEMO.resolve() / "sample").as_uri()) for f in config.feeds)
    assert len(config.feeds) >= 5
