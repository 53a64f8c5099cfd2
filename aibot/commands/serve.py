"""A local preview server for site/, bound to 127.0.0.1 only, that rebuilds as you edit.

    server = make_server(site, port)            # just serve the folder
    Preview(config).run(port)                   # build, serve, watch, rebuild, reload browsers

`Preview` watches the posts, the site's templates/ and the configuration file (watchfiles, which
uses the operating system's change notifications), rebuilds incrementally when one changes and
tells every open page to reload. Pages it serves get one extra element before </body>:

    <script type="module" src="/__aibot/reload.js?build=N"></script>

N is the build the page was served from. The script opens an EventSource on /__aibot/events; the
server sends the build id now and after every build that changed the site, and the page reloads
itself when that is not N (so an edit made while the page was loading is not missed). The script
comes from the server itself, which the pages' Content-Security-Policy (`script-src 'self'`)
allows; the built files on disk never contain it.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aibot.config import Config, ConfigError, load_config
from aibot.render import BuildReport, build_site
from aibot.support.lock import LockBusy, site_lock

RELOAD_PATH = "/__aibot/reload.js"
EVENTS_PATH = "/__aibot/events"
RELOAD_TAG = b'<script type="module" src="/__aibot/reload.js?build='  # then N"></script>
ARMED_MS = 300  # the file watch's timeout; its first one says the watch is on
HEARTBEAT_S = 15.0  # an SSE comment this often keeps proxies and browsers from timing out

RELOAD_SCRIPT = b"""\
// AiBot preview: reload this page when the site is rebuilt (served by `aibot serve` only).
const served = new URL(import.meta.url).searchParams.get("build");
const events = new EventSource("/__aibot/events");
events.addEventListener("build", (event) => {
  if (event.data !== served) {
    events.close();
    window.location.reload();
  }
});
"""


class Builds:
    """The id of the latest build and a way to wait for the next one (shared by the threads)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.generation = 0
        self.closed = False

    def bump(self) -> None:
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_after(self, generation: int, timeout: float) -> int:
        """The generation once it is past `generation`, or as it is after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.generation != generation or self.closed, timeout=timeout
            )
            return self.generation


class _SiteHandler(SimpleHTTPRequestHandler):
    builds: Builds | None = None  # set for a live-reloading server (see make_server)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.builds is not None and self.path.split("?", 1)[0] == RELOAD_PATH:
            self._send(200, "text/javascript; charset=utf-8", RELOAD_SCRIPT)
        elif self.builds is not None and self.path == EVENTS_PATH:
            self._events(self.builds)
        elif self.builds is not None and self._html_path() is not None:
            page = self._html_path()
            assert page is not None
            body = page.read_bytes()
            self._send(200, "text/html; charset=utf-8", _with_reload_tag(body, self.builds))
        else:
            super().do_GET()

    def _html_path(self) -> Path | None:
        """The HTML file this GET asks for, when it is one."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return None  # the parent class redirects to the slash form
            path = path / "index.html"
        return path if path.suffix == ".html" and path.is_file() else None

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _events(self, builds: Builds) -> None:
        """Server-sent events: the build id now, then after every build, until closed."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        generation = builds.generation
        try:
            self.wfile.write(f"event: build\ndata: {generation}\n\n".encode())
            self.wfile.flush()
            while not builds.closed:
                now = builds.wait_after(generation, HEARTBEAT_S)
                if builds.closed:
                    break
                message = f"event: build\ndata: {now}\n\n" if now != generation else ": ping\n\n"
                generation = now
                self.wfile.write(message.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.is_file():
            body = not_found.read_bytes()
            if self.builds is not None:
                body = _with_reload_tag(body, self.builds)
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        # A published site shows pages, never a listing of its folders.
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


def _with_reload_tag(body: bytes, builds: Builds) -> bytes:
    tag = RELOAD_TAG + f'{builds.generation}"></script>'.encode()
    at = body.rfind(b"</body>")
    return body[:at] + tag + body[at:] if at >= 0 else body + tag


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # open event streams never keep the process alive
    builds: Builds | None = None


class PortUnavailable(Exception):
    """127.0.0.1:`port` cannot be listened on: `in_use` by another program, or refused for
    `reason` (a port below 1024 without privileges, …)."""

    def __init__(self, port: int, error: OSError) -> None:
        self.port = port
        self.in_use = error.errno == errno.EADDRINUSE
        self.reason = error.strerror or str(error)
        super().__init__(
            f"port {port} is in use"
            if self.in_use
            else f"cannot listen on port {port}: {self.reason}"
        )


def make_server(site: Path, port: int = 8000, builds: Builds | None = None) -> ThreadingHTTPServer:
    """A server for `site` on 127.0.0.1:`port` (0 picks a free port); call serve_forever().
    With `builds`, pages get the live-reload script and /__aibot/events tells them to reload.
    Raise PortUnavailable when the port is taken or refused."""
    handler = type("Handler", (_SiteHandler,), {"builds": builds})
    try:
        server = _Server(("127.0.0.1", port), functools.partial(handler, directory=str(site)))
    except OSError as exc:
        raise PortUnavailable(port, exc) from None
    server.builds = builds
    return server


def serve_forever(site: Path, port: int = 8000, announce: Callable[[str], None] = print) -> None:
    server = make_server(site, port)
    host, real_port = server.server_address[:2]
    try:
        with _on_stop_signals(_interrupt):
            # Announced inside: a Ctrl+C right after the address is printed closes cleanly.
            announce(f"serving {site} at http://{host}:{real_port}/ (Ctrl+C to stop)")
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _on_stop_signals(handler: Callable[..., None]) -> Iterator[None]:
    """Ctrl+C and a service manager's SIGTERM call `handler` while inside, even when the shell
    that started AiBot in the background set SIGINT to be ignored; the previous handlers come
    back after. Signals can only be handled in the main thread: elsewhere, nothing changes."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, earlier in previous.items():
            signal.signal(number, earlier)


