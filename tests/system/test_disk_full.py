"""The disk fills up (ENOSPC) while a post or the site is being written.

The promise: the error is reported (the run report names the post file and the error; a build
says it failed and kept the previous site), the old files are intact (a post being rewritten
keeps its old bytes, site/ stays the old build byte for byte), no temp file or staging folder is
left behind, and once there is room again the next run ends with the content of one clean run.

How the disk fills: `FullDisk` lets Python's writes to files under a folder through until `room`
more bytes were written there, then writes what still fits and raises OSError(ENOSPC) as
write(2) does, without a file name. It covers open(), io.open, os.fdopen, Path.write_* (all go
through io.open) and shutil's copies (made to copy through Python). Not covered: SQLite's own
writes (C) and the Pagefind process; a portable stand-in for a full file system, which a test
could only mount as root.

Where the disk fills is taken from a clean run's own writes (the run is deterministic): in the
middle of each post file it writes, and at the first, middle and last file of its build.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from aibot.models import Post
from aibot.posts.files import is_edited, save_post
from aibot.posts.frontmatter import load_post, post_text
from aibot.render.incremental import MARKER
from tests.conftest import DEMO, run_cli, tree_digest
from tests.helpers.crash import TEMP_FILE, assert_whole_site, site_files

NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"


# A disk that fills up


class FullDisk:
    """Writes under `root` fail with ENOSPC once `room` more bytes were written there."""

    def __init__(self, root: Path, room: float | str) -> None:
        self.root = os.path.realpath(root)
        # Bytes of room, or the name of a file in the site being built: the disk then fills
        # halfway through writing that file (how many bytes come before it varies from run to
        # run by a few KB, so a byte count alone may miss the last file).
        self.room = room if isinstance(room, float | int) else float("inf")
        self.fill_at = room if isinstance(room, str) else None
        self.written = 0
        self.log: list[tuple[str, int, int]] = []  # (file, bytes written before, size)
        self.refused: list[str] = []  # the files a write failed for

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FullDisk:
        real_open = io.open

        def filling_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(file, mode, *args, **kwargs)
            path = self._path(file) if any(c in mode for c in "wax+") else None
            return _Filling(handle, path, self) if path else handle

        monkeypatch.setattr(io, "open", filling_open)
        monkeypatch.setattr(builtins, "open", filling_open)
        monkeypatch.setattr(shutil, "_USE_CP_SENDFILE", False)  # copies go through open()
        monkeypatch.setattr(shutil, "_HAS_FCOPYFILE", False)
        return self

    def _path(self, file: Any) -> str | None:
        """The file's real path when it is under `root`, else None."""
        if isinstance(file, int):
            try:
                path = os.readlink(f"/proc/self/fd/{file}")
            except OSError:  # no /proc: count it as under root
                return f"fd {file}"
        else:
            path = os.path.realpath(os.fsdecode(file))
        return path if path.startswith(self.root + os.sep) else None

    def take(self, path: str, size: int) -> int:
        """Room for `size` more bytes of `path`: all of them, or what fits (then it is full)."""
        if self.fill_at is not None and _in_build(path) == self.fill_at:
            self.room, self.fill_at = self.written + size // 2, None
        fits = max(0, min(size, int(min(self.room - self.written, size))))
        self.log.append((path, self.written, size))
        self.written += fits
        if fits < size:
            self.refused.append(path)
        return fits


