"""What changed, end to end: the demo served on 127.0.0.1, run with the extractive writer; a
second run brings a new report of one story, and the post, its page and the feeds say what that
update added, with links to the source's address (an edited post is left as it is). Then in
Chromium: a reader clicks the update's links and lands on the added source, served on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element

import feedparser
import html5lib
import pytest

from aibot.models import Article, Draft, Paragraph, Review, Section, Story
from aibot.posts.files import draft_to_post, load_posts, post_path, save_post
from aibot.posts.frontmatter import load_post
from aibot.render.site import build_site
from tests.conftest import feeds_over_http, run_cli
from tests.helpers.browser import serving
from tests.helpers.e2e import add_feed
from tests.helpers.pages import NOW, small_config

with contextlib.suppress(ImportError):  # reported by the `browser` fixture
    from playwright.sync_api import expect

EXTRA_FEED = "extra/feeds/harbour-herald-update.xml"
EXTRA_PAGE = "extra/pages/harbour-herald/two-more-nations-join-ocean-accord-calder-bay-bid.html"
OUTLET = "Follow-up desk"


def _parse(path: Path) -> Element:
    return html5lib.parse(
        path.read_text(encoding="utf-8"), treebuilder="etree", namespaceHTMLElements=False
    )


def _text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _with_class(root: Element, cls: str, tag: str = "*") -> list[Element]:
    return [e for e in root.iter(tag) if cls in (e.get("class") or "").split()]


def _fetched(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
        return response.read()


def _feeds(site: Path) -> tuple[feedparser.FeedParserDict, feedparser.FeedParserDict]:
    """The Atom and RSS feeds, parsed by feedparser (its 6.0 does not read JSON Feed)."""
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    rss = feedparser.parse((site / "rss.xml").read_bytes())
    assert atom.bozo == 0 and rss.bozo == 0, (atom.get("bozo_exception"), rss.get("bozo_exception"))
    assert (atom.version, rss.version) == ("atom10", "rss20")
    return atom, rss


def _entry(feed: feedparser.FeedParserDict, slug: str) -> feedparser.FeedParserDict:
    (entry,) = [e for e in feed.entries if e.link.endswith(f"/posts/{slug}.html")]
    return entry


def _json_item(site: Path, slug: str) -> dict:
    feed = json.loads((site / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    (item,) = [i for i in feed["items"] if i["url"].endswith(f"/posts/{slug}.html")]
    return item


@pytest.fixture
def served_demo(demo_dir: Path, file_server) -> tuple[Path, str]:
    """The demo run once over loopback HTTP: (its config file, the base URL of its sample)."""
    base = file_server(demo_dir / "sample")
    config = feeds_over_http(demo_dir, base, True)
    first = run_cli("run", "-c", str(config))
    assert first.exit_code == 0, first.output
    return config, base


def _story_post(demo: Path) -> Path:
    """The post of the story the extra report belongs to (one of its sources is the Herald's
    first report of the accord)."""
    posts, errors = load_posts(demo / "content" / "posts")
    assert not errors
    (post,) = [p for p in posts if any("ocean-accord" in u for u in p.source_urls)]
    assert post.path is not None
    return post.path


def test_an_update_says_what_it_added_on_the_page_in_the_list_and_in_the_feeds(
    served_demo: tuple[Path, str],
) -> None:
    config, base = served_demo
    demo = config.parent
    path = _story_post(demo)
    slug = path.stem
    atom_before, rss_before = _feeds(demo / "site")
    json_before = _json_item(demo / "site", slug)
    add_feed(demo, base + EXTRA_FEED, OUTLET)
    second = run_cli("run", "-c", str(config))
    assert second.exit_code == 0, second.output
    assert "1 updated" in second.output

    post = load_post(path)
    (added,) = [s for s in post.meta["sources"] if s["outlet"] == OUTLET]
    # The source's own address, as the served page declares it (the demo's outlets are made up).
    served = _fetched(base + EXTRA_PAGE).decode()
    assert f'<link rel="canonical" href="{added["url"]}">' in served
    assert post.meta["updates"] == [
        {
            "at": f"{post.updated:%Y-%m-%dT%H:%M:%SZ}",
            "added": [{"outlet": OUTLET, "url": added["url"]}],
        }
    ]
    utc = f"{post.updated:%-d %B %Y, %H:%M} UTC"  # the demo's time zone is UTC

    page = _parse(demo / "site" / "posts" / f"{slug}.html")
    (byline,) = _with_class(page, "byline", "div")
    (line,) = _with_class(byline, "update", "p")
    assert _text(line) == f"Updated {utc}: added {OUTLET}."
    assert [a.get("href") for a in line.iter("a")] == [added["url"]]
    cited = [a.get("href") for a in page.iter("a") if _text(a) == added["title"]]
    assert cited == [added["url"]]  # the Sources list links the same address

    (body,) = _with_class(page, "body", "div")
    heading = next(h for h in body.iter("h2") if _text(h) == "Updates")
    listed = list(body)[list(body).index(heading) + 1]
    (item,) = listed.iter("li")
    assert _text(item) == f"{utc}: added {OUTLET}."
    assert [a.get("href") for a in item.iter("a")] == [added["url"]]

    atom, rss = _feeds(demo / "site")
    for before, after in ((atom_before, atom), (rss_before, rss)):
        old, new = _entry(before, slug), _entry(after, slug)
        assert new.id == old.id
        assert new.updated_parsed[:6] == post.updated.utctimetuple()[:6]
        assert new.updated_parsed > old.updated_parsed
        assert new.summary.endswith(f" Updated {utc}: added {OUTLET}.")
        assert f'<a href="{added["url"]}">{OUTLET}</a>' in new.content[0].value
    item = _json_item(demo / "site", slug)
    assert item["id"] == json_before["id"] == _entry(atom, slug).id
    assert (
        item["date_modified"]
        == f"{post.updated:%Y-%m-%dT%H:%M:%SZ}"
        != json_before["date_modified"]
    )
    assert item["summary"].endswith(f" Updated {utc}: added {OUTLET}.")
    update_line = f'<strong>Updated {utc}:</strong> added <a href="{added["url"]}">{OUTLET}</a>.'
    assert item["content_html"].startswith(f'<p class="update">{update_line}</p>')


def test_an_edited_post_is_not_touched_when_its_story_gains_a_source(
    served_demo: tuple[Path, str],
) -> None:
    config, base = served_demo
    demo = config.parent
    path = _story_post(demo)
    edited = path.read_text().replace("\n## Sources", "\nEDITOR'S NOTE: checked.\n\n## Sources")
    path.write_text(edited)
    add_feed(demo, base + EXTRA_FEED, OUTLET)
    second = run_cli("run", "-c", str(config))
    assert second.exit_code == 0, second.output
    assert f"post {path.stem} is edited, not updated" in second.output
    assert path.read_text() == edited
    page = _parse(demo / "site" / "posts" / f"{path.stem}.html")
    assert "EDITOR'S NOTE: checked." in _text(page) and not _with_class(page, "update")


# In Chromium: the update's links lead to the source


def test_a_reader_follows_the_update_links_to_the_added_source(
    tmp_path: Path, open_context
) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "pier.html").write_text(
        "<!doctype html><html lang='en'><head><title>Pier Post: ferry fares</title></head>"
        "<body><h1>Ferry fares rise again</h1><p>Fares rose a second time.</p></body></html>"
    )
    with serving(tmp_path) as served:
        when = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        text = "Fares on the island ferry rise by a fifth in April."
        first = [
            Article(served.url(f"sources/{name}.html"), outlet, "Ferry fares rise", text, when)
            for name, outlet in (("gazette", "Harbour Gazette"), ("courier", "Hill Courier"))
        ]
        later = when + timedelta(days=1)
        added = Article(
            served.url("sources/pier.html"), "Pier Post", "Fares rise again", text, later
        )
        story = Story("s1", [a.id for a in first], "Ferry", when, when)
        post = None
        for articles in (first, [*first, added]):  # written, then updated with the Pier Post
            draft = Draft("Ferry fares rise", "Fares rise.",
                          [Section("", [Paragraph(text, [articles[0].id])])])  # fmt: skip
            post = draft_to_post(draft, story, articles, Review("passed"), author="Quill",
                                 previous=post, now=later)  # fmt: skip
        save_post(post, post_path(tmp_path / "content" / "posts", post))
        report = build_site(small_config(tmp_path), now=NOW)
        assert report.ok, report.problems

        context, watch = open_context()
        page = context.new_page()
        post_url = served.url(f"site/posts/{post.slug}.html")
        for link in (".byline .update a", ".body ul li a"):  # the Updates list: a ul
            assert page.goto(post_url).status == 200
            source = page.locator(link)
            expect(source).to_have_text("Pier Post")
            with page.expect_navigation() as navigation:
                source.click()
            assert navigation.value.status == 200
            assert page.url == served.url("sources/pier.html")
            expect(page).to_have_title("Pier Post: ferry fares")
        assert watch.outside() == [] and watch.errors == []
