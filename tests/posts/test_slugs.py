"""Two post files with one slug: which one keeps the URL never depends on how the files sort.

The post the last build published under the slug keeps it; without an earlier build, the earlier
date, then the file named after the slug, then the path. The other is reported and left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aibot.models import Post
from aibot.posts.files import load_posts
from aibot.posts.slugs import holders_file, save_holders

SLUG = "harbour-reopens"


def _post(title: str, date: str, slug: str = SLUG) -> str:
    return (
        f"---\ntitle: {title}\nslug: {slug}\ndate: {date}\n"
        "summary: The harbour at Wrenmouth opens to boats again.\n---\n\n"
        f"{title}. Boats from Fennick Isle tied up at the north quay by noon.\n"
    )


ORIGINAL = _post("Wrenmouth harbour reopens after storm repairs", "2026-03-02T08:00:00Z")


def _site(tmp_path: Path) -> Path:
    (tmp_path / "aibot.yaml").write_text(
        "site: {title: Wrenmouth News, base_url: 'https://news.example/'}\n"
        "feeds:\n  - {url: 'https://wrenmouth.example/rss.xml', name: Wrenmouth Tide}\n"
    )
    posts = tmp_path / "content" / "posts" / "2026"
    posts.mkdir(parents=True)
    return posts


def _build(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", "build"],
        cwd=site, env=os.environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _problem(loser: Path, keeper: Path, why: str) -> str:
    return (
        f"problem: post {loser}:3: slug: {SLUG!r} is already used by {keeper}, which keeps it "
        f"({why}); give this post another slug to publish it\n"
    )


def test_a_copied_post_never_takes_over_the_published_url(tmp_path: Path) -> None:
    posts = _site(tmp_path)
    original = posts / f"{SLUG}.md"
    original.write_text(ORIGINAL)
    first = _build(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    page = tmp_path / "site" / "posts" / f"{SLUG}.html"
    assert "Wrenmouth harbour reopens after storm repairs" in page.read_text()

    # Sorts first by path and is dated earlier: only the last build says which post is the
    # published one.
    copy = posts / "copy-of-harbour.md"
    copy.write_text(_post("Copy of the harbour story", "2026-03-01T08:00:00Z"))
    second = _build(tmp_path)
    assert second.returncode == 1
    assert second.stdout.startswith(_problem(copy, original, "it had the slug at the last build"))
    assert second.stdout.count("problem:") == 1
    shown = page.read_text()
    assert "Wrenmouth harbour reopens after storm repairs" in shown
    assert "Copy of the harbour story" not in shown
    assert not (tmp_path / "site" / "posts" / "copy-of-harbour.html").exists()

    copy.write_text(_post("Copy of the harbour story", "2026-03-01T08:00:00Z", "harbour-copy"))
    third = _build(tmp_path)
    assert (third.returncode, third.stderr) == (0, "")
    assert "problem:" not in third.stdout
    assert "Copy of the harbour story" in (page.parent / "harbour-copy.html").read_text()
    assert "Wrenmouth harbour reopens after storm repairs" in page.read_text()


def test_without_an_earlier_build_a_copy_loses_to_the_file_named_after_the_slug(
    tmp_path: Path,
) -> None:
    posts = _site(tmp_path)
    original = posts / f"{SLUG}.md"
    original.write_text(ORIGINAL)
    copy = posts / "copy-of-harbour.md"  # `cp`: the same date, a path that sorts first
    copy.write_text(ORIGINAL.replace("title: Wrenmouth", "title: Copied Wrenmouth"))
    built = _build(tmp_path)
    assert built.returncode == 1
    assert built.stdout.startswith(_problem(copy, original, "its file is named after the slug"))
    page = (tmp_path / "site" / "posts" / f"{SLUG}.html").read_text()
    assert "Wrenmouth harbour reopens" in page and "Copied Wrenmouth" not in page


def test_without_an_earlier_build_the_earlier_date_keeps_the_slug(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    (posts / "2026").mkdir(parents=True)
    later = posts / "2026" / f"{SLUG}.md"  # named after the slug, but dated later
    later.write_text(_post("Harbour reopens, later report", "2026-03-05T08:00:00Z"))
    earlier = posts / "2026" / "z-harbour.md"
    earlier.write_text(_post("Harbour reopens, first report", "2026-03-02T08:00:00Z"))
    kept, errors = load_posts(posts)
    assert [p.path for p in kept] == [earlier]
    assert [str(e) for e in errors] == [
        f"{later}:3: slug: {SLUG!r} is already used by {earlier}, which keeps it (it is dated "
        "earlier); give this post another slug to publish it"
    ]


def test_at_the_same_date_and_name_the_path_decides(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for name in ("b-harbour.md", "a-harbour.md"):
        (posts / "2026").mkdir(parents=True, exist_ok=True)
        (posts / "2026" / name).write_text(ORIGINAL)
    kept, errors = load_posts(posts)
    assert [p.path.name for p in kept] == ["a-harbour.md"]
    assert [e.path.name for e in errors] == ["b-harbour.md"]
    assert "(its path sorts first)" in str(errors[0])


def test_the_recorded_holder_wins_over_every_other_rule(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    (posts / "2026").mkdir(parents=True)
    named = posts / "2026" / f"{SLUG}.md"
    named.write_text(ORIGINAL)
    later = posts / "2026" / "z-later.md"
    later.write_text(_post("Harbour reopens, later report", "2026-03-09T08:00:00Z"))
    record = holders_file(tmp_path / ".aibot")
    save_holders(record, posts, [Post(meta={"slug": SLUG}, body="", path=later)])
    kept, errors = load_posts(posts, holders=record)
    assert [p.path for p in kept] == [later]
    assert [e.path for e in errors] == [named]
    assert "(it had the slug at the last build)" in str(errors[0])


def test_an_unreadable_record_falls_back_to_the_rules(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    (posts / "2026").mkdir(parents=True)
    (posts / "2026" / f"{SLUG}.md").write_text(ORIGINAL)
    (posts / "2026" / "a-copy.md").write_text(ORIGINAL)
    record = holders_file(tmp_path / ".aibot")
    record.parent.mkdir()
    record.write_text("{not json")
    kept, errors = load_posts(posts, holders=record)
    assert [p.path.name for p in kept] == [f"{SLUG}.md"]
    assert "(its file is named after the slug)" in str(errors[0])