class _Filling:
    """A file object whose writes take their room from a FullDisk."""

    def __init__(self, file: Any, path: str, disk: FullDisk) -> None:
        self._file, self._path, self._disk = file, path, disk

    def write(self, data: Any) -> int:
        raw = data.encode("utf-8") if isinstance(data, str) else memoryview(data).tobytes()
        fits = self._disk.take(self._path, len(raw))
        if fits < len(raw):
            if fits:  # what fits is written, as a real write does before the disk is full
                part = raw[:fits]
                self._file.write(part.decode("utf-8", "ignore") if isinstance(data, str) else part)
            raise OSError(errno.ENOSPC, NO_SPACE)
        return self._file.write(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __iter__(self) -> Any:
        return iter(self._file)


# One atomic write


@pytest.mark.parametrize("room", [0, 1, 100, "all but one byte"])
def test_a_post_rewritten_on_a_full_disk_keeps_its_old_bytes_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int | str
) -> None:
    path = tmp_path / "content" / "posts" / "2026" / "harbour-ferry-fares.md"
    old = Post(meta={"title": "Ferry fares rise", "slug": "harbour-ferry-fares"}, body="Old.\n")
    old.meta["date"] = "2026-11-20T08:00:00Z"
    save_post(old, path)
    before = path.read_bytes()
    new = Post(meta=dict(old.meta, title="Ferry fares rise by a tenth"), body="New. " * 400)
    size = len(post_text(new).encode("utf-8"))
    disk = FullDisk(tmp_path, size - 1 if room == "all but one byte" else room)
    disk.install(monkeypatch)
    with pytest.raises(OSError) as error:
        save_post(new, path)
    assert error.value.errno == errno.ENOSPC
    assert disk.refused, "the write never hit the full disk"
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "a temp file is left"


# A whole run, the disk filling at points taken from a clean run


def _in_build(path: str) -> str | None:
    """The path of a file inside the build's staging folder, or None."""
    found = re.search(r"/\.site\.build-[^/]+/(.+)$", path)
    return found.group(1) if found else None


@dataclass
class Plan:
    folder: Path  # the demo after one run, set for a run that writes a post, updates one, builds
    content: dict[str, str]  # content/ after that run, done cleanly
    site: set[str]  # the files of its site
    rooms: dict[str, int | str] = field(default_factory=dict)  # where the disk fills -> room


