"""AiBot's wheel and a fresh venv holding requirements-lock.txt, for tests/system/test_wheel.py.

Both take a minute or more and mostly wait on pip (the disk, the package index), so the run makes
them in threads of their own from its first test on, alongside the other tests (the session
fixture `wheel_and_venv` in tests/conftest.py); test_wheel.py waits for them. Their processes
run at a lower priority (`os.nice`), so that the tests running meanwhile keep the CPU they need.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


# The command prefix of the processes made in the background: Python lowers its own priority,
# then becomes the command. Python rather than nice(1), which a minimal image may lack.
BEHIND = [
    sys.executable,
    "-c",
    "import os, sys; os.nice(10); os.execvp(sys.argv[1], sys.argv[1:])",
]


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """`args` run to the end; in / and without PYTHONPATH unless told, so that the venv's pip
    and Python see no checkout (a checkout's aibot.egg-info would look installed)."""
    kwargs.setdefault("env", {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    kwargs.setdefault("cwd", os.sep)
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]


def source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (committed or not, ignored ones left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@dataclass(frozen=True)
class Built:
    wheel: Path
    seconds: float


def built_wheel(base: Path) -> Built:
    """AiBot's wheel, built from a copy of this checkout (made in `base`) with `python -m build`:
    the sdist first, then the wheel from it."""
    source = source_copy(base / "source")
    started = time.monotonic()
    built = run(
        [*BEHIND, sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(source)]
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (found,) = (base / "dist").glob("aibot-*.whl")
    return Built(found, time.monotonic() - started)


@dataclass(frozen=True)
class LockedVenv:
    bin: Path
    check: subprocess.CompletedProcess[str]  # `pip check` right after the lock's install
    packages: set[str]  # what pip listed then
    seconds: float  # making the venv and installing the lock


def locked_venv(folder: Path) -> LockedVenv:
    """A fresh venv in `folder` with requirements-lock.txt installed, as publish.yml installs it."""
    started = time.monotonic()
    assert run([*BEHIND, sys.executable, "-m", "venv", str(folder)]).returncode == 0
    python = str(folder / "bin" / "python")
    # The newest pip: pip 23 cannot resolve the lock.
    upgrade = run([*BEHIND, python, "-m", "pip", "install", "-q", "-U", "pip"])
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]
    lock = REPO / "requirements-lock.txt"
    installed = run(
        [*BEHIND, python, "-m", "pip", "install", "-q", "--require-hashes", "-r", str(lock)]
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    seconds = time.monotonic() - started
    listed = run([python, "-m", "pip", "list", "--format=json"])
    packages = {canonicalize_name(p["name"]) for p in json.loads(listed.stdout)}
    check = run([python, "-m", "pip", "check"])
    return LockedVenv(folder / "bin", check, packages, seconds)


@dataclass(frozen=True)
class Packaging:
    """The two, under way or done."""

    wheel: Future[Built]
    venv: Future[LockedVenv]
