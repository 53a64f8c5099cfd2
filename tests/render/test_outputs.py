"""write_outputs: Atom, RSS and JSON feeds, sitemaps and robots.txt, checked as readers see them."""

from __future__ import annotations

import html
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import pytest

from aibot.config import Config, config_from_mapping, load_config
from aibot.models import Post
from aibot.posts.files import load_posts
from aibot.render import outputs
from aibot.render.context import PageLink
from aibot.render.outputs import entry_id, news_language, write_outputs
from aibot.render.pages import tag_slug
from tests.conftest import DEMO, run_cli

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "https://news.example/"
HOSTILE = '<script>alert(1)</script> & "quotes"'
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
BODY = (
    "## What happened\n\nThe council approved the plan on Monday. [[1]](#source-1)\n\n"
    "See [the topic](../tags/world.html) and ![a map](map.png).\n\n"
    '## Sources\n\n1. <span id="source-1"></span>Herald: [Plan approved](https://herald.example/a)\n'
)


def make_config(tmp: Path, **site: Any) -> Config:
    raw = {"site": {"title": "Harbour News", "base_url": BASE, **site}, "author": {"name": "Quill"}}
    return config_from_mapping(raw, base_dir=tmp)


def make_post(slug: str, date: datetime, **meta: Any) -> Post:
    body = meta.pop("body", BODY)
    data = {
        "title": f"Title of {slug}",
        "slug": slug,
        "date": date,
        "summary": f"Summary of {slug}.",
        "tags": ["world"],
        "generator": {"writer": "extractive", "slug": slug},
        **meta,
    }
    return Post(meta=data, body=body)


def make_links(posts: list[Post]) -> tuple[list[PageLink], dict[str, tuple[str, list[PageLink]]]]:
    """PageLinks and tags the way the renderer makes them, newest first."""
    posts = sorted(posts, key=lambda p: (p.date, p.slug), reverse=True)
    links = [PageLink(p, f"posts/{p.slug}.html") for p in posts]
    tags: dict[str, tuple[str, list[PageLink]]] = {}
    for link in links:
        for tag in link.post.tags:
            key = tag_slug(tag)
            tags.setdefault(key, (tag, []))[1].append(link)
            link.tags.append((tag, f"tags/{key}.html"))
    return links, tags


def write(tmp: Path, posts: list[Post], now: datetime = NOW, **options: Any) -> Path:
    out = tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    links, tags = make_links(posts)
    config = options.pop("config", None) or make_config(tmp)
    count = write_outputs(out, links, tags, config, now, **options)
    assert count == sum(1 for p in out.rglob("*") if p.is_file())
    return out


