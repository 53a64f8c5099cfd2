"""Crash safety: `aibot run` killed with SIGKILL at random moments, then run again.

The promise (DESIGN.md, principles 1 and 2): every write is atomic (temp file, fsync, rename in the
same folder), so a crash at any moment leaves either the old or the new file, never a partial one;
and killing a run at any moment, then running again, ends in the same content as one clean run.

Method:

0. The demo's feeds and pages are served by a loopback HTTP server (as real feeds are: with
   Last-Modified, so a run asks "changed since?" and may be told 304 Not Modified).
1. A reference: a copy of the demo run once, cleanly, in a fresh process, watched as the trials
   are. It gives the digest of `content/`, the set of files in `site/`, and a timeline: when the
   collect stage ended (its last progress line), when the first post appeared, when the build's
   staging folder appeared, when the run ended. These events bound four phases: collect,
   cluster (with the write stage's planning), write, build (with the swap and the run log).
2. Each trial copies the pristine demo again, starts `python -m aibot run` in its own session (so
   SIGKILL to the process group also kills the extraction pool's workers), waits for the event
   that opens its phase (polling with a deadline) and then kills it after a delay drawn from
   `random.Random(seed)`. The phases take turns, and the kills of one phase are spread over its
   length in the clean run (one in each equal slice), so every stage is hit even though collect
   takes most of the time; anchoring on events keeps that true when a run is slower or faster
   than the reference. The kill after a random delay is the fault injected; nothing else waits
   on a clock (processes are waited on with timeouts, conditions polled with deadlines). Two
   trials run at a time, each in its own folder.
3. Right after each kill: every `content/posts/**/*.md` parses with
   `aibot.posts.files.load_post` and its body still matches its own `generator.body_sha256` (a
   cut-off file would not), and `site/` is either absent or a whole build (every local link of
   every page resolves, same files as the reference's site; the build's staging folder is a
   sibling of `site/`, never `site/` itself).
   Leftover temp files (`.<name>.<random>.tmp`) and staging folders are reported, not failed.
4. Then `aibot run` again to completion in the same folder: `content/` must equal the reference
   exactly (no duplicate, missing or partial post; only leftover temp files are ignored and
   reported) and `site/` must hold the reference's files. That run also meets the lock file the
   killed run left (aibot/support/lock.py) and takes it over ("stale lock taken over" in its line).

Besides the random kills, kills at chosen moments: as soon as the first post, or all posts but
one, are on disk; while a second run builds; twice in a row; and once every feed is read but
before any page is stored (the gate holds the page requests), which a run must not answer next
time with "304 Not Modified" for entries it never stored.

The stage each kill landed in is read from what the killed run left behind (its progress lines on
stderr, the posts written, the staging folder, `site/`); run with `-s` to see one line per kill.

Knobs (environment):
- `AIBOT_CRASH_KILLS` (default 8): kills at random moments; run longer with
  `AIBOT_CRASH_KILLS=50 pytest tests/system/test_crash.py -s`.
- `AIBOT_CRASH_SEED` (default below): the seed; every failure message names it, so a failure is
  reproduced with `AIBOT_CRASH_SEED=<seed> AIBOT_CRASH_KILLS=<n> pytest tests/system/test_crash.py`
  (the delays follow the measured phases, so they land in the same stages, not at the same
  instruction).
- `AIBOT_CRASH_EMBEDDINGS` (default `off`): the demo's `cluster.embeddings`. Loading the sentence
  model makes each killed and rerun demo run several times longer, beyond this file's time budget
  (~90 s); the demo's posts and site are the same either way, only the cache gains the
  embeddings. `auto` kills runs that use the model.

A kill and its rerun take about 10 s on 2 idle cores, up to 25 s under load, and two trials run at
a time: with the defaults the file takes 1-2 minutes; `AIBOT_CRASH_KILLS=50` adds 42 trials.
"""

from __future__ import annotations

import difflib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aibot.posts.files import is_edited
from aibot.posts.frontmatter import PostError, load_post
from tests.conftest import tree_digest
from tests.helpers.crash import (
    RUN_TIMEOUT,
    TEMP_FILE,
    Gate,
    assert_whole_site,
    demo_over_http,
    site_files,
    wait_until_group_is_gone,
)

