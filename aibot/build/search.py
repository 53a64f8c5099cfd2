"""Full-text search for the built site: Pagefind indexes it into `pagefind/` inside the site.

Pagefind (PyPI `pagefind[bin]`, which ships its binary in `pagefind_bin`) reads the built HTML and
writes a static index that the browser loads on demand: `pagefind.js` plus WebAssembly, index
chunks and fragments. The post pages are split into shards by a hash of their path, each its own
bundle `pagefind/sNN/`, listed in `pagefind/shards.json`; static/search.js loads the first and
merges the others (Pagefind's mergeIndex). Only elements marked `data-pagefind-body` (the post
article) are indexed; `data-pagefind-ignore` inside them is skipped.

Search is an extra, never a reason to fail a build: a missing, broken or slow binary gives a
report with a problem line and the site works without search (`static/search.js` says so).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
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
    reused: bool = False  # the previous site's index was reused whole: its pages are the same
    reused_shards: int = 0  # shards taken from the previous site (see index_site)
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


SHARD_POSTS = 400  # posts per search shard, about; Pagefind takes ~1 s for 600 pages here
SHARDS_FILE = "shards.json"  # in the bundle: the shard folders search.js merges


def shard_count(pages: int) -> int:
    """How many indexes the posts are split into: 1 up to SHARD_POSTS, then a power of two,
    so the shards change (and all are rebuilt) only when the site doubles."""
    if pages <= SHARD_POSTS:
        return 1
    return 2 ** math.ceil(math.log2(pages / SHARD_POSTS))


def shard_of(href: str, shards: int) -> int:
    return int(hashlib.blake2b(href.encode(), digest_size=8).hexdigest(), 16) % shards


def index_site(
    site_dir: Path,
    *,
    previous: Path | None = None,
    pages: Mapping[str, str] | None = None,
    binary: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT_S,
) -> SearchReport:
    """Index `site_dir` for search into `site_dir/pagefind/`.

    `pages` maps each page to index (a post page's href) to a key of its content; without it,
    every HTML page of the site is indexed, keyed by its bytes. The pages are split into shards
    (shard_count), each its own Pagefind bundle `pagefind/sNN/`, which search.js merges; a
    shard whose pages are the same as in `previous` (the site being replaced) is hard-linked
    from it instead of rebuilt, since Pagefind has no incremental mode: editing one post of
    5,000 re-indexes one shard of ~300.

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
    if pages is None:
        pages = {
            page.relative_to(site_dir).as_posix(): _file_key(page)
            for page in sorted(site_dir.rglob("*.html"))
            if page.relative_to(site_dir).parts[0] != BUNDLE
        }
    if not pages:  # nothing to index: an empty listing, which search.js reads as no results
        _discard(report.output)
        report.output.mkdir(parents=True)
        (report.output / SHARDS_FILE).write_text(json.dumps({"shards": []}) + "\n")
        report.ok = True
        report.seconds = time.perf_counter() - started
        return report
    count = shard_count(len(pages))
    shards: list[dict[str, str]] = [{} for _ in range(count)]
    for href, key in pages.items():
        shards[shard_of(href, count)][href] = key
    try:
        version = _run([executable, "--version"], timeout)
        if version.returncode == 0:
            report.version = version.stdout.strip().removeprefix("pagefind ").strip()
        _discard(report.output)
        report.output.mkdir(parents=True)
        # A shard no page hashes to has no bundle (Pagefind refuses to index nothing).
        used = [n for n in range(count) if shards[n]] or [0]
        names = [f"s{n:02d}" for n in used]
        with ThreadPoolExecutor(max_workers=min(2, len(used))) as pool:
            done = list(
                pool.map(
                    lambda n: _shard(
                        executable, site_dir, f"s{n:02d}", shards[n], previous, report, timeout
                    ),
                    used,
                )
            )
    except (OSError, subprocess.SubprocessError) as exc:  # missing, not executable, timed out
        return fail(f"pagefind could not run ({type(exc).__name__}: {exc})")
    failed = [problem for problem, _counts, _reused in done if problem]
    if failed:
        return fail(failed[0])
    report.pages = sum(counts[0] for _problem, counts, _reused in done)
    report.words = sum(counts[1] for _problem, counts, _reused in done)
    report.reused_shards = sum(reused for _problem, _counts, reused in done)
    (report.output / SHARDS_FILE).write_text(json.dumps({"shards": names}) + "\n")
    report.ok = True
    report.reused = report.reused_shards == len(used)
    report.seconds = time.perf_counter() - started
    return report


def _shard(
    executable: Path,
    site_dir: Path,
    name: str,
    pages: Mapping[str, str],
    previous: Path | None,
    report: SearchReport,
    timeout: float,
) -> tuple[str, tuple[int, int], bool]:
    """Make (or reuse) one shard's bundle; return a problem ("" when it worked), its pages and
    words, and whether it was reused."""
    target = report.output / name
    made_from = _digest(report.version, pages)
    counts = _reuse(Path(previous) / BUNDLE / name, target, made_from) if previous else None
    if counts is None:
        source = site_dir / f".search-{name}"  # the shard's pages alone, as Pagefind's --site
        _discard(source)
        try:
            for href in pages:
                _link_or_copy_path(site_dir / href, source / href)
            done = _run([executable, "--site", str(source), "--output-path", str(target)], timeout)
        finally:
            _discard(source)
        out = done.stdout + "\n" + done.stderr
        if done.returncode != 0 or not (target / "pagefind.js").is_file():
            problem = f"pagefind failed (exit {done.returncode}){_reason(done.stderr or out)}"
            return problem, (0, 0), False
        found_pages = re.search(r"Indexed (\d+) pages?", out)
        found_words = re.search(r"Indexed (\d+) words?", out)
        counts = (
            int(found_pages.group(1)) if found_pages else 0,
            int(found_words.group(1)) if found_words else 0,
        )
        (target / DIGEST).write_text(f"{made_from} {counts[0]} {counts[1]}\n")
        return "", counts, False
    return "", counts, True


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


def _digest(version: str, pages: Mapping[str, str]) -> str:
    """sha256 over the Pagefind version and every page's href and key."""
    hasher = hashlib.sha256(f"pagefind {version}\n".encode())
    for href, key in sorted(pages.items()):
        hasher.update(f"{href}\0{key}\0".encode())
    return hasher.hexdigest()


def _file_key(page: Path) -> str:
    return hashlib.blake2b(page.read_bytes(), digest_size=16).hexdigest()


def _link_or_copy_path(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _link_or_copy(str(source), str(target))


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