def parse(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, (path, feed.get("bozo_exception"))
    return feed


def feed_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.xml") if "sitemap" not in p.name)


# The demo site


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo run once; its posts written out by write_outputs."""
    folder = tmp_path_factory.mktemp("outputs-demo")
    shutil.copy(DEMO / "aibot.yaml", folder / "aibot.yaml")
    shutil.copytree(DEMO / "sample", folder / "sample")
    assert run_cli("run", "-c", str(folder / "aibot.yaml")).exit_code == 0
    config = load_config(folder / "aibot.yaml")
    posts, errors = load_posts(config.posts_dir)
    assert posts and not errors
    links, tags = make_links(posts)
    now = max(p.date for p in posts) + timedelta(hours=1)
    out = folder / "outputs"
    count = write_outputs(out, links, tags, config, now)
    return {"out": out, "links": links, "tags": tags, "config": config, "now": now, "count": count}


def test_demo_writes_every_output_and_counts_them(demo: dict[str, Any]) -> None:
    out, tags = demo["out"], demo["tags"]
    expected = {"atom.xml", "rss.xml", "feed.json", "sitemap.xml", "news-sitemap.xml", "robots.txt"}
    for key in tags:
        expected |= {f"tags/{key}.atom.xml", f"tags/{key}.rss.xml"}
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert demo["count"] == len(expected)


def test_demo_feeds_parse_with_every_post(demo: dict[str, Any]) -> None:
    out, links, base = demo["out"], demo["links"], demo["config"].site.base_url
    feeds = {"atom.xml": links, "rss.xml": links}
    for key, (_name, members) in demo["tags"].items():
        feeds[f"tags/{key}.atom.xml"] = feeds[f"tags/{key}.rss.xml"] = members
    for name, members in feeds.items():
        feed = parse(out / name)
        assert feed.version == ("atom10" if "atom" in name else "rss20"), name
        assert [e.id for e in feed.entries] == [entry_id(lk.post, base) for lk in members]
        assert [e.link for e in feed.entries] == [base + lk.href for lk in members]
        assert [e.title for e in feed.entries] == [lk.post.title for lk in members]
        for entry, link in zip(feed.entries, members, strict=True):
            updated = link.post.updated or link.post.date
            assert entry.updated_parsed[:6] == updated.utctimetuple()[:6]
            assert entry.content[0].value.startswith("<p>")  # the lede, under no heading
            # RSS descriptions are HTML: feedparser gives the summary back as HTML text.
            assert html.unescape(entry.summary) == link.meta["summary"]
            assert entry.summary == link.meta["summary"] or "rss" in name


def test_demo_feed_content_links_are_absolute(demo: dict[str, Any]) -> None:
    link = demo["links"][0]
    entry = parse(demo["out"] / "atom.xml").entries[0]
    url = demo["config"].site.base_url + link.href
    assert 'href="#' not in entry.content[0].value
    assert f'href="{url}#source-1"' in entry.content[0].value
    rss = parse(demo["out"] / "rss.xml").entries[0]
    assert f'href="{url}#source-1"' in rss.content[0].value


def test_demo_sitemap_and_news_sitemap(demo: dict[str, Any]) -> None:
    out, links, base = demo["out"], demo["links"], demo["config"].site.base_url
    locs = [u.findtext(f"{SM}loc") for u in ET.parse(out / "sitemap.xml").getroot()]
    assert set(locs) >= {base + lk.href for lk in links} | {base + "index.html"}
    assert {base + f"tags/{key}.html" for key in demo["tags"]} <= set(locs)
    recent = {base + lk.href for lk in links if lk.post.date >= demo["now"] - timedelta(hours=48)}
    news = [u.findtext(f"{SM}loc") for u in ET.parse(out / "news-sitemap.xml").getroot()]
    assert 0 < len(news) < len(links)  # the sample spans more than two days
    assert set(news) == recent


# Escaping


def test_hostile_title_and_tag_are_escaped_in_every_output(tmp_path: Path) -> None:
    post = make_post(
        "hostile",
        NOW - timedelta(hours=1),
        title=HOSTILE + "\x0b",  # a control character XML forbids
        summary=HOSTILE,
        tags=[HOSTILE],
        body="Text <script>alert(2)</script> & more.\n",
    )
    out = write(tmp_path, [post])
    for path in out.rglob("*"):
        if path.is_file():
            assert b"<script" not in path.read_bytes(), path
    key = tag_slug(HOSTILE)
    for name in ("atom.xml", "rss.xml", f"tags/{key}.atom.xml", f"tags/{key}.rss.xml"):
        feed = parse(out / name)
        assert feed.entries[0].title == HOSTILE, name
        assert feed.entries[0].tags[0].term == HOSTILE, name
    assert parse(out / f"tags/{key}.atom.xml").feed.title == f"Harbour News: {HOSTILE}"
    assert parse(out / "atom.xml").entries[0].summary == HOSTILE
    assert html.unescape(parse(out / "rss.xml").entries[0].summary) == HOSTILE
    item = json.loads((out / "feed.json").read_text())["items"][0]
    assert (item["title"], item["summary"], item["tags"]) == (HOSTILE, HOSTILE, [HOSTILE])
    news = ET.parse(out / "news-sitemap.xml").getroot()
    assert news.find(f"{SM}url/{NEWS}news/{NEWS}title").text == HOSTILE


def test_relative_links_in_content_become_absolute(tmp_path: Path) -> None:
    out = write(tmp_path, [make_post("plan", NOW)])
    url = BASE + "posts/plan.html"
    for name in ("atom.xml", "rss.xml"):
        content = parse(out / name).entries[0].content[0].value
        assert f'href="{url}#source-1"' in content
        assert f'href="{BASE}tags/world.html"' in content
        assert f'src="{BASE}posts/map.png"' in content
        assert 'href="https://herald.example/a"' in content
    item = json.loads((out / "feed.json").read_text())["items"][0]
    assert f'href="{url}#source-1"' in item["content_html"]


# JSON Feed


def test_json_feed_has_the_required_fields_of_version_1_1(tmp_path: Path) -> None:
    posts = [make_post(f"post-{n}", NOW - timedelta(hours=n), image="https://img.example/a.jpg")
             for n in range(3)]  # fmt: skip
    posts[1].meta["updated"] = NOW
    feed = json.loads((write(tmp_path, posts) / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Harbour News"
    assert feed["feed_url"] == BASE + "feed.json"
    assert [i["id"] for i in feed["items"]] == [entry_id(p, BASE) for p in posts]
    for item, post in zip(feed["items"], posts, strict=True):
        assert isinstance(item["id"], str) and item["id"]
        assert item["content_html"].startswith("<h2>")
        assert item["url"] == f"{BASE}posts/{post.slug}.html"
        assert item["image"] == "https://img.example/a.jpg"
        published = datetime.fromisoformat(item["date_published"])
        assert published == post.date
        assert datetime.fromisoformat(item["date_modified"]) == (post.updated or post.date)
    assert feed["items"][1]["date_modified"] == "2026-11-20T12:00:00Z"


def test_summary_only_feeds_carry_no_content(tmp_path: Path) -> None:
    posts = [make_post("one", NOW), make_post("two", NOW - timedelta(hours=1), summary="")]
    out = write(tmp_path, posts, full_content=False)
    for name in ("atom.xml", "rss.xml"):
        entries = parse(out / name).entries
        assert all("content" not in e for e in entries), name
        assert entries[0].summary == "Summary of one."
        assert entries[1].summary.startswith("What happened The council approved")
    items = json.loads((out / "feed.json").read_text())["items"]
    assert all("content_html" not in i for i in items)
    assert items[0]["content_text"] == "Summary of one."
    assert "<script" not in (out / "atom.xml").read_text()


def test_every_feed_holds_the_latest_fifty(tmp_path: Path) -> None:
    posts = [make_post(f"post-{n}", NOW - timedelta(hours=n)) for n in range(60)]
    out = write(tmp_path, posts)
    newest = [f"{BASE}posts/post-{n}.html" for n in range(50)]
    for name in ("atom.xml", "rss.xml", "tags/world.atom.xml", "tags/world.rss.xml"):
        assert [e.link for e in parse(out / name).entries] == newest, name
    assert len(json.loads((out / "feed.json").read_text())["items"]) == 50


# Ids


def test_entry_id_is_a_tag_uri_of_host_first_day_and_first_slug() -> None:
    post = make_post("renamed", datetime(2026, 11, 19, 23, 30, tzinfo=UTC))
    post.meta["generator"]["slug"] = "first"
    assert entry_id(post, BASE) == "tag:news.example,2026-11-19:/posts/first"
    assert entry_id(post, "https://user.github.io/site/") == (
        "tag:user.github.io,2026-11-19:/site/posts/first"
    )
    post.meta.pop("generator")
    assert entry_id(post, BASE) == "tag:news.example,2026-11-19:/posts/renamed"


def test_ids_stay_when_a_post_is_updated_or_renamed(tmp_path: Path) -> None:
    date = NOW - timedelta(hours=5)
    before = write(tmp_path / "a", [make_post("story", date), make_post("other", date)])
    updated = make_post("story", date, updated=NOW, body=BODY + "\nNew facts.\n")
    renamed = make_post("other-renamed", date, generator={"slug": "other"})
    after = write(tmp_path / "b", [updated, renamed])
    for name in ("atom.xml", "rss.xml"):
        old = {e.title: e for e in parse(before / name).entries}
        new = {e.title: e for e in parse(after / name).entries}
        story, other = old["Title of story"], old["Title of other"]
        assert new["Title of story"].id == story.id
        assert new["Title of story"].updated != story.updated
        assert new["Title of story"].updated_parsed[:5] == NOW.utctimetuple()[:5]
        assert new["Title of other-renamed"].id == other.id
        assert new["Title of other-renamed"].link == BASE + "posts/other-renamed.html"
    old_json = json.loads((before / "feed.json").read_text())["items"]
    new_json = json.loads((after / "feed.json").read_text())["items"]
    assert sorted(i["id"] for i in old_json) == sorted(i["id"] for i in new_json)


def test_nothing_changed_gives_identical_files(tmp_path: Path) -> None:
    posts = [make_post(f"post-{n}", NOW - timedelta(hours=20 * n)) for n in range(5)]
    first = write(tmp_path / "a", posts, now=NOW)
    second = write(tmp_path / "b", posts, now=NOW + timedelta(minutes=30))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


# Sitemaps and robots.txt


def test_sitemap_lists_home_posts_tags_and_pages_with_lastmod(tmp_path: Path) -> None:
    posts = [
        make_post("a", NOW - timedelta(days=3), tags=["world", "Économie"]),
        make_post("b", NOW - timedelta(days=2), updated=NOW - timedelta(days=1)),
    ]
    out = write(tmp_path, posts, pages={"about.html": None, "archive/2026/11.html": NOW})
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root}
    assert lastmod == {
        BASE + "index.html": "2026-11-19T12:00:00Z",
        BASE + "posts/b.html": "2026-11-19T12:00:00Z",
        BASE + "posts/a.html": "2026-11-17T12:00:00Z",
        BASE + "tags/index.html": "2026-11-19T12:00:00Z",
        BASE + "tags/world.html": "2026-11-19T12:00:00Z",
        BASE + "tags/economie.html": "2026-11-17T12:00:00Z",
        BASE + "about.html": None,
        BASE + "archive/2026/11.html": "2026-11-20T12:00:00Z",
    }


def test_a_sitemap_above_the_limit_becomes_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "SITEMAP_LIMIT", 3)
    posts = [make_post(f"post-{n}", NOW - timedelta(hours=n)) for n in range(5)]
    out = write(tmp_path, posts)
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == f"{SM}sitemapindex"
    parts = [s.findtext(f"{SM}loc") for s in index]
    assert parts == [f"{BASE}sitemap-{n}.xml" for n in (1, 2, 3)]
    locs = []
    for n in (1, 2, 3):
        part = ET.parse(out / f"sitemap-{n}.xml").getroot()
        assert part.tag == f"{SM}urlset" and len(part) <= 3
        locs += [u.findtext(f"{SM}loc") for u in part]
    assert len(locs) == len(set(locs)) == 1 + 5 + 1 + 1  # home, posts, tag list, one tag


def test_news_sitemap_holds_only_the_last_48_hours(tmp_path: Path) -> None:
    posts = [
        make_post("fresh", NOW - timedelta(hours=1)),
        make_post("yesterday", NOW - timedelta(hours=47)),
        make_post("old", NOW - timedelta(hours=49)),
        make_post("scheduled", NOW + timedelta(hours=1)),
    ]
    config = make_config(tmp_path, language="en-GB", title="Harbour & Co")
    root = ET.parse(write(tmp_path, posts, config=config) / "news-sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    urls = list(root)
    assert [u.findtext(f"{SM}loc") for u in urls] == [
        BASE + "posts/fresh.html",
        BASE + "posts/yesterday.html",
    ]
    news = urls[0].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Harbour & Co"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}publication_date") == "2026-11-20T11:00:00Z"
    assert news.findtext(f"{NEWS}title") == "Title of fresh"


def test_news_language_codes() -> None:
    assert news_language("en-GB") == "en"
    assert news_language("pt_BR") == "pt"
    assert news_language("zh-Hant-TW") == "zh-tw"
    assert news_language("zh") == "zh-cn"


def test_robots_txt_allows_all_and_names_both_sitemaps(tmp_path: Path) -> None:
    lines = (write(tmp_path, [make_post("a", NOW)]) / "robots.txt").read_text().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    assert "Disallow: /" not in lines
    assert [ln for ln in lines if ln.startswith("Sitemap:")] == [
        f"Sitemap: {BASE}sitemap.xml",
        f"Sitemap: {BASE}news-sitemap.xml",
    ]


def test_write_hook_receives_every_file_instead_of_the_folder(tmp_path: Path) -> None:
    links, tags = make_links([make_post("a", NOW), make_post("b", NOW, tags=["tech"])])
    received: dict[str, str] = {}
    count = write_outputs(
        tmp_path / "out", links, tags, make_config(tmp_path), NOW, write=received.__setitem__
    )
    assert not (tmp_path / "out").exists()
    assert count == len(received) == 6 + 2 * 2
    assert "tags/tech.rss.xml" in received and received["robots.txt"].startswith("User-agent")


def test_an_empty_site_still_writes_valid_feeds(tmp_path: Path) -> None:
    out = write(tmp_path, [])
    for path in feed_files(out):
        assert parse(path).entries == []
    assert json.loads((out / "feed.json").read_text())["items"] == []
    assert len(ET.parse(out / "sitemap.xml").getroot()) == 2  # home, tag list


def _xml_char(code: int) -> bool:
    """XML 1.0's Char production, as the specification writes it."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def test_clean_drops_exactly_the_characters_xml_does_not_allow() -> None:
    codes = range(0x110000)
    text = "".join(map(chr, codes))
    kept = outputs._clean(text)
    assert kept == "".join(chr(c) for c in codes if _xml_char(c))


def test_rss_dates_are_what_the_email_package_writes() -> None:
    from email.utils import format_datetime

    moment = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    for _ in range(800):  # every weekday and month, over a few years, at odd times
        moment += timedelta(days=1, hours=7, minutes=13, seconds=29)
        assert outputs._rfc822(moment) == format_datetime(moment, usegmt=True)
    naive_paris = datetime(2026, 7, 14, 23, 30)  # naive: taken as UTC
    assert outputs._rfc822(naive_paris) == "Tue, 14 Jul 2026 23:30:00 GMT"


def test_feed_dates_are_rfc_3339_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert outputs._iso(datetime(2026, 3, 1, 0, 30, 5, 999, tzinfo=paris)) == "2026-02-28T23:30:05Z"
    assert outputs._iso(datetime(2026, 7, 4, 9, 8, 7)) == "2026-07-04T09:08:07Z"  # naive: UTC
    assert outputs._iso(datetime(987, 6, 5, 4, 3, 2, tzinfo=UTC)) == "0987-06-05T04:03:02Z"
