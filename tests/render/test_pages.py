"""The site's pages as a reader and a search engine see them: post layout, front page, archive,
About, Sources, search placeholder, head metadata, safety of titles, themes, design rules.

Most tests read the demo built once (`aibot run` on examples/demo); the rest build a few
hand-written posts with build_site, which takes a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import html5lib
import pytest

from aibot.config import Config, load_config
from aibot.models import Post
from aibot.posts.files import load_posts
from aibot.render.context import corroboration
from aibot.render.site import build_site
from aibot.render.templates import json_ld, local_image
from aibot.store import Store
from tests.conftest import REPO
from tests.helpers.pages import NOW, TWO_SOURCES, demo_site, ferry_post, small_config

STYLE = REPO / "aibot" / "theme" / "static" / "style.css"
HOSTILE = "</script><script>alert(1)</script>"


# The demo, built once per test session (test_html.py uses it too)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_site(tmp_path_factory)


@pytest.fixture(scope="module")
def site(demo: Path) -> Path:
    return demo / "site"


@pytest.fixture(scope="module")
def posts(demo: Path) -> list[Post]:
    found, errors = load_posts(demo / "content" / "posts")
    assert not errors and found
    return sorted(found, key=lambda p: p.date, reverse=True)


def build_into(config: Config, output: Path, now: datetime) -> Path:
    """Build `config`'s content into another folder (the shared demo site stays as it is)."""
    config = dataclasses.replace(config, paths=dataclasses.replace(config.paths, output=output))
    report = build_site(config, now=now)
    assert report.ok, report.problems
    return output


# Reading pages


def parse(path: Path) -> Element:
    return html5lib.parse(
        path.read_text(encoding="utf-8"), treebuilder="etree", namespaceHTMLElements=False
    )


