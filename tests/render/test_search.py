"""Search: Pagefind indexes the built demo site, and a missing, failing or hanging pagefind binary
is a problem line in the report, never an exception, leaving no half-written index behind."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from aibot.render import search
from aibot.render.markdown import sources_unindexed
from aibot.render.search import BINARY_ENV, index_site
from tests.helpers.search import built_demo_site, post_pages


def fragments(bundle: Path) -> list[dict]:
    """Pagefind's per-page fragments of every shard: gzip, a 'pagefind_dcd' signature, JSON."""
    found = []
    for file in sorted(bundle.glob("*/fragment/*.pf_fragment")):
        data = gzip.decompress(file.read_bytes())
        assert data.startswith(b"pagefind_dcd"), file
        found.append(json.loads(data.removeprefix(b"pagefind_dcd")))
    return found


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_demo_site(tmp_path_factory)


@pytest.fixture
def site_copy(demo_site: Path, tmp_path: Path) -> Path:
    """A private copy of the built demo site without any search index."""
    target = tmp_path / "site"
    shutil.copytree(demo_site, target, ignore=shutil.ignore_patterns("pagefind"))
    return target


def test_index_site_writes_the_pagefind_bundle(site_copy: Path) -> None:
    report = index_site(site_copy)
    assert report.ok, report.problems
    assert report.problems == []
    assert report.output == site_copy / "pagefind"
    assert re.fullmatch(r"\d+\.\d+\.\d+", report.version), report.version
    # A small site is one shard, listed for search.js.
    listing = json.loads((report.output / "shards.json").read_text())
    assert listing == {"shards": ["s00"], "delta": None, "hidden": []}
    bundle = report.output / "s00"
    for name in ("pagefind.js", "pagefind-entry.json", "pagefind-worker.js"):
        assert (bundle / name).is_file(), name
    assert list(bundle.glob("wasm.*.pagefind"))
    assert list(bundle.glob("index/*.pf_index"))
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert entry["version"] == report.version
    assert "en" in entry["languages"]
    posts = post_pages(site_copy)
    assert posts and report.pages >= len(posts)
    assert 0 < report.seconds < 60


def test_every_post_is_in_the_index(site_copy: Path) -> None:
    report = index_site(site_copy)
    assert report.ok, report.problems
    indexed = {f["url"] for f in fragments(report.output)}
    for post in post_pages(site_copy):
        assert f"/posts/{post.name}" in indexed, post.name


def test_only_post_bodies_are_indexed(site_copy: Path) -> None:
    """With `data-pagefind-body` on the post article, home, tag and other pages stay out of the
    index and a post's text does not include the site's header, footer or nav."""
    posts = post_pages(site_copy)
    report = index_site(site_copy)
    assert report.ok, report.problems
    found = fragments(report.output)
    assert sorted(f["url"] for f in found) == sorted(f"/posts/{p.name}" for p in posts)
    for fragment in found:
        assert "Skip to content" not in fragment["content"], fragment["url"]
        # The byline is the same on every post: "written" or the date would find them all.
        assert "Written by" not in fragment["content"], fragment["url"]
        assert "Published" not in fragment["content"], fragment["url"]
        assert re.search(r"Based on \d+ reports|Single-source report", fragment["content"])
        # Nor the Sources list: its headlines repeat the post's, its outlets are named above.
        assert "Sources." not in fragment["content"], fragment["url"]
        assert not any(a["id"].startswith("source-") for a in fragment["anchors"])


def test_missing_binary_is_a_problem_line_not_an_exception(site_copy: Path) -> None:
    report = index_site(site_copy, binary=site_copy / "no-such-pagefind")
    assert not report.ok
    assert len(report.problems) == 1
    assert "pagefind could not run" in report.problems[0]
    assert "without search" in report.problems[0]
    assert not (site_copy / "pagefind").exists()
    assert (site_copy / "index.html").is_file()  # the site itself is untouched


