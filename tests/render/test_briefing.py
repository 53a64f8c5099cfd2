"""The daily briefing (render.briefing): a page and an email per day in the site's time zone,
stories ranked by independent outlets then recency, feeds of days, built incrementally."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import html5lib
import pytest

from aibot.render.briefing import outlet_count
from aibot.render.site import build_site
from tests.helpers.site import add_post, make_config

BASE = "https://harbour.example.org/"
HOSTILE_TITLE = '</a><script>alert("t")</script> Ferry & "fares"'
HOSTILE_SUMMARY = "<img src=x onerror=alert(1)> Fares rise & the <b>council</b> votes."


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def outlets(*names: str) -> list[dict[str, str]]:
    return [
        {"outlet": name, "title": f"Report by {name}", "url": f"https://{n}.test/report"}
        for n, name in enumerate(names)
    ]


# Noon in Auckland (UTC+13 in March) is 23:00 UTC the day before: the same posts fall on
# other days there. The draft has the most outlets and must never appear.
POSTS: list[tuple[str, datetime, dict[str, Any]]] = [
    ("quay-repairs-approved", at(10, 10), {"sources": outlets("Gazette", "Courier", "Post")}),
    (
        "bus-lane-trial-ends",
        at(10, 8),
        {"sources": outlets("Gazette", "Courier"), "updated": at(10, 22)},
    ),  # fmt: skip
    ("library-opens-late", at(10, 20), {"sources": outlets("Gazette", "Courier")}),
    ("pier-fish-market-moves", at(9, 14), {"sources": outlets("Gazette")}),
    ("tide-gauge-replaced", at(11, 1), {"sources": outlets("Gazette", "Post")}),
    (
        "unchecked-draft",
        at(10, 12),
        {"sources": outlets("A", "B", "C", "D", "E"), "draft": True},
    ),  # fmt: skip
]


def write_posts(base: Path, posts: list[tuple[str, datetime, dict[str, Any]]] = POSTS) -> None:
    for slug, when, meta in posts:
        title = slug.replace("-", " ").capitalize()
        add_post(base, slug, title, when, f"## News\n\n{title}.\n", **meta)


NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def build(base: Path, **site: Any) -> Path:
    report = build_site(make_config(base, **site), now=NOW)
    assert report.ok, report.problems
    return base / "site"


def parse(path: Path) -> Any:
    return html5lib.parse(
        path.read_text(encoding="utf-8"), treebuilder="etree", namespaceHTMLElements=False
    )


def text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def listed(page: Path) -> list[tuple[str, str, str]]:
    """(headline, link, credit) of each story a briefing page lists, in order."""
    root = parse(page)
    (ol,) = [e for e in root.iter("ol") if "briefing-list" in (e.get("class") or "")]
    found = []
    for li in ol.findall("li"):
        link = li.find("a")
        credit = next(e for e in li.iter("span") if e.get("class") == "credit")
        found.append((text(link), link.get("href"), text(credit).split(" · ")[0]))
    return found


def slugs(page: Path) -> list[str]:
    return [href.rsplit("/", 1)[1].removesuffix(".html") for _t, href, _c in listed(page)]


def days(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "briefing").glob("????-??-??.html"))


class Attributes(HTMLParser):
    """Every start tag with its attributes, as an HTML parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(path: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = Attributes()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.tags


# Which stories, on which day, in which order


def test_a_days_stories_are_ranked_by_outlets_then_by_their_latest_report(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    assert days(site) == ["2026-03-09.html", "2026-03-10.html", "2026-03-11.html"]
    # Three outlets first; of the two with two outlets, the bus lane's update (22:00) is
    # newer than the library's first report (20:00); the draft (five outlets) is left out.
    assert listed(site / "briefing" / "2026-03-10.html") == [
        ("Quay repairs approved", "../posts/quay-repairs-approved.html", "3 outlets"),
        ("Bus lane trial ends", "../posts/bus-lane-trial-ends.html", "2 outlets"),
        ("Library opens late", "../posts/library-opens-late.html", "2 outlets"),
    ]
    assert slugs(site / "briefing" / "2026-03-09.html") == ["pier-fish-market-moves"]
    assert listed(site / "briefing" / "2026-03-09.html")[0][2] == "1 outlet"
    assert slugs(site / "briefing" / "2026-03-11.html") == ["tide-gauge-replaced"]
    assert "unchecked-draft" not in "".join(
        p.read_text(encoding="utf-8") for p in (site / "briefing").iterdir()
    )


def test_the_same_posts_fall_on_the_days_of_the_sites_time_zone(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path, timezone="Pacific/Auckland")
    # 9 March 14:00 UTC is 10 March 03:00 in Auckland: no story is left on the 9th.
    assert days(site) == ["2026-03-10.html", "2026-03-11.html"]
    assert slugs(site / "briefing" / "2026-03-10.html") == [
        "quay-repairs-approved",
        "bus-lane-trial-ends",
        "pier-fish-market-moves",
    ]
    # Two outlets each: the tide gauge (11 March 01:00 UTC) is newer than the library.
    assert slugs(site / "briefing" / "2026-03-11.html") == [
        "tide-gauge-replaced",
        "library-opens-late",
    ]
    assert not (site / "briefing" / "2026-03-09.email.html").exists()
    heading = text(parse(site / "briefing" / "2026-03-11.html").find(".//h1"))
    assert heading == "Briefing for Wednesday 11 March 2026"


def test_the_index_shows_the_latest_day_and_links_the_earlier_ones(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    index = site / "briefing" / "index.html"
    assert slugs(index) == ["tide-gauge-replaced"]
    root = parse(index)
    (earlier,) = [e for e in root.iter("section") if e.get("aria-labelledby") == "earlier"]
    assert [(a.get("href"), text(a)) for a in earlier.iter("a")] == [
        ("../briefing/2026-03-10.html", "Tuesday 10 March 2026"),
        ("../briefing/2026-03-09.html", "Monday 9 March 2026"),
    ]
    pager = root.find(".//nav[@aria-label='Days']")
    assert pager is None
    middle = parse(site / "briefing" / "2026-03-10.html").find(".//nav[@aria-label='Days']")
    assert [a.get("href") for a in middle.iter("a")] == [
        "../briefing/2026-03-11.html",
        "../briefing/2026-03-09.html",
    ]


def test_outlets_are_counted_by_name_else_by_registered_domain() -> None:
    assert outlet_count([]) == 0
    assert outlet_count(None) == 0
    # Two feeds of one outlet carry its name (case and spacing aside): one outlet.
    same = [{"outlet": "Harbour Gazette"}, {"outlet": " harbour  GAZETTE "}, {"outlet": "Post"}]
    assert outlet_count(same) == 2
    # No name: the registered domain tells outlets apart (news. and www. are one).
    unnamed = [
        {"url": "https://news.hill-courier.co.uk/a"},
        {"url": "https://www.hill-courier.co.uk/b"},
        {"url": "https://harbour-post.example.com/c"},
        {"url": "not a url"},
        {"url": "http://[not-a-host"},  # urlsplit raises ValueError
        "not a source",
    ]
    assert outlet_count(unnamed) == 2
    # A syndicated copy carried the same text: it adds no outlet.
    assert outlet_count([{"outlet": "Wire", "also": ["Gazette", "Post"]}]) == 1


def test_no_day_without_a_story_and_a_day_whose_last_post_goes_loses_its_page(
    tmp_path: Path,
) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    assert "2026-03-09.html" in days(site)
    (tmp_path / "content" / "posts" / "2026" / "pier-fish-market-moves.md").unlink()
    site = build(tmp_path)
    assert days(site) == ["2026-03-10.html", "2026-03-11.html"]
    assert not (site / "briefing" / "2026-03-09.email.html").exists()
    feed = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    assert [e.link for e in feed.entries] == [
        BASE + "briefing/2026-03-11.html",
        BASE + "briefing/2026-03-10.html",
    ]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "briefing/2026-03-10.html" in sitemap and "2026-03-09" not in sitemap


def test_a_site_with_no_story_has_an_empty_briefing_and_empty_feeds(tmp_path: Path) -> None:
    site = build(tmp_path)
    assert days(site) == []
    main = parse(site / "briefing" / "index.html").find(".//main")
    assert text(main) == "Daily briefing No stories yet."
    feed = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    assert feed.bozo == 0 and feed.version == "atom10" and feed.entries == []
    assert json.loads((site / "briefing" / "feed.json").read_text())["items"] == []


# Navigation and head links


def test_every_page_links_to_the_briefing_in_its_navigation(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    checked = 0
    for page in site.rglob("*.html"):
        root = parse(page)
        if root.find(".//main") is None:
            continue  # a redirect, or an email (which has no site navigation)
        nav = root.find(".//header/nav")
        links = [a for a in nav.iter("a") if text(a) == "Briefing"]
        assert len(links) == 1, page
        href = links[0].get("href")
        target = site / href.lstrip("/") if href.startswith("/") else page.parent / href
        assert target.resolve() == (site / "briefing" / "index.html").resolve(), page
        checked += 1
    assert checked > 10


def test_briefing_pages_link_their_feeds_from_the_head(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    for name in ("index.html", "2026-03-10.html"):
        head = parse(site / "briefing" / name).find("head")
        alternates = {
            e.get("type"): e.get("href") for e in head.iter("link") if e.get("rel") == "alternate"
        }
        assert alternates["application/atom+xml"] == "../briefing/atom.xml"
        assert alternates["application/feed+json"] == "../briefing/feed.json"
        assert (site / "briefing" / "atom.xml").is_file()


# Feeds


def test_the_atom_feed_has_one_entry_per_day_and_parses_cleanly(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    feed = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Harbour Daily: daily briefing"
    assert [e.id for e in feed.entries] == [
        "tag:harbour.example.org,2026-03-11:/briefing/2026-03-11",
        "tag:harbour.example.org,2026-03-10:/briefing/2026-03-10",
        "tag:harbour.example.org,2026-03-09:/briefing/2026-03-09",
    ]
    ten = feed.entries[1]
    assert ten.title == "Briefing for Tuesday 10 March 2026"
    assert ten.updated == "2026-03-10T22:00:00Z"  # the bus lane's update
    assert ten.published == "2026-03-10T08:00:00Z"
    content = ten.content[0].value
    assert content.index("Quay repairs approved") < content.index("Library opens late")
    assert f'href="{BASE}posts/quay-repairs-approved.html"' in content


def test_the_json_feed_has_the_fields_json_feed_1_1_requires(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    feed = json.loads((site / "briefing" / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == BASE + "briefing/feed.json"
    assert feed["home_page_url"] == BASE + "briefing/index.html"
    assert isinstance(feed["items"], list) and len(feed["items"]) == 3
    atom = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    for item, entry in zip(feed["items"], atom.entries, strict=True):
        assert isinstance(item["id"], str) and item["id"] == entry.id
        assert isinstance(item["content_html"], str) and item["content_html"].startswith("<ol>")
        assert item["url"] == entry.link
        for key in ("date_published", "date_modified"):  # RFC 3339
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item[key]), item[key]
        assert item["date_modified"] == entry.updated


def test_a_later_story_keeps_the_days_id_and_moves_its_updated_time(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    before = {
        e.id: e.updated
        for e in feedparser.parse((site / "briefing" / "atom.xml").read_bytes()).entries
    }
    four = outlets("Gazette", "Courier", "Post", "Wire")
    add_post(tmp_path, "ferry-strike-called-off", "Ferry strike called off", at(10, 23),
             "## News\n\nCalled off.\n", sources=four)  # fmt: skip
    site = build(tmp_path)
    after = {
        e.id: e.updated
        for e in feedparser.parse((site / "briefing" / "atom.xml").read_bytes()).entries
    }
    assert after.keys() == before.keys()
    ten = "tag:harbour.example.org,2026-03-10:/briefing/2026-03-10"
    assert after[ten] == "2026-03-10T23:00:00Z" != before[ten]
    assert {k: v for k, v in after.items() if k != ten} == {
        k: v for k, v in before.items() if k != ten
    }
    # The page updates in place: four outlets, so first.
    assert slugs(site / "briefing" / "2026-03-10.html")[0] == "ferry-strike-called-off"


# The email


def test_the_email_has_no_script_no_stylesheet_and_only_absolute_links(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path, base_url="https://harbour.example.org/news/")
    email = site / "briefing" / "2026-03-10.email.html"
    tags = tags_of(email)
    names = [tag for tag, _attrs in tags]
    assert "script" not in names and "style" not in names
    assert not [a for tag, a in tags if tag == "link"]  # no stylesheet, nothing to load
    urls = [a[key] for _tag, a in tags for key in ("href", "src", "action") if key in a]
    assert len(urls) >= 8
    for url in urls:
        assert url and url.startswith("https://harbour.example.org/news/"), url
    assert "https://harbour.example.org/news/posts/quay-repairs-approved.html" in urls
    assert "https://harbour.example.org/news/briefing/2026-03-10.html" in urls
    # Inline CSS only: every element styled by its own attribute.
    assert sum(1 for _tag, a in tags if a.get("style")) > 10
    assert not [a for _tag, a in tags if "class" in a]


def test_the_email_lists_the_days_stories_in_order(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    root = parse(site / "briefing" / "2026-03-10.email.html")
    headlines = [text(h) for h in root.iter("h2")]
    assert headlines == ["Quay repairs approved", "Bus lane trial ends", "Library opens late"]


def test_titles_and_summaries_are_escaped_in_pages_email_and_feeds(tmp_path: Path) -> None:
    add_post(tmp_path, "hostile", HOSTILE_TITLE, at(10, 9), "## News\n\nText.\n",
             summary=HOSTILE_SUMMARY)  # fmt: skip
    site = build(tmp_path)
    for name in ("2026-03-10.html", "2026-03-10.email.html", "index.html"):
        path = site / "briefing" / name
        raw = path.read_text(encoding="utf-8")
        assert "<script" not in raw and "<img" not in raw and "<b>" not in raw, name
        root = parse(path)
        shown = text(root.find(".//body"))
        assert HOSTILE_TITLE in shown and HOSTILE_SUMMARY in shown, name
    atom = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    assert atom.bozo == 0
    content = atom.entries[0].content[0].value
    assert "<script" not in content and "<img" not in content
    assert "&lt;script&gt;" in content and "&lt;img src=x" in content
    raw = (site / "briefing" / "feed.json").read_text(encoding="utf-8")
    assert "<" not in raw and ">" not in raw  # written as \\u003c and \\u003e


def test_a_sites_own_template_replaces_the_email(tmp_path: Path) -> None:
    write_posts(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "briefing-email.html").write_text(
        "<p>{{ site.title }}: {% for item in day.items %}{{ item.link.post.title }};"
        " {% endfor %}</p>"
    )
    site = build(tmp_path)
    assert (site / "briefing" / "2026-03-11.email.html").read_text() == (
        "<p>Harbour Daily: Tide gauge replaced; </p>"
    )
    assert "Tide gauge replaced" in (site / "briefing" / "2026-03-11.html").read_text()


# Incremental builds


def inode(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_only_the_days_whose_posts_changed_are_rendered_again(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    folder = site / "briefing"
    files = ["2026-03-09.html", "2026-03-09.email.html", "2026-03-10.html",
             "2026-03-10.email.html", "2026-03-11.html", "index.html", "atom.xml",
             "feed.json"]  # fmt: skip
    before = {name: inode(folder / name) for name in files}
    add_post(tmp_path, "ferry-strike-called-off", "Ferry strike called off", at(10, 23),
             "## News\n\nCalled off.\n", sources=outlets("Gazette"))  # fmt: skip
    site = build(tmp_path)
    after = {name: inode(folder / name) for name in files}
    changed = sorted(name for name in files if after[name] != before[name])
    # The 10th, the feeds and the index (which counts the 10th's stories) are made again; the
    # 9th and the 11th are hard links to the last build's files.
    assert changed == [
        "2026-03-10.email.html", "2026-03-10.html", "atom.xml", "feed.json", "index.html",
    ]  # fmt: skip
    assert slugs(folder / "2026-03-10.html")[-1] == "ferry-strike-called-off"


def test_a_new_day_renders_the_day_before_again_but_not_its_email(tmp_path: Path) -> None:
    write_posts(tmp_path)
    site = build(tmp_path)
    folder = site / "briefing"
    files = ["2026-03-10.html", "2026-03-11.html", "2026-03-11.email.html", "index.html"]
    before = {name: inode(folder / name) for name in files}
    add_post(tmp_path, "ferry-returns", "Ferry returns", at(12, 9), "## News\n\nBack.\n")
    site = build(tmp_path)
    changed = sorted(name for name in files if inode(folder / name) != before[name])
    # The 11th's page now links to the 12th; its email shows no other day.
    assert changed == ["2026-03-11.html", "index.html"]
    assert slugs(folder / "index.html") == ["ferry-returns"]


def test_an_incremental_briefing_is_what_a_cold_build_makes(tmp_path: Path) -> None:
    write_posts(tmp_path / "warm")
    build(tmp_path / "warm")
    for base in (tmp_path / "warm", tmp_path / "cold"):
        write_posts(base, [("ferry-strike-called-off", at(11, 3), {"sources": outlets("Post")})])
        if base.name == "cold":
            write_posts(base)
        (base / "content" / "posts" / "2026" / "library-opens-late.md").unlink(missing_ok=True)
    warm, cold = build(tmp_path / "warm"), build(tmp_path / "cold")
    names = sorted(p.name for p in (cold / "briefing").iterdir())
    assert names == sorted(p.name for p in (warm / "briefing").iterdir())
    for name in names:
        assert (warm / "briefing" / name).read_bytes() == (cold / "briefing" / name).read_bytes()


@pytest.mark.parametrize("url", ["https://harbour.example.org/", "https://h.example.org/news"])
def test_feed_links_are_built_from_the_base_url(tmp_path: Path, url: str) -> None:
    write_posts(tmp_path)
    site = build(tmp_path, base_url=url)
    feed = feedparser.parse((site / "briefing" / "atom.xml").read_bytes())
    root = url.rstrip("/") + "/"
    assert {urlsplit(e.link).netloc for e in feed.entries} == {urlsplit(url).netloc}
    assert all(e.link.startswith(root + "briefing/") for e in feed.entries)
