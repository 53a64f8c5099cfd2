"""The locks (requirements-lock.txt, requirements-test-lock.txt) against pyproject.toml, read
offline: every dependency pinned with hashes, at a version pyproject.toml allows, and the tests
run on the versions a site installs. A fresh venv installing the lock is in
tests/system/test_wheel.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

RUNTIME, TEST = REPO / "requirements-lock.txt", REPO / "requirements-test-lock.txt"
# Where the locks are installed: publish.yml's and ci.yml's runners, .ci/run here.
LINUX_311 = {
    "sys_platform": "linux", "platform_machine": "x86_64", "os_name": "posix",
    "python_version": "3.11", "python_full_version": "3.11.7",
    "platform_python_implementation": "CPython", "implementation_name": "cpython",
}  # fmt: skip
# AiBot itself is installed after the lock, without dependencies; nothing pulls PyTorch in.
LEFT_OUT = {"torch", "sentence-transformers", "aibot"}


def _entries(lock: Path) -> list[tuple[Requirement, list[str]]]:
    """Each requirement of a lock with its hashes (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", lock.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            spec, *hashes = line.split(" --hash=")
            found.append((Requirement(spec.strip()), [h.strip() for h in hashes]))
    return found


def _pins(lock: Path) -> dict[str, str]:
    """Name -> pinned version, for the entries that apply on Linux x86_64 with Python 3.11."""
    pins = {}
    for requirement, _ in _entries(lock):
        if requirement.marker is None or requirement.marker.evaluate(LINUX_311):
            (pin,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = pin.version
    return pins


def _declared(*extras: str) -> list[Requirement]:
    """pyproject.toml's dependencies and those of `extras`, self-references followed."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found, todo, seen = [], list(extras), set()
    found += [Requirement(r) for r in project["dependencies"]]
    while todo:
        extra = todo.pop()
        seen.add(extra)
        for line in project["optional-dependencies"][extra]:
            requirement = Requirement(line)
            if requirement.name == project["name"]:
                todo += [e for e in requirement.extras if e not in seen]
            else:
                found.append(requirement)
    return found


@pytest.mark.parametrize(("lock", "extras"), [(RUNTIME, ()), (TEST, ("test",))])
def test_the_lock_pins_every_dependency_of_pyproject_with_hashes(
    lock: Path, extras: tuple[str, ...]
) -> None:
    entries = _entries(lock)
    assert len(entries) > 40
    for requirement, hashes in entries:
        assert str(requirement.specifier).startswith("=="), requirement
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), requirement
    pins = _pins(lock)
    for requirement in _declared(*extras):
        if requirement.marker is not None and not requirement.marker.evaluate(LINUX_311):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock.name} lacks {requirement}: run `bash .ci/lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock.name} pins {name}=={pins[name]}, pyproject.toml wants {requirement}: "
            "run `bash .ci/lock`"
        )


def test_the_tests_run_on_the_versions_a_site_installs() -> None:
    runtime, test = _pins(RUNTIME), _pins(TEST)
    assert {name: test.get(name) for name in runtime} == runtime
    assert "pytest" in test and "pytest" not in runtime


def test_the_locks_leave_out_pytorch_and_aibot_itself() -> None:
    for lock in (RUNTIME, TEST):
        names = {canonicalize_name(r.name) for r, _ in _entries(lock)}
        assert not names & LEFT_OUT, lock.name


def test_each_lock_says_how_it_was_made_and_for_which_platform() -> None:
    for lock in (RUNTIME, TEST):
        header = lock.read_text(encoding="utf-8").split("\n\\", 1)[0].splitlines()[:6]
        assert "# Platform: Linux x86_64, Python 3.11" in header[2]
        assert header[3] == "# Made from pyproject.toml by `bash .ci/lock`, which runs"
        assert header[4].startswith(
            "#   uv pip compile --python-version 3.11 --python-platform x86_64-manylinux_2_28 "
            f"--generate-hashes -o {lock.name} pyproject.toml"
        )
