"""Every built page is valid HTML (html5lib, strict) and every internal link leads somewhere: to a
file in site/, and for `#fragment` links to an element with that id."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import html5lib
import pytest
from html5lib.html5parser import ParseError

from aibot.render.site import build_site
from tests.helpers.html import broken_links, pages, read_links
from tests.helpers.pages import demo_site, ferry_post, small_config

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)

EVIL_BODY = """## Council <script>alert(1)</script> heading

Before the vote <script>alert(1)</script> the hall was full. [[1]](#source-1)

<img src="https://tracker.test/p.gif" onerror=alert(1)> ![A photo](https://cdn.test/p.jpg)

| ward | votes |
|------|-------|
| North | 7 |

Read more: [click](javascript:alert(1)) or <a href="javascript:alert(1)">here</a>.

<p onclick="alert(1)">Clicked</p> <div><p>Unclosed

## Sources

1. <span id="source-1"></span>Harbour Gazette: [Ferry](https://g.test/ferry)
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_site(tmp_path_factory) / "site"


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site with what the demo lacks: hostile Markdown, a renamed post (a redirect
    page), tags without Latin letters, several pages of stories and several months."""
    base = tmp_path_factory.mktemp("varied")
    ferry_post(base, "council-vote", "Council <b>vote</b> </script>", body=EVIL_BODY, tags=["東京"])
    ferry_post(
        base,
        "ferry-fares-rise-in-april",
        date=datetime(2026, 2, 10, 9, 0, tzinfo=UTC),
        updated=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        aliases=["ferry-fares"],
        generator={"slug": "old-ferry-slug"},
    )
    for day in range(1, 5):
        ferry_post(base, f"story-{day}", f"Story {day}", date=datetime(2026, 1, day, tzinfo=UTC))
    config = small_config(
        base,
        site={"posts_per_page": 2},
        feeds=[{"url": "https://gazette.test/rss?a=1&b=2", "name": "Harbour & Gazette"}],
    )
    report = build_site(config, now=NOW)
    assert report.ok, report.problems
    return base / "site"


# Valid HTML


def parse_errors(path: Path) -> list[str]:
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(path.read_text(encoding="utf-8"))
    except ParseError as exc:
        return [f"{path.name}: {exc}"]
    return []


def test_strict_parser_rejects_invalid_html(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><html><head><title>x</title></head><body><p></div></body>")
    assert parse_errors(page)
    page.write_text("<p>no doctype</p>")
    assert parse_errors(page)


def test_every_demo_page_is_valid_html(demo: Path) -> None:
    assert [e for page in pages(demo) for e in parse_errors(page)] == []


def test_every_page_of_a_varied_site_is_valid_html(varied: Path) -> None:
    assert (varied / "posts" / "old-ferry-slug.html").is_file()  # the redirect page is checked
    assert (varied / "page" / "3.html").is_file()
    assert [e for page in pages(varied) for e in parse_errors(page)] == []


# Links


def test_link_checker_notices_missing_files_and_fragments(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="a/b.html#here">ok</a><a href="a/b.html#gone">x</a><a href="#top">x</a>'
        '<img src="missing.png" alt=""><a href="https://other.test/">out</a>'
        '<a href="/a/b.html">root</a><a href="../outside.html">x</a>'
    )
    (tmp_path.parent / "outside.html").touch()
    (tmp_path / "a" / "b.html").write_text('<p id="here">b</p><a href="../index.html">back</a>')
    assert broken_links(tmp_path) == [
        "index.html -> a/b.html#gone (no id 'gone')",
        "index.html -> #top (no id 'top')",
        "index.html -> missing.png",
        "index.html -> ../outside.html",
    ]


def test_every_internal_link_of_the_demo_resolves(demo: Path) -> None:
    assert broken_links(demo) == []
    assert sum(len(read_links(p).links) for p in pages(demo)) > 500  # the checker saw the links


def test_every_internal_link_of_a_varied_site_resolves(varied: Path) -> None:
    assert broken_links(varied) == []