def test_binary_from_the_environment(site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BINARY_ENV, str(site_copy / "no-such-pagefind"))
    report = index_site(site_copy)
    assert not report.ok
    assert report.binary == str(site_copy / "no-such-pagefind")
    assert "pagefind could not run" in report.problems[0]


def test_no_binary_anywhere(site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BINARY_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "pagefind_bin", None)  # as if `pagefind[bin]` were absent
    monkeypatch.setenv("PATH", str(site_copy / "empty"))
    report = index_site(site_copy)
    assert not report.ok
    assert report.problems == [
        "search: no pagefind binary found (pip install 'pagefind[bin]'); "
        "the site was built without search"
    ]


def _script(folder: Path, body: str) -> Path:
    script = folder / "fake-pagefind"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


def test_failing_binary_leaves_no_half_written_index(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "pagefind").mkdir()
    (site_copy / "pagefind" / "pagefind.js").write_text("// half-written")
    fake = _script(tmp_path, 'echo "Error: the disk is full" >&2; exit 3')
    report = index_site(site_copy, binary=fake)
    assert not report.ok
    assert report.problems == [
        "search: pagefind failed (exit 3): the disk is full; the site was built without search"
    ]
    assert not (site_copy / "pagefind").exists()


def test_binary_that_writes_nothing_is_a_failure(site_copy: Path, tmp_path: Path) -> None:
    report = index_site(site_copy, binary=_script(tmp_path, "exit 0"))
    assert not report.ok
    assert "pagefind failed (exit 0)" in report.problems[0]


def test_hanging_binary_times_out(site_copy: Path, tmp_path: Path) -> None:
    report = index_site(site_copy, binary=_script(tmp_path, "exec sleep 30"), timeout=0.5)
    assert not report.ok
    assert "TimeoutExpired" in report.problems[0]
    assert report.seconds < 10


def test_an_unchanged_site_reuses_the_previous_index(site_copy: Path, tmp_path: Path) -> None:
    first = index_site(site_copy)
    assert first.ok and not first.reused
    again = tmp_path / "again"
    shutil.copytree(site_copy, again, ignore=shutil.ignore_patterns("pagefind"))
    second = index_site(again, previous=site_copy)
    assert second.ok and second.reused, second.problems
    assert (second.pages, second.words) == (first.pages, first.words)
    old, new = first.output, second.output
    assert sorted(p.relative_to(new) for p in new.rglob("*")) == sorted(
        p.relative_to(old) for p in old.rglob("*")
    )
    linked = "s00/pagefind.js"
    assert (new / linked).stat().st_ino == (old / linked).stat().st_ino


def test_a_changed_page_is_indexed_again(site_copy: Path, tmp_path: Path) -> None:
    assert index_site(site_copy).ok
    edited = tmp_path / "edited"
    shutil.copytree(site_copy, edited)  # the old bundle comes along, as a stale copy would
    post = post_pages(edited)[0]
    post.write_text(post.read_text().replace("</h1>", " xylophonic</h1>", 1))
    report = index_site(edited, previous=site_copy)
    assert report.ok and not report.reused
    assert any("xylophonic" in f["content"] for f in fragments(report.output))
    assert not any("xylophonic" in f["content"] for f in fragments(site_copy / "pagefind"))


