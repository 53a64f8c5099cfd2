"""`aibot feeds import FILE.opml`: feeds added to aibot.yaml with its comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibot.collect.opml import OpmlError, import_opml, read_opml
from aibot.config import load_config
from tests.conftest import run_cli

CONFIG = """\
# My news site: comments like this one must survive an import.
site:
  title: Test Site   # trailing comment
feeds:
  # World desk
  - {url: "https://world.example/rss", name: World Example, tags: [world]}
"""

OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
  <outline text="Science">
    <outline text="Lab Notes" title="Lab Notes" type="rss" xmlUrl="https://lab.example/feed"/>
    <outline text="Sky Watch" type="rss" xmlUrl="https://sky.example/atom.xml"/>
  </outline>
  <outline text="World again" xmlUrl="https://world.example/rss"/>
  <outline text="Local file" xmlUrl="file:///etc/passwd"/>
</body></opml>
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    config, opml = tmp_path / "aibot.yaml", tmp_path / "subs.opml"
    config.write_text(CONFIG)
    opml.write_text(OPML)
    return config, opml


def test_opml_feeds_are_read_with_folder_tags_and_web_urls_only(files) -> None:
    _, opml = files
    feeds = read_opml(opml)
    assert [f.url for f in feeds] == [
        "https://lab.example/feed", "https://sky.example/atom.xml", "https://world.example/rss"
    ]  # fmt: skip
    assert feeds[0].name == "Lab Notes" and feeds[0].tags == ("science",)


def test_import_adds_new_feeds_and_keeps_comments(files) -> None:
    config, opml = files
    result = run_cli("feeds", "-c", str(config), "import", str(opml))
    assert result.exit_code == 0, result.output
    assert "2 feeds added, 1 already listed" in result.output
    text = config.read_text()
    assert text.startswith(CONFIG)  # everything that was there, comments included, unchanged
    assert "# trailing comment" in text and "# World desk" in text
    loaded = load_config(config)
    assert [f.url for f in loaded.feeds][-2:] == [
        "https://lab.example/feed", "https://sky.example/atom.xml"
    ]  # fmt: skip
    assert loaded.feeds[1].tags == ("science",)
    again = run_cli("feeds", "-c", str(config), "import", str(opml))
    assert "0 feeds added, 3 already listed" in again.output
    assert config.read_text() == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<opml><head/></opml>", "not an OPML file"),
        ("<opml><body><outline", "not valid XML"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "DOCTYPE"),
    ],
)
def test_bad_opml_is_refused_naming_the_file(files, content: str, message: str) -> None:
    config, opml = files
    opml.write_text(content)
    with pytest.raises(OpmlError, match=message):
        import_opml(opml, config)
    result = run_cli("feeds", "-c", str(config), "import", str(opml))
    assert result.exit_code == 2 and "subs.opml" in result.output
    assert config.read_text() == CONFIG