def classes(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def find_class(root: Element, cls: str, tag: str = "*") -> list[Element]:
    return [e for e in root.iter(tag) if cls in classes(e)]


def text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def meta(root: Element, key: str) -> str | None:
    for element in root.iter("meta"):
        if key in (element.get("property"), element.get("name")):
            return element.get("content")
    return None


def ld_json(root: Element) -> list[Any]:
    return [
        json.loads(s.text or "")
        for s in root.iter("script")
        if s.get("type") == "application/ld+json"
    ]


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# A few hand-written posts, built in a blink


def build_small(base: Path, **sections: Any) -> Path:
    report = build_site(small_config(base, **sections), now=NOW)
    assert report.ok, report.problems
    return base / "site"


# Every kind of page


def test_the_build_writes_every_kind_of_page(site: Path, posts: list[Post]) -> None:
    months = {f"archive/{p.date:%Y/%m}.html" for p in posts}
    expected = {
        "index.html", "page/2.html", "tags/index.html", "tags/world.html", "archive/index.html",
        "about.html", "sources.html", "search.html", "404.html", "static/style.css",
        "static/favicon.svg", *months, *(f"posts/{p.slug}.html" for p in posts),
    }  # fmt: skip
    missing = sorted(page for page in expected if not (site / page).is_file())
    assert missing == []


# The post page


def test_post_page_has_headline_byline_author_card_and_dates(site: Path, posts: list[Post]) -> None:
    config = load_config(site.parent / "aibot.yaml")
    sectioned = 0
    for post in posts:
        root = parse(site / "posts" / f"{post.slug}.html")
        article = root.find(".//main/article")
        assert article is not None and "post" in classes(article)
        assert text(article.find(".//h1")) == post.title
        byline = find_class(article, "byline")[0]
        assert text(find_class(byline, "by")[0]) == f"Written by {config.author.name}"
        assert find_class(byline, "by")[0].find("a").get("href") == "../about.html"
        assert config.author.bio in text(byline)
        published = [t.get("datetime") for t in byline.iter("time")]
        assert published[0] == f"{post.date:%Y-%m-%dT%H:%M:%SZ}"
        assert config.author.disclaimer in text(find_class(article, "disclaimer")[0])
        assert config.author.bio in text(find_class(article, "author-box")[0])
        body = find_class(article, "body")[0]
        headings = [text(h) for h in body.iter("h2")]
        assert headings[-1] == "Sources"
        assert next(iter(body)).tag == "p"  # the lede opens the body, under no heading
        sectioned += len(headings) >= 2
    assert sectioned >= len(posts) / 2  # most posts have sections with headings


def test_updated_time_is_shown_only_when_the_post_was_updated(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise", updated=datetime(2026, 3, 11, 15, 30, tzinfo=UTC))
    ferry_post(tmp_path, "bakery-prize", "Bakery wins prize", date=datetime(2026, 3, 9, tzinfo=UTC))
    site = build_small(tmp_path)
    updated = parse(site / "posts" / "ferry-fares-rise.html")
    times = [t.get("datetime") for t in find_class(updated, "byline")[0].iter("time")]
    assert times == ["2026-03-10T09:00:00Z", "2026-03-11T15:30:00Z"]
    assert "Updated 11 March 2026, 15:30 UTC" in text(find_class(updated, "byline")[0])
    plain = parse(site / "posts" / "bakery-prize.html")
    assert "Updated" not in text(find_class(plain, "byline")[0])


def test_corroboration_line_counts_distinct_outlets(site: Path, posts: list[Post]) -> None:
    for post in posts:
        outlets = list(dict.fromkeys(s["outlet"] for s in post.meta["sources"]))
        line = text(find_class(parse(site / "posts" / f"{post.slug}.html"), "credit", "p")[0])
        assert line.startswith(f"Based on {len(outlets)} reports from ")
        assert all(outlet in line for outlet in outlets)
    home = parse(site / "index.html")
    assert text(find_class(home, "credit")[0]).startswith("Based on ")


def test_corroboration_wording() -> None:
    def src(outlet: str, **more: Any) -> dict[str, Any]:
        return {"outlet": outlet, "url": f"https://{outlet.lower()}.test/", **more}

    four = [src("Reuters"), src("AP"), src("BBC"), src("DW")]
    assert corroboration(four) == "Based on 4 reports from Reuters, AP, BBC and DW"
    assert corroboration([src("Reuters")]) == "Single-source report (Reuters)"
    # a wire story carried by others is still one source
    assert corroboration([src("AP", also=["Metro Bulletin", "The Post"])]) == (
        "Single-source report (AP, also carried by Metro Bulletin and The Post)"
    )
    assert corroboration([src("Reuters"), src("reuters"), src("AP")]) == (
        "Based on 3 reports from 2 outlets: Reuters and AP"
    )
    assert corroboration([src("Reuters"), src("AP", also=["DW"])]) == (
        "Based on 2 reports from Reuters and AP (also carried by DW)"
    )
    assert corroboration([]) == "No sources listed"
    assert corroboration("not a list") == "No sources listed"


def test_single_source_post_says_so(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise", sources=TWO_SOURCES[:1])
    page = parse(build_small(tmp_path) / "posts" / "ferry-fares-rise.html")
    assert text(find_class(page, "credit", "p")[0]) == "Single-source report (Harbour Gazette)"


def test_every_paragraph_cites_sources_that_exist_on_the_page(site: Path, posts: list) -> None:
    for post in posts:
        root = parse(site / "posts" / f"{post.slug}.html")
        body = find_class(root, "body")[0]
        ids = {e.get("id") for e in root.iter() if e.get("id")}
        quoted = {id(p) for details in body.iter("details") for p in details.iter("p")}
        paragraphs = [p for p in body.iter("p") if id(p) not in quoted]  # not the evidence
        assert paragraphs
        for paragraph in paragraphs:
            cites = [s for s in paragraph.iter("sup") if "cite" in classes(s)]
            assert cites, f"{post.slug}: paragraph without a citation: {text(paragraph)[:60]}"
            for cite in cites:
                link = cite.find("a")
                number = link.get("aria-label").removeprefix("Source ")
                assert f"source-{number}" in ids
                assert text(link) == f"[{number}]"
                # To the source itself (at its supporting sentence), or to the Sources list.
                url = post.meta["sources"][int(number) - 1]["url"]
                assert link.get("href") in (f"#source-{number}", url) or link.get(
                    "href"
                ).startswith(f"{url}#:~:text="), link.get("href")
        sources = [li for li in body.iter("li") if li.find("span") is not None]
        urls = [a.get("href") for li in sources for a in li.iter("a")]
        assert sorted(urls) == sorted(s["url"] for s in post.meta["sources"])


def test_related_cards_show_picture_date_and_reason(site: Path, posts: list[Post]) -> None:
    for post in posts:
        root = parse(site / "posts" / f"{post.slug}.html")
        section = find_class(root, "related", "section")[0]
        assert text(section.find("h2")) == "Related Post"
        cards = find_class(section, "card", "article")
        assert len(cards) == 3
        for card in cards:
            href = card.find(".//h3/a").get("href")
            assert (site / "posts" / href).resolve().is_file()
            assert card.find(".//time").get("datetime")
            assert text(find_class(card, "reason")[0])
            picture = find_class(card, "thumb")[0]
            # the demo's images are on the outlets' hosts: a drawn placeholder instead
            assert picture.tag == "div" and picture.get("aria-hidden") == "true"


def test_images_from_other_hosts_are_never_loaded(site: Path, posts: list[Post]) -> None:
    assert any(p.meta.get("image") for p in posts)  # the demo does have images
    for page in html_pages(site):
        for img in parse(page).iter("img"):
            assert not urlsplit(img.get("src") or "").netloc, f"{page}: {img.get('src')}"


def test_an_image_of_the_sites_own_is_shown_with_alt_text(tmp_path: Path) -> None:
    (tmp_path / "templates" / "static" / "img").mkdir(parents=True)
    (tmp_path / "templates" / "static" / "img" / "ferry.png").write_bytes(b"\x89PNG\r\n")
    ferry_post(tmp_path, "ferry-fares-rise", image="static/img/ferry.png", image_alt="The ferry")
    ferry_post(
        tmp_path,
        "ferry-timetable",
        "Ferry timetable cut",
        date=datetime(2026, 3, 12, tzinfo=UTC),
        image="https://harbour.example.org/static/img/ferry.png",
    )
    site = build_small(tmp_path)
    page = parse(site / "posts" / "ferry-fares-rise.html")
    image = page.find(".//figure/img")
    assert image.get("src") == "../static/img/ferry.png"
    assert image.get("alt") == "The ferry"
    assert meta(page, "og:image") == "https://harbour.example.org/static/img/ferry.png"
    other = parse(site / "posts" / "ferry-timetable.html")  # own URL, written absolute
    assert other.find(".//figure/img").get("src") == "../static/img/ferry.png"
    assert (site / "static" / "img" / "ferry.png").is_file()


def test_images_in_a_post_body_load_only_from_the_site(tmp_path: Path) -> None:
    body = (
        "## Pictures\n\n![The quay](https://cdn.outlet.test/quay.jpg) and "
        '<img src="//tracker.test/pixel.gif" alt=""> and ![Own map](../static/map.png)\n'
    )
    ferry_post(tmp_path, "pictures", body=body)
    page = parse(build_small(tmp_path) / "posts" / "pictures.html")
    body_element = find_class(page, "body")[0]
    assert [img.get("src") for img in body_element.iter("img")] == ["../static/map.png"]
    assert "[The quay]" in text(body_element)  # the alt text stays, as text


def test_local_image_keeps_only_paths_inside_the_site() -> None:
    base = "https://harbour.example.org/"
    assert local_image("static/a.jpg", base) == "static/a.jpg"
    assert local_image("/static/a.jpg", base) == "static/a.jpg"
    assert local_image("https://harbour.example.org/static/a.jpg", base) == "static/a.jpg"
    for outside in [
        "https://cdn.outlet.test/a.jpg", "//cdn.outlet.test/a.jpg", "javascript:alert(1)",
        "data:image/png;base64,AAAA", "../secret.jpg", "static/../../x.jpg", "", None,
    ]:  # fmt: skip
        assert local_image(outside, base) == "", outside


# Front page, archive, About, Sources, search, 404


def test_home_page_has_a_lead_story_then_cards_and_pages(site: Path, posts: list[Post]) -> None:
    root = parse(site / "index.html")
    lead = find_class(root, "lead", "article")
    assert len(lead) == 1
    assert lead[0].find(".//h2/a").get("href") == f"posts/{posts[0].slug}.html"
    cards = find_class(root, "card", "article")
    per_page = load_config(site.parent / "aibot.yaml").site.posts_per_page
    assert len(cards) == per_page - 1
    assert [c.find(".//h3/a").get("href") for c in cards] == [
        f"posts/{p.slug}.html" for p in posts[1:per_page]
    ]
    pager = root.find(".//nav[@aria-label='Pages']")
    assert pager.find("a[@rel='next']").get("href") == "page/2.html"
    assert not find_class(parse(site / "page" / "2.html"), "lead")


def test_archive_lists_every_month_and_every_post(site: Path, posts: list[Post]) -> None:
    archive = parse(site / "archive" / "index.html")
    months = {f"{p.date:%Y/%m}" for p in posts}
    links = {a.get("href") for a in archive.find(".//main").iter("a")}
    for month in months:
        assert f"../archive/{month}.html" in links
    counts = " ".join(text(c) for c in find_class(archive, "count"))
    assert f"{len(posts)} stories" in counts  # the demo's posts are all from one month
    listed = []
    for month in months:
        page = parse(site / "archive" / f"{month}.html")
        assert text(page.find(".//h1")) == datetime.strptime(month, "%Y/%m").strftime("%B %Y")
        listed += [a.get("href") for a in page.iter("a") if "/posts/" in (a.get("href") or "")]
    assert sorted(listed) == sorted(f"../../posts/{p.slug}.html" for p in posts)


def test_archive_months_follow_the_site_time_zone(tmp_path: Path) -> None:
    # 23:30 UTC on 28 February is already 1 March in Tokyo
    ferry_post(tmp_path, "late-night", date=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    ferry_post(tmp_path, "next-day", date=datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    site = build_small(tmp_path, site={"timezone": "Asia/Tokyo"})
    assert (site / "archive" / "2026" / "03.html").is_file()
    assert (site / "archive" / "2026" / "02.html").is_file() is False
    march = parse(site / "archive" / "2026" / "03.html")
    assert len(find_class(march, "archive-list", "ol")[0].findall("li")) == 2


def test_about_page_explains_choice_writing_verification_and_disclaimer(site: Path) -> None:
    config = load_config(site.parent / "aibot.yaml")
    about = text(parse(site / "about.html").find(".//main"))
    assert f"at least {config.cluster.min_sources} independent outlets" in about
    assert "Copies of one wire report that several outlets carry count as one" in about
    assert "Every paragraph ends with numbered citations" in about
    for checked in ("number", "amount", "date", "quotation", "name"):
        assert checked in about
    assert "held back for a human editor" in about
    assert f"{len(config.feeds)} outlets" in about
    assert config.author.disclaimer in about


def test_about_page_follows_the_configuration(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise")
    site = build_small(
        tmp_path,
        cluster={"min_sources": 3},
        feeds=[
            {"url": "https://wire.test/rss", "name": "Harbour Wire", "trusted_single_source": True},
            {"url": "https://gazette.test/rss", "name": "Harbour Gazette"},
        ],
    )
    about = text(parse(site / "about.html").find(".//main"))
    assert "at least 3 independent outlets" in about
    assert "trusts on its own: Harbour Wire" in about
    assert "2 outlets" in about
    assert "Claude" in about and "rewritten once and checked again" in about  # backend auto
    site = build_small(tmp_path, cluster={"min_sources": 1}, writer={"backend": "extractive"})
    about = text(parse(site / "about.html").find(".//main"))
    assert "as soon as one outlet reports it" in about and "trusts on its own" not in about
    assert "Claude" not in about and "rewritten once" not in about
    assert "held back for a human editor" in about


def test_sources_page_lists_feeds_with_health_after_a_run(demo: Path, site: Path) -> None:
    config = load_config(demo / "aibot.yaml")
    root = parse(site / "sources.html")
    rows = root.findall(".//table/tbody/tr")
    assert [text(r.find("th").find("span")) for r in rows] == [f.name for f in config.feeds]
    headers = [text(h) for h in root.findall(".//table/thead/tr/th")]
    assert headers[-3:] == ["Last fetched", "Articles this week", "Status"]
    for row in rows:
        cells = row.findall("td")
        assert cells[-3].find("time") is not None  # a last success, fetched by the run
        assert text(cells[-1]) == "● working" or "working" in text(cells[-1])
    assert "local file harbour-herald.xml" in text(rows[0])
    assert "file:" not in (site / "sources.html").read_text()  # no path of the build machine


def test_articles_this_week_are_counted_from_the_build_time(demo: Path, tmp_path: Path) -> None:
    config = load_config(demo / "aibot.yaml")
    with Store(config.cache_file) as store:
        rows = store.db.execute("SELECT feed_url, COUNT(*) FROM articles GROUP BY feed_url")
        totals = dict(rows.fetchall())
    assert sum(totals.values()) > 20

    def counts(now: datetime) -> list[int]:
        out = build_into(config, tmp_path / now.strftime("%Y%m%d"), now)
        rows = parse(out / "sources.html").findall(".//table/tbody/tr")
        return [int(text(r.findall("td")[-2])) for r in rows]

    # the sample is dated 20-24 November 2026
    assert counts(datetime(2026, 11, 26, tzinfo=UTC)) == [totals[f.url] for f in config.feeds]
    later = counts(datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert 0 < sum(later) < sum(totals.values())
    assert counts(datetime(2027, 1, 1, tzinfo=UTC)) == [0] * len(config.feeds)


def test_sources_page_without_a_cache_lists_the_feeds_only(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise")
    feeds = [
        {"url": "https://gazette.test/rss.xml", "name": "Harbour Gazette", "tags": ["local"]},
        {"url": "https://courier.test/feed", "name": "Hill Courier"},
    ]
    site = build_small(tmp_path, feeds=feeds)
    assert not (tmp_path / ".aibot" / "aibot.sqlite").exists()  # the build made no cache
    root = parse(site / "sources.html")
    rows = root.findall(".//table/tbody/tr")
    assert [text(r.find("th").find("span")) for r in rows] == ["Harbour Gazette", "Hill Courier"]
    assert rows[0].find(".//a").get("href") == "https://gazette.test/rss.xml"
    assert text(rows[0].findall("td")[0]) == "local"
    assert text(rows[0].findall("td")[1]) == "1 story"  # cited by the one post
    headers = [text(h) for h in root.findall(".//table/thead/tr/th")]
    assert "Last fetched" not in headers and "Articles this week" not in headers
    assert "Feed health" in text(find_class(root, "note")[0])


def test_search_form_on_every_page_and_a_search_page_that_works_without_js(site: Path) -> None:
    for page in html_pages(site):
        root = parse(page)
        if root.find(".//main") is None:  # a redirect of a renamed post
            continue
        form = root.find(".//header//form[@role='search']")
        assert form is not None, page
        action = form.get("action")  # 404.html: from the root path of base_url ("/")
        target = site / action.lstrip("/") if action.startswith("/") else page.parent / action
        assert target.resolve() == (site / "search.html").resolve(), page
        assert form.find(".//input[@name='q']") is not None
    search = parse(site / "search.html")
    assert "needs JavaScript" in text(search.find(".//main"))
    assert search.find(".//*[@id='search-status']") is not None
    hrefs = {a.get("href") for a in search.find(".//main").iter("a")}
    assert "archive/index.html" in hrefs


def test_404_links_start_at_the_sites_root_path(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise")
    site = build_small(tmp_path, site={"base_url": "https://harbour.example.org/news/"})
    root = parse(site / "404.html")
    stylesheet = [e.get("href") for e in root.iter("link") if e.get("rel") == "stylesheet"]
    assert stylesheet == ["/news/static/style.css"]  # works at /news/any/depth/missing.html
    home = [a.get("href") for a in root.iter("a") if text(a) == "latest stories"]
    assert home == ["/news/index.html"]


# Head metadata


def test_every_page_has_canonical_open_graph_and_twitter_tags(site: Path) -> None:
    base = load_config(site.parent / "aibot.yaml").site.base_url
    for page in html_pages(site):
        root = parse(page)
        if root.find(".//main") is None:
            continue
        href = str(page.relative_to(site))
        canonical = [e.get("href") for e in root.iter("link") if e.get("rel") == "canonical"]
        assert canonical == [base + href]
        assert meta(root, "og:url") == base + href
        assert (
            meta(root, "og:title") and meta(root, "og:description") and meta(root, "og:site_name")
        )
        assert meta(root, "twitter:card") in ("summary", "summary_large_image")
        is_post = href.startswith("posts/")
        assert meta(root, "og:type") == ("article" if is_post else "website"), href


def test_post_pages_have_news_article_json_ld(site: Path, posts: list[Post]) -> None:
    config = load_config(site.parent / "aibot.yaml")
    for post in posts:
        root = parse(site / "posts" / f"{post.slug}.html")
        (data,) = ld_json(root)
        assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
        assert data["headline"] == post.title
        assert data["datePublished"] == f"{post.date:%Y-%m-%dT%H:%M:%SZ}"
        assert data["dateModified"] == f"{(post.updated or post.date):%Y-%m-%dT%H:%M:%SZ}"
        assert data["author"] == {
            "@type": "Organization",
            "name": config.author.name,
            "url": config.site.base_url,
        }
        assert data["citation"] == [s["url"] for s in post.meta["sources"]]
        assert data["url"] == config.site.base_url + f"posts/{post.slug}.html"
        if post.meta.get("image"):
            assert data["image"] == [post.meta["image"]]
            assert meta(root, "og:image") == post.meta["image"]
            assert meta(root, "twitter:card") == "summary_large_image"
    (website,) = ld_json(parse(site / "index.html"))
    assert website["@type"] == "WebSite" and website["url"] == config.site.base_url


def test_json_ld_cannot_close_its_script_element() -> None:
    value = {"headline": HOSTILE + " & <!-- \u2028"}
    written = str(json_ld(value))
    assert "<" not in written and ">" not in written and "&" not in written
    assert "\u2028" not in written
    assert json.loads(written) == value


def test_a_hostile_title_and_summary_stay_text_everywhere(tmp_path: Path) -> None:
    summary = "\"><img src=x onerror=alert(2)> ' onmouseover='alert(3)"
    ferry_post(tmp_path, "hostile", HOSTILE, summary=summary, tags=[HOSTILE])
    ferry_post(tmp_path, "calm", "Calm news", date=datetime(2026, 3, 11, tzinfo=UTC))
    site = build_small(tmp_path)
    page = parse(site / "posts" / "hostile.html")
    scripts = list(page.iter("script"))
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    assert json.loads(scripts[0].text)["headline"] == HOSTILE
    assert json.loads(scripts[0].text)["description"] == summary
    assert text(page.find(".//h1")) == HOSTILE
    assert text(page.find(".//title")) == f"{HOSTILE} · Harbour Daily"
    assert meta(page, "og:title") == HOSTILE and meta(page, "description") == summary
    for path in html_pages(site):
        root = parse(path)
        assert all(
            s.get("type") == "application/ld+json"
            or (s.get("src") or "").endswith("static/search.js")  # the site's own search script
            for s in root.iter("script")
        ), path
        assert not [e.tag for e in root.iter("img") if e.get("src") == "x"], path
        for element in root.iter():
            handlers = [name for name in element.attrib if name.lower().startswith("on")]
            assert not handlers, f"{path}: <{element.tag} {handlers}>"


# Themes


def test_one_template_in_the_sites_folder_overrides_the_theme(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_card.html").write_text(
        '<p class="my-card"><a href="{{ root }}{{ link.href }}">{{ link.meta.title }}</a></p>\n'
    )
    ferry_post(tmp_path, "older", "Older news", date=datetime(2026, 3, 1, tzinfo=UTC))
    site = build_small(tmp_path)
    tag = parse(site / "tags" / "transport.html")
    assert len(find_class(tag, "my-card")) == 2 and not find_class(tag, "card")
    post = parse(site / "posts" / "ferry-fares-rise.html")
    assert find_class(post, "byline")  # everything else is the built-in theme
    assert len(find_class(post, "my-card")) == 1


def test_a_sites_base_template_can_extend_the_built_in_one(tmp_path: Path) -> None:
    ferry_post(tmp_path, "ferry-fares-rise")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text(
        '{% extends "theme/base.html" %}\n'
        '{% block scripts %}<script src="{{ root }}static/extra.js"></script>{% endblock %}\n'
    )
    (tmp_path / "templates" / "static").mkdir()
    (tmp_path / "templates" / "static" / "extra.js").write_text("// own script\n")
    site = build_small(tmp_path)
    for page in ("index.html", "posts/ferry-fares-rise.html", "about.html"):
        root = parse(site / page)
        sources = [s.get("src") for s in root.iter("script") if s.get("src")]
        assert sources and sources[0].endswith("static/extra.js"), page
        assert root.find(".//header//form[@role='search']") is not None, page
    assert (site / "static" / "extra.js").is_file() and (site / "static" / "style.css").is_file()


# Design rules: no requests to other hosts, CSP, landmarks, contrast


LOADING = {"link": "href", "script": "src", "img": "src", "iframe": "src", "source": "src",
           "video": "src", "audio": "src", "embed": "src", "object": "data"}  # fmt: skip


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    own = urlsplit(load_config(site.parent / "aibot.yaml").site.base_url).netloc
    checked = 0
    for page in html_pages(site):
        for element in parse(page).iter():
            attribute = LOADING.get(element.tag)
            value = element.get(attribute) if attribute else None
            if value is None:
                continue
            checked += 1
            host = urlsplit(value).netloc
            if element.tag == "link" and element.get("rel") == "canonical":
                assert host == own, f"{page}: {value}"
            else:
                assert not host, f"{page}: <{element.tag}> loads {value}"
    assert checked > 100
    css = STYLE.read_text()
    assert "@import" not in css and not re.search(r"url\(", css)  # no fonts, no images


def test_outside_links_are_only_the_sources(site: Path, posts: list[Post]) -> None:
    """<a> links to other hosts appear only in a post's body (its Sources list) and on the
    Sources page (feed URLs; the demo's are local files, so none)."""
    own = urlsplit(load_config(site.parent / "aibot.yaml").site.base_url).netloc
    for page in html_pages(site):
        root = parse(page)
        bodies = find_class(root, "body")
        inside = {id(a) for body in bodies for a in body.iter("a")}
        for link in root.iter("a"):
            host = urlsplit(link.get("href") or "").netloc
            if host and host != own:
                assert id(link) in inside, f"{page}: {link.get('href')}"


def test_content_security_policy_allows_only_own_scripts_and_no_inline_code(site: Path) -> None:
    for page in html_pages(site):
        root = parse(page)
        if root.find(".//main") is None:
            continue
        policy = [
            e.get("content")
            for e in root.iter("meta")
            if (e.get("http-equiv") or "").lower() == "content-security-policy"
        ]
        assert len(policy) == 1, page
        rules = dict(r.strip().split(" ", 1) for r in policy[0].split(";") if r.strip())
        assert rules["default-src"] == "'self'"
        # own scripts only ('wasm-unsafe-eval' lets them compile WebAssembly, as Pagefind does)
        assert set(rules["script-src"].split()) <= {"'self'", "'wasm-unsafe-eval'"}, page
        assert "'self'" in rules["script-src"].split()
        assert "https:" not in policy[0] and "unsafe-inline" not in policy[0]
        assert root.find(".//style") is None, page
        assert not [e.tag for e in root.iter() if e.get("style") is not None], page
        inline = [s for s in root.iter("script") if not s.get("src")]
        assert all(s.get("type") == "application/ld+json" for s in inline), page


def test_pages_have_landmarks_a_skip_link_one_h1_and_alt_text(site: Path) -> None:
    for page in html_pages(site):
        root = parse(page)
        if root.find(".//main") is None:
            continue
        assert root.get("lang") == "en"
        body = root.find("body")
        assert [c.tag for c in body if c.tag in ("header", "main", "footer")] == [
            "header",
            "main",
            "footer",
        ], page
        assert body.find("header/nav") is not None, page
        skip = body.find("a")
        assert "skip" in classes(skip) and skip.get("href") == "#main"
        assert body.find("main").get("id") == "main"
        assert len(list(root.iter("h1"))) == 1, page
        levels = [int(e.tag[1]) for e in root.iter() if re.fullmatch(r"h[1-6]", str(e.tag))]
        assert levels[0] == 1, page
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), f"{page}: {levels}"
        assert all(img.get("alt") is not None for img in root.iter("img")), page


def _palettes() -> tuple[dict[str, str], dict[str, str]]:
    css = STYLE.read_text()
    light = re.search(r":root\s*\{(.*?)\}", css, re.S)
    dark = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert light and dark

    def colours(block: str) -> dict[str, str]:
        return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", block))

    light_colours = colours(light.group(1))
    return light_colours, {**light_colours, **colours(dark.group(1))}


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


TEXT_PAIRS = [
    ("fg", "bg"), ("muted", "bg"), ("accent", "bg"), ("kicker", "bg"), ("fg", "card"),
    ("muted", "card"), ("accent", "card"), ("kicker", "card"), ("fg", "note"), ("accent", "note"),
    ("on-accent", "accent"), ("fg", "mark"), ("accent", "mark"),
    *((f"hue{n}-fg", f"hue{n}-{end}") for n in range(6) for end in "ab"),
]  # fmt: skip
# Borders of form fields and the focus ring: 3:1 (WCAG 1.4.11, non-text contrast).
UI_PAIRS = [("field", "bg"), ("focus", "bg"), ("focus", "card")]


def test_contrast_of_the_theme_colours_meets_wcag_aa() -> None:
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the formula, checked
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    light, dark = _palettes()
    assert light["bg"] != dark["bg"] and light["fg"] != dark["fg"]
    failing = [
        f"{theme} {a} on {b}: {contrast(colours[a], colours[b]):.2f}"
        for theme, colours in (("light", light), ("dark", dark))
        for pairs, least in ((TEXT_PAIRS, 4.5), (UI_PAIRS, 3.0))
        for a, b in pairs
        if contrast(colours[a], colours[b]) < least
    ]
    assert failing == []


def test_stylesheet_has_focus_styles_dark_theme_and_no_fixed_widths() -> None:
    css = STYLE.read_text()
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", css)
    assert "@media (prefers-color-scheme: dark)" in css
    # nothing wider than a 360 px screen: no width/min-width in px above 360
    widths = [int(w) for w in re.findall(r"(?:^|[;{\s])(?:min-)?width:\s*(\d+)px", css)]
    assert all(w <= 360 for w in widths), widths
    assert "font-face" not in css  # the system's own fonts


def test_a_cache_of_another_version_is_read_by_no_build_and_left_where_it_is(tmp_path) -> None:
    import sqlite3

    from tests.conftest import run_cli

    config = tmp_path / "aibot.yaml"
    config.write_text(
        "site: {title: T}\nfeeds:\n  - {url: 'https://x.example/feed.xml', name: X}\n"
    )
    cache = tmp_path / ".aibot" / "aibot.sqlite"
    cache.parent.mkdir()
    db = sqlite3.connect(cache)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema', '999')")
    db.commit()
    db.close()
    before = cache.read_bytes()
    result = run_cli("build", "-c", str(config))
    assert "built 0 posts" in result.output  # built, with the health left out and reported
    assert "problem: sources page: feed health not shown: cache schema 999" in result.output
    assert cache.read_bytes() == before and not list(cache.parent.glob("*.broken*"))
    assert (tmp_path / "site" / "sources.html").is_file()
