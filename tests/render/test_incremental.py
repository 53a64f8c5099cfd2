"""Incremental builds (build.incremental, build.render): an incremental build makes exactly the
site a cold build makes, reuses what it can by hard links, and falls back to a full build when
its manifest, the site on disk or the HTML cache cannot be trusted."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pytest

from aibot.posts.files import save_post
from aibot.posts.frontmatter import load_post
from aibot.render import site as render
from aibot.render.incremental import MARKER, HtmlCache
from aibot.render.site import build_site
from tests.helpers.html import broken_links
from tests.helpers.site import NOW, PUBLISHED, add_post, leftovers, make_config, write_site

POSTS = Path("content") / "posts"


# Helpers


def post_path(base: Path, slug: str, year: int = 2026) -> Path:
    return base / POSTS / str(year) / f"{slug}.md"


def edit_body(base: Path, slug: str, text: str, year: int = 2026) -> None:
    """Append a paragraph to a post (the file's size changes, so no clock can hide the edit)."""
    path = post_path(base, slug, year)
    post = load_post(path)
    post.body = post.body.rstrip("\n") + f"\n\n{text}\n"
    save_post(post, path)


def edit_meta(base: Path, slug: str, year: int = 2026, **meta: Any) -> None:
    path = post_path(base, slug, year)
    post = load_post(path)
    post.meta.update(meta)
    save_post(post, path)


def manifest_file(base: Path) -> Path:
    return base / ".aibot" / "build" / "manifest.json"


def site_files(site: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file of the site but the search index and the marker."""
    found = {}
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site)
        if relative.parts[0] in ("pagefind", MARKER) or not path.is_file():
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def all_files(site: Path) -> dict[str, tuple[int, bytes]]:
    """Relative path -> (inode, bytes) of every file under the site, search index included."""
    return {
        p.relative_to(site).as_posix(): (p.stat().st_ino, p.read_bytes())
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def html_pages(site: Path) -> list[Path]:
    """The pages framed by base.html: not the search index's, nor the briefing's emails."""
    return sorted(
        p
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] != "pagefind" and not p.name.endswith(".email.html")
    )


def cold_build(
    source: Path, target: Path, *, now: datetime = NOW, site: dict[str, Any] | None = None, **kw
) -> Path:
    """Build the content (and own templates) of `source` from scratch in the fresh folder
    `target`; return its site folder."""
    target.mkdir(parents=True)
    shutil.copytree(source / "content", target / "content")
    if (source / "templates").is_dir():
        shutil.copytree(source / "templates", target / "templates")
    report = build_site(make_config(target, **(site or {})), now=now, **kw)
    assert report.ok and report.problems == [], report.problems
    assert report.rendered == report.pages, "a cold build renders every file"
    return target / "site"


def assert_same_site(incremental: Path, cold: Path) -> None:
    """The two sites hold the same files (paths and bytes), besides search index and marker."""
    got, want = site_files(incremental), site_files(cold)
    assert sorted(got) == sorted(want)
    differing = sorted(name for name in want if got[name] != want[name])
    assert differing == [], f"files that differ from a cold build: {differing}"
    shards = json.loads((incremental / "pagefind" / "shards.json").read_text())["shards"]
    assert shards, "the search index lists no shard"
    for shard in shards:
        assert (incremental / "pagefind" / shard).is_dir(), shard


def inodes(site: Path) -> dict[str, int]:
    return {name: (site / name).stat().st_ino for name in site_files(site)}


TOPICS = ["ferry", "bakery", "library", "orchard", "stadium", "observatory", "vineyard", "foundry"]
WORDS = {
    "ferry": "sailings harbour crossing deckhands",
    "bakery": "loaves ovens flour pastry",
    "library": "books shelves reading archives",
    "orchard": "apples blossom pickers cider",
    "stadium": "football terraces floodlights match",
    "observatory": "telescope comets astronomers night",
    "vineyard": "grapes harvest cellar barrels",
    "foundry": "molten castings furnace moulds",
}
PER_TOPIC = 6


def big_slug(topic: str, n: int) -> str:
    return f"{topic}-story-{n}"


def write_big_site(base: Path) -> None:
    """48 posts in 8 topics of 6, each topic with its own tag and vocabulary, over 3 months."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for t, topic in enumerate(TOPICS):
        for n in range(PER_TOPIC):
            when = start + timedelta(days=n * 12 + t, hours=t)
            words = WORDS[topic]
            add_post(
                base,
                big_slug(topic, n),
                f"{topic.title()} story {n}: {words.split()[n % 4]}",
                when,
                f"## {topic.title()}\n\nThe {topic} report {n} covers {words}.\n\n"
                f"More on {words} and the {topic} in part {n}.\n",
                tags=[topic.title()],
                sources=[
                    {
                        "outlet": "Harbour Gazette",
                        "title": f"{topic} {n}",
                        "url": f"https://g.test/{topic}/{n}",
                    }
                ],
            )


# 1. An incremental build makes what a cold build makes


def _failing_cp(folder: Path) -> str:
    """A PATH holding only a `cp` that runs the real one, then exits non-zero (a full disk, a
    file it could not link): the half-made folder must be emptied and each file linked by the
    build."""
    folder.mkdir()
    cp = folder / "cp"
    cp.write_text(f'#!/bin/sh\n{shutil.which("cp")} "$@"\nexit 1\n')
    cp.chmod(0o755)
    return str(folder)


@pytest.mark.parametrize("copy", ["cp -al", "cp fails"])
def test_incremental_build_after_a_body_edit_equals_a_cold_build(tmp_path, monkeypatch, copy):
    if copy == "cp fails":
        monkeypatch.setenv("PATH", _failing_cp(tmp_path / "bin"))
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    edit_body(base, "ferry-fares-rise-in-april", "A late amendment lowered the rise to a tenth.")

    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert not report.unchanged
    assert 0 < report.rendered < report.pages
    page = (base / "site" / "posts" / "ferry-fares-rise-in-april.html").read_text()
    assert "A late amendment lowered the rise to a tenth." in page
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold"))


def _rename_timetable(base: Path) -> None:
    old = post_path(base, "ferry-timetable-cut-for-winter")
    post = load_post(old)
    post.meta["generator"] = {"slug": "ferry-timetable-cut-for-winter"}
    post.meta["slug"] = "winter-ferry-timetable"
    save_post(post, post_path(base, "winter-ferry-timetable"))
    old.unlink()


EDITS = [
    ("body", lambda b: edit_body(b, "bakery-wins-county-prize", "The judges praised the crust.")),
    ("title", lambda b: edit_meta(b, "bakery-wins-county-prize", title="Mill Street bakery wins")),
    ("summary", lambda b: edit_meta(b, "ferry-fares-rise-in-april", summary="Fares go up.")),
    ("tags", lambda b: edit_meta(b, "ferry-timetable-cut-for-winter", tags=["Weather"])),
    (
        "new post",
        lambda b: add_post(
            b,
            "harbour-wall-repaired",
            "Harbour wall repaired",
            datetime(2026, 3, 19, 9, 0, tzinfo=UTC),
            "## Repairs\n\nThe harbour wall was repaired after the storm.\n",
            tags=["Transport", "Weather"],
        ),
    ),
    ("deleted post", lambda b: post_path(b, "bakery-wins-county-prize").unlink()),
    ("renamed post", _rename_timetable),
    ("draft published", lambda b: edit_meta(b, "unfinished-harbour-draft", draft=False)),
    ("post made draft", lambda b: edit_meta(b, "harbour-wall-repaired", draft=True)),
]


def test_every_kind_of_edit_builds_what_a_cold_build_makes(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    for step, (name, edit) in enumerate(EDITS):
        edit(base)
        report = build_site(config, now=NOW)
        assert report.ok and report.problems == [], (name, report.problems)
        assert not report.unchanged, name
        assert_same_site(base / "site", cold_build(base, tmp_path / f"cold-{step}"))
    assert (base / "site" / "posts" / "ferry-timetable-cut-for-winter.html").is_file()  # redirect
    assert not (base / "site" / "tags" / "food.html").exists()
    assert broken_links(base / "site") == []


def test_a_changed_setting_builds_what_a_cold_build_makes(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)
    assert build_site(make_config(base), now=NOW).ok
    report = build_site(make_config(base, title="Harbour Weekly", posts_per_page=2), now=NOW)
    assert report.ok and report.rendered == report.pages
    cold = cold_build(
        base, tmp_path / "cold", site={"title": "Harbour Weekly", "posts_per_page": 2}
    )
    assert_same_site(base / "site", cold)
    assert "Harbour Weekly" in (base / "site" / "page" / "2.html").read_text()


def test_switching_drafts_on_and_off_builds_what_a_cold_build_makes(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    assert build_site(config, drafts=True, now=NOW).ok
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold-drafts", drafts=True))
    report = build_site(config, now=NOW)
    assert report.ok and not report.unchanged
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold"))


# 2. Nothing changed: the site is left alone


def _disguise_posts(base: Path) -> None:
    """Change one letter of every post's body, keeping its size and file times: a build that
    trusts file times and sizes does not see it; one that read the posts would show it."""
    for path in (base / "content").rglob("*.md"):
        stat = path.stat()
        data = bytearray(path.read_bytes())
        body = data.index(b"\n---\n", 4) + 5
        letter = next(i for i in range(body, len(data)) if chr(data[i]).islower())
        data[letter] = ord(chr(data[letter]).upper())
        path.write_bytes(bytes(data))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_build_with_nothing_changed_leaves_the_site_untouched(tmp_path, monkeypatch):
    write_site(tmp_path)
    config = make_config(tmp_path)
    first = build_site(config, now=NOW)
    assert first.ok
    site = tmp_path / "site"
    folder_inode = site.stat().st_ino
    before = all_files(site)
    manifest = manifest_file(tmp_path).read_bytes()
    _disguise_posts(tmp_path)  # file times and sizes suffice

    again = build_site(config, now=NOW)

    assert again.ok and again.problems == [], again.problems
    assert again.unchanged is True
    assert again.rendered == 0
    assert again.pages == first.pages
    assert site.stat().st_ino == folder_inode
    assert (site / "index.html").stat().st_ino == before["index.html"][0]
    assert all_files(site) == before  # same paths, same inodes, same bytes: nothing new
    assert manifest_file(tmp_path).read_bytes() == manifest
    assert leftovers(tmp_path) == []


def test_an_unchanged_build_reports_the_number_of_published_posts(tmp_path):
    # `aibot build` prints "built {posts} posts, {pages} pages"; an unchanged site has them all.
    write_site(tmp_path)
    config = make_config(tmp_path)
    first = build_site(config, now=NOW)
    again = build_site(config, now=NOW)
    assert again.unchanged
    assert again.posts == first.posts == len(PUBLISHED)


def test_a_touched_but_unchanged_post_leaves_the_site_untouched(tmp_path, monkeypatch):
    write_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    site = tmp_path / "site"
    folder_inode = site.stat().st_ino
    before = all_files(site)
    path = post_path(tmp_path, "bakery-wins-county-prize")
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))

    touched = build_site(config, now=NOW)  # reads the posts: same content
    _disguise_posts(tmp_path)
    again = build_site(config, now=NOW)  # the new file times were remembered

    for report in (touched, again):
        assert report.ok and report.unchanged and report.rendered == 0
    assert site.stat().st_ino == folder_inode
    assert all_files(site) == before


# 3. One edit: little is rendered, the rest is hard-linked


def test_an_edit_renders_few_pages_and_hard_links_the_others(tmp_path):
    base = tmp_path / "incremental"
    write_big_site(base)
    config = make_config(base)
    first = build_site(config, now=NOW)
    assert first.ok and first.posts == len(TOPICS) * PER_TOPIC
    site = base / "site"
    edited = f"posts/{big_slug('orchard', 0)}.html"
    unaffected = f"posts/{big_slug('foundry', 3)}.html"
    before = inodes(site)
    edit_body(base, big_slug("orchard", 0), "Frost in April may cut the apple crop by half.")

    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert report.pages == first.pages
    assert 0 < report.rendered < report.pages / 4, (report.rendered, report.pages)
    assert "Frost in April may cut the apple crop by half." in (site / edited).read_text()
    assert (site / unaffected).stat().st_ino == before[unaffected]
    assert (site / unaffected).stat().st_nlink == 1  # the old site it was linked from is gone
    assert (site / edited).stat().st_ino != before[edited]
    after = inodes(site)
    kept = [name for name in before if after.get(name) == before[name]]
    assert len(kept) == report.pages - report.rendered
    assert_same_site(site, cold_build(base, tmp_path / "cold"))


def test_an_edit_that_changes_which_posts_are_related_builds_what_a_cold_build_makes(tmp_path):
    # A post's related list is filled up by scoring it against the whole site; an edit to one
    # post changes those scores (its words, and every word's weight) for other posts too.
    base = tmp_path / "incremental"
    write_big_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    edit_body(
        base,
        big_slug("foundry", 3),
        "The foundry now casts cider presses for the orchard: apples, blossom and pickers.",
    )

    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold"))


# 4. A template change re-renders every page


def test_a_changed_template_re_renders_every_page(tmp_path):
    write_site(tmp_path)
    theme = resources.files("aibot") / "theme" / "templates" / "base.html"
    original = theme.read_text(encoding="utf-8")
    anchor = '<footer class="site-footer">'
    assert anchor in original
    own = tmp_path / "templates" / "base.html"
    own.parent.mkdir()
    own.write_text(original.replace(anchor, anchor + '<p class="mark">Footer mark one</p>'))
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    site = tmp_path / "site"
    assert all("Footer mark one" in p.read_text() for p in html_pages(site))

    own.write_text(original.replace(anchor, anchor + '<p class="mark">Footer mark two</p>'))
    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    pages = html_pages(site)
    assert len(pages) >= 10
    assert report.rendered >= len(pages)
    for page in pages:
        text = page.read_text()
        assert "Footer mark two" in text and "Footer mark one" not in text, page
    assert_same_site(site, cold_build(tmp_path, tmp_path / "cold"))


def test_a_changed_static_file_is_copied_into_the_site(tmp_path):
    write_site(tmp_path)
    static = tmp_path / "templates" / "static"
    static.mkdir(parents=True)
    (static / "extra.css").write_text("/* one */\n")
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    (static / "extra.css").write_text("/* two, longer */\n")
    report = build_site(config, now=NOW)
    assert report.ok and not report.unchanged
    assert (tmp_path / "site" / "static" / "extra.css").read_text() == "/* two, longer */\n"


# 5. A manifest that cannot be trusted means a full build


def _garbage(data: bytes) -> bytes:
    return b"\x00\xff garbage {{{"


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _json_list(data: bytes) -> bytes:
    return b"[1, 2, 3]"


def _files_not_strings(data: bytes) -> bytes:
    manifest = json.loads(data)
    manifest["files"] = {name: 7 for name in manifest["files"]}
    return json.dumps(manifest).encode()


def _files_a_list(data: bytes) -> bytes:
    manifest = json.loads(data)
    manifest["files"] = list(manifest["files"])
    return json.dumps(manifest).encode()


def _other_version(data: bytes) -> bytes:
    manifest = json.loads(data)
    manifest["version"] = 999
    return json.dumps(manifest).encode()


def _odd_extras(data: bytes) -> bytes:
    manifest = json.loads(data)
    manifest["fills"] = {"x": "not a list", "y": [1]}
    manifest["reasons"] = {"x": [1, 2], "y": "text"}
    manifest["valid_until"] = "not a date"
    manifest["whole"] = 12
    return json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("corrupt", "full"),
    [
        (_garbage, True),
        (_truncated, True),
        (_json_list, True),
        (_files_not_strings, True),
        (_files_a_list, True),
        (_other_version, True),
        (_odd_extras, False),
    ],
)
def test_a_corrupt_manifest_gives_a_correct_build(tmp_path, corrupt, full):
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    edit_body(base, "ferry-timetable-cut-for-winter", "Storms may cancel more sailings.")
    path = manifest_file(base)
    path.write_bytes(corrupt(path.read_bytes()))

    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert not report.unchanged
    if full:
        assert report.rendered == report.pages
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold"))
    assert broken_links(base / "site") == []
    assert json.loads(path.read_text())["files"]  # a good manifest again
    assert build_site(config, now=NOW).unchanged


def test_a_missing_manifest_gives_a_full_build_with_nothing_changed(tmp_path):
    write_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    manifest_file(tmp_path).unlink()
    report = build_site(config, now=NOW)
    assert report.ok and not report.unchanged
    assert report.rendered == report.pages
    assert_same_site(tmp_path / "site", cold_build(tmp_path, tmp_path / "cold"))


# 6. A site that is not the one the manifest describes is repaired


def _delete_page(site: Path) -> None:
    (site / "posts" / "bakery-wins-county-prize.html").unlink()


def _delete_tag_feed(site: Path) -> None:
    (site / "tags" / "food.atom.xml").unlink()


def _stray_file(site: Path) -> None:
    (site / "stray.html").write_text("<p>left here by hand</p>")


def _stray_nested(site: Path) -> None:
    (site / "posts" / "old").mkdir()
    (site / "posts" / "old" / "stray.html").write_text("<p>left here by hand</p>")


def _delete_static(site: Path) -> None:
    next(p for p in (site / "static").rglob("*.css")).unlink()


def _delete_search(site: Path) -> None:
    shutil.rmtree(site / "pagefind")


def _no_marker(site: Path) -> None:
    (site / MARKER).unlink()


def _other_marker(site: Path) -> None:
    (site / MARKER).write_text("0123456789abcdef\n")


@pytest.mark.parametrize(
    "damage",
    [
        _delete_page,
        _delete_tag_feed,
        _stray_file,
        _stray_nested,
        _delete_static,
        _delete_search,
        _no_marker,
        _other_marker,
    ],
)
def test_a_site_that_does_not_match_the_manifest_is_repaired(tmp_path, damage):
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    site = base / "site"
    damage(site)

    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert not report.unchanged
    assert (site / "posts" / "bakery-wins-county-prize.html").is_file()
    assert (site / "tags" / "food.atom.xml").is_file()
    assert not (site / "stray.html").exists()
    assert not (site / "posts" / "old").exists()
    assert list((site / "static").rglob("*.css"))
    assert (site / "pagefind" / "shards.json").is_file()
    assert_same_site(site, cold_build(base, tmp_path / "cold"))
    assert build_site(config, now=NOW).unchanged


# 7. Time alone changes the site: future posts, the news sitemap's window


def test_a_future_post_appears_once_its_time_comes_with_no_file_changed(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)  # the lighthouse post is dated 1 April 2026, 09:00 UTC
    config = make_config(base)
    site = base / "site"
    lighthouse = site / "posts" / "lighthouse-reopens-next-month.html"

    first = build_site(config, now=NOW)
    assert first.ok and not lighthouse.exists()
    valid_until = json.loads(manifest_file(base).read_text())["valid_until"]
    assert datetime.fromisoformat(valid_until) == datetime(2026, 4, 1, 9, 0, tzinfo=UTC)

    before = build_site(config, now=datetime(2026, 4, 1, 8, 59, tzinfo=UTC))
    assert before.unchanged and not lighthouse.exists()

    due = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    report = build_site(config, now=due)

    assert report.ok and report.problems == [], report.problems
    assert not report.unchanged
    assert report.posts == len(PUBLISHED) + 1
    assert lighthouse.is_file()
    assert 'href="posts/lighthouse-reopens-next-month.html"' in (site / "index.html").read_text()
    assert_same_site(site, cold_build(base, tmp_path / "cold", now=due))


def test_a_post_leaves_the_news_sitemap_when_its_window_ends(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)
    published = NOW - timedelta(hours=1)
    add_post(base, "storm-closes-harbour", "Storm closes harbour", published, "## Storm\n\nShut.\n")
    config = make_config(base)
    news = base / "site" / "news-sitemap.xml"
    assert build_site(config, now=NOW).ok
    assert "storm-closes-harbour" in news.read_text()
    assert build_site(config, now=published + timedelta(hours=47)).unchanged

    ended = published + timedelta(hours=48, seconds=1)
    report = build_site(config, now=ended)

    assert report.ok and not report.unchanged
    assert "storm-closes-harbour" not in news.read_text()
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold", now=ended))


# 8. Worker processes render what one process renders


class _Spy:
    """multiprocessing.get_context, counting the pools the build starts."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []
        self._real = multiprocessing.get_context

    def __call__(self, method: str | None = None) -> Any:
        self.calls.append(method)
        return self._real(method)


def test_the_process_pool_renders_the_same_bytes_as_one_process(tmp_path, monkeypatch):
    spy = _Spy()
    monkeypatch.setattr(multiprocessing, "get_context", spy)
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    write_big_site(serial)
    write_big_site(pooled)

    one = build_site(make_config(serial), now=NOW, processes=1)
    assert spy.calls == []
    many = build_site(make_config(pooled), now=NOW, processes=4)  # even on a one-core machine
    assert spy.calls and set(spy.calls) == {"fork"}  # post pages, then the others
    pools = len(spy.calls)

    for report in (one, many):
        assert report.ok and report.problems == [], report.problems
    assert (many.pages, many.rendered) == (one.pages, one.rendered)
    assert_same_site(pooled / "site", serial / "site")

    # An incremental build with a pool: some pages linked, the others rendered by workers.
    edit_body(pooled, big_slug("library", 2), "The reading room stays open late.")
    report = build_site(make_config(pooled), now=NOW, processes=4)
    assert report.ok and len(spy.calls) > pools and set(spy.calls) == {"fork"}
    assert 0 < report.rendered < report.pages
    assert_same_site(pooled / "site", cold_build(pooled, tmp_path / "cold", processes=1))


# 9. The Markdown HTML cache (whatever it stores, under <cache>/build/): seen by the conversions
# a build makes, counted with the site folder removed so that every post page is rendered.


class _Conversions:
    """render.markdown_to_html, counting the bodies it converts."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self._real = render.markdown_to_html

    def __call__(self, text: str) -> str:
        self.bodies.append(text)
        return self._real(text)


def _full_build(base: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    """A build of `base` with no site to reuse; the report and the bodies it converted."""
    shutil.rmtree(base / "site", ignore_errors=True)
    conversions = _Conversions()
    with monkeypatch.context() as patch:
        patch.setattr(render, "markdown_to_html", conversions)
        report = build_site(make_config(base), now=NOW)
    assert report.ok and report.problems == [], report.problems
    assert report.rendered == report.pages
    return report, conversions.bodies


def _body(base: Path, slug: str) -> str:
    return load_post(post_path(base, slug)).body


def test_the_html_cache_converts_each_body_once_and_forgets_deleted_ones(tmp_path, monkeypatch):
    write_site(tmp_path)
    _report, converted = _full_build(tmp_path, monkeypatch)
    assert sorted(converted) == sorted(_body(tmp_path, slug) for slug in PUBLISHED)
    pages = {
        slug: (tmp_path / "site" / "posts" / f"{slug}.html").read_bytes() for slug in PUBLISHED
    }

    _report, converted = _full_build(tmp_path, monkeypatch)
    assert converted == []  # every body from the cache
    for slug in PUBLISHED:
        assert (tmp_path / "site" / "posts" / f"{slug}.html").read_bytes() == pages[slug], slug

    edit_body(tmp_path, "ferry-fares-rise-in-april", "Pensioners keep their discount.")
    bakery = post_path(tmp_path, "bakery-wins-county-prize")
    kept = bakery.read_bytes()
    bakery.unlink()
    # Stale bodies are deleted once they are many (a fifth of the cache and 16 more): as if so.
    with monkeypatch.context() as patch:
        patch.setattr(HtmlCache, "rows", lambda self: 10**6)
        _report, converted = _full_build(tmp_path, monkeypatch)
    assert converted == [_body(tmp_path, "ferry-fares-rise-in-april")]

    bakery.write_bytes(kept)  # the same body again: it was pruned with its post
    _report, converted = _full_build(tmp_path, monkeypatch)
    assert converted == [_body(tmp_path, "bakery-wins-county-prize")]
    assert (tmp_path / "site" / "posts" / "bakery-wins-county-prize.html").read_bytes() == (
        pages["bakery-wins-county-prize"]
    )


def test_an_incremental_build_converts_only_the_edited_body(tmp_path, monkeypatch):
    write_big_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW).ok
    edit_body(tmp_path, big_slug("vineyard", 1), "The first barrels were tapped in March.")
    conversions = _Conversions()
    monkeypatch.setattr(render, "markdown_to_html", conversions)
    report = build_site(config, now=NOW)
    assert report.ok
    assert conversions.bodies == [_body(tmp_path, big_slug("vineyard", 1))]


def test_a_corrupt_html_cache_still_gives_the_right_pages(tmp_path, monkeypatch):
    write_site(tmp_path)
    _full_build(tmp_path, monkeypatch)
    good = site_files(tmp_path / "site")
    state = tmp_path / ".aibot" / "build"
    cached = [p for p in state.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert cached, "the build cached nothing under .aibot/build/"
    for path in cached:
        path.write_bytes(b"\xff\xfe\x00 not a cache \xc3\x28" * 64)

    _report, converted = _full_build(tmp_path, monkeypatch)

    assert sorted(converted) == sorted(_body(tmp_path, slug) for slug in PUBLISHED)
    assert site_files(tmp_path / "site") == good
    # The broken cache was started again: the next full build converts nothing.
    _report, converted = _full_build(tmp_path, monkeypatch)
    assert converted == []
    edit_body(tmp_path, "bakery-wins-county-prize", "The loaf sold out by noon.")
    report = build_site(make_config(tmp_path), now=NOW)
    assert report.ok and report.problems == [], report.problems
    assert_same_site(tmp_path / "site", cold_build(tmp_path, tmp_path / "cold"))


# 10. A failed build keeps the last site and its manifest


def test_a_failed_build_keeps_the_site_and_manifest_and_the_next_build_is_right(tmp_path):
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    site = base / "site"
    before = all_files(site)
    manifest = manifest_file(base).read_bytes()

    edit_body(base, "ferry-fares-rise-in-april", "The council will review fares in a year.")
    broken = base / "templates" / "post.html"
    broken.parent.mkdir()
    broken.write_text("<p>{{ undefined_name }}</p>\n")
    failed = build_site(config, now=NOW)

    assert failed.ok is False
    assert any("undefined_name" in p for p in failed.problems), failed.problems
    assert all_files(site) == before  # same files, inodes and bytes
    assert manifest_file(base).read_bytes() == manifest
    assert leftovers(base) == []

    broken.unlink()
    report = build_site(config, now=NOW)

    assert report.ok and report.problems == [], report.problems
    assert not report.unchanged
    assert (
        "The council will review fares in a year."
        in (site / "posts" / "ferry-fares-rise-in-april.html").read_text()
    )
    assert_same_site(site, cold_build(base, tmp_path / "cold"))


@pytest.mark.parametrize("template", ["tag.html", "post.html"])
def test_a_failed_pool_build_keeps_the_site(tmp_path, monkeypatch, template):
    """A page fails in a worker: with the other pages (tag.html), or with the post pages, which
    search is waiting for (post.html): the build ends all the same, the last site kept."""
    write_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW, processes=4).ok
    before = all_files(tmp_path / "site")
    manifest = manifest_file(tmp_path).read_bytes()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / template).write_text("<p>{{ undefined_name }}</p>\n")
    edit_body(tmp_path, "bakery-wins-county-prize", "The prize comes with a cup.")

    failed = build_site(config, now=NOW, processes=4)

    assert failed.ok is False
    assert all_files(tmp_path / "site") == before
    assert manifest_file(tmp_path).read_bytes() == manifest
    assert leftovers(tmp_path) == []


