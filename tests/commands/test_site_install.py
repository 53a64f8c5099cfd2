"""What a new site's requirements.txt names (aibot/commands/site_install.py): the running AiBot,
never a name the package index lacks. Installed distributions are made up here as dist-info
folders in a temporary site-packages; tests/system/test_wheel.py does the same with a real pip
install of the wheel.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import zipfile
from importlib.metadata import Distribution, PathDistribution
from pathlib import Path

import pytest

from aibot.commands import site_install
from aibot.commands.site_install import SiteInstall, SiteInstallError, install_of, packed_wheel
from tests.conftest import run_cli

COMMIT = "3f2c1a9d8e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
CODE = {
    "aibot/__init__.py": b'__version__ = "0.1.0"\n',
    "aibot/skeleton/ci-run": b"#!/usr/bin/env bash\naibot build\n",
}
META = {
    "METADATA": b"Metadata-Version: 2.4\nName: aibot\nVersion: 0.1.0\n",
    "WHEEL": b"Wheel-Version: 1.0\nGenerator: setuptools (80.0)\nRoot-Is-Purelib: true\n"
    b"Tag: py3-none-any\n",
    "entry_points.txt": b"[console_scripts]\naibot = aibot.cli:console\n",
}


def _installed(site_packages: Path, direct_url: dict | None = None) -> Distribution:
    """An AiBot 0.1.0 as pip leaves it: its files, a dist-info with RECORD, INSTALLER, a
    compiled file and a script outside site-packages, and direct_url.json when given."""
    info = site_packages / "aibot-0.1.0.dist-info"
    written = {**CODE, "aibot/__pycache__/__init__.cpython-311.pyc": b"\x00compiled"}
    written |= {f"{info.name}/{name}": data for name, data in META.items()}
    written[f"{info.name}/INSTALLER"] = b"pip\n"
    if direct_url is not None:
        written[f"{info.name}/direct_url.json"] = json.dumps(direct_url).encode()
    for name, data in written.items():
        (site_packages / name).parent.mkdir(parents=True, exist_ok=True)
        (site_packages / name).write_bytes(data)
    record = [*written, "../../../bin/aibot", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in record))
    return PathDistribution(info)


def _git(url: str, **extra: object) -> dict:
    vcs = {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"}
    return {"url": url, "vcs_info": vcs, **extra}


def _members(wheel: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_git_install_is_named_by_its_repository_at_the_installed_commit(tmp_path: Path) -> None:
    dist = _installed(tmp_path, _git("https://github.com/tidewater/aibot.git"))
    assert install_of(dist) == SiteInstall(
        f"aibot @ git+https://github.com/tidewater/aibot.git@{COMMIT}"
    )


@pytest.mark.parametrize(
    ("url", "extra", "line"),
    [
        ("https://x-token:s3cret@git.fenmoor.example/news/aibot", {},
         f"aibot @ git+https://git.fenmoor.example/news/aibot@{COMMIT}"),
        ("https://ghp_notacommittedtoken@git.fenmoor.example:8443/aibot", {},
         f"aibot @ git+https://git.fenmoor.example:8443/aibot@{COMMIT}"),
        ("ssh://git@git.fenmoor.example/news/aibot.git", {},
         f"aibot @ git+ssh://git@git.fenmoor.example/news/aibot.git@{COMMIT}"),
        ("https://git.fenmoor.example/monorepo", {"subdirectory": "tools/aibot"},
         f"aibot @ git+https://git.fenmoor.example/monorepo@{COMMIT}#subdirectory=tools/aibot"),
    ],
)  # fmt: skip
def test_a_git_url_loses_its_credentials_and_keeps_its_subdirectory(
    tmp_path: Path, url: str, extra: dict, line: str
) -> None:
    assert install_of(_installed(tmp_path, _git(url, **extra))).requirement == line


def test_a_clone_on_this_machine_only_is_vendored_as_a_wheel(tmp_path: Path) -> None:
    dist = _installed(tmp_path / "site-packages", _git((tmp_path / "clone").as_uri()))
    install = install_of(dist)
    assert install.requirement == "./vendor/aibot-0.1.0-py3-none-any.whl"
    assert set(install.files) == {"vendor/aibot-0.1.0-py3-none-any.whl"}


def test_a_wheel_install_copies_the_wheel_it_came_from_while_it_is_unchanged(
    tmp_path: Path,
) -> None:
    original = tmp_path / "dist" / "aibot-0.1.0-py3-none-any.whl"
    original.parent.mkdir()
    original.write_bytes(b"the very wheel pip installed")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    archive = {"url": original.as_uri(), "archive_info": {"hashes": {"sha256": digest}}}
    install = install_of(_installed(tmp_path / "site-packages", archive))
    assert install == SiteInstall(
        "./vendor/aibot-0.1.0-py3-none-any.whl",
        {"vendor/aibot-0.1.0-py3-none-any.whl": b"the very wheel pip installed"},
    )
    original.write_bytes(b"rebuilt since")  # no longer what was installed: packed instead
    packed = install_of(PathDistribution(tmp_path / "site-packages" / "aibot-0.1.0.dist-info"))
    assert set(_members(packed.files["vendor/aibot-0.1.0-py3-none-any.whl"])) >= set(CODE)


def test_the_packed_wheel_holds_the_installed_files_and_a_record_of_their_hashes(
    tmp_path: Path,
) -> None:
    dist = _installed(tmp_path, {"url": "file:///gone/aibot-0.1.0-py3-none-any.whl",
                                 "archive_info": {"hash": "sha256=00"}})  # fmt: skip
    name, wheel = packed_wheel(dist)
    assert name == "aibot-0.1.0-py3-none-any.whl"
    members = _members(wheel)
    info = "aibot-0.1.0.dist-info"
    assert list(members) == [*CODE, *(f"{info}/{n}" for n in META), f"{info}/RECORD"]
    assert {n: members[n] for n in CODE} == CODE  # no compiled files, no script, no INSTALLER
    rows = list(csv.reader(io.StringIO(members[f"{info}/RECORD"].decode())))
    assert rows[-1] == [f"{info}/RECORD", "", ""]
    for path, digest, size in rows[:-1]:
        expected = base64.urlsafe_b64encode(hashlib.sha256(members[path]).digest()).rstrip(b"=")
        assert (digest, int(size)) == (f"sha256={expected.decode()}", len(members[path]))
    assert packed_wheel(dist) == (name, wheel)  # the same files give the same bytes


def test_an_installation_without_a_record_or_a_file_it_lists_gets_a_clear_error(
    tmp_path: Path,
) -> None:
    dist = _installed(tmp_path)
    (tmp_path / "aibot" / "skeleton" / "ci-run").unlink()
    missing = r"cannot pack the installed AiBot into a wheel: .*skeleton/ci-run"
    with pytest.raises(SiteInstallError, match=missing):
        install_of(dist)
    (tmp_path / "aibot-0.1.0.dist-info" / "RECORD").unlink()
    with pytest.raises(SiteInstallError, match=r"has no list of its files \(RECORD\)"):
        install_of(dist)


def test_init_writes_the_git_line_of_a_git_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = _installed(tmp_path / "site-packages", _git("https://github.com/tidewater/aibot.git"))
    monkeypatch.setattr(site_install, "checkout", lambda: None)
    monkeypatch.setattr(site_install, "_running_distribution", lambda: dist)
    result = run_cli("init", str(tmp_path / "site"), "--yes")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "site" / "requirements.txt").read_text()
    assert text.splitlines()[-1] == f"aibot @ git+https://github.com/tidewater/aibot.git@{COMMIT}"
    assert not (tmp_path / "site" / "vendor").exists()


def test_init_stops_with_the_reason_when_no_wheel_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unbuildable(source: Path) -> tuple[str, bytes]:
        raise SiteInstallError(f"cannot build a wheel of AiBot from {source} with pip (exit 1)")

    monkeypatch.setattr(site_install, "built_wheel", unbuildable)
    result = run_cli("init", str(tmp_path / "site"), "--yes")
    assert result.exit_code == 2
    assert "error: cannot build a wheel of AiBot from " in result.output
    assert not (tmp_path / "site").exists()  # nothing written


def test_a_checkout_s_wheel_is_built_from_a_clean_copy_leaving_the_checkout_alone(
    tmp_path: Path,
) -> None:
    """setuptools packs what its build/ folder holds: a module deleted since an earlier build
    must not come back, and the checkout gets no build/ or egg-info of init's making."""
    source = tmp_path / "checkout"
    (source / "tidewater" / "build").mkdir(parents=True)
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tidewater"\nversion = "1.2"\n'
        '[tool.setuptools]\npackages = ["tidewater", "tidewater.build"]\n'
    )
    (source / "tidewater" / "__init__.py").write_text("")
    (source / "tidewater" / "build" / "__init__.py").write_text("")  # a package named build
    stale = source / "build" / "lib" / "tidewater" / "deleted_since.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    before = sorted(p.relative_to(source) for p in source.rglob("*"))

    name, wheel = site_install.built_wheel(source)
    assert name == "tidewater-1.2-py3-none-any.whl"
    modules = {n for n in _members(wheel) if n.endswith(".py")}
    assert modules == {"tidewater/__init__.py", "tidewater/build/__init__.py"}
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before