KILLS = int(os.environ.get("AIBOT_CRASH_KILLS", "8"))
SEED = int(os.environ.get("AIBOT_CRASH_SEED", "20261124"))
STAGING = re.compile(r"^\.site\.(build|old)-")


# Folders, a server and processes


@pytest.fixture(scope="module")
def template(gate: Gate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine copy of the demo, copied again for every trial."""
    return demo_over_http(tmp_path_factory.mktemp("crash") / "template", gate)


# The events that separate the stages of a run, and what shows each one (see _Run.wait_for).
PHASES = ("collect", "cluster", "write", "build")  # each from its event to the next one's
EVENTS = ("start", "collected", "first post", "staging", "end")


@dataclass
class Reference:
    seconds: float
    content: dict[str, str]
    site: set[str]
    posts: int
    events: dict[str, float]  # event -> seconds after the start of the clean run
    folder: Path

    def window(self, phase: str) -> tuple[str, float]:
        """The event a phase starts with and how long the phase lasted in the clean run."""
        i = PHASES.index(phase)
        return EVENTS[i], self.events[EVENTS[i + 1]] - self.events[EVENTS[i]]


@pytest.fixture(scope="module")
def reference(template: Path) -> Reference:
    """The demo run once, cleanly, in a fresh process, watched as the trials are."""
    folder = _fresh_copy(template, "reference")
    run = _Run(folder, "reference")
    events = {"start": 0.0}
    for event in EVENTS[1:-1]:
        events[event] = run.wait_for(event) - run.started
    run.finish()
    events["end"] = time.monotonic() - run.started
    content = tree_digest(folder / "content")
    posts = sum(1 for p in content if p.endswith(".md"))
    assert posts > 0, "the clean run wrote no post: nothing to crash"
    site = site_files(folder / "site")
    assert "index.html" in site
    assert_whole_site(folder / "site", site)
    timeline = ", ".join(f"{e} {t:.2f} s" for e, t in events.items())
    print(f"\nreference: {posts} posts, {len(site)} site files; {timeline}")
    return Reference(events["end"], content, site, posts, events, folder)


def _fresh_copy(template: Path, name: str) -> Path:
    target = template.parent / name
    shutil.copytree(template, target)
    return target


def _command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "aibot", "run", "-c", str(folder / "aibot.yaml")]


def _env() -> dict[str, str]:
    return {**os.environ, "ANTHROPIC_API_KEY": ""}


def _run_to_completion(folder: Path) -> tuple[float, str]:
    """Run to the end (exit 0); return its duration and what it wrote on stderr."""
    started = time.monotonic()
    done = subprocess.run(
        _command(folder), cwd=folder, capture_output=True, text=True, env=_env(),
        timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"run in {folder} failed:\n{done.stdout}\n{done.stderr}"
    return time.monotonic() - started, done.stderr


@dataclass
class Killed:
    """What one killed run left behind."""

    label: str
    at: float  # seconds after the start of the run
    finished: bool  # the run ended on its own before the kill
    stderr: str
    stage: str = ""
    temp_files: list[str] = field(default_factory=list)
    staging: list[str] = field(default_factory=list)
    posts: int = 0
    site: bool = False


class _Run:
    """`aibot run` in its own session (process group), its stderr in a file."""

    def __init__(self, folder: Path, label: str) -> None:
        self.folder = folder
        self.label = label
        self.log = folder.parent / f"{folder.name}.{label.replace(' ', '-')}.stderr"
        self.started = time.monotonic()
        with self.log.open("w") as err:
            self.proc = subprocess.Popen(
                _command(folder), cwd=folder, stdout=subprocess.DEVNULL, stderr=err, env=_env(),
                start_new_session=True,
            )  # fmt: skip

    def happened(self, event: str) -> bool:
        if event == "start":
            return True
        if event == "collected":  # the last progress line of the collect stage
            return _progress_done(self.log.read_text(), "pages")
        if event == "first post":
            return bool(_post_files(self.folder))
        if event == "staging":  # the build's folder beside site/
            return any(name.startswith(".site.build-") for name in _staging(self.folder))
        raise ValueError(event)

    def wait_for_posts(self, count: int) -> float:
        return self.wait_for(f"{count} posts", lambda: len(_post_files(self.folder)) >= count)

    def wait_for(self, event: str, condition: Callable[[], bool] | None = None) -> float:
        """Poll (every few milliseconds, with a deadline) until `event` is seen; return when."""
        deadline = self.started + RUN_TIMEOUT
        while not (condition() if condition else self.happened(event)):
            assert time.monotonic() < deadline, f"{self.label}: no {event} in {RUN_TIMEOUT} s"
            try:
                self.proc.wait(timeout=0.002)  # the polling interval; returns early if it ends
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"{self.label}: the run ended before {event}:\n{self.log.read_text()}")
        return time.monotonic()

    def finish(self) -> None:
        assert self.proc.wait(timeout=RUN_TIMEOUT) == 0, self.log.read_text()

    def kill_after(self, delay: float) -> Killed:
        """Let it run `delay` more seconds (less if it ends first), then SIGKILL its group."""
        if delay <= 0:
            return self._kill(self.proc.poll() is not None)
        try:
            self.proc.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        return self._kill(finished)

    def kill_at(self, event: str, delay: float = 0.0) -> Killed:
        """SIGKILL the group `delay` seconds after `event` is seen."""
        self.wait_for(event)
        return self.kill_after(delay)

    def _kill(self, finished: bool) -> Killed:
        at = time.monotonic() - self.started
        pgid = self.proc.pid  # start_new_session: the leader's pid is the group id
        if not finished:  # not waited for yet, so the group still exists
            os.killpg(pgid, signal.SIGKILL)
        self.proc.wait(timeout=RUN_TIMEOUT)
        wait_until_group_is_gone(pgid)
        if finished:
            assert self.proc.returncode == 0, self.log.read_text()
        return Killed(self.label, at, finished, self.log.read_text())


def _plan(rng: random.Random, ref: Reference, count: int) -> list[tuple[str, str, float]]:
    """`count` kills as (phase, event, delay after the event): the phases take turns, and a
    phase's kills are spread over its length in the clean run, one in each equal slice."""
    plan = []
    for i in range(count):
        phase = PHASES[i % len(PHASES)]
        turn, turns = i // len(PHASES), len(range(i % len(PHASES), count, len(PHASES)))
        event, length = ref.window(phase)
        width = length / turns
        plan.append((phase, event, rng.uniform(turn * width, (turn + 1) * width)))
    return plan


# Invariants


def _post_files(folder: Path) -> list[Path]:
    posts = folder / "content" / "posts"
    return sorted(posts.rglob("*.md")) if posts.is_dir() else []


def _temp_files(folder: Path) -> list[str]:
    content = folder / "content"
    if not content.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in content.rglob("*") if TEMP_FILE.match(p.name))