# A broken post is reported by every build until it is fixed


def test_a_broken_post_is_reported_again_by_the_next_build(tmp_path):
    write_site(tmp_path)
    config = make_config(tmp_path)
    broken = post_path(tmp_path, "broken-story")
    broken.write_text("---\ntitle: Broken\nslug: broken-story\nsummary: a: b\n---\nBody\n")
    first = build_site(config, now=NOW)
    again = build_site(config, now=NOW)
    for report in (first, again):
        assert report.ok
        assert any("broken-story.md" in p for p in report.problems), report.problems
    add_post(
        tmp_path,
        "broken-story",
        "Broken story fixed",
        datetime(2026, 3, 13, 9, 0, tzinfo=UTC),
        "## Fixed\n\nNow it parses.\n",
    )
    fixed = build_site(config, now=NOW)
    assert fixed.ok and fixed.problems == [], fixed.problems
    assert (tmp_path / "site" / "posts" / "broken-story.html").is_file()
    assert_same_site(tmp_path / "site", cold_build(tmp_path, tmp_path / "cold"))


# 9. The new site starts as links to the last one: nothing is written through them


def _witness(site: Path, folder: Path) -> dict[Path, bytes]:
    """Hard links to every file of `site` in `folder` (the same files), with their bytes now."""
    seen = {}
    for path in site.rglob("*"):
        if path.is_file():
            link = folder / path.relative_to(site)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
            seen[link] = path.read_bytes()
    return seen


