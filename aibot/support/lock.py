"""One writing command at a time per site: a lock file in the cache folder.

Every command that writes `content/`, the cache or `site/` (`run`, `collect`, `cluster`,
`write`, `build`, and each build of `serve`) holds `<paths.cache>/aibot.lock` while it works.
A second command does not wait and does not interleave: it stops at once with a message naming
the lock file and the process that holds it (the CLI exits with code 4). `aibot serve` waits
for the lock before each build instead, so a rebuild never runs beside `aibot run`.

How a lock is held (POSIX): the file is locked with flock(2), which the kernel releases when its
holder ends in any way, SIGKILL included, so a crash never leaves a lock behind. Forked children
(process pools) close their copy of the lock at once, so workers orphaned by a killed run do not
keep it. While held, the file holds one JSON line naming the holder: pid, host, start time,
command. A holder that ends cleanly empties it; the file itself stays (deleting it would let a
third process lock a new file while a second still holds the old one).

The stale-lock rule, as the file reads: a file that names a holder but is not locked was left by
a process that died (killed, or the machine stopped); the next command takes it over and says
so (`SiteLock.stale`). Where flock(2) is missing (Windows) the file is created exclusively
instead, and one that names a process of this host that no longer runs is stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "aibot.lock"
EXIT_BUSY = 4  # the CLI's exit code when another command holds the lock
POLL_S = 0.2  # how often a waiting command tries again

# The lock descriptors this process holds; a forked child closes its copies (see _close_in_child).
_held: set[int] = set()


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock, as its file says."""

    pid: int
    host: str
    started: str  # ISO 8601, UTC
    command: str

    def __str__(self) -> str:
        return f"`aibot {self.command}` (pid {self.pid} on {self.host}, started {self.started})"

    def running(self) -> bool:
        """Whether the process still runs; a process of another host is assumed to."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # it exists, and belongs to another user
            return True
        return True


class LockBusy(Exception):
    """Another command holds the lock; `str()` names the lock file and the holder."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        super().__init__(path, holder)
        self.path = path
        self.holder = holder

    def __str__(self) -> str:
        who = str(self.holder) if self.holder else "another AiBot command"
        return (
            f"{who} is working on this site and holds the lock {self.path}; nothing was done. "
            "Try again when it has ended."
        )


class SiteLock:
    """The lock of one site: `with SiteLock(cache / LOCK_FILE, "run"):` (raises LockBusy)."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self.stale: Holder | None = None  # what a dead holder left in the file, taken over
        self._fd: int | None = None

    def __enter__(self) -> SiteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self, wait: float | None = 0.0, stop: Callable[[], bool] | None = None) -> None:
        """Take the lock; try again every POLL_S for up to `wait` seconds (None: until `stop()`
        says so), then raise LockBusy."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if wait is None else time.monotonic() + wait
        while not self._try():
            out_of_time = deadline is not None and time.monotonic() >= deadline
            if out_of_time or (stop is not None and stop()):
                raise LockBusy(self.path, read_holder(self.path))
            time.sleep(POLL_S)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _held.discard(fd)
        if fcntl is None:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # a clean end: the file names no holder
        os.close(fd)  # and this releases the flock

    def _try(self) -> bool:
        if fcntl is None:
            return self._try_exclusive_create()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                raise BlockingIOError  # the file was replaced meanwhile: lock the new one
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.stale = _parse(os.pread(fd, 4096, 0))
        self._write(fd)
        return True

    def _try_exclusive_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = read_holder(self.path)
            if holder is None or holder.running():
                return False
            self.stale = holder
            self.path.unlink(missing_ok=True)
            return self._try_exclusive_create()
        self._write(fd)
        return True

    def _write(self, fd: int) -> None:
        me = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            command=self.command,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(asdict(me)) + "\n").encode("utf-8"), 0)
        self._fd = fd
        _held.add(fd)


def site_lock(cache: Path, command: str) -> SiteLock:
    """The lock of the site whose cache folder is `cache`, for `command` (not yet taken)."""
    return SiteLock(cache / LOCK_FILE, command)


def read_holder(path: Path) -> Holder | None:
    """Who the lock file names (None: nobody, or text that is not a holder)."""
    try:
        return _parse(path.read_bytes())
    except OSError:
        return None


def _parse(data: bytes) -> Holder | None:
    try:
        fields = json.loads(data.decode("utf-8"))
        return Holder(
            int(fields["pid"]), str(fields["host"]), str(fields["started"]), str(fields["command"])
        )
    except (ValueError, KeyError, TypeError):
        return None


def _close_in_child() -> None:
    # A forked child shares the parent's open lock; closing its copy (not unlocking, which
    # would unlock the parent too) lets the lock go when the parent ends, whatever the child does.
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)
