"""The built demo site as a reader sees it: Debian's Chromium, driven by Playwright, over a
loopback HTTP server. It follows links from the home page to a post, a related post, a tag page
and the feed; searches; checks for console errors, requests that leave 127.0.0.1 and horizontal
scrolling at 360 px; and takes screenshots (light, dark, mobile) of the home page and a post.

Screenshots go to a pytest temporary folder (the path is printed with `-s`); with
AIBOT_SCREENSHOTS=1 they are also copied to docs/screenshots/, which README shows.
Without Playwright or Chromium these tests are skipped, unless AIBOT_REQUIRE_BROWSER=1 (set by
.ci/run), which makes that a failure.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aibot.commands.serve import Preview
from aibot.config import load_config
from aibot.render import search
from aibot.render.search import index_site
from tests.conftest import REPO
from tests.helpers.browser import Served, serving
from tests.helpers.search import built_demo_site, post_pages
from tests.helpers.site import write_site

with contextlib.suppress(ImportError):  # reported by the `browser` fixture
    from playwright.sync_api import Page, expect

MOBILE = {"width": 360, "height": 740}
SCREENSHOTS = REPO / "docs" / "screenshots"


# The site, served


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A copy of the built demo, indexed by Pagefind, on a loopback HTTP server."""
    folder = tmp_path_factory.mktemp("browser") / "site"
    shutil.copytree(built_demo_site(tmp_path_factory), folder)
    report = index_site(folder)
    assert report.ok, report.problems
    with serving(folder) as served:
        yield served


# The browser, watched


def _follow(page: Page, link) -> int:  # noqa: ANN001 - a Locator
    """Click `link` and return the HTTP status of the page it opens."""
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None, f"no response after clicking {link}"
    return response.status


def _first_post(site: Served) -> Path:
    return post_pages(site.folder)[0]


def _titles(site: Served) -> dict[str, str]:
    """Post file name -> its headline (the page's h1)."""
    found = {}
    for page in post_pages(site.folder):
        match = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(), re.S)
        assert match, page
        found[page.name] = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
    return found


# A reader's path through the site


def test_reader_follows_home_post_related_tag_feed(site: Served, open_context) -> None:
    context, watch = open_context()
    page = context.new_page()
    assert page.goto(site.url("index.html")).status == 200

    post_link = page.locator("main a[href^='posts/']").first
    post_href = post_link.get_attribute("href")
    assert _follow(page, post_link) == 200
    assert page.url.endswith(post_href)
    expect(page.locator("main h1")).to_be_visible()

    related = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile(r"^Related", re.I))
    ).locator("a[href*='posts/']")
    related_href = related.first.get_attribute("href")
    assert related_href.rsplit("/", 1)[-1] != post_href.rsplit("/", 1)[-1]
    assert _follow(page, related.first) == 200
    assert page.url.endswith(related_href.removeprefix("../"))
    expect(page.locator("main h1")).to_be_visible()

    tag = page.locator("main article a[href*='tags/']:not([href$='tags/index.html'])").first
    tag_href = tag.get_attribute("href")
    assert _follow(page, tag) == 200
    assert page.url.endswith(tag_href.removeprefix("../"))
    expect(page.locator("main a[href*='posts/']").first).to_be_visible()

    feed = page.locator("a[href$='atom.xml']").first
    with page.expect_navigation() as navigation:
        feed.click()
    response = navigation.value
    assert response.status == 200
    assert page.url.endswith("atom.xml")
    assert b"<feed" in response.body() and b"http://www.w3.org/2005/Atom" in response.body()

    assert watch.outside() == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests if u.startswith("http"))
    assert len(watch.requests) >= 5  # the guard saw the traffic: pages, CSS, the feed


def test_every_page_loads_without_errors_or_outside_requests(site: Served, open_context) -> None:
    context, watch = open_context()
    page = context.new_page()
    pages = sorted(
        p.relative_to(site.folder).as_posix()
        for p in site.folder.rglob("*.html")
        if "pagefind" not in p.relative_to(site.folder).parts
    )
    assert "index.html" in pages and len(pages) > 10
    for path in pages:
        response = page.goto(site.url(path))
        assert response.status == 200, path
        # A briefing's email copy has no site frame: its headline is in a table.
        expect(page.locator("h1" if path.endswith(".email.html") else "main")).to_be_attached()
    assert watch.errors == []
    assert watch.outside() == []