def test_a_built_wheel_is_kept_and_taken_again_until_a_file_it_is_built_from_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []

    def pip_wheel(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        out, copy = Path(args[args.index("--wheel-dir") + 1]), Path(args[-1])
        builds.append((copy / "tidewater" / "__init__.py").read_text())
        out.mkdir()
        (out / "tidewater-1.2-py3-none-any.whl").write_bytes(b"wheel %d" % len(builds))
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(subprocess, "run", pip_wheel)
    monkeypatch.setattr(site_install, "user_cache", lambda: tmp_path / "cache" / "aibot")
    build = site_install.built_wheel.__wrapped__  # without the per-process functools.cache
    source = tmp_path / "checkout"
    (source / "tidewater").mkdir(parents=True)
    (source / "pyproject.toml").write_text('[project]\nname = "tidewater"\nversion = "1.2"\n')
    module = source / "tidewater" / "__init__.py"
    module.write_text("")
    name = "tidewater-1.2-py3-none-any.whl"

    assert build(source) == build(source) == (name, b"wheel 1")
    (kept,) = (tmp_path / "cache" / "aibot" / "wheels").glob("*/*.whl")
    assert (kept.name, kept.read_bytes()) == (name, b"wheel 1")
    (source / ".aibot").mkdir()  # what the copy leaves out changes nothing
    (source / ".aibot" / "aibot.sqlite").write_bytes(b"cache")
    assert build(source) == (name, b"wheel 1")
    module.write_text("TIDE = 2\n")
    assert build(source) == build(source) == (name, b"wheel 2")
    module.chmod(0o755)  # a wheel keeps whether a file is executable
    assert build(source) == (name, b"wheel 3")
    assert builds == ["", "TIDE = 2\n", "TIDE = 2\n"]

    (tmp_path / "file").write_text("")  # a cache that cannot be written: a build every time
    monkeypatch.setattr(site_install, "user_cache", lambda: tmp_path / "file" / "aibot")
    assert [build(source), build(source)] == [(name, b"wheel 4"), (name, b"wheel 5")]
