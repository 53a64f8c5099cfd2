"""A built site served on 127.0.0.1 for the browser tests."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.conftest import _QuietHandler


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[Served]:
    """`folder` on a loopback HTTP server while the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Served(folder, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Served:
    folder: Path
    base: str  # http://127.0.0.1:PORT/

    def url(self, path: str) -> str:
        return self.base + path
