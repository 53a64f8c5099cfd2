"""The spine end to end, on a private copy of the demo: the issue's "must show" list."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from aibot.posts.frontmatter import load_post
from tests.conftest import feeds_over_http, run_cli, tree_digest
from tests.helpers.e2e import add_feed, post_of_story, story_labels, story_of_page


def _posts(demo: Path) -> list[Path]:
    return sorted((demo / "content" / "posts").rglob("*.md"))


# The sample's one wire story, carried word for word by two outlets (see its README): one source.
SYNDICATED_STORY = "ice-core"


def test_demo_run_writes_one_post_per_corroborated_story(demo_dir: Path) -> None:
    result = run_cli("run", "-c", str(demo_dir / "aibot.yaml"))
    assert result.exit_code == 0, result.output
    labels = story_labels(demo_dir)
    outlets_per_story: dict[str, set[str]] = {}
    for page, story in labels.items():
        if not page.startswith("extra/"):
            outlets_per_story.setdefault(story, set()).add(page.split("/")[1])
    corroborated = {s for s, outlets in outlets_per_story.items() if len(outlets) >= 2}
    assert SYNDICATED_STORY in corroborated
    corroborated.discard(SYNDICATED_STORY)
    assert "1 syndicated copy merged" in result.output
    waiting = [line for line in result.output.splitlines() if line.startswith("waiting: ")]
    assert len(waiting) == min(5, len(outlets_per_story) - len(corroborated)) + 1
    report = json.loads(run_cli("run", "-c", str(demo_dir / "aibot.yaml"), "--json").stdout)
    wire = [w for w in report["waiting"] if len(w["outlets"]) == 2]
    assert len(wire) == 1 and wire[0]["independent"] == 1  # two outlets, one wire text
    posts = _posts(demo_dir)
    assert len(posts) == len(corroborated)
    assert "7 ok, 0 failed" in result.output
    assert f"{len(posts)} written" in result.output
    index = demo_dir / "site" / "index.html"
    assert index.is_file()
    for path in posts:
        slug = path.stem
        page = demo_dir / "site" / "posts" / f"{slug}.html"
        assert page.is_file()
        assert "Written by" in page.read_text()
        post = load_post(path)
        assert post.meta["generator"]["writer"] == "extractive"
        assert len({s["outlet"] for s in post.meta["sources"]}) >= 2


def test_second_run_writes_nothing_and_changes_no_file(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    before = tree_digest(demo_dir / "content")
    mtimes = {p: p.stat().st_mtime_ns for p in _posts(demo_dir)}
    second = run_cli("run", "-c", config)
    assert second.exit_code == 0
    assert "0 new" in second.output
    assert "0 written, 0 updated" in second.output
    assert tree_digest(demo_dir / "content") == before
    assert {p: p.stat().st_mtime_ns for p in _posts(demo_dir)} == mtimes


def test_deleting_the_cache_makes_no_duplicate_posts(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    before = tree_digest(demo_dir / "content")
    shutil.rmtree(demo_dir / ".aibot")
    again = run_cli("run", "-c", config)
    assert again.exit_code == 0, again.output
    assert "0 written" in again.output
    assert tree_digest(demo_dir / "content") == before


def test_an_edited_post_survives_runs_and_new_sources(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    extra_feed = next((demo_dir / "sample" / "extra" / "feeds").glob("*.xml"))
    extra_page = next(p for p in story_labels(demo_dir) if p.startswith("extra/"))
    story_key = story_labels(demo_dir)[extra_page]
    sibling = next(
        p for p, s in story_labels(demo_dir).items() if s == story_key and p != extra_page
    )
    target = post_of_story(demo_dir, story_of_page(demo_dir, sibling))
    original = target.read_text()
    heading = re.search(r"^## .*$", original, re.M).group(0)
    edited = original.replace(heading, f"{heading}\n\nEDITOR'S NOTE.", 1)
    assert edited != target.read_text()
    target.write_text(edited)

    assert run_cli("run", "-c", config).exit_code == 0
    assert target.read_text() == edited

    add_feed(demo_dir, f"sample/extra/feeds/{extra_feed.name}", "Follow-up desk")
    result = run_cli("run", "-c", config)
    assert result.exit_code == 0, result.output
    assert target.read_text() == edited
    assert story_of_page(demo_dir, extra_page) == story_of_page(demo_dir, sibling)
    assert "is edited, not updated" in result.output
    assert "1 kept" in result.output


def test_an_unedited_post_is_updated_in_place_with_the_new_source(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    extra_feed = next((demo_dir / "sample" / "extra" / "feeds").glob("*.xml"))
    extra_page = next(p for p in story_labels(demo_dir) if p.startswith("extra/"))
    posts_before = _posts(demo_dir)
    add_feed(demo_dir, f"sample/extra/feeds/{extra_feed.name}", "Follow-up desk")
    result = run_cli("run", "-c", config)
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert _posts(demo_dir) == posts_before
    post = load_post(post_of_story(demo_dir, story_of_page(demo_dir, extra_page)))
    assert post.meta["updated"] >= post.meta["date"]
    assert "Follow-up desk" in {s["outlet"] for s in post.meta["sources"]}


def test_bad_feed_missing_page_and_broken_post_each_give_one_line(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    (demo_dir / "sample" / "feeds" / "broken.xml").write_text(
        "<rss version='2.0'><channel><title>Broken</title><item><title>x</title>"
    )
    (demo_dir / "sample" / "feeds" / "gaps.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Gaps</title><item>"
        "<title>An article whose page is gone</title><link>../pages/gaps/missing.html</link>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    add_feed(demo_dir, "sample/feeds/broken.xml", "Broken Wire")
    add_feed(demo_dir, "sample/feeds/gaps.xml", "Gaps Gazette")
    victim = _posts(demo_dir)[0]
    victim.write_text(victim.read_text().replace("title:", "title: [unclosed", 1))
    survivors = [p.stem for p in _posts(demo_dir) if p != victim]

    result = run_cli("run", "-c", config)
    assert result.exit_code == 0, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]
    assert len([p for p in problems if "Broken Wire" in p]) == 1
    assert len([p for p in problems if "missing.html" in p]) == 1
    assert len([p for p in problems if victim.name in p]) == 1
    assert f"{victim.name}:" in next(p for p in problems if victim.name in p)  # file:line
    assert len(problems) == 3
    for slug in survivors:
        assert (demo_dir / "site" / "posts" / f"{slug}.html").is_file()
    assert not (demo_dir / "site" / "posts" / f"{victim.stem}.html").exists()
    assert "[unclosed" in victim.read_text()  # never rewritten


def test_the_demo_over_loopback_http(demo_dir: Path, file_server) -> None:
    config_file = feeds_over_http(demo_dir, file_server(demo_dir / "sample"), True)
    result = run_cli("run", "-c", str(config_file))
    assert result.exit_code == 0, result.output
    assert "7 ok, 0 failed" in result.output
    assert _posts(demo_dir)


def test_private_hosts_are_refused_unless_allowed(demo_dir: Path, file_server) -> None:
    config_file = feeds_over_http(demo_dir, file_server(demo_dir / "sample"), False)
    result = run_cli("run", "-c", str(config_file))
    assert result.exit_code == 1
    assert "0 ok, 7 failed" in result.output
    assert "allow_private_hosts" in result.output
    assert not _posts(demo_dir)


def test_console_script_runs_the_demo_in_a_fresh_process(demo_dir: Path) -> None:
    env = {**os.environ, "ANTHROPIC_API_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "aibot", "run", "-c", str(demo_dir / "aibot.yaml")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # stderr holds progress lines only: no warning, no traceback.
    assert all(line.startswith("collect ") for line in done.stderr.splitlines()), done.stderr
    assert "site: " in done.stdout
    assert (demo_dir / "site" / "index.html").is_file()


def test_one_event_over_three_runs_stays_one_story_with_one_updated_post(demo_dir: Path) -> None:
    config_file = demo_dir / "aibot.yaml"
    raw = yaml.safe_load(config_file.read_text())
    every_feed = raw["feeds"]
    first_two = ["harbour-herald", "northgate-times"]
    labels = story_labels(demo_dir)
    strike_pages = sorted(p for p, story in labels.items() if story == "port-strike")
    later_outlets = [p.split("/")[1] for p in strike_pages if p.split("/")[1] not in first_two]
    assert len(later_outlets) >= 2

    def run_with(outlets: list[str]) -> Path:
        raw["feeds"] = [f for f in every_feed if Path(f["url"]).stem in outlets]
        config_file.write_text(yaml.safe_dump(raw, sort_keys=False))
        result = run_cli("run", "-c", str(config_file))
        assert result.exit_code == 0, result.output
        story = story_of_page(demo_dir, strike_pages[0])
        for page in strike_pages:
            if page.split("/")[1] in outlets:
                assert story_of_page(demo_dir, page) == story
        return post_of_story(demo_dir, story)

    first = run_with(first_two)
    post = load_post(first)
    assert len(post.meta["sources"]) == 2 and "updated" not in post.meta
    second = run_with([*first_two, later_outlets[0]])
    assert second == first
    post2 = load_post(second)
    assert len(post2.meta["sources"]) == 3
    assert post2.meta["date"] == post.meta["date"] and post2.meta["updated"] >= post.meta["date"]
    third = run_with([*first_two, *later_outlets[:2]])
    assert third == first
    post3 = load_post(third)
    assert len(post3.meta["sources"]) == 4
    assert post3.meta["updated"] >= post2.meta["updated"]
    assert post3.meta["slug"] == post.meta["slug"]
