"""The command line as a user meets it: every command's summary in `aibot --help`, `-c` on
every command that reads the settings, counts in words, scheduled posts in the build report,
and `aibot new` for a hand-written post."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot.cli import main
from aibot.posts.files import is_protected, load_posts
from aibot.posts.frontmatter import load_post
from aibot.support.plural import counted
from tests.helpers.site import add_post

CONFIG = "site:\n  title: Harbour Daily\nfeeds:\n  - url: https://wire.example.org/rss.xml\n"


def aibot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", *args], capture_output=True, text=True, timeout=120,
        cwd=cwd, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_help_gives_every_command_a_whole_summary() -> None:
    done = aibot("--help")
    assert done.returncode == 0
    listed = done.stdout.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed]
    assert names == sorted(main.commands)
    for line in listed:
        assert not line.endswith("..."), line
        assert len(line) <= 80, line
    assert "  new      Start a hand-written post titled TITLE." in listed


@pytest.mark.parametrize("noun", [("post", "posts"), ("copy", "copies")])
def test_counted_uses_the_singular_for_one_only(noun: tuple[str, str]) -> None:
    one, many = noun
    plural = many if many != one + "s" else ""
    assert [counted(n, one, plural) for n in (0, 1, 2)] == [f"0 {many}", f"1 {one}", f"2 {many}"]


def test_feeds_import_takes_c_after_the_subcommand(folder: Path) -> None:
    opml = folder / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head><body>'
        '<outline text="Lab Notes" type="rss" xmlUrl="https://lab.example/feed"/></body></opml>',
        encoding="utf-8",
    )
    done = aibot("feeds", "import", "-c", str(folder / "aibot.yaml"), str(opml), cwd=folder.parent)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{folder / 'aibot.yaml'}: 1 feed added, 0 already listed\n"


def test_check_counts_in_words(folder: Path) -> None:
    when = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    add_post(folder, "ferry-fares-rise", "Ferry fares rise", when, "Fares rise in April.\n")
    done = aibot("check", "-c", str(folder / "aibot.yaml"))
    assert (
        done.stdout
        == f"{folder / 'aibot.yaml'}: ok, 1 feed; 1 post ok, 0 with errors, 0 warnings\n"
    )


def test_build_reports_the_posts_it_left_out_for_their_date(folder: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    add_post(folder, "ferry-fares-rise", "Ferry fares rise", now - timedelta(days=1), "Text.\n")
    soon, later = now + timedelta(days=3), now + timedelta(days=9)
    add_post(folder, "quay-reopens", "Quay reopens", later, "Text.\n")
    add_post(folder, "bridge-vote", "Bridge vote", soon, "Text.\n")
    config = str(folder / "aibot.yaml")
    expected = (
        f"2 scheduled (next: {soon:%Y-%m-%d %H:%M} UTC): left out until their date; "
        "--future builds them now"
    )
    first = aibot("build", "-c", config)
    assert first.returncode == 0, first.stderr
    built, scheduled = first.stdout.splitlines()
    assert built.startswith("built 1 post, ")
    assert scheduled == expected
    again = aibot("build", "-c", config)  # nothing changed: told from the last build's record
    assert again.stdout.splitlines()[1] == expected
    everything = aibot("build", "-c", config, "--future")
    assert everything.stdout.startswith("built 3 posts, ")
    assert "scheduled" not in everything.stdout


# aibot new


def test_new_writes_a_locked_hand_written_draft_and_prints_its_path(folder: Path) -> None:
    done = aibot("new", "Calder Bay: harbour reopens", "--tag", "local", cwd=folder)
    path = next((folder / "content" / "posts").rglob("*.md"))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"{path}: a draft; write the text under the front matter, then set draft: false\n"
    )
    year = datetime.now(UTC).year
    assert path == folder / "content" / "posts" / str(year) / "calder-bay-harbour-reopens.md"
    post = load_post(path)
    assert post.meta["title"] == "Calder Bay: harbour reopens"
    assert post.meta["tags"] == ["local"]
    assert post.meta["generator"] == {"writer": "hand-written", "slug": post.slug}
    assert post.is_draft and post.meta["locked"] is True and is_protected(post)
    assert abs(post.date - datetime.now(UTC)) < timedelta(minutes=5)
    assert aibot("check", cwd=folder).returncode == 0


def test_a_published_hand_written_post_is_not_credited_to_the_ai(folder: Path) -> None:
    assert aibot("new", "Harbour reopens", cwd=folder).returncode == 0
    path = next((folder / "content" / "posts").rglob("*.md"))
    text = path.read_text(encoding="utf-8").replace("draft: true", "draft: false")
    path.write_text(text + "The harbour reopened on Monday.\n", encoding="utf-8")
    built = aibot("build", cwd=folder)
    assert built.returncode == 0, built.stdout + built.stderr
    page = (folder / "site" / "posts" / "harbour-reopens.html").read_text(encoding="utf-8")
    assert "Written by the editors" in page
    assert 'class="disclaimer"' not in page and 'rel="author"' not in page
    path.write_text(text.replace("draft: false", "draft: false\nauthor: Ana Reyes"), "utf-8")
    assert aibot("build", cwd=folder).returncode == 0
    page = (folder / "site" / "posts" / "harbour-reopens.html").read_text(encoding="utf-8")
    assert "Written by Ana Reyes" in page


def test_new_never_overwrites_a_file_or_reuses_a_slug(folder: Path) -> None:
    assert aibot("new", "Harbour reopens", cwd=folder).returncode == 0
    path = next((folder / "content" / "posts").rglob("*.md"))
    path.write_text(path.read_text(encoding="utf-8") + "My words.\n", encoding="utf-8")
    kept = path.read_bytes()
    again = aibot("new", "Harbour reopens", cwd=folder)
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == f"error: {path} exists already; nothing was written\n"
    assert path.read_bytes() == kept
    old = add_post(folder, "bridge-vote", "Bridge vote", datetime(2020, 5, 1, tzinfo=UTC), "T.\n")
    taken = aibot("new", "A second bridge story", "--slug", "bridge-vote", cwd=folder)
    assert taken.returncode == 1
    assert taken.stderr == (
        f"error: the slug bridge-vote is already used by {old}; choose another with --slug\n"
    )
    posts, errors = load_posts(folder / "content" / "posts")
    assert (len(posts), errors) == (2, [])


def test_new_refuses_a_slug_the_site_cannot_use(folder: Path) -> None:
    done = aibot("new", "Tags", "--slug", "tags", cwd=folder)
    assert done.returncode == 1
    assert done.stderr == (
        "error: 'tags' cannot be a slug: lowercase letters, digits and single hyphens, at most "
        "80 characters, not a name the site uses itself (index, tags, feed, …)\n"
    )
    assert not (folder / "content").exists()


def test_a_run_leaves_a_new_post_as_it_is(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    made = aibot("new", "Harbour Herald reader letters", "-c", config)
    assert made.returncode == 0, made.stderr
    path = next((demo_dir / "content" / "posts").rglob("*.md"))
    before = path.read_bytes()
    run = aibot("run", "-c", config)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "9 written" in run.stdout
    assert path.read_bytes() == before
