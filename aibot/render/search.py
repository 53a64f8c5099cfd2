"""Full-text search for the built site: Pagefind indexes it into `pagefind/` inside the site.

Pagefind (PyPI `pagefind[bin]`, which ships its binary in `pagefind_bin`) reads the built HTML and
writes a static index that the browser loads on demand: `pagefind.js` plus WebAssembly, index
chunks and fragments. The post pages are split into shards by a hash of their path, each its own
bundle `pagefind/sNN/`, listed in `pagefind/shards.json`; static/search.js loads the first and
merges the others (Pagefind's mergeIndex). Only elements marked `data-pagefind-body` (the post
article) are indexed; `data-pagefind-ignore` inside them is skipped. A build renders the post
pages shard by shard and has each shard indexed as soon as its pages are written (index_site's
`written`), so that Pagefind runs while the other pages are rendered.

Pagefind has no incremental mode, so a build keeps the last build's shards and indexes only the
pages they hold wrongly (edited, new or deleted since) into a small `pagefind/delta/` bundle;
shards.json lists the shards' stale entries (`hidden`, Pagefind's result ids), which search.js
leaves out and the delta replaces. Past DELTA_LIMIT such pages, the shards they belong to are
made again and the delta goes. What each bundle holds is kept in `pagefind/aibot-search.json`.

Search is an extra, never a reason to fail a build: a missing, broken or slow binary gives a
report with a problem line and the site works without search (`static/search.js` says so).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

BUNDLE = "pagefind"  # the folder inside the site, and the path search.js imports from
BINARY_ENV = "AIBOT_PAGEFIND"  # a pagefind binary to use instead of the one pagefind_bin ships
STATE = "aibot-search.json"  # in the bundle: what each shard holds (see `previous`)
STATE_VERSION = 2
DELTA = "delta"  # the bundle of pages the main shards hold wrongly since they were made
DELTA_LIMIT = 64  # pages in the delta before the shards they belong to are made again
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


SHARD_POSTS = 400  # posts per search shard, about: ~1 s of Pagefind's time (~3 ms a page)
SHARDS_FILE = "shards.json"  # in the bundle: the shard folders search.js merges


def shard_count(pages: int) -> int:
    """How many indexes the posts are split into: 1 up to SHARD_POSTS, then a power of two,
    so the shards change (and all are rebuilt) only when the site doubles."""
    if pages <= SHARD_POSTS:
        return 1
    return 2 ** math.ceil(math.log2(pages / SHARD_POSTS))


def shard_of(href: str, shards: int) -> int:
    # CRC-32: even enough, and cheap for the two passes over every page a build makes.
    return zlib.crc32(href.encode("utf-8", "surrogatepass")) % shards


def index_site(
    site_dir: Path,
    *,
    previous: Path | None = None,
    pages: Mapping[str, str] | None = None,
    binary: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT_S,
    move: bool = False,
    written: Callable[[Iterable[str]], None] | None = None,
) -> SearchReport:
    """Index `site_dir` for search into `site_dir/pagefind/`.

    `pages` maps each page to index (a post page's href) to a key of its content; without it,
    every HTML page of the site is indexed, keyed by its bytes. The pages are split into shards
    (shard_count), each its own Pagefind bundle `pagefind/sNN/`, which search.js merges; a
    shard whose pages are the same as in `previous` (the site being replaced) is hard-linked
    from it (moved, with `move`: `previous` is then a scratch copy) instead of rebuilt, since
    Pagefind has no incremental mode: editing one post of 5,000 re-indexes one shard of ~300.
    With `written` (which returns once the pages given are on disk, or raises), each bundle is
    made as soon as its pages are written: a build indexes while it still renders.

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
        listing = {"shards": [], "delta": None, "hidden": []}
        (report.output / SHARDS_FILE).write_text(json.dumps(listing) + "\n")
        report.ok = True
        report.seconds = time.perf_counter() - started
        return report
    count = shard_count(len(pages))
    wanted: dict[str, dict[str, str]] = {}
    for href, key in pages.items():
        wanted.setdefault(_name(shard_of(href, count)), {})[href] = key
    try:
        report.version = _version(executable, timeout)
        old = _read_state(Path(previous) / BUNDLE, report.version, count) if previous else None
        plan = _plan(wanted, pages, old)
        _discard(report.output)
        report.output.mkdir(parents=True)
        with ThreadPoolExecutor(max_workers=2) as pool:
            make = functools.partial(
                _bundle, executable, site_dir, old=old, output=report.output, timeout=timeout,
                move=move, written=written,
            )  # fmt: skip
            names = sorted(plan.bundles)  # the order a build writes the shards in
            jobs = {name: pool.submit(make, name, plan.bundles[name]) for name in names}
            done = {name: job.result() for name, job in jobs.items()}
    except (OSError, subprocess.SubprocessError) as exc:  # missing, not executable, timed out
        return fail(f"pagefind could not run ({type(exc).__name__}: {exc})")
    except BaseException:  # `written` raised: the pages will not come
        _discard(report.output)
        raise
    failed = [problem for problem, _built, _reused in done.values() if problem]
    if failed:
        return fail(failed[0])
    built = {name: made for name, (_problem, made, _reused) in done.items()}
    main = sorted(name for name in built if name != DELTA)
    # The main shards' entries for pages they hold wrongly: search.js leaves them out.
    hidden = sorted(built[n].ids[h] for n in main for h in plan.stale if h in built[n].ids)
    report.pages = sum(len(b.pages) for b in built.values()) - len(hidden)
    report.words = sum(b.words for name, b in built.items() if name != DELTA)
    report.reused_shards = sum(reused for _problem, _built, reused in done.values())
    listing = {"shards": main, "delta": DELTA if DELTA in built else None, "hidden": hidden}
    (report.output / SHARDS_FILE).write_text(json.dumps(listing) + "\n")
    state = {
        "version": STATE_VERSION,
        "pagefind": report.version,
        "count": count,
        "bundles": {name: b.saved() for name, b in built.items()},
    }
    (report.output / STATE).write_bytes(orjson.dumps(state))  # orjson: 5,000 pages' keys
    report.ok = True
    report.reused = report.reused_shards == len(built)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Built:
    """A bundle and what it holds: each page's key, and its id in Pagefind's results."""

    pages: dict[str, str]  # href -> key
    ids: dict[str, str]  # href -> Pagefind's id of the page (its fragment's name)
    words: int = 0
    folder: Path | None = None  # where the last build has it (not saved)

    def saved(self) -> dict[str, Any]:
        return {"pages": self.pages, "ids": self.ids, "words": self.words}


@dataclass
class _Plan:
    bundles: dict[str, dict[str, str]]  # bundle name -> the pages it must hold (href -> key)
    stale: set[str]  # pages the main shards hold wrongly (changed, new or deleted)


def _name(shard: int) -> str:
    return f"s{shard:02d}"


def _plan(
    wanted: dict[str, dict[str, str]], pages: Mapping[str, str], old: dict[str, _Built] | None
) -> _Plan:
    """Which bundles to have: when the last build's main shards are wrong about at most
    DELTA_LIMIT pages, keep them all as they are and index those pages alone into a small
    `delta` bundle (search.js hides the shards' stale entries); otherwise make the main shards
    that are wrong again, and no delta."""
    if old is not None:
        stale: set[str] = set()
        for name in wanted.keys() | {n for n in old if n != DELTA}:
            held = old[name].pages if name in old else {}
            want = wanted.get(name, {})
            stale |= {h for h, k in want.items() if held.get(h) != k}
            stale |= held.keys() - want.keys()
        if len(stale) <= DELTA_LIMIT:
            bundles = {name: old[name].pages for name in old if name != DELTA}
            changed = {h: pages[h] for h in stale if h in pages}
            if changed:
                bundles[DELTA] = changed
            return _Plan(bundles, stale)
    return _Plan(dict(wanted), set())


def _bundle(
    executable: Path,
    site_dir: Path,
    name: str,
    pages: dict[str, str],
    old: dict[str, _Built] | None,
    output: Path,
    timeout: float,
    move: bool = False,
    written: Callable[[Iterable[str]], None] | None = None,
) -> tuple[str, _Built, bool]:
    """Make (or reuse) one bundle; return a problem ("" when it worked), what it holds, and
    whether it was reused from the last build."""
    target = output / name
    kept = old.get(name) if old is not None else None
    if kept is not None and kept.folder is not None and kept.pages == pages:
        try:
            if move:
                kept.folder.rename(target)
            else:
                _link_tree(kept.folder, target)
            return "", kept, True
        except OSError:
            _discard(target)
    if written is not None:
        written(pages)
    source = site_dir / f".search-{name}"  # the bundle's pages alone, as Pagefind's --site
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
        return problem, _Built({}, {}), False
    found_words = re.search(r"Indexed (\d+) words?", out)
    fragments = (target / "fragment").glob("*.pf_fragment")
    ids = {_fragment_url(fragment).lstrip("/"): fragment.stem for fragment in fragments}
    return "", _Built(dict(pages), ids, int(found_words.group(1)) if found_words else 0), False


_FRAGMENT_HEAD = b'pagefind_dcd{"url":'


def _fragment_url(fragment: Path) -> str:
    """The page a Pagefind fragment is of. Its JSON starts with the URL, so only the start is
    unpacked (unpacking 5,000 fragments whole takes ~0.5 s); anything else is read whole."""
    data = fragment.read_bytes()
    with contextlib.suppress(zlib.error, ValueError):
        head = zlib.decompressobj(wbits=31).decompress(data, 2048)  # 31: gzip
        if head.startswith(_FRAGMENT_HEAD):
            rest = head[len(_FRAGMENT_HEAD) :].decode("utf-8", "ignore")  # cut off anywhere
            url, _end = json.JSONDecoder().raw_decode(rest)
            if isinstance(url, str):
                return url
    return json.loads(gzip.decompress(data).removeprefix(b"pagefind_dcd"))["url"]


def _read_state(bundle: Path, version: str, count: int) -> dict[str, _Built] | None:
    """The last build's bundles, when made by this Pagefind with this many shards."""
    try:
        state = orjson.loads((bundle / STATE).read_bytes())
        if (state["version"], state["pagefind"], state["count"]) != (STATE_VERSION, version, count):
            return None
        found = {}
        for name, data in state["bundles"].items():
            built = _Built(dict(data["pages"]), dict(data["ids"]), int(data["words"]))
            built.folder = bundle / name
            if not (bundle / name / "pagefind.js").is_file():
                return None
            found[name] = built
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _version(executable: Path, timeout: float) -> str:
    """Pagefind's version: that of the `pagefind_bin` package when it is its binary (no process
    to start), else what `pagefind --version` says."""
    try:
        import pagefind_bin

        if Path(pagefind_bin.get_executable()) == executable:
            # The name of the .dist-info folder pip installed beside it: importlib.metadata
            # would cost ~50 ms of the build's time to import.
            where = Path(pagefind_bin.__file__ or "").parent.parent
            for info in where.glob("pagefind_bin-*.dist-info"):
                return info.name.removeprefix("pagefind_bin-").removesuffix(".dist-info")
    except (ImportError, FileNotFoundError):
        pass
    done = _run([executable, "--version"], timeout)
    return done.stdout.strip().removeprefix("pagefind ").strip() if done.returncode == 0 else ""


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


def _file_key(page: Path) -> str:
    return hashlib.blake2b(page.read_bytes(), digest_size=16).hexdigest()


def _link_or_copy_path(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _link_or_copy(str(source), str(target))


def _link_tree(source: Path, target: Path) -> None:
    """`target` as a copy of the folder `source` made of hard links (a copy where that fails):
    by `cp -al` where there is one (C, in a process of its own, so the build's Python thread
    is not held up by ~300 links a shard), else a plain loop."""
    cp = shutil.which("cp") if os.name == "posix" else None
    if cp is not None and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [cp, "-al", "--", str(source), str(target)], capture_output=True, check=False
        )
        if done.returncode == 0:
            return
        _discard(target)  # half made: never copy over a link, that would write through it
    base = str(source)
    for folder, _dirs, names in os.walk(base):
        into = os.path.join(target, os.path.relpath(folder, base))
        os.makedirs(into, exist_ok=True)
        for name in names:
            _link_or_copy(os.path.join(folder, name), os.path.join(into, name))


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