def _prepared(folder: Path) -> Path:
    """The demo after one clean run, then one post deleted (the next run writes it again) and
    the sample's follow-up feed added (the next run updates the ocean accord's post with it)."""
    folder.mkdir(parents=True)
    raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
    raw["cluster"]["embeddings"] = "off"  # the sentence model would only make each run slower
    (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copytree(DEMO / "sample", folder / "sample")
    first = run_cli("run", "-c", str(folder / "aibot.yaml"))
    assert first.exit_code == 0, first.output
    posts = sorted((folder / "content" / "posts").rglob("*.md"))
    next(p for p in posts if "accord" not in p.name).unlink()  # not the follow-up's story
    raw = yaml.safe_load((folder / "aibot.yaml").read_text())
    follow_up = next((folder / "sample" / "extra" / "feeds").glob("*.xml"))
    raw["feeds"].append({"url": f"sample/extra/feeds/{follow_up.name}", "name": "Follow-up desk"})
    (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """The clean run, its writes counted: the reference, and where to fill the disk."""
    base = tmp_path_factory.mktemp("disk-full")
    prepared = _prepared(base / "prepared")
    clean = base / "clean"
    shutil.copytree(prepared, clean)
    with pytest.MonkeyPatch.context() as monkeypatch:
        disk = FullDisk(clean, float("inf")).install(monkeypatch)
        result = run_cli("run", "-c", str(clean / "aibot.yaml"))
    assert result.exit_code == 0, result.output
    assert "1 written, 1 updated" in result.output, result.output
    plan = Plan(prepared, tree_digest(clean / "content"), site_files(clean / "site"))
    plan.rooms["at once"] = 0
    posts = [(p, at, n) for p, at, n in disk.log if TEMP_FILE.match(Path(p).name)]
    pages = [(p, at, n) for p, at, n in disk.log if re.search(r"/\.site\.build-[^/]+/", p)]
    assert len(posts) == 2 and len(pages) > 10, disk.log
    for name, (_path, at, size) in {
        "writing the first post": posts[0],
        "writing the second post": posts[1],
    }.items():
        plan.rooms[name] = at + size // 2
    for name, (path, _at, _size) in {
        "writing the first page": pages[0],
        "in the middle of the build": pages[len(pages) // 2],
        "writing the last file of the build": pages[-1],
    }.items():
        plan.rooms[name] = _in_build(path) or ""
    return plan


@pytest.fixture(params=["at once", "writing the first post", "writing the second post",
                        "writing the first page", "in the middle of the build",
                        "writing the last file of the build"])  # fmt: skip
def full_when(request: pytest.FixtureRequest) -> str:
    return request.param


def test_a_run_on_a_full_disk_reports_it_keeps_the_old_files_and_recovers(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_when: str
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(plan.folder, folder)
    posts_before = {p: p.read_bytes() for p in (folder / "content").rglob("*.md")}
    site_before = tree_digest(folder / "site")
    disk = FullDisk(folder, plan.rooms[full_when]).install(monkeypatch)
    result = run_cli("run", "-c", str(folder / "aibot.yaml"))
    monkeypatch.undo()  # room again
    assert disk.refused, f"the disk never filled ({full_when})"
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]

    # Every post is whole: its old bytes, or the new post written in full.
    for path in (folder / "content").rglob("*.md"):
        if path in posts_before and path.read_bytes() != posts_before[path]:
            assert not is_edited(load_post(path)), f"{path.name} is cut off"
    leftovers = [p for p in (folder / "content").rglob("*") if TEMP_FILE.match(p.name)]
    assert not leftovers, f"temp files left: {leftovers}"
    # Each post it could not write is named, with the error, and kept as it was.
    for refused in {p for p in disk.refused if TEMP_FILE.match(Path(p).name)}:
        post = Path(refused).parent / re.sub(r"^\.(.+\.md)\..*\.tmp$", r"\1", Path(refused).name)
        named = [line for line in problems if str(post) in line]
        assert named and NO_SPACE in named[0], f"{post.name} not reported: {problems}"
        if post in posts_before:
            assert post.read_bytes() == posts_before[post]
        else:
            assert not post.exists()
    # The site: the old one byte for byte when its build failed, else the new one, whole.
    staging = [p.name for p in folder.iterdir() if p.name.startswith(".site.")]
    assert not staging, f"staging folders left: {staging}"
    if any(re.search(r"/\.site\.build-", p) for p in disk.refused):
        assert result.exit_code == 1
        failed = [line for line in problems if "build failed, the previous site was kept" in line]
        assert failed and NO_SPACE in failed[0], problems
        assert tree_digest(folder / "site") == site_before
    else:
        assert_whole_site(folder / "site", plan.site)

    print(f"\n{full_when}: exit {result.exit_code}; " + "; ".join(problems))
    again = run_cli("run", "-c", str(folder / "aibot.yaml"))
    assert again.exit_code == 0, again.output
    assert tree_digest(folder / "content") == plan.content
    assert_whole_site(folder / "site", plan.site)


# aibot build alone


@pytest.mark.parametrize("room", [0, 20_000, 200_000])
def test_aibot_build_on_a_full_disk_keeps_the_old_site_and_says_so(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(plan.folder, folder)
    post = sorted((folder / "content").rglob("*.md"))[-1]
    post.write_text(post.read_text() + "\nAn editor's line.\n")  # something to build
    before = tree_digest(folder / "site")
    assert (folder / "site" / MARKER).is_file()
    disk = FullDisk(folder, room).install(monkeypatch)
    result = run_cli("build", "-c", str(folder / "aibot.yaml"))
    monkeypatch.undo()
    assert disk.refused
    assert result.exit_code == 1
    assert f"problem: build failed, the previous site was kept: OSError: [Errno 28] {NO_SPACE}" in (
        result.output
    )
    assert tree_digest(folder / "site") == before
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".site.")]
    assert run_cli("build", "-c", str(folder / "aibot.yaml")).exit_code == 0
    assert "An editor" in (folder / "site" / "posts" / f"{post.stem}.html").read_text()