def test_an_incremental_build_never_changes_a_file_of_the_last_site(tmp_path):
    # The new site begins as hard links to the last one's files (`cp -al`); a page, feed,
    # static file, search shard or marker made again must replace its link, never write into it.
    base = tmp_path / "incremental"
    write_site(base)
    static = base / "templates" / "static"
    static.mkdir(parents=True)
    (static / "extra.css").write_text("/* one */\n")
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    before = _witness(base / "site", tmp_path / "witness")
    assert len(before) > 20

    edit_body(base, "bakery-wins-county-prize", "The judges praised the crust.")
    edit_meta(base, "ferry-timetable-cut-for-winter", tags=["Weather"])
    report = build_site(config, now=NOW)
    assert report.ok and report.problems == [], report.problems
    assert 0 < report.rendered < report.pages  # some files made again, the others kept
    (static / "extra.css").write_text("/* two, longer */\n")  # an input: every file again
    assert build_site(config, now=NOW).ok

    changed = sorted(str(p) for p, data in before.items() if p.read_bytes() != data)
    assert changed == [], f"written through a link into the last site: {changed}"
    assert (base / "site" / "static" / "extra.css").read_text() == "/* two, longer */\n"
    assert_same_site(base / "site", cold_build(base, tmp_path / "cold"))


