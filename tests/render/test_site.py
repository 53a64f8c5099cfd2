"""build_site: the pages it writes, what it leaves out, safety of the output, atomic swaps."""

from __future__ import annotations

import hashlib
import stat
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from aibot.render.site import build_site
from tests.helpers.html import broken_links
from tests.helpers.site import (
    BIO,
    DISCLAIMER,
    NOW,
    PUBLISHED,
    add_post,
    leftovers,
    make_config,
    write_site,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("built")
    write_site(base)
    report = build_site(make_config(base), now=NOW)
    return base / "site", report


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# What is written


def test_build_writes_every_kind_of_page(built):
    site, report = built
    assert report.ok, report.problems
    for page in [
        "index.html",
        "posts/ferry-fares-rise-in-april.html",
        "posts/bakery-wins-county-prize.html",
        "tags/transport.html",
        "tags/food.html",
        "tags/index.html",
        "atom.xml",
        "sitemap.xml",
        "404.html",
        "static/style.css",
    ]:
        assert (site / page).is_file(), page
    assert report.posts == len(PUBLISHED)
    assert report.problems == []


def test_drafts_and_future_posts_are_not_rendered(built):
    site, _ = built
    assert sorted(p.stem for p in (site / "posts").glob("*.html")) == sorted(PUBLISHED)
    everything = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "Unfinished harbour draft" not in everything
    assert "Lighthouse reopens next month" not in everything


def test_drafts_are_rendered_when_asked(tmp_path):
    write_site(tmp_path)
    report = build_site(make_config(tmp_path), drafts=True, now=NOW)
    assert report.ok
    assert (tmp_path / "site" / "posts" / "unfinished-harbour-draft.html").is_file()
    assert not (tmp_path / "site" / "posts" / "lighthouse-reopens-next-month.html").exists()


def test_future_posts_are_rendered_when_asked(tmp_path):
    write_site(tmp_path)
    report = build_site(make_config(tmp_path), future=True, now=NOW)
    assert report.ok
    assert (tmp_path / "site" / "posts" / "lighthouse-reopens-next-month.html").is_file()
    assert not (tmp_path / "site" / "posts" / "unfinished-harbour-draft.html").exists()


def test_index_lists_newest_post_first(built):
    site, _ = built
    index = (site / "index.html").read_text(encoding="utf-8")
    positions = [index.index(f"posts/{slug}.html") for slug in PUBLISHED]
    assert positions == sorted(positions)


def test_pagination_creates_further_pages(tmp_path):
    write_site(tmp_path)
    report = build_site(make_config(tmp_path, posts_per_page=2), now=NOW)
    assert report.ok
    site = tmp_path / "site"
    first = (site / "index.html").read_text(encoding="utf-8")
    second = (site / "page" / "2.html").read_text(encoding="utf-8")
    assert not (site / "page" / "3.html").exists()
    assert 'href="page/2.html"' in first
    assert 'href="../index.html"' in second
    assert "posts/bakery-wins-county-prize.html" in second
    assert "posts/bakery-wins-county-prize.html" not in first


def test_no_pagination_when_posts_fit_on_one_page(built):
    site, _ = built
    assert not (site / "page").exists()


def test_post_page_has_headline_byline_bio_disclaimer_and_sections(built):
    site, _ = built
    page = (site / "posts" / "ferry-fares-rise-in-april.html").read_text(encoding="utf-8")
    assert "<h1>Ferry fares rise in April</h1>" in page
    assert "Written by" in page
    assert BIO in page
    assert DISCLAIMER in page
    assert "<h2>What changes</h2>" in page
    assert "<h2>The vote</h2>" in page
    assert 'id="source-1"' in page
    assert 'href="https://g.test/ferry"' in page


def test_post_page_shows_related_posts(built):
    site, _ = built
    page = (site / "posts" / "ferry-fares-rise-in-april.html").read_text(encoding="utf-8")
    assert "Related Post" in page
    related = page[page.index("Related Post") :]
    assert "ferry-timetable-cut-for-winter.html" in related
    assert "ferry-fares-rise-in-april.html" not in related


def test_post_page_links_its_tags(built):
    site, _ = built
    page = (site / "posts" / "ferry-fares-rise-in-april.html").read_text(encoding="utf-8")
    assert 'href="../tags/transport.html"' in page
    assert 'href="../tags/council.html"' in page
    tag_page = (site / "tags" / "transport.html").read_text(encoding="utf-8")
    assert "ferry-fares-rise-in-april.html" in tag_page
    assert "ferry-timetable-cut-for-winter.html" in tag_page
    assert "bakery-wins-county-prize.html" not in tag_page


def test_atom_feed_parses_with_one_entry_per_published_post(built):
    site, _ = built
    parsed = feedparser.parse((site / "atom.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert sorted(e.link for e in parsed.entries) == sorted(
        f"https://harbour.example.org/posts/{slug}.html" for slug in PUBLISHED
    )
    titles = {e.title for e in parsed.entries}
    assert "Ferry fares rise in April" in titles


def test_sitemap_is_xml_listing_the_index_posts_and_tags(built):
    site, _ = built
    root = ET.parse(site / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert "https://harbour.example.org/index.html" in locs
    for slug in PUBLISHED:
        assert f"https://harbour.example.org/posts/{slug}.html" in locs
    assert "https://harbour.example.org/tags/food.html" in locs
    assert not any("unfinished" in loc or "lighthouse" in loc for loc in locs)


def test_every_relative_link_resolves_to_a_file_in_the_site(built):
    site, _ = built
    assert broken_links(site) == []


def test_every_relative_link_resolves_on_paginated_sites(tmp_path):
    write_site(tmp_path)
    build_site(make_config(tmp_path, posts_per_page=1), now=NOW)
    site = tmp_path / "site"
    assert (site / "page" / "3.html").is_file()
    assert broken_links(site) == []


def test_tag_named_index_does_not_replace_the_topics_page(tmp_path):
    add_post(
        tmp_path,
        "index-funds-fall",
        "Index funds fall",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "## Markets\n\nFunds fell.\n",
        tags=["Index"],
    )
    assert build_site(make_config(tmp_path), now=NOW).ok
    topics = (tmp_path / "site" / "tags" / "index.html").read_text(encoding="utf-8")
    assert '<h1 class="page-title">Topics</h1>' in topics
    assert broken_links(tmp_path / "site") == []


def test_a_topic_written_twice_in_one_post_lists_it_once(tmp_path):
    add_post(
        tmp_path,
        "paris-metro-extends",
        "Paris metro extends",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "## Metro\n\nThe line grows.\n",
        tags=["Paris", "paris", "Transport"],
    )
    assert build_site(make_config(tmp_path), now=NOW).ok
    site = tmp_path / "site"
    topic = (site / "tags" / "paris.html").read_text(encoding="utf-8")
    assert topic.count('href="../posts/paris-metro-extends.html"') == 1
    post = (site / "posts" / "paris-metro-extends.html").read_text(encoding="utf-8")
    assert post.count('href="../tags/paris.html"') == 1
    assert 'href="../tags/transport.html"' in post


def test_distinct_non_latin_tags_get_distinct_pages(tmp_path):
    add_post(
        tmp_path,
        "tokyo-trains-resume",
        "Tokyo trains resume",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "## Trains\n\nTrains run again.\n",
        tags=["東京"],
    )
    add_post(
        tmp_path,
        "osaka-port-expands",
        "Osaka port expands",
        datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        "## Port\n\nThe port grows.\n",
        tags=["大阪"],
    )
    assert build_site(make_config(tmp_path), now=NOW).ok
    tags = tmp_path / "site" / "tags"
    pages = [p for p in tags.glob("*.html") if p.name != "index.html"]
    assert len(pages) == 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert ("tokyo-trains-resume" in text) != ("osaka-port-expands" in text), page.name


def test_built_site_folder_has_the_usual_permissions(tmp_path):
    # A static host's web server often runs as another user: site/ must be as readable as
    # any folder made with the current umask, not private like a temporary folder.
    write_site(tmp_path)
    assert build_site(make_config(tmp_path), now=NOW).ok
    reference = tmp_path / "reference"
    reference.mkdir()
    mode = stat.S_IMODE((tmp_path / "site").stat().st_mode)
    assert mode == stat.S_IMODE(reference.stat().st_mode), oct(mode)


# Safety of the output

EVIL_BODY = """## Council <script>alert(1)</script> heading

Before the vote <script>alert(1)</script> the hall was full.

<img src=x onerror=alert(1)>

Read more: [click](javascript:alert(1)) or <a href="javascript:alert(1)">here</a>.

<p onclick="alert(1)">Clicked</p>
"""


def test_script_tags_event_handlers_and_javascript_links_never_reach_the_output(tmp_path):
    add_post(
        tmp_path,
        "council-vote",
        "Council <script>alert(1)</script> vote",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        EVIL_BODY,
        tags=["<script>alert(1)</script>"],
        image="javascript:alert(1)",
    )
    add_post(
        tmp_path,
        "calm-news",
        "Calm council news",
        datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        "## Calm\n\nNothing happened at the council.\n",
        tags=["Council"],
    )
    report = build_site(make_config(tmp_path), now=NOW)
    assert report.ok, report.problems
    # pagefind/ holds the search index: compressed binary data read by static/search.js, which
    # inserts titles as text and excerpts as text and <mark> nodes only.
    files = [
        p for p in (tmp_path / "site").rglob("*")
        if p.is_file() and "pagefind" not in p.relative_to(tmp_path / "site").parts
    ]  # fmt: skip
    assert len(files) > 8
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        assert "<script>alert" not in text, path
        assert "onerror=" not in text, path
        assert "onclick=" not in text, path
        assert "javascript:" not in text, path
    page = (tmp_path / "site" / "posts" / "council-vote.html").read_text(encoding="utf-8")
    assert "Council &lt;script&gt;alert(1)&lt;/script&gt; vote" in page
    assert "the hall was full" in page


# Problems and failed builds


def test_broken_post_is_reported_and_the_others_still_render(tmp_path):
    write_site(tmp_path)
    broken = tmp_path / "content" / "posts" / "2026" / "broken-story.md"
    broken.write_text("---\ntitle: Broken\nslug: broken-story\nsummary: a: b\n---\nBody\n")
    report = build_site(make_config(tmp_path), now=NOW)
    assert report.ok
    assert any("broken-story.md" in problem for problem in report.problems)
    assert sorted(p.stem for p in (tmp_path / "site" / "posts").glob("*.html")) == sorted(PUBLISHED)


def test_failed_build_keeps_the_previous_site_byte_identical(tmp_path):
    write_site(tmp_path)
    config = make_config(tmp_path)
    first = build_site(config, now=NOW)
    assert first.ok
    before = snapshot(tmp_path / "site")
    assert "index.html" in before

    add_post(
        tmp_path,
        "new-story-after-first-build",
        "New story after first build",
        datetime(2026, 3, 15, 9, 0, tzinfo=UTC),
        "## New\n\nSomething new.\n",
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "post.html").write_text("<p>{{ undefined_name }}</p>\n")
    second = build_site(config, now=NOW)

    assert second.ok is False
    assert any("undefined_name" in p for p in second.problems)
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path) == []


def test_successful_rebuild_replaces_the_site_and_leaves_no_build_folders(tmp_path):
    write_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    (tmp_path / "site" / "stale.html").write_text("old page")
    assert build_site(config, now=NOW).ok
    assert not (tmp_path / "site" / "stale.html").exists()
    assert (tmp_path / "site" / "index.html").is_file()
    assert leftovers(tmp_path) == []


def test_site_templates_override_the_theme(tmp_path):
    write_site(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text("<p>Lost at sea</p>\n")
    report = build_site(make_config(tmp_path), now=NOW)
    assert report.ok
    assert (tmp_path / "site" / "404.html").read_text(encoding="utf-8").strip() == (
        "<p>Lost at sea</p>"
    )


def test_empty_site_still_builds_an_index(tmp_path):
    report = build_site(make_config(tmp_path), now=NOW)
    assert report.ok
    assert report.posts == 0
    assert "No stories yet" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert feedparser.parse((tmp_path / "site" / "atom.xml").read_bytes()).entries == []