class Preview:
    """Build, serve, watch and rebuild: what `aibot serve` runs.

    `config_path` is re-read on every rebuild, so a change to the settings shows too; a
    configuration that no longer loads is reported and the last good one kept."""

    def __init__(
        self,
        config: Config,
        *,
        announce: Callable[[str], None] = print,
        build: Callable[[Config], BuildReport] = build_site,
    ) -> None:
        self.config = config
        self.announce = announce
        self.build = build
        self.builds = Builds()
        self.stop = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    def watched(self) -> list[Path]:
        """The posts, the templates and the configuration file: what a change of triggers a
        rebuild (see `wanted`)."""
        paths = [self.config.paths.content, self.config.paths.templates]
        if self.config.source is not None:
            paths.append(self.config.source)
        return [p.absolute() for p in paths]

    def _roots(self) -> list[Path]:
        """The folders to watch: each watched path's nearest existing folder, so a templates/
        folder made after the start is seen too."""
        roots: list[Path] = []
        for path in self.watched():
            folder = path if path.is_dir() else path.parent
            while not folder.exists():
                folder = folder.parent
            if not any(folder.is_relative_to(root) for root in roots):
                roots = [r for r in roots if not r.is_relative_to(folder)] + [folder]
        return roots

    def wanted(self, _change: Any, path: str) -> bool:
        """Whether a changed `path` is one of the watched (the site/ and cache are not)."""
        changed = Path(path).absolute()
        return any(changed == p or changed.is_relative_to(p) for p in self.watched())

    def rebuild(self) -> BuildReport | None:
        """Build once, holding the site's lock (waiting while another command holds it, see
        aibot.lock); tell open pages to reload when the site changed."""
        if self.config.source is not None:
            try:
                self.config = load_config(self.config.source)
            except ConfigError as exc:
                self.announce(f"error: {exc} (the last good settings are kept)")
        lock = site_lock(self.config.paths.cache, "serve")
        try:
            lock.acquire()
        except LockBusy as exc:
            self.announce(f"waiting: {exc.holder or 'another command'} holds {exc.path}")
            try:
                lock.acquire(wait=None, stop=self.stop.is_set)
            except LockBusy:
                return None  # stopped while waiting
        try:
            report = self.build(self.config)
        finally:
            lock.release()
        for problem in report.problems:
            self.announce(f"problem: {problem}")
        if report.ok and not report.unchanged:
            self.builds.bump()
            self.announce(
                f"rebuilt in {report.seconds:.2f} s: {report.rendered} of {report.pages} files made"
            )
        return report

    def bind(self, port: int = 8000) -> None:
        """Take 127.0.0.1:`port` (0: any free port) without serving yet; raise PortUnavailable."""
        self.server = make_server(self.config.paths.output, port, self.builds)

    def start(self, port: int = 8000) -> str:
        """Serve on 127.0.0.1:`port` (the one `bind` took, if called) in a thread; return the
        site's URL."""
        if self.server is None:
            self.bind(port)
        assert self.server is not None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, real_port = self.server.server_address[:2]
        return f"http://{host}:{real_port}/"

    def watch(
        self, changes: Iterable[Any] | None = None, ready: Callable[[], None] | None = None
    ) -> None:
        """Rebuild after every batch of changes until `stop` is set (or `changes` ends).

        The operating system's watch starts a moment after this is called: its first empty
        batch (after ARMED_MS with nothing changed) says it is on, and a rebuild then catches
        whatever changed before that; `ready` is called after it."""
        armed = changes is not None
        if changes is None:
            from watchfiles import watch

            changes = watch(
                *self._roots(),
                watch_filter=self.wanted,
                stop_event=self.stop,
                debounce=200,
                step=50,
                rust_timeout=ARMED_MS,
                yield_on_timeout=True,
            )
        for batch in changes:
            if self.stop.is_set():
                break
            if not batch:  # the watch's timeout: nothing changed
                if not armed:
                    armed = True
                    self.rebuild()
                    if ready is not None:
                        ready()
                continue
            started = time.perf_counter()
            report = self.rebuild()
            if report is not None and report.unchanged:
                self.announce(f"checked in {time.perf_counter() - started:.2f} s: no change")

    def close(self) -> None:
        self.stop.set()
        self.builds.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def run(self, port: int = 8000) -> None:
        """Build, serve and watch until interrupted (Ctrl+C). The port is taken before the
        build, so a port in use (PortUnavailable) is reported before any waiting."""
        self.bind(port)
        report = self.rebuild()
        if report is not None and not report.ok and not self.config.paths.output.is_dir():
            self.announce("error: the first build failed and there is no site to serve")
            self.close()
            return
        # Ctrl+C and a service manager's SIGTERM end the watch loop between two checks (a
        # KeyboardInterrupt raised inside the file watch's native code may not surface). The
        # handlers are in place before the address is announced: a Ctrl+C right after it
        # must still close the server and the build workers.
        try:
            with _on_stop_signals(lambda *_: self.stop.set()):
                url = self.start(port)
                self.announce(f"serving {self.config.paths.output} at {url} (Ctrl+C to stop)")
                watched = ", ".join(str(p) for p in self.watched())
                self.watch(ready=lambda: self.announce(f"watching {watched} for changes"))
        except KeyboardInterrupt:
            pass
        finally:
            self.close()
