"""The preview server: serves site/ on 127.0.0.1 with the site's own 404 page; `aibot serve`
rebuilds on changes and makes open pages reload."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from aibot.commands.serve import EVENTS_PATH, RELOAD_PATH, RELOAD_TAG, Preview, make_server
from aibot.config import load_config
from tests.helpers.serve import CONFIG, Said
from tests.helpers.site import write_site

INDEX = "<!doctype html><title>Harbour Daily</title><h1>Latest harbour stories</h1>\n"
NOT_FOUND = "<!doctype html><title>Lost</title><p>This page sailed away.</p>\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    (folder / "posts").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX, encoding="utf-8")
    (folder / "404.html").write_text(NOT_FOUND, encoding="utf-8")
    (folder / "posts" / "ferry.html").write_text("<p>Ferry fares rise.</p>", encoding="utf-8")
    return folder


@pytest.fixture
def served(site: Path) -> Iterator[tuple[str, object]]:
    server = make_server(site, port=0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}", server
    server.shutdown()
    server.server_close()
    thread.join()


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers.get("Content-Type", "")


def test_server_is_bound_to_loopback_only(served):
    _, server = served
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    assert port > 0


def test_root_returns_the_index_page(served):
    base, _ = served
    status, body, content_type = fetch(f"{base}/")
    assert status == 200
    assert body.decode("utf-8") == INDEX
    assert content_type.startswith("text/html")


def test_a_post_page_is_served(served):
    base, _ = served
    status, body, _ = fetch(f"{base}/posts/ferry.html")
    assert status == 200
    assert body == b"<p>Ferry fares rise.</p>"


def test_missing_path_returns_404_with_the_site_404_page(served):
    base, _ = served
    status, body, content_type = fetch(f"{base}/posts/no-such-story.html")
    assert status == 404
    assert body.decode("utf-8") == NOT_FOUND
    assert content_type.startswith("text/html")


def test_path_outside_the_site_is_not_served(served, site):
    (site.parent / "secret.txt").write_text("not for the web", encoding="utf-8")
    base, _ = served
    status, body, _ = fetch(f"{base}/../secret.txt")
    assert b"not for the web" not in body
    assert status == 404


def test_missing_path_without_a_404_page_is_still_404(tmp_path):
    folder = tmp_path / "bare"
    folder.mkdir()
    server = make_server(folder, port=0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        status, _, _ = fetch(f"http://127.0.0.1:{server.server_address[1]}/nothing.html")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert status == 404


def test_a_folder_without_index_is_not_listed(served):
    base, _ = served
    status, body, _ = fetch(f"{base}/posts/")
    assert status == 404
    assert b"ferry.html" not in body
    assert body.decode("utf-8") == NOT_FOUND


# --- aibot serve: build, watch, rebuild, reload ---------------------------------------------


class EventStream:
    """A reader of the server-sent events at /__aibot/events (what the reload script reads)."""

    def __init__(self, base: str) -> None:
        self.response = urllib.request.urlopen(base + EVENTS_PATH, timeout=60)
        assert self.response.headers["Content-Type"] == "text/event-stream"

    def next_build(self) -> str:
        """The data of the next `build` event (pings are skipped); blocks until it comes."""
        event = ""
        while True:
            line = self.response.readline().decode()
            assert line, "the event stream ended"
            if line.startswith("event: "):
                event = line.removeprefix("event: ").strip()
            elif line.startswith("data: ") and event == "build":
                return line.removeprefix("data: ").strip()

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[Preview, str, Said]]:
    """A Preview of a two-post site from its own aibot.yaml, serving and watching."""
    write_site(tmp_path)
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    said = Said()
    running = Preview(load_config(tmp_path / "aibot.yaml"), announce=said)
    report = running.rebuild()
    assert report is not None and report.ok, report
    base = running.start(0).rstrip("/")
    armed = threading.Event()
    watcher = threading.Thread(target=running.watch, kwargs={"ready": armed.set}, daemon=True)
    watcher.start()
    assert armed.wait(30), "the file watch did not start"
    yield running, base, said
    running.close()
    watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_served_pages_carry_the_reload_script_but_built_files_do_not(preview) -> None:
    running, base, _said = preview
    status, body, kind = fetch(base + "/posts/ferry-fares-rise-in-april.html")
    assert status == 200 and kind.startswith("text/html")
    assert body.count(RELOAD_TAG) == 1 and body.index(RELOAD_TAG) < body.index(b"</body>")
    status, body, _ = fetch(base + "/")  # a folder's index page too
    assert status == 200 and RELOAD_TAG in body
    status, script, kind = fetch(base + RELOAD_PATH)
    assert status == 200 and kind.startswith("text/javascript")
    assert b"EventSource" in script and b"http" not in script  # nothing from another host
    site = running.config.paths.output
    assert not any(RELOAD_TAG in page.read_bytes() for page in site.rglob("*.html"))
    status, body, _ = fetch(base + "/no-such-page.html")
    assert status == 404 and RELOAD_TAG in body


def test_editing_a_post_rebuilds_and_tells_open_pages_to_reload(preview, tmp_path) -> None:
    running, base, said = preview
    events = EventStream(base)
    try:
        first = events.next_build()
        post = next((tmp_path / "content" / "posts").rglob("ferry-fares-rise-in-april.md"))
        post.write_text(
            post.read_text(encoding="utf-8") + "\nThe harbour master called it overdue.\n",
            encoding="utf-8",
        )
        assert events.next_build() != first
    finally:
        events.close()
    _, body, _ = fetch(base + "/posts/ferry-fares-rise-in-april.html")
    assert b"The harbour master called it overdue." in body
    assert any(line.startswith("rebuilt in ") for line in said), said


def test_a_settings_change_shows_after_the_rebuild(preview, tmp_path) -> None:
    _running, base, _said = preview
    events = EventStream(base)
    try:
        first = events.next_build()
        (tmp_path / "aibot.yaml").write_text(
            CONFIG.replace("Harbour Daily", "Harbour Evening"), encoding="utf-8"
        )
        assert events.next_build() != first
    finally:
        events.close()
    _, body, _ = fetch(base + "/")
    assert b"Harbour Evening" in body and b"Harbour Daily" not in body


def test_a_broken_template_keeps_the_last_site_until_it_is_fixed(preview, tmp_path) -> None:
    _running, base, said = preview
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    events = EventStream(base)
    try:
        first = events.next_build()
        (templates / "post.html").write_text("{% extends 'base.html' %}{% block main %}{{ nope(",
                                             encoding="utf-8")  # fmt: skip
        # The failed build is reported and the site stays as it was ...
        assert said.wait_for("build failed, the previous site was kept"), said
        status, body, _ = fetch(base + "/posts/ferry-fares-rise-in-april.html")
        assert status == 200 and b"Ferry fares rise in April" in body
        # ... and fixing the template rebuilds and reloads.
        (templates / "post.html").write_text("{% extends 'theme/post.html' %}", encoding="utf-8")
        assert events.next_build() != first
    finally:
        events.close()


def test_aibot_serve_command_rebuilds_on_an_edit_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    write_site(tmp_path)
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    with socket.socket() as probe:  # a free port for the command line
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "aibot", "serve", "-c", str(tmp_path / "aibot.yaml"),
               "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in process.stdout], daemon=True)
    reader.start()

    def wait_for(start: str) -> list[str]:
        """The lines up to one starting with `start` (each within 60 s, or the test fails)."""
        seen = []
        while not seen or not seen[-1].startswith(start):
            seen.append(lines.get(timeout=60))
        return seen

    try:
        said = wait_for("watching ")  # printed as soon as it is said, even into a pipe
        assert any(f"http://127.0.0.1:{port}/" in line for line in said), said
        base = f"http://127.0.0.1:{port}"
        status, body, _ = fetch(base + "/posts/ferry-fares-rise-in-april.html")
        assert status == 200 and RELOAD_TAG in body
        post = next((tmp_path / "content" / "posts").rglob("ferry-fares-rise-in-april.md"))
        post.write_text(post.read_text(encoding="utf-8") + "\nA late paragraph.\n", "utf-8")
        wait_for("rebuilt in ")
        _, body, _ = fetch(base + "/posts/ferry-fares-rise-in-april.html")
        assert b"A late paragraph." in body
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_aibot_serve_on_a_port_in_use_says_so_in_one_line_before_building(tmp_path: Path) -> None:
    write_site(tmp_path)
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "aibot", "serve", "-c", str(tmp_path / "aibot.yaml"),
             "--port", str(port)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        f"error: port {port} is in use; choose another with --port, or --port 0 for any free port\n"
    )
    assert done.stdout == ""
    assert not (tmp_path / "site").exists()  # the port is taken before the build


def test_aibot_serve_port_0_serves_on_a_free_port_and_prints_it(tmp_path: Path, site: Path) -> None:
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "aibot", "serve", "-c", str(tmp_path / "aibot.yaml"),
               "--port", "0", "--no-build"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        prefix, _, rest = first.partition(f"serving {site} at http://127.0.0.1:")
        port, _, tail = rest.partition("/")
        assert (prefix, tail) == ("", " (Ctrl+C to stop)\n"), first
        assert int(port) > 0
        status, body, _ = fetch(f"http://127.0.0.1:{port}/")
        assert (status, body.decode("utf-8")) == (200, INDEX)
    finally:
        process.send_signal(signal.SIGINT)
        # communicate, not wait: what it still prints must not fill a pipe nobody reads.
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_aibot_serve_no_build_stops_on_ctrl_c_or_sigterm_even_started_in_the_background(
    tmp_path: Path, site: Path, stop: signal.Signals
) -> None:
    # A shell that starts a program in the background (`aibot serve --no-build &` in a script)
    # sets SIGINT to be ignored; the child inherits that, as it does here.
    (tmp_path / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "aibot", "serve", "-c", str(tmp_path / "aibot.yaml"),
               "--port", "0", "--no-build"]  # fmt: skip
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert process.stdout is not None
        assert "(Ctrl+C to stop)" in process.stdout.readline()
    finally:
        process.send_signal(stop)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