def _staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if STAGING.match(p.name))


def _check_after_kill(folder: Path, killed: Killed, ref: Reference) -> Killed:
    """The invariants that must hold at any instant; fills in what the kill left behind."""
    for path in _post_files(folder):
        try:
            post = load_post(path)
        except PostError as exc:
            pytest.fail(f"{_where(killed)}: a partial or broken post after the kill: {exc}")
        assert not is_edited(post), (
            f"{_where(killed)}: {path.name} does not match its own generator.body_sha256: "
            "a cut-off file"
        )
        assert path.read_bytes().endswith(b"\n"), f"{_where(killed)}: {path.name} is cut off"
    if (folder / "site").exists():
        assert_whole_site(folder / "site", ref.site)
    killed.temp_files = _temp_files(folder)
    killed.staging = _staging(folder)
    killed.posts = len(_post_files(folder))
    killed.site = (folder / "site").exists()
    killed.stage = _stage(killed, ref)
    return killed


def _stage(killed: Killed, ref: Reference) -> str:
    """Where the run was when killed, judged from what it left behind."""
    if killed.finished:
        return "finished"
    if any(name.startswith(".site.build-") for name in killed.staging):
        return "build"
    if killed.site:
        return "after build"
    if killed.posts:
        return "write" if killed.posts < ref.posts else "write/build"
    if _progress_done(killed.stderr, "pages"):
        return "cluster"
    if _progress_done(killed.stderr, "feeds"):
        return "collect pages"
    return "start/collect feeds"


