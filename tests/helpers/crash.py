"""Killing runs midway: a gate that holds a page back, process-group helpers, and the check that a
site is whole."""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from aibot.render.incremental import MARKER
from tests.conftest import DEMO, _QuietHandler, feeds_over_http
from tests.helpers.html import broken_links

# A temp file of aibot.posts.files.write_atomically: mkstemp(prefix=".<name>.", suffix=".tmp").
TEMP_FILE = re.compile(r"^\..+\.tmp$")


class Gate:
    """A loopback HTTP server for the demo's sample. Open, it serves every request at once;
    shut (`shut(prefix)`), requests for paths under the prefix wait until it opens again, so a
    run can be held at a known point (its feeds read, say) for as long as a test needs."""

    def __init__(self, folder: Path) -> None:
        self.held = "/"
        self.opened = threading.Event()
        self.opened.set()
        self.arrived = threading.Event()  # a held request came
        handler = type("Handler", (GatedHandler,), {"gate": self})
        served = functools.partial(handler, directory=str(folder))
        self.server = _Server(("127.0.0.1", 0), served)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def shut(self, prefix: str = "/") -> None:
        self.held = prefix
        self.arrived.clear()
        self.opened.clear()

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self.open()
        self.server.shutdown()
        self.server.server_close()


def demo_over_http(folder: Path, gate: Gate) -> Path:
    """A copy of the demo's config in `folder` (made), its feeds served through `gate`."""
    folder.mkdir(parents=True)
    (folder / "aibot.yaml").write_text((DEMO / "aibot.yaml").read_text())
    config = feeds_over_http(folder, gate.base, allow_private=True)
    raw = yaml.safe_load(config.read_text())
    raw["collect"]["timeout_s"] = RUN_TIMEOUT  # a request held at the gate must not time out
    raw.setdefault("cluster", {})["embeddings"] = EMBEDDINGS
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder


def wait_until_group_is_gone(pgid: int) -> None:
    """Wait until no process of the group runs (pool workers die a moment after the leader)."""
    deadline = time.monotonic() + 30
    while group_alive(pgid):
        assert time.monotonic() < deadline, f"process group {pgid} outlived SIGKILL by 30 s"
        os.sched_yield()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # kill(0) also succeeds for zombies waiting to be reaped: only running members count.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def site_files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def assert_whole_site(site: Path, expected: set[str]) -> None:
    """`site/` is one complete build: the expected files, and every local link resolves."""
    files = site_files(site)
    assert "index.html" in files, f"{site} has no index.html: a half-built site"
    stray = sorted(p.name for p in site.iterdir() if p.name.startswith(".") and p.name != MARKER)
    assert not stray, f"{site} holds {stray}: the staging folder must be a sibling of site/"
    assert files == expected, (
        f"{site} is not a whole build: missing {sorted(expected - files)[:5]}, "
        f"extra {sorted(files - expected)[:5]}"
    )
    broken = broken_links(site)
    assert not broken, f"{site} has broken links (a half-built site?): {broken[:5]}"


EMBEDDINGS = os.environ.get("AIBOT_CRASH_EMBEDDINGS", "off")


RUN_TIMEOUT = 300  # seconds a whole run may take before the test gives up on it


class GatedHandler(_QuietHandler):
    gate: Gate

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        gate = self.gate
        if self.path.startswith(gate.held):
            gate.arrived.set()
            gate.opened.wait(RUN_TIMEOUT)
        super().do_GET()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a killed run's connection breaks off mid-answer: expected here
