"""A local preview server for site/, bound to 127.0.0.1 only."""

from __future__ import annotations

import functools
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _SiteHandler(SimpleHTTPRequestHandler):
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.is_file():
            body = not_found.read_bytes()
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


def make_server(site: Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for `site` on 127.0.0.1:`port` (0 picks a free port); call serve_forever()."""
    handler = functools.partial(_SiteHandler, directory=str(site))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_forever(site: Path, port: int = 8000, announce: Callable[[str], None] = print) -> None:
    server = make_server(site, port)
    host, real_port = server.server_address[:2]
    announce(f"serving {site} at http://{host}:{real_port}/ (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