def _progress_done(stderr: str, stage: str) -> bool:
    for line in stderr.splitlines():
        match = re.fullmatch(rf"collect {stage}: (\d+)/(\d+)", line.strip())
        if match and match.group(1) == match.group(2):
            return True
    return False


def _check_recovery(folder: Path, ref: Reference, killed: Killed) -> str:
    """Run again to completion: the content of one clean run. Returns a line on what is left."""
    seconds, stderr = _run_to_completion(folder)
    leftovers = _temp_files(folder)
    content = {
        path: sha
        for path, sha in tree_digest(folder / "content").items()
        if not TEMP_FILE.match(Path(path).name)
    }
    missing = sorted(set(ref.content) - set(content))
    extra = sorted(set(content) - set(ref.content))
    changed = sorted(p for p in set(ref.content) & set(content) if ref.content[p] != content[p])
    diffs = [_diff(ref.folder / "content" / p, folder / "content" / p) for p in changed[:2]]
    assert content == ref.content, (
        f"{_where(killed)}: after the kill and another run, content/ differs from one clean "
        f"run: missing {missing}, extra {extra}, changed {changed}\n" + "\n".join(diffs)
    )
    assert_whole_site(folder / "site", ref.site)
    # The killed run's lock (aibot.lock) is taken over by the next run, which says so.
    stale = "stale lock taken over, " if "; taken over" in stderr else ""
    return (
        f"rerun {seconds:.2f} s, {stale}then temp files {len(leftovers)}, "
        f"staging folders {len(_staging(folder))}"
    )


def _diff(clean: Path, recovered: Path) -> str:
    lines = difflib.unified_diff(
        clean.read_text().splitlines(keepends=True),
        recovered.read_text().splitlines(keepends=True),
        f"{clean.name} (one clean run)", f"{recovered.name} (killed, then run again)", n=1,
    )  # fmt: skip
    return "".join(lines)


def _where(killed: Killed) -> str:
    return f"[seed {SEED}, {killed.label}, killed {killed.at:.3f} s after its start]"


def _report(killed: Killed, after: str = "") -> None:
    print(
        f"{killed.label:>16}: killed at {killed.at:6.3f} s in {killed.stage:<19} "
        f"posts {killed.posts}, site {'yes' if killed.site else 'no '}, "
        f"temp files {len(killed.temp_files)}, staging folders {len(killed.staging)}"
        + (f"; {after}" if after else "")
    )


# Tests


