"""How a site made by `aibot init` installs the AiBot that made it.

AiBot is not on the package index, so a site's requirements.txt names the running AiBot in a
form pip can fetch from any machine:
- installed from a git repository others can reach (`pip install git+https://…`): that
  repository at the installed commit, read from the distribution's direct_url.json (PEP 610);
- otherwise a wheel, which the site keeps in vendor/: the wheel AiBot was installed from when the
  file is still there with its recorded hash; else one packed from the installed files that the
  installation's RECORD lists (no build tools, no network, exactly the code that runs); and when
  AiBot runs from a source checkout (an editable install, or PYTHONPATH), which has no installed
  files to pack, one built from the checkout by `pip wheel`, kept in the user's cache for the
  next `aibot init` from the same files.

The site installs AiBot's dependencies from requirements-lock.txt, pinned with hashes, and AiBot
itself after them with --no-deps: pip's hash checking cannot take a git or file requirement.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from email.parser import HeaderParser
from importlib.metadata import Distribution, distributions
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import aibot
from aibot.support.bundled import checkout, user_cache
from aibot.support.files import replace_bytes

VENDOR = "vendor"
# Written by the installer for the environment it installed into: not part of a wheel.
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that packing the same files gives the same bytes
# What a checkout holds besides its source, left out of the copy a wheel is built from: folders
# of these names anywhere, and of the top folder's only (aibot/build/ is source).
_NOT_SOURCE = (".git", "*.egg-info", "__pycache__", ".venv*", ".aibot", ".*_cache", "node_modules")
_NOT_SOURCE_AT_TOP = {"build", "dist", "site", ".benchmarks"}


class SiteInstallError(Exception):
    """The running AiBot cannot be named in a form another machine can install."""


@dataclass(frozen=True)
class SiteInstall:
    """The requirements.txt line that installs an AiBot, and the files the site keeps for it."""

    requirement: str
    files: dict[str, bytes] = field(default_factory=dict)


def site_install() -> SiteInstall:
    """How a new site installs the AiBot that is running."""
    source = checkout()
    if source is not None:
        return _vendored(*built_wheel(source))
    return install_of(_running_distribution())


def install_of(dist: Distribution) -> SiteInstall:
    """How a site installs `dist`, an installed (not editable) AiBot."""
    line = git_requirement(dist)
    if line is not None:
        return SiteInstall(line)
    return _vendored(*(original_wheel(dist) or packed_wheel(dist)))


def git_requirement(dist: Distribution) -> str | None:
    """`NAME @ git+URL@COMMIT` when `dist` was installed from a repository that other machines
    can reach (not a file:// clone); any user name or password in the URL is left out."""
    direct = _direct_url(dist)
    vcs = direct.get("vcs_info")
    if not vcs or not vcs.get("commit_id"):
        return None
    url = urlsplit(direct["url"])
    if url.scheme not in ("https", "http", "ssh"):
        return None
    if url.scheme != "ssh" and (url.username or url.password):  # a token must not be committed
        host = url.hostname or ""
        url = url._replace(netloc=f"{host}:{url.port}" if url.port else host)
    line = f"{dist.metadata['Name']} @ {vcs['vcs']}+{urlunsplit(url)}@{vcs['commit_id']}"
    if direct.get("subdirectory"):
        line += f"#subdirectory={direct['subdirectory']}"
    return line


def original_wheel(dist: Distribution) -> tuple[str, bytes] | None:
    """The wheel file `dist` was installed from, when it is still there, unchanged."""
    direct = _direct_url(dist)
    archive = direct.get("archive_info")
    url = urlsplit(direct.get("url", ""))
    if archive is None or url.scheme != "file" or not url.path.endswith(".whl"):
        return None
    path = Path(url2pathname(url.path))
    recorded = archive.get("hashes", {}).get("sha256")
    if recorded is None and archive.get("hash", "").startswith("sha256="):
        recorded = archive["hash"].removeprefix("sha256=")
    if recorded is None or not path.is_file():
        return None
    data = path.read_bytes()
    return (path.name, data) if hashlib.sha256(data).hexdigest() == recorded else None


def packed_wheel(dist: Distribution) -> tuple[str, bytes]:
    """A wheel of the files installed for `dist` (its RECORD): name and bytes.

    Written with zipfile rather than the `wheel` package, whose Python API is not public: a
    wheel is a zip of the files, a WHEEL file (installed with them) and a RECORD of hashes.
    """
    listed = dist.files
    info = next((f.parent for f in listed or [] if f.match("*.dist-info/METADATA")), None)
    if info is None:
        raise SiteInstallError(
            f"cannot pack the installed AiBot into a wheel: {dist.locate_file('')} has no list "
            "of its files (RECORD); install AiBot with pip from git or a wheel and run again"
        )
    wheel = HeaderParser().parsestr(dist.read_text("WHEEL") or "")
    tags = wheel.get_all("Tag") or ["py3-none-any"]
    if len(tags) != 1:
        raise SiteInstallError(f"cannot pack the installed AiBot: its WHEEL has tags {tags}")
    files, meta = [], []
    for path in listed or []:
        if ".." in path.parts or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue  # scripts (made again from entry_points.txt) and compiled files
        if path.parent == info and path.name in _INSTALLER_FILES:
            continue
        (meta if path.parent == info else files).append(path)
    try:
        members = {p.as_posix(): Path(str(dist.locate_file(p))).read_bytes() for p in files + meta}
    except OSError as exc:
        raise SiteInstallError(
            f"cannot pack the installed AiBot into a wheel: {exc}; reinstall AiBot and run again"
        ) from exc
    buffer = _zip_wheel(members, f"{info.as_posix()}/RECORD")
    return f"{info.name.removesuffix('.dist-info')}-{tags[0]}.whl", buffer


@functools.cache
def built_wheel(source: Path) -> tuple[str, bytes]:
    """A wheel built from the source checkout `source` by `pip wheel` (once per process):
    name and bytes. pip fetches the build backend (setuptools) from the package index.

    It builds a copy: setuptools builds in the source folder and packs whatever its build/
    folder holds, so a file deleted since an earlier build would come back in the wheel; and
    `aibot init` leaves the checkout as it was. The wheel is kept in the user's cache under the
    sha256 of the copied files: another `aibot init` from the same files takes it from there
    (no build, no package index); any change to them builds a new one."""
    with tempfile.TemporaryDirectory() as work:
        copy, out = Path(work) / "source", Path(work) / "wheel"
        anywhere = shutil.ignore_patterns(*_NOT_SOURCE)

        def ignored(folder: str, names: list[str]) -> set[str]:
            at_top = _NOT_SOURCE_AT_TOP if Path(folder) == source else set()
            return set(anywhere(folder, names)) | (at_top & set(names))

        shutil.copytree(source, copy, symlinks=True, ignore=ignored)
        kept = user_cache() / "wheels" / files_sha256(copy)
        found = kept_wheel(kept)
        if found is not None:
            return found
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
             str(out), str(copy)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wheels = list(out.glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            said = "\n".join(line for line in done.stderr.splitlines() if line.strip())
            raise SiteInstallError(
                f"cannot build a wheel of AiBot from {source} with pip (exit {done.returncode}):"
                f"\n{said[-1500:]}\nhint: pip needs the package index to fetch setuptools; or "
                "install AiBot with pip (from git or a wheel) and run `aibot init` with it"
            )
        name, data = wheels[0].name, wheels[0].read_bytes()
        with contextlib.suppress(OSError):  # unwritable, it costs the next `aibot init` a build
            replace_bytes(kept / name, data)
        return name, data


def files_sha256(folder: Path) -> str:
    """The sha256 of every file under `folder`: its path, whether it is executable, and its
    bytes (a symbolic link: where it points)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        name = os.fsencode(path.relative_to(folder).as_posix())
        if path.is_symlink():
            kind, data = b"link", os.fsencode(os.readlink(path))
        else:
            kind, data = b"x" if os.access(path, os.X_OK) else b"file", path.read_bytes()
        for part in (kind, name, data):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def kept_wheel(folder: Path) -> tuple[str, bytes] | None:
    """The one wheel kept in `folder` (a cache entry of built_wheel): name and bytes."""
    try:
        (wheel,) = folder.glob("*.whl")
        return wheel.name, wheel.read_bytes()
    except (OSError, ValueError):
        return None


def _vendored(name: str, data: bytes) -> SiteInstall:
    return SiteInstall(f"./{VENDOR}/{name}", {f"{VENDOR}/{name}": data})


def _direct_url(dist: Distribution) -> dict:
    """The distribution's direct_url.json (PEP 610); {} when it came from an index or is
    unreadable."""
    try:
        found = json.loads(dist.read_text("direct_url.json") or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) and isinstance(found.get("url"), str) else {}


def _running_distribution() -> Distribution:
    """The installed distribution whose files hold the running aibot package."""
    running = Path(aibot.__file__).resolve()
    for dist in distributions(name="aibot"):
        if Path(str(dist.locate_file("aibot/__init__.py"))).resolve() == running:
            return dist
    raise SiteInstallError(
        f"cannot tell how the running AiBot ({running.parent}) was installed: no installed "
        "distribution holds it; install AiBot with pip (from git or a wheel) and run again"
    )


def _zip_wheel(members: dict[str, bytes], record: str) -> bytes:
    """A wheel's bytes: `members` in order, then the RECORD of their hashes at `record`."""
    rows, buffer = io.StringIO(), io.BytesIO()
    listing = csv.writer(rows, lineterminator="\n")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in [*members.items(), (record, None)]:
            if data is None:  # the RECORD names itself without a hash
                listing.writerow([record, "", ""])
                data = rows.getvalue().encode()
            else:
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                listing.writerow([name, f"sha256={digest.decode()}", len(data)])
            entry = zipfile.ZipInfo(name, _ZIP_TIME)
            entry.external_attr = 0o644 << 16
            wheel.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