def test_posts_split_into_shards_and_one_edit_reindexes_one_shard(
    site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_POSTS", 2)
    posts = post_pages(site_copy)
    keys = {p.relative_to(site_copy).as_posix(): f"v1 {p.name}" for p in posts}
    count = search.shard_count(len(keys))
    assert count >= 4 and count & (count - 1) == 0  # a power of two
    first = index_site(site_copy, pages=keys)
    assert first.ok, first.problems
    names = json.loads((first.output / "shards.json").read_text())["shards"]
    # One bundle per shard some page hashes to (Pagefind cannot index an empty one).
    assert names == sorted({f"s{search.shard_of(href, count):02d}" for href in keys})
    assert len(names) > 1
    # Every post is in exactly the shard its path hashes to, and only there.
    placed: dict[str, str] = {}
    for name in names:
        for fragment in fragments_of(first.output / name):
            assert fragment["url"] not in placed, fragment["url"]
            placed[fragment["url"]] = name
    assert placed == {f"/{href}": f"s{search.shard_of(href, count):02d}" for href in keys}

    # One page edited: every shard is kept as it was (hard links), the page goes into the delta
    # and its stale entry in its shard is listed as hidden.
    again = tmp_path / "again"
    shutil.copytree(site_copy, again, ignore=shutil.ignore_patterns("pagefind"))
    edited = next(iter(keys))
    page = again / edited
    page.write_text(page.read_text().replace("</h1>", " xylophonic</h1>", 1))
    second = index_site(again, previous=site_copy, pages={**keys, edited: "v2"})
    assert second.ok, second.problems
    assert second.reused_shards == len(names) and not second.reused
    listing = json.loads((second.output / "shards.json").read_text())
    assert listing["shards"] == names and listing["delta"] == "delta"
    assert [f["url"] for f in fragments_of(second.output / "delta")] == [f"/{edited}"]
    assert any("xylophonic" in f["content"] for f in fragments_of(second.output / "delta"))
    home = f"s{search.shard_of(edited, count):02d}"
    stale = [p.stem for p in (second.output / home / "fragment").glob("*.pf_fragment")
             if fragments_of_file(p)["url"] == f"/{edited}"]  # fmt: skip
    assert listing["hidden"] == stale and len(stale) == 1
    for name in names:
        assert (second.output / name / "pagefind-entry.json").stat().st_ino == (
            first.output / name / "pagefind-entry.json"
        ).stat().st_ino, name
    assert second.pages == len(keys)  # each page counted once


def test_past_the_delta_limit_the_stale_shards_are_made_again(
    site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = post_pages(site_copy)
    # Shards small enough for several, and as many with one page fewer (see the deletion).
    for size in range(2, len(posts)):
        monkeypatch.setattr(search, "SHARD_POSTS", size)
        if search.shard_count(len(posts)) == search.shard_count(len(posts) - 1) > 1:
            break
    else:
        raise AssertionError("no shard size gives the demo several shards")
    monkeypatch.setattr(search, "DELTA_LIMIT", 1)
    keys = {p.relative_to(site_copy).as_posix(): "v1" for p in posts}
    count = search.shard_count(len(keys))
    first = index_site(site_copy, pages=keys)
    assert first.ok, first.problems
    names = json.loads((first.output / "shards.json").read_text())["shards"]
    again = tmp_path / "again"
    shutil.copytree(site_copy, again, ignore=shutil.ignore_patterns("pagefind"))
    edited = sorted(keys)[:2]  # two pages: past the limit of one
    second = index_site(again, previous=site_copy, pages={**keys, **dict.fromkeys(edited, "v2")})
    assert second.ok, second.problems
    listing = json.loads((second.output / "shards.json").read_text())
    assert listing == {"shards": names, "delta": None, "hidden": []}
    homes = {f"s{search.shard_of(href, count):02d}" for href in edited}
    for name in names:
        same = (second.output / name / "pagefind-entry.json").stat().st_ino == (
            first.output / name / "pagefind-entry.json"
        ).stat().st_ino
        assert same == (name not in homes), name
    # A page deleted later is hidden from its shard, with nothing in the delta for it.
    monkeypatch.setattr(search, "DELTA_LIMIT", 64)
    third_site = tmp_path / "third"
    shutil.copytree(again, third_site, ignore=shutil.ignore_patterns("pagefind"))
    gone = sorted(keys)[-1]
    (third_site / gone).unlink()
    rest = {h: k for h, k in {**keys, **dict.fromkeys(edited, "v2")}.items() if h != gone}
    third = index_site(third_site, previous=again, pages=rest)
    assert third.ok, third.problems
    listing = json.loads((third.output / "shards.json").read_text())
    assert listing["delta"] is None and len(listing["hidden"]) == 1


def fragments_of_file(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))


def fragments_of(shard: Path) -> list[dict]:
    found = []
    for file in sorted((shard / "fragment").glob("*.pf_fragment")):
        data = gzip.decompress(file.read_bytes())
        found.append(json.loads(data.removeprefix(b"pagefind_dcd")))
    return found


def test_only_a_whole_sources_section_is_kept_out_of_the_index() -> None:
    body = (
        '<p>Text.</p>\n<h2 id="sources">Sources</h2>\n<ol>\n<li>A</li>\n</ol>\n<h2>Updates</h2>\n'
    )
    assert str(sources_unindexed(body)) == (
        '<p>Text.</p>\n<div class="sources" data-pagefind-ignore>\n<h2 id="sources">Sources</h2>'
        "\n<ol>\n<li>A</li>\n</ol>\n</div>\n<h2>Updates</h2>\n"
    )
    # An editor who moved the heading into a quote or a list: nothing is wrapped (a <div> there
    # would close elements it did not open).
    quoted = '<blockquote>\n<h2 id="sources">Sources</h2>\n</blockquote>\n<p>x</p>\n'
    assert str(sources_unindexed(quoted)) == quoted
    assert str(sources_unindexed("<p>No sources.</p>")) == "<p>No sources.</p>"


def test_each_bundle_is_indexed_once_its_pages_are_written(
    site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build indexes while it renders: `written(pages)` returns once those pages are on disk,
    and Pagefind must not run on a shard before. Here the pages appear only when asked for."""
    monkeypatch.setattr(search, "SHARD_POSTS", 2)
    posts = post_pages(site_copy)
    keys = {p.relative_to(site_copy).as_posix(): f"v1 {p.name}" for p in posts}
    count = search.shard_count(len(keys))
    aside = tmp_path / "aside"
    for href in keys:
        (aside / href).parent.mkdir(parents=True, exist_ok=True)
        (site_copy / href).rename(aside / href)
    asked: list[frozenset[str]] = []

    def written(pages: Iterable[str]) -> None:
        pages = frozenset(pages)
        asked.append(pages)
        for href in pages:
            (aside / href).rename(site_copy / href)

    report = index_site(site_copy, pages=keys, written=written)

    assert report.ok, report.problems
    shards: dict[int, set[str]] = {}
    for href in keys:
        shards.setdefault(search.shard_of(href, count), set()).add(href)
    assert sorted(asked, key=sorted) == sorted(map(frozenset, shards.values()), key=sorted)
    assert sorted(f["url"] for f in fragments(report.output)) == sorted(f"/{h}" for h in keys)


def test_a_failed_render_stops_the_index_and_leaves_none(site_copy: Path) -> None:
    def written(_pages: Iterable[str]) -> None:
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError, match="rendering failed"):
        index_site(site_copy, written=written)
    assert not (site_copy / "pagefind").exists()


@pytest.mark.parametrize(
    "document",
    [
        {"url": "/posts/a.html", "content": "Text é " * 500},
        {"url": "/posts/" + "long-" * 600 + ".html", "content": "x"},  # past the unpacked head
        {"content": "the URL comes second", "url": "/posts/b.html"},
        {"url": '/posts/caf\u00e9 "quoted".html', "content": "escaped characters"},
    ],
)
def test_a_fragment_names_its_page(document: dict, tmp_path: Path) -> None:
    fragment = tmp_path / "x.pf_fragment"
    fragment.write_bytes(gzip.compress(b"pagefind_dcd" + json.dumps(document).encode()))
    assert search._fragment_url(fragment) == document["url"]


def test_the_pagefind_version_is_the_installed_package_s() -> None:
    from importlib import metadata

    binary = search.find_binary()
    assert binary is not None
    assert search._version(binary, timeout=30) == metadata.version("pagefind_bin")