def test_the_checks_catch_a_cut_off_post_and_a_half_built_site(
    template: Path, reference: Reference
) -> None:
    """The invariants are not vacuous: a file cut off as a crash would leave it fails them."""
    folder = _fresh_copy(template, "self-check")
    shutil.copytree(reference.folder / "content", folder / "content")
    shutil.copytree(reference.folder / "site", folder / "site")
    killed = Killed("self-check", 0.0, False, "")
    _check_after_kill(folder, killed, reference)  # a whole run's files pass
    victim = _post_files(folder)[-1]
    whole = victim.read_bytes()
    for cut in (len(whole) // 4, len(whole) - 40):
        victim.write_bytes(whole[:cut])
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            _check_after_kill(folder, killed, reference)
    victim.write_bytes(whole)
    (folder / "site" / "posts" / f"{victim.stem}.html").unlink()
    with pytest.raises(AssertionError, match="not a whole build"):
        _check_after_kill(folder, killed, reference)


def _trial(
    template: Path, ref: Reference, n: int, phase: str, event: str, delay: float
) -> tuple[Killed, str]:
    """A run killed `delay` s after `event`, checked, run again and checked: what the kill
    left, and a line on the rerun."""
    folder = _fresh_copy(template, f"kill-{n}")
    killed = _Run(folder, f"kill {n} ({phase})").kill_at(event, delay)
    _check_after_kill(folder, killed, ref)
    after = _check_recovery(folder, ref, killed)
    shutil.rmtree(folder)
    return killed, after


# Trials run two at a time: a run keeps about one core busy (its extraction workers aside), so
# two use a 2-core machine's time; each kill stays anchored on its own run's events.
TRIALS_AT_ONCE = 2


def test_a_run_killed_at_random_moments_recovers_to_the_content_of_one_clean_run(
    template: Path, reference: Reference
) -> None:
    rng = random.Random(SEED)
    plan = _plan(rng, reference, KILLS)
    print(f"\nseed {SEED}: {KILLS} kills in a {reference.seconds:.2f} s run")
    with ThreadPoolExecutor(TRIALS_AT_ONCE) as trials:
        futures = [
            trials.submit(_trial, template, reference, n, *kill) for n, kill in enumerate(plan)
        ]
        done = [future.result() for future in futures]
    stages: dict[str, int] = {}
    for killed, after in done:
        _report(killed, after)
        stages[killed.stage] = stages.get(killed.stage, 0) + 1
    print(f"kills per stage: {stages}")
    assert sum(stages.values()) == KILLS


def test_a_run_killed_twice_in_a_row_recovers_to_the_content_of_one_clean_run(
    template: Path, reference: Reference
) -> None:
    """The second kill hits the run that recovers from the first."""
    rng = random.Random(SEED + 1)
    folder = _fresh_copy(template, "kill-twice")
    phase = rng.choice(PHASES)
    event, length = reference.window(phase)
    print(f"\nseed {SEED + 1}:")
    first = _Run(folder, f"first ({phase})").kill_at(event, rng.uniform(0, length))
    _report(_check_after_kill(folder, first, reference))
    # The recovery run has at most what the first one left to do (plus its start) to run.
    second = _Run(folder, "second").kill_after(
        rng.uniform(0, max(1.0, reference.seconds - first.at))
    )
    _report(_check_after_kill(folder, second, reference))
    print(f"{'':>16}  {_check_recovery(folder, reference, second)}")


@pytest.mark.parametrize("written", ["first-post", "all-posts-but-one"])
def test_a_run_killed_while_writing_posts_leaves_whole_posts_and_recovers(
    template: Path, reference: Reference, written: str
) -> None:
    """Killed as soon as the first post, or all posts but the last one, are on disk."""
    folder = _fresh_copy(template, f"kill-writing-{written}")
    count = 1 if written == "first-post" else reference.posts - 1
    run = _Run(folder, f"writing ({count})")
    run.wait_for_posts(count)
    killed = run.kill_after(0)
    _report(_check_after_kill(folder, killed, reference))
    assert not killed.finished and killed.posts >= count
    assert not killed.site, f"killed once {count} posts were written, yet site/ was built"
    print(f"{'':>16}  {_check_recovery(folder, reference, killed)}")
    assert len(_post_files(folder)) == reference.posts


def test_a_rerun_killed_while_building_keeps_a_whole_site_and_recovers(
    template: Path, reference: Reference
) -> None:
    """A second run killed while its build is under way: the first run's site/ stays whole."""
    folder = _fresh_copy(template, "kill-building")
    _run_to_completion(folder)
    before = site_files(folder / "site")
    killed = _Run(folder, "building").kill_at("staging")
    _report(_check_after_kill(folder, killed, reference))
    assert killed.stage == "build"
    # Between the swap's two renames site/ is briefly absent; else it is the old or the new one.
    if killed.site:
        assert site_files(folder / "site") == before
    print(f"{'':>16}  {_check_recovery(folder, reference, killed)}")


def test_a_run_killed_after_reading_its_feeds_collects_their_articles_on_the_next_run(
    template: Path, reference: Reference, gate: Gate
) -> None:
    """Killed once every feed is read and before any page is stored: the next run must not
    be told "304 Not Modified" for feeds whose new entries it never stored."""
    folder = _fresh_copy(template, "kill-after-feeds")
    gate.shut("/pages/")
    try:
        run = _Run(folder, "feeds read")
        assert gate.arrived.wait(RUN_TIMEOUT), "the run asked for no page"
        killed = run.kill_after(0)
    finally:
        gate.open()
    _report(_check_after_kill(folder, killed, reference))
    assert _progress_done(killed.stderr, "feeds") and killed.posts == 0
    print(f"{'':>16}  {_check_recovery(folder, reference, killed)}")