def test_without_cp_unchanged_files_are_linked_one_by_one(tmp_path, monkeypatch):
    (tmp_path / "no-cp").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-cp"))  # no GNU cp
    base = tmp_path / "incremental"
    write_site(base)
    config = make_config(base)
    assert build_site(config, now=NOW).ok
    before = inodes(base / "site")
    for step, (name, edit) in enumerate(EDITS[:3] + EDITS[5:6]):
        edit(base)
        report = build_site(config, now=NOW)
        assert report.ok and report.problems == [], (name, report.problems)
        assert_same_site(base / "site", cold_build(base, tmp_path / f"cold-{step}"))
    kept = [name for name, inode in inodes(base / "site").items() if before.get(name) == inode]
    assert "about.html" in kept and "search.html" in kept


def test_the_replaced_site_can_be_deleted_in_the_background(tmp_path):
    # `aibot build` does not wait for the last site's files to be deleted: a process of its
    # own deletes them after the new site is in place.
    write_site(tmp_path)
    config = make_config(tmp_path)
    assert build_site(config, now=NOW, background=True).ok
    edit_body(tmp_path, "bakery-wins-county-prize", "The judges praised the crust.")
    report = build_site(config, now=NOW, background=True)
    assert report.ok and report.problems == [], report.problems
    assert (
        "The judges praised the crust."
        in (tmp_path / "site" / "posts" / "bakery-wins-county-prize.html").read_text()
    )
    deadline = time.monotonic() + 30
    while leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the other process's progress, not timing it
    assert leftovers(tmp_path) == []


def test_templates_are_compiled_once_per_source(tmp_path):
    # Compiled templates are kept by Jinja outside the project (its own private folder).
    env = render.environment(make_config(tmp_path))
    assert isinstance(env.bytecode_cache, jinja2.FileSystemBytecodeCache)
    cache = Path(env.bytecode_cache.directory)
    assert not cache.is_relative_to(tmp_path)
    assert cache.stat().st_mode & 0o077 == 0  # only its owner can read or write it


def test_the_inputs_key_holds_the_installed_renderers_versions() -> None:
    from importlib import metadata

    from aibot.render.incremental import _renderer_versions

    aibot_version, jinja_version, cmark, nh3_version = _renderer_versions()
    assert aibot_version == metadata.version("aibot")
    assert jinja_version == metadata.version("jinja2")
    assert nh3_version == metadata.version("nh3")
    import cmarkgfm._cmark  # no version attribute: its compiled library's size and time

    assert cmark.split(":")[0] == str(os.path.getsize(cmarkgfm._cmark.__file__ or ""))