def test_reader_opens_the_briefing_from_the_navigation_and_its_email(
    site: Served, open_context
) -> None:
    context, watch = open_context(viewport=MOBILE, is_mobile=True, has_touch=True)
    page = context.new_page()
    assert page.goto(site.url("posts/" + _first_post(site).name)).status == 200
    assert _follow(page, page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Briefing")) == 200  # fmt: skip
    assert page.url.endswith("/briefing/index.html")
    expect(page.locator("main h1")).to_have_text("Daily briefing")
    stories = page.locator("main ol.briefing-list > li")
    assert stories.count() >= 1
    day = page.locator("main .page-intro a").first
    assert _follow(page, day) == 200
    assert re.search(r"/briefing/\d{4}-\d\d-\d\d\.html$", page.url)
    assert page.locator("main ol.briefing-list > li").count() == stories.count()
    assert _follow(page, page.get_by_role("link", name="Email version")) == 200
    assert page.url.endswith(".email.html")
    expect(page.locator("h2").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE["width"], f"the email is {width} px wide at 360 px"
    assert watch.errors == []
    assert watch.outside() == []


def test_site_works_without_javascript(site: Served, open_context) -> None:
    context, watch = open_context(java_script_enabled=False)
    page = context.new_page()
    assert page.goto(site.url("index.html")).status == 200
    assert _follow(page, page.locator("main a[href^='posts/']").first) == 200
    expect(page.locator("main h1")).to_be_visible()
    tag = page.locator("main article a[href*='tags/']:not([href$='tags/index.html'])").first
    assert _follow(page, tag) == 200
    assert watch.outside() == []


# Phones and themes


@pytest.mark.parametrize("which", ["home", "post"])
def test_no_horizontal_scroll_at_360_px(site: Served, open_context, which: str) -> None:
    context, _ = open_context(viewport=MOBILE, is_mobile=True, has_touch=True)
    page = context.new_page()
    path = "index.html" if which == "home" else f"posts/{_first_post(site).name}"
    assert page.goto(site.url(path)).status == 200
    expect(page.locator("main h1").first).to_be_visible()
    assert page.evaluate("window.innerWidth") == MOBILE["width"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE["width"], f"{path} is {width} px wide at 360 px"


def _background(page: Page) -> tuple[int, ...]:
    color = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return tuple(int(v) for v in re.findall(r"\d+", color)[:3])


def test_screenshots_light_dark_mobile(
    site: Served, open_context, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("screenshots")
    shots = {
        "light": {"color_scheme": "light"},
        "dark": {"color_scheme": "dark"},
        "mobile": {"color_scheme": "light", "viewport": MOBILE, "is_mobile": True},
    }
    pages = {"home": "index.html", "post": f"posts/{_first_post(site).name}"}
    backgrounds = {}
    for mode, options in shots.items():
        context, watch = open_context(**options)
        page = context.new_page()
        for name, path in pages.items():
            assert page.goto(site.url(path)).status == 200
            expect(page.locator("main h1").first).to_be_visible()
            target = folder / f"{name}-{mode}.png"
            page.screenshot(path=str(target))
            assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
            assert target.stat().st_size > 10_000, f"{target.name} looks blank"
            backgrounds[name, mode] = _background(page)
        assert watch.errors == [] and watch.outside() == []
    for name in pages:  # the dark theme really is darker
        assert sum(backgrounds[name, "dark"]) < sum(backgrounds[name, "light"]) - 200, backgrounds
    print(f"\nscreenshots: {folder}")
    if os.environ.get("AIBOT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in sorted(folder.glob("*.png")):
            shutil.copy(shot, SCREENSHOTS / shot.name)


# Search (static/search.js over the Pagefind index)


def _unique_word(site: Served) -> tuple[str, str]:
    """(a word found in exactly one post's headline, that post's file name)."""
    titles = _titles(site)
    words: dict[str, set[str]] = {}
    for name, title in titles.items():
        for word in re.findall(r"[A-Za-z]{5,}", title):
            words.setdefault(word.lower(), set()).add(name)
    word = max((w for w, names in words.items() if len(names) == 1), key=lambda w: (len(w), w))
    return word, next(iter(words[word]))


def test_search_from_the_header_finds_a_post_and_opens_it(site: Served, open_context) -> None:
    word, post = _unique_word(site)
    context, watch = open_context()
    page = context.new_page()
    assert page.goto(site.url("index.html")).status == 200
    box = page.locator("form[role='search'] input[name='q']").first
    box.fill(word)
    with page.expect_navigation() as navigation:
        box.press("Enter")
    assert navigation.value.status == 200
    assert urlsplit(page.url).path.endswith("/search.html")
    assert f"q={word}" in page.url
    result = page.locator(f"#search-results a[href$='posts/{post}']")
    expect(result.first).to_be_visible()
    expect(page.locator("#search-status")).to_contain_text(word)
    assert _follow(page, result.first) == 200
    expect(page.locator("main h1")).to_have_text(_titles(site)[post])
    assert watch.errors == []
    assert watch.outside() == []


def test_search_page_lists_results_for_q(site: Served, open_context) -> None:
    word, post = _unique_word(site)
    context, watch = open_context()
    page = context.new_page()
    assert page.goto(site.url(f"search.html?q={word}")).status == 200
    expect(page.locator(f"#search-results a[href$='posts/{post}']").first).to_be_visible()
    expect(page.locator("#search-results mark").first).to_be_visible()  # the match, highlighted
    expect(page.locator("input[name='q']").first).to_have_value(word)
    assert page.goto(site.url("search.html?q=zzzqqqxxnothing")).status == 200
    expect(page.locator("#search-status")).to_contain_text("No stories match")
    expect(page.locator("#search-results li")).to_have_count(0)
    assert watch.errors == []
    assert watch.outside() == []


def test_search_page_without_javascript_says_so(site: Served, open_context) -> None:
    context, _ = open_context(java_script_enabled=False)
    page = context.new_page()
    assert page.goto(site.url("search.html?q=storm")).status == 200
    expect(page.locator("main")).to_contain_text("JavaScript")
    expect(page.locator("#search-results li")).to_have_count(0)
    assert _follow(page, page.locator("main a[href*='index.html']").first) == 200


def test_search_opened_from_disk_says_the_site_must_be_served(site: Served, open_context) -> None:
    context, watch = open_context()
    page = context.new_page()
    page.goto((site.folder / "index.html").as_uri())
    box = page.locator("form[role='search'] input[name='q']").first
    box.fill("storm")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.startswith("file://") and urlsplit(page.url).path.endswith("/search.html")
    expect(page.locator("#search-status")).to_have_text(
        "Search needs the site served, not opened as a file: run “aibot serve” and open "
        "http://127.0.0.1:8000/search.html, or search the site where it is published."
    )
    expect(page.locator("input[name='q']").first).to_have_value("storm")
    expect(page.locator("#search-results li")).to_have_count(0)
    assert watch.errors == []
    assert watch.outside() == []


def test_search_works_on_the_main_thread_under_the_sites_csp(site: Served, open_context) -> None:
    """Pagefind runs in a web worker, but falls back to the page's own thread when the worker
    does not start within 5 s (a slow phone): WebAssembly there needs the page's CSP to allow
    it ('wasm-unsafe-eval' in script-src)."""
    word, post = _unique_word(site)
    context, watch = open_context()
    page = context.new_page()
    assert page.goto(site.url("search.html")).status == 200
    urls = page.evaluate(
        """async (word) => {
            const bundle = new URL("pagefind/s00/pagefind.js", document.baseURI).href;
            const pagefind = await import(bundle);
            const root = new URL(".", document.baseURI).pathname;
            const instance = pagefind.createInstance({ noWorker: true, baseUrl: root });
            const found = await instance.search(word);
            return Promise.all(found.results.map(async (r) => (await r.data()).url));
        }""",
        word,
    )
    assert f"/posts/{post}" in urls
    assert watch.errors == []


# Search over several shards (a large site's index is split; search.js merges the shards)


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The built demo indexed in shards of about 2 posts, on a loopback HTTP server."""
    folder = tmp_path_factory.mktemp("browser-shards") / "site"
    shutil.copytree(built_demo_site(tmp_path_factory), folder)
    pages = {
        p.relative_to(folder).as_posix(): p.name
        for p in (folder / "posts").glob("*.html")
        if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")
    }
    size = search.SHARD_POSTS
    search.SHARD_POSTS = 2
    try:
        report = index_site(folder, pages=pages)
    finally:
        search.SHARD_POSTS = size
    assert report.ok, report.problems
    shards = json.loads((folder / "pagefind" / "shards.json").read_text())["shards"]
    assert len(shards) > 1
    with serving(folder) as served:
        yield served


def test_search_finds_posts_in_every_shard(
    sharded_site: Served, open_context, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = _titles(sharded_site)
    monkeypatch.setattr(search, "SHARD_POSTS", 2)  # as the fixture indexed it
    count = search.shard_count(len(post_pages(sharded_site.folder)))
    words: dict[str, set[str]] = {}
    for name, title in titles.items():
        for word in re.findall(r"[A-Za-z]{5,}", title):
            words.setdefault(word.lower(), set()).add(name)
    # One headline word unique to its post, for a post in each shard that has one.
    wanted: dict[str, tuple[str, str]] = {}
    for word, names in sorted(words.items()):
        (name,) = names if len(names) == 1 else (None,)
        shard = f"s{search.shard_of(f'posts/{name}', count):02d}" if name else ""
        if name and shard not in wanted:
            wanted[shard] = (word, name)
    assert len(wanted) > 1, wanted
    context, watch = open_context()
    page = context.new_page()
    for word, post in wanted.values():
        assert page.goto(sharded_site.url(f"search.html?q={word}")).status == 200
        expect(page.locator(f"#search-results a[href$='posts/{post}']").first).to_be_visible()
    assert watch.errors == []
    assert watch.outside() == []


@pytest.fixture(scope="module")
def edited_site(
    sharded_site: Served, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, str, str]]:
    """The sharded site after one post's headline changed: its shard kept, the post in the
    delta bundle. Yields the site, the post's file name and the word added to its headline."""
    folder = tmp_path_factory.mktemp("browser-delta") / "site"
    shutil.copytree(sharded_site.folder, folder, ignore=shutil.ignore_patterns("pagefind"))
    word, post = _unique_word(sharded_site)
    page = folder / "posts" / post
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", " quixotical</h1>", 1))
    pages = {
        p.relative_to(folder).as_posix(): p.name
        for p in (folder / "posts").glob("*.html")
        if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")
    }
    pages[f"posts/{post}"] = "edited"
    size = search.SHARD_POSTS
    search.SHARD_POSTS = 2
    try:
        report = index_site(folder, previous=sharded_site.folder, pages=pages)
    finally:
        search.SHARD_POSTS = size
    assert report.ok, report.problems
    listing = json.loads((folder / "pagefind" / "shards.json").read_text())
    assert listing["delta"] == "delta" and len(listing["hidden"]) == 1
    with serving(folder) as served:
        yield served, post, word


def test_an_edited_post_is_found_once_with_its_new_words(edited_site, open_context) -> None:
    site, post, old_word = edited_site
    context, watch = open_context()
    page = context.new_page()
    for word in ("quixotical", old_word):
        assert page.goto(site.url(f"search.html?q={word}")).status == 200
        expect(page.locator(f"#search-results a[href$='posts/{post}']")).to_have_count(1)
    # The new headline is what the result shows (the delta's entry, not the shard's stale one).
    expect(page.locator(f"#search-results a[href$='posts/{post}']")).to_contain_text("quixotical")
    assert watch.errors == []
    assert watch.outside() == []


# aibot serve: an open page reloads itself after an edit


def test_open_page_reloads_after_an_edit(tmp_path: Path, open_context) -> None:
    write_site(tmp_path)
    (tmp_path / "aibot.yaml").write_text(
        "site:\n  title: Harbour Daily\n  base_url: https://harbour.example.org/\n",
        encoding="utf-8",
    )
    preview = Preview(load_config(tmp_path / "aibot.yaml"), announce=lambda _line: None)
    assert preview.rebuild().ok
    base = preview.start(0)
    armed = threading.Event()
    watcher = threading.Thread(target=preview.watch, kwargs={"ready": armed.set}, daemon=True)
    watcher.start()
    assert armed.wait(30), "the file watch did not start"
    try:
        context, watch = open_context()
        page = context.new_page()
        assert page.goto(base + "posts/ferry-fares-rise-in-april.html").status == 200
        expect(page.locator("main h1")).to_have_text("Ferry fares rise in April")
        post = next((tmp_path / "content" / "posts").rglob("ferry-fares-rise-in-april.md"))
        text = post.read_text(encoding="utf-8")
        edited = text.replace(
            "title: Ferry fares rise in April", "title: Ferry fares rise in May", 1
        )
        post.write_text(edited, encoding="utf-8")
        expect(page.locator("main h1")).to_have_text("Ferry fares rise in May", timeout=30_000)
        assert watch.errors == []
        assert watch.outside() == []
    finally:
        preview.close()
        watcher.join(timeout=10)
