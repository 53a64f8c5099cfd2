"""A damaged or foreign cache database (.aibot/aibot.sqlite): detected, moved aside, rebuilt.

The promise: whatever the cache file has become, `aibot run` completes, the file is moved aside
under a name the run report gives (`note: the cache was ... moved to <path>`), a fresh cache is
built, and content/ is byte-for-byte what it was (the cache is only a cache: the posts are
found again by their story and source URLs, none is written twice).

Each case starts from the demo after one clean run (content/, site/ and a real cache), breaks
the cache one way, and runs `aibot run` again.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from aibot.store import Store
from tests.conftest import DEMO, run_cli, tree_digest

CACHE = Path(".aibot") / "aibot.sqlite"


@pytest.fixture(scope="module")
def after_one_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo after one clean run; its cache checkpointed into the one file."""
    folder = tmp_path_factory.mktemp("cache-damage") / "demo"
    folder.mkdir()
    raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
    raw["cluster"]["embeddings"] = "off"  # the sentence model would only make each run slower
    (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copytree(DEMO / "sample", folder / "sample")
    result = run_cli("run", "-c", str(folder / "aibot.yaml"))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(folder / CACHE) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


def _garbage(cache: Path) -> None:
    cache.write_bytes(b"\x00\xffThis is not a database.\n" * 400)


def _truncated(cache: Path) -> None:
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2])


def _pages_overwritten(cache: Path) -> None:
    """The pages of two tables every run reads overwritten (a bad disk block, a torn copy):
    the file opens, and the damage shows only when a run reads those pages."""
    with sqlite3.connect(cache) as db:
        pages = [
            row[0]
            for row in db.execute(
                "SELECT pageno FROM dbstat WHERE name IN ('seen_urls', 'stories')"
            )
        ]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    assert pages
    data = bytearray(cache.read_bytes())
    for page in pages:
        data[(page - 1) * size : page * size] = b"\xde\xad\xbe\xef" * (size // 4)
    cache.write_bytes(bytes(data))


def _older_version(cache: Path) -> None:
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")


def _another_programs_database(cache: Path) -> None:
    """Valid SQLite with no schema version and a table of ours by name with other columns."""
    cache.unlink()
    with sqlite3.connect(cache) as db:
        db.execute("CREATE TABLE feeds (url TEXT, subscribers INTEGER)")
        db.execute("INSERT INTO feeds VALUES ('https://elsewhere.example/feed', 3)")


def _a_directory(cache: Path) -> None:
    cache.unlink()
    cache.mkdir()
    (cache / "notes.txt").write_text("someone's folder\n")


def _a_symlink_loop(cache: Path) -> None:
    """A file no one can open, root included (ELOOP)."""
    cache.unlink()
    cache.symlink_to(cache.name)


def _unreadable(cache: Path) -> None:
    """Mode 000 (root reads it all the same: then it is garbage, moved aside as such)."""
    _garbage(cache)
    cache.chmod(0)


def _damaged_again(cache: Path) -> None:
    """A second damage: the first one's .broken (a folder here) is kept, not overwritten."""
    first = cache.with_name(cache.name + ".broken")
    first.mkdir()
    (first / "kept.txt").write_text("the first damaged cache\n")
    _garbage(cache)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage bytes": _garbage,
    "truncated to half": _truncated,
    "pages overwritten": _pages_overwritten,
    "an older schema version": _older_version,
    "another program's database": _another_programs_database,
    "a directory": _a_directory,
    "a symbolic link to itself": _a_symlink_loop,
    "unreadable (mode 000)": _unreadable,
    "damaged a second time": _damaged_again,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_broken_cache_is_moved_aside_and_rebuilt_and_the_posts_are_untouched(
    after_one_run: Path, tmp_path: Path, damage: str
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(after_one_run, folder, symlinks=True)
    cache = folder / CACHE
    DAMAGE[damage](cache)
    before = tree_digest(folder / "content")
    try:
        result = run_cli("run", "-c", str(folder / "aibot.yaml"))
    finally:
        _readable(cache.parent)
    assert result.exit_code == 0, result.output
    aside = cache.with_name(
        cache.name + (".broken-2" if damage == "damaged a second time" else ".broken")
    )
    assert f"moved to {aside}" in result.output, result.output
    assert os.path.lexists(aside), f"{aside} was not kept for inspection"
    assert "0 written, 0 updated" in result.output, "a post was written again"
    assert tree_digest(folder / "content") == before
    assert (folder / "site" / "index.html").is_file()
    with Store(cache) as fresh:  # the new cache is whole and holds this run's work
        assert fresh.moved_aside is None
        assert fresh.all_stories() and fresh.last_run() is not None
    if damage == "damaged a second time":
        assert (cache.with_name(cache.name + ".broken") / "kept.txt").is_file()


def test_each_damage_leaves_a_file_that_is_not_a_good_cache(
    after_one_run: Path, tmp_path: Path
) -> None:
    """Not vacuous: the undamaged cache passes this check, and every damaged file fails it
    (cannot be opened, fails SQLite's own check, or is not of our schema and version)."""
    assert _good_cache(after_one_run / CACHE)
    for name, damage in DAMAGE.items():
        folder = tmp_path / name.replace(" ", "-").replace("'", "")
        folder.mkdir()
        cache = folder / "aibot.sqlite"
        shutil.copy(after_one_run / CACHE, cache)
        damage(cache)
        try:
            assert not _good_cache(cache), f"{name}: the damaged file is a good cache"
        finally:
            _readable(folder)


def _good_cache(cache: Path) -> bool:
    try:
        with sqlite3.connect(f"{cache.as_uri()}?mode=ro", uri=True) as db:
            if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
                return False
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            columns = {r[1] for r in db.execute("PRAGMA table_info(feeds)")}
    except sqlite3.Error:
        return False
    return version == ("2",) and "etag" in columns and os.access(cache, os.R_OK)


def _readable(folder: Path) -> None:
    for path in folder.iterdir():
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
