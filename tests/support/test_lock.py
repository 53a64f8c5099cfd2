"""One writing command at a time per site (aibot/support/lock.py).

The promise: two `aibot run` (or any two of run, collect, cluster, write, build) on the same
folder never interleave their writes. The second stops at once, exit code 4, with a message
naming the lock file and the pid holding it, and changes nothing; `aibot serve` waits for the
lock before a build. A lock left by a killed process (SIGKILL: no clean-up ran) never blocks the
next command, not even while a child it forked lives on; and a killed run's worker processes
(page extraction, reading posts, rendering pages) end with it (aibot/support/workers.py).

The end-to-end tests run real `python -m aibot` processes on copies of the demo whose feeds are
served by a loopback server with a gate: while the gate is shut, a run waits on its feed
requests (holding the lock), which is what makes "at once" deterministic here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from aibot.commands.serve import Preview
from aibot.config import load_config
from aibot.support import lock as lock_module
from aibot.support.lock import EXIT_BUSY, LOCK_FILE, Holder, LockBusy, SiteLock, site_lock
from tests.conftest import run_cli, tree_digest
from tests.helpers.crash import Gate, demo_over_http, group_alive, wait_until_group_is_gone
from tests.helpers.serve import CONFIG, Said
from tests.helpers.site import write_site

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 300  # seconds any one command may take before a test gives up on it
WRITING_COMMANDS = ("run", "collect", "cluster", "write", "build")


def _env() -> dict[str, str]:
    return {**os.environ, "ANTHROPIC_API_KEY": ""}


def _aibot(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", command, "-c", str(folder / "aibot.yaml")],
        cwd=folder, capture_output=True, text=True, env=_env(), timeout=TIMEOUT, check=False,
    )  # fmt: skip


def _start_run(folder: Path) -> subprocess.Popen[str]:
    """`aibot run` in its own session (its process group is its pid), its output in a file
    (not a pipe, which orphaned workers would keep open)."""
    with (folder.parent / f"{folder.name}.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "aibot", "run", "-c", str(folder / "aibot.yaml")],
            cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
        )  # fmt: skip


def _written(folder: Path) -> dict[str, str]:
    """Digest of every file a command writes (the cache's -wal/-shm files change on reads)."""
    return {
        path: sha
        for path, sha in tree_digest(folder).items()
        if not path.endswith(("-wal", "-shm"))
    }


@pytest.fixture(scope="module")
def reference(gate: Gate, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One clean run of the demo over the gate's server: its content/ and its site's files."""
    folder = demo_over_http(tmp_path_factory.mktemp("lock") / "reference", gate)
    done = _aibot(folder, "run")
    assert done.returncode == 0, done.stdout + done.stderr
    content = tree_digest(folder / "content")
    assert any(path.endswith(".md") for path in content)
    site = {str(p.relative_to(folder / "site")) for p in (folder / "site").rglob("*")}
    return {"content": content, "site": site}


# End to end: real processes


def test_two_runs_at_once_the_second_stops_at_once_and_the_content_is_one_clean_run(
    gate: Gate, reference: dict[str, object], tmp_path: Path
) -> None:
    folder = demo_over_http(tmp_path / "demo", gate)
    gate.shut()
    try:
        first = _start_run(folder)
        # The first run holds the lock before it asks for a feed; it now waits at the gate.
        assert gate.arrived.wait(TIMEOUT), "the first run never asked for a feed"
        lock_file = folder / ".aibot" / LOCK_FILE
        holder = lock_module.read_holder(lock_file)
        assert holder is not None and holder.pid == first.pid and holder.command == "run"
        before = _written(folder)
        for command in WRITING_COMMANDS:  # `run` first: two runs at once
            second = _aibot(folder, command)
            assert second.returncode == EXIT_BUSY, (command, second.stdout, second.stderr)
            assert str(lock_file) in second.stderr and f"pid {first.pid}" in second.stderr
            assert "nothing was done" in second.stderr, second.stderr
            assert _written(folder) == before, f"`aibot {command}` changed files while locked"
            assert not (folder / "content").exists() and not (folder / "site").exists()
        assert first.poll() is None, "the first run ended while its feeds were held"
    finally:
        gate.open()
    assert first.wait(timeout=TIMEOUT) == 0, (folder.parent / f"{folder.name}.log").read_text()
    assert tree_digest(folder / "content") == reference["content"]
    site = {str(p.relative_to(folder / "site")) for p in (folder / "site").rglob("*")}
    assert site == reference["site"]
    assert lock_file.read_bytes() == b"", "a clean end empties the lock file"


def test_a_run_killed_alone_takes_its_pool_workers_along_and_does_not_block_the_next_run(
    gate: Gate, reference: dict[str, object], tmp_path: Path
) -> None:
    """SIGKILL to the run alone (not its group), while its extraction workers, forked while it
    held the lock, are alive: they end with it (they used to wait for work for ever), and the
    lock goes with the run, whatever they do (see the next test)."""
    folder = demo_over_http(tmp_path / "demo", gate)
    killed = _start_run(folder)
    workers = _wait_for_children(killed)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=TIMEOUT)
    try:
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers):  # poll with a deadline
            assert time.monotonic() < deadline, f"workers {workers} outlived their run by 30 s"
            time.sleep(0.01)
        lock_file = folder / ".aibot" / LOCK_FILE
        assert lock_module.read_holder(lock_file).pid == killed.pid  # the stale lock file
        again = _aibot(folder, "run")
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"{lock_file} named `aibot run` (pid {killed.pid}" in again.stderr
        assert "taken over" in again.stderr
        assert tree_digest(folder / "content") == reference["content"]
    finally:
        if group_alive(killed.pid):
            os.killpg(killed.pid, signal.SIGKILL)
        wait_until_group_is_gone(killed.pid)


def _wait_for_children(process: subprocess.Popen[str]) -> list[int]:
    """Poll (with a deadline) until `process` has child processes (the extraction pool)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        children = _children(process.pid)
        if children:
            return children
        assert process.poll() is None, "the run ended before its extraction pool started"
        assert time.monotonic() < deadline, "no extraction pool"
        time.sleep(0.005)  # the polling interval


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


# The lock itself


def test_a_second_lock_is_refused_with_a_message_naming_the_file_and_the_holder(
    tmp_path: Path,
) -> None:
    first = site_lock(tmp_path / ".aibot", "run")
    with first:
        with pytest.raises(LockBusy) as busy:
            site_lock(tmp_path / ".aibot", "build").acquire()
        message = str(busy.value)
        assert str(tmp_path / ".aibot" / LOCK_FILE) in message
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        assert "`aibot run`" in message
        # Waiting is bounded: it gives up after the time asked for.
        started = time.monotonic()
        with pytest.raises(LockBusy):
            site_lock(tmp_path / ".aibot", "build").acquire(wait=0.5)
        assert time.monotonic() - started >= 0.5
    with site_lock(tmp_path / ".aibot", "build") as second:  # free again
        assert second.stale is None


def test_the_cli_stops_with_exit_code_4_while_the_lock_is_held(demo_dir: Path) -> None:
    config = demo_dir / "aibot.yaml"
    with site_lock(demo_dir / ".aibot", "run"):
        result = run_cli("build", "-c", str(config))
    assert result.exit_code == EXIT_BUSY
    assert str(demo_dir / ".aibot" / LOCK_FILE) in result.output
    assert f"pid {os.getpid()}" in result.output
    assert not (demo_dir / "site").exists()
    assert run_cli("build", "-c", str(config)).exit_code == 0


def test_a_lock_file_left_by_a_killed_process_is_taken_over_and_said_so(demo_dir: Path) -> None:
    """The kernel lets go of a killed holder's lock; the file still names it: stale."""
    holder = _lock_in_a_process_then_kill_it(demo_dir / ".aibot")
    lock_file = demo_dir / ".aibot" / LOCK_FILE
    assert lock_module.read_holder(lock_file) == holder
    result = run_cli("build", "-c", str(demo_dir / "aibot.yaml"))
    assert result.exit_code == 0, result.output
    assert f"note: {lock_file} named `aibot run` (pid {holder.pid}" in result.output
    assert "taken over" in result.output
    assert lock_file.read_bytes() == b""


def test_a_forked_child_does_not_keep_the_lock_of_its_killed_parent(tmp_path: Path) -> None:
    """A process pool's worker outlives a parent killed by SIGKILL; the lock must not."""
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from aibot.support.lock import site_lock
        site_lock(Path(sys.argv[1]), "run").acquire()
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # a worker: blocks until the test ends it (it holds both pipe ends)
            os.read(read, 1)
            os._exit(0)
        print(child, flush=True)
        os.read(read, 1)  # the parent waits to be killed
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        child = int(parent.stdout.readline())
        with pytest.raises(LockBusy):
            site_lock(tmp_path, "build").acquire()
        parent.kill()
        parent.wait(timeout=TIMEOUT)
        assert _alive(child)
        taken = site_lock(tmp_path, "build")
        taken.acquire(wait=30)  # polls: a loaded machine may take a moment to close the files
        try:
            assert taken.stale is not None and taken.stale.pid == parent.pid
        finally:
            taken.release()
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        wait_until_group_is_gone(parent.pid)


# Each script starts a pool as AiBot does, prints how many workers it has, then each worker
# prints its pid and waits for ever (a worker busy when its run is killed; multiprocessing gives
# workers /dev/null as stdin, so they wait for a signal instead).
_BLOCK = (
    "import os, signal, sys\n"
    "def block(*args):\n"
    "    os.write(1, f'{os.getpid()}\\n'.encode())  # one write: lines never interleave\n"
    "    signal.pause()\n"
)
POOL_SCRIPTS = {
    "extraction": (
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from aibot.support.workers import die_with_parent\n" + _BLOCK + "print(2, flush=True)\n"
        "pool = ProcessPoolExecutor(2, initializer=die_with_parent, initargs=(os.getpid(),))\n"
        "[pool.submit(block) for _ in range(2)]\n"
        "sys.stdin.read()\n"
    ),
    "posts index": (
        "from pathlib import Path\n"
        "from aibot.posts import index as post_index\n" + _BLOCK + "post_index.POOL_FROM = 1\n"
        "workers = min(os.cpu_count(), 4)\n"
        "print(workers, flush=True)\n"
        "files = [Path(sys.argv[1], f'{n}.md') for n in range(workers)]\n"
        "[file.write_text('---\\n---\\n') for file in files]\n"
        "post_index._parse_all(files, block)\n"
    ),
    "page rendering": (
        "from pathlib import Path\n"
        "from aibot.render import pool, site as render\n"
        "from tests.helpers.site import NOW, make_config, write_site\n"
        + _BLOCK
        + "pool._render_chunk = block\n"
        "workers = min(os.cpu_count(), 8)\n"
        "print(workers, flush=True)\n"
        "base = Path(sys.argv[1])\n"
        "write_site(base)\n"
        "render.build_site(make_config(base), now=NOW, processes=workers)\n"
    ),
}


@pytest.mark.parametrize("pool", POOL_SCRIPTS)
def test_pool_workers_end_with_their_killed_parent(pool: str, tmp_path: Path) -> None:
    """aibot.support.workers.die_with_parent, as each of AiBot's process pools starts its
    workers: the extraction pool, the posts index's and the build's. Without it a worker waits
    for ever."""
    parent = subprocess.Popen(
        [sys.executable, "-c", POOL_SCRIPTS[pool], str(tmp_path)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, start_new_session=True, cwd=REPO,
    )  # fmt: skip
    try:
        count = int(parent.stdout.readline())
        workers = [int(parent.stdout.readline()) for _ in range(count)]
        assert count >= 2 and all(_alive(pid) for pid in workers)
        parent.kill()
        parent.wait(timeout=TIMEOUT)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers):  # poll with a deadline
            assert time.monotonic() < deadline, f"workers {workers} outlived their parent by 30 s"
            time.sleep(0.01)
    finally:
        if group_alive(parent.pid):
            os.killpg(parent.pid, signal.SIGKILL)
        wait_until_group_is_gone(parent.pid)


def _lock_in_a_process_then_kill_it(cache: Path) -> Holder:
    script = (
        "import sys; from pathlib import Path; from aibot.support.lock import site_lock; "
        "site_lock(Path(sys.argv[1]), 'run').acquire(); print('held', flush=True); "
        "sys.stdin.read()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(cache)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout.readline() == "held\n"
    with pytest.raises(LockBusy):
        site_lock(cache, "build").acquire()
    process.kill()
    process.wait(timeout=TIMEOUT)
    holder = lock_module.read_holder(cache / LOCK_FILE)
    assert holder is not None and holder.pid == process.pid
    return holder


# Where flock(2) is missing: the file's own text decides


@pytest.fixture
def without_flock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock_module, "fcntl", None)


def _lock_file_naming(cache: Path, pid: int, host: str) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    text = {"pid": pid, "host": host, "started": "2026-11-24T09:00:00Z", "command": "run"}
    (cache / LOCK_FILE).write_text(json.dumps(text))
    return cache / LOCK_FILE


def test_without_flock_a_lock_naming_a_dead_process_of_this_host_is_stale(
    without_flock: None, tmp_path: Path
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=TIMEOUT)  # ended and reaped: no process has its pid now
    _lock_file_naming(tmp_path, dead.pid, socket.gethostname())
    with SiteLock(tmp_path / LOCK_FILE, "build") as taken:
        assert taken.stale is not None and taken.stale.pid == dead.pid
        assert lock_module.read_holder(tmp_path / LOCK_FILE).pid == os.getpid()
        with pytest.raises(LockBusy):
            SiteLock(tmp_path / LOCK_FILE, "run").acquire()
    assert not (tmp_path / LOCK_FILE).exists(), "released: the file goes"


@pytest.mark.parametrize("whose", ["a live process of this host", "a process of another host"])
def test_without_flock_a_lock_naming_a_live_or_foreign_process_is_respected(
    without_flock: None, tmp_path: Path, whose: str
) -> None:
    if whose.startswith("a live"):
        pid, host = os.getppid(), socket.gethostname()
    else:
        pid, host = 1, "elsewhere.example"
    lock_file = _lock_file_naming(tmp_path, pid, host)
    with pytest.raises(LockBusy, match=f"pid {pid} on {host}"):
        SiteLock(lock_file, "build").acquire()
    assert lock_module.read_holder(lock_file).pid == pid


# aibot serve waits for the lock


def test_serve_waits_for_the_lock_before_a_build(tmp_path: Path) -> None:
    write_site(tmp_path)
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    said = Said()
    preview = Preview(load_config(tmp_path / "aibot.yaml"), announce=said)
    held = site_lock(preview.config.paths.cache, "run")
    held.acquire()
    reports: list[object] = []
    builder = threading.Thread(target=lambda: reports.append(preview.rebuild()), daemon=True)
    builder.start()
    try:
        assert said.wait_for("waiting: `aibot run`"), said
        assert f"holds {held.path}" in said[-1]
        assert not (tmp_path / "site").exists() and builder.is_alive()
    finally:
        held.release()
    builder.join(TIMEOUT)
    assert not builder.is_alive() and reports[0].ok
    assert (tmp_path / "site" / "index.html").is_file()
    # Stopped while waiting (Ctrl+C): no build, and the lock is not taken.
    held.acquire()
    preview.stop.set()
    assert preview.rebuild() is None
    held.release()
