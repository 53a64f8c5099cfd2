"""Full-text search for the built site: Pagefind indexes it into `pagefind/` inside the site.

Pagefind (PyPI `pagefind[bin]`, which ships its binary in `pagefind_bin`) reads the built HTML and
writes a static index that the browser loads on demand: `pagefind/pagefind.js` plus WebAssembly,
index chunks and fragments. Only elements marked `data-pagefind-body` (the post article) are
indexed once any page has one; `data-pagefind-ignore` inside them is skipped.

Search is an extra, never a reason to fail a build: a missing, broken or slow binary gives a
report with a problem line and the site works without search (`static/search.js` says so).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BUNDLE = "pagefind"  # the folder inside the site, and the path search.js imports from
BINARY_ENV = "AIBOT_PAGEFIND"  # a pagefind binary to use instead of the one pagefind_bin ships
DIGEST = "aibot-pages.sha256"  # in the bundle: what it was made from (see `previous`)
TIMEOUT_S = 120.0


@dataclass
class SearchReport:
    output: Path  # <site>/pagefind
    ok: bool = False
    pages: int = 0  # pages Pagefind indexed
    words: int = 0
    seconds: float = 0.0
    binary: str = ""
    version: str = ""  # e.g. "1.5.2"
    reused: bool = False  # the previous site's index was reused: its pages are the same
    problems: list[str] = field(default_factory=list)


def find_binary(binary: str | os.PathLike[str] | None = None) -> Path | None:
    """The pagefind executable: `binary`, else $AIBOT_PAGEFIND, else the one `pagefind[bin]`
    installed, else `pagefind` on PATH; None when there is none."""
    chosen = binary or os.environ.get(BINARY_ENV)
    if chosen:
        return Path(chosen)
    try:
        from pagefind_bin import get_executable  # the binary shipped by `pagefind[bin]`

        return Path(get_executable())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    return Path(found) if found else None


def index_site(
    site_dir: Path,
    *,
    previous: Path | None = None,
    binary: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT_S,
) -> SearchReport:
    """Run Pagefind over `site_dir`, writing `site_dir/pagefind/`.

    `previous` is the site being replaced: when its index was made by the same Pagefind from the
    same pages (a digest of every page is kept in the bundle), that index is reused (hard links)
    instead of rebuilt, which matters for large sites (Pagefind has no incremental mode).
    Never raises for a missing or failing binary: the report's `ok` is False and `problems` says
    why, and no half-written index is left (search.js then says search is unavailable)."""
    started = time.perf_counter()
    site_dir = Path(site_dir)
    report = SearchReport(output=site_dir / BUNDLE)

    def fail(problem: str) -> SearchReport:
        _discard(report.output)
        report.problems.append(f"search: {problem}; the site was built without search")
        report.seconds = time.perf_counter() - started
        return report

    executable = find_binary(binary)
    if executable is None:
        return fail("no pagefind binary found (pip install 'pagefind[bin]')")
    report.binary = str(executable)
    try:
        version = _run([executable, "--version"], timeout)
        if version.returncode == 0:
            report.version = version.stdout.strip().removeprefix("pagefind ").strip()
        digest = _digest(site_dir, report.version)
        counts = _reuse(Path(previous) / BUNDLE, report.output, digest) if previous else None
        if counts is not None:
            report.pages, report.words = counts
            report.ok = report.reused = True
            report.seconds = time.perf_counter() - started
            return report
        _discard(report.output)  # no stale chunks from a bundle copied along with the pages
        done = _run([executable, "--site", str(site_dir), "--output-subdir", BUNDLE], timeout)
    except (OSError, subprocess.SubprocessError) as exc:  # missing, not executable, timed out
        return fail(f"pagefind could not run ({type(exc).__name__}: {exc})")
    out = done.stdout + "\n" + done.stderr
    if match := re.search(r"Running Pagefind v(\S+)", out):
        report.version = match.group(1)
    if match := re.search(r"Indexed (\d+) pages?", out):
        report.pages = int(match.group(1))
    if match := re.search(r"Indexed (\d+) words?", out):
        report.words = int(match.group(1))
    if done.returncode != 0 or not (report.output / "pagefind.js").is_file():
        return fail(f"pagefind failed (exit {done.returncode}){_reason(done.stderr or out)}")
    (report.output / DIGEST).write_text(f"{digest} {report.pages} {report.words}\n")
    report.ok = True
    report.seconds = time.perf_counter() - started
    return report


def _run(command: list[str | Path], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _digest(site_dir: Path, version: str) -> str:
    """sha256 over the Pagefind version and every page's path and bytes."""
    hasher = hashlib.sha256(f"pagefind {version}\n".encode())
    for page in sorted(site_dir.rglob("*.html")):
        relative = page.relative_to(site_dir)
        if relative.parts[0] == BUNDLE:
            continue
        hasher.update(relative.as_posix().encode() + b"\0" + page.read_bytes() + b"\0")
    return hasher.hexdigest()


def _reuse(old: Path, new: Path, digest: str) -> tuple[int, int] | None:
    """Hard-link (or copy) the old bundle into `new` if it was made from the same pages;
    return its (pages, words), or None when it cannot be reused."""
    try:
        made_from, pages, words = (old / DIGEST).read_text().split()
        if made_from != digest or not (old / "pagefind.js").is_file():
            return None
        _discard(new)
        shutil.copytree(old, new, copy_function=_link_or_copy)
        return int(pages), int(words)
    except (OSError, ValueError):
        _discard(new)
        return None


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _reason(output: str) -> str:
    """': <the first error line>' from Pagefind's output, or ''."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    chosen = next((ln for ln in lines if ln.startswith("Error:")), lines[-1] if lines else "")
    chosen = chosen.removeprefix("Error:").strip().rstrip(".")
    return f": {chosen}" if chosen else ""


def _discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
