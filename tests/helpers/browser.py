"""A built site served on 127.0.0.1 for the browser tests."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import _QuietHandler

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - reported by the `browser` fixture
    sync_playwright = None


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


CHROMIUM = Path(os.environ.get("AIBOT_CHROMIUM", "/usr/bin/chromium"))


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = None
    if sync_playwright is None:
        missing = "Playwright is not installed (pip install playwright)"
    elif not CHROMIUM.is_file():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("AIBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """Everything the pages of one browser context asked for and complained about."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions

    def outside(self) -> list[str]:
        return [u for u in self.requests if not _loopback(u)]


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "file"} or parts.hostname == "127.0.0.1"


def _guard(watch: Watch, route) -> None:  # noqa: ANN001 - playwright's Route
    """Record every request; let only loopback ones through."""
    watch.requests.append(route.request.url)
    if _loopback(route.request.url):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def open_context(browser: Browser) -> Iterator[Callable[..., tuple[BrowserContext, Watch]]]:
    """`context, watch = open_context(**new_context_options)`: a fresh context whose every
    request and console error is recorded, and whose requests cannot leave 127.0.0.1."""
    contexts: list[BrowserContext] = []

    def open_(**options: object) -> tuple[BrowserContext, Watch]:
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        context.set_default_timeout(10_000)
        watch = Watch()
        context.route("**/*", functools.partial(_guard, watch))

        def on_page(page: Page) -> None:
            page.on(
                "console",
                lambda m: (
                    m.type == "error" and watch.errors.append(f"{page.url}: {m.text} {m.location}")
                ),
            )
            page.on("pageerror", lambda e: watch.errors.append(f"{page.url}: {e}"))

        context.on("page", on_page)
        contexts.append(context)
        return context, watch

    yield open_
    for context in contexts:
        context.close()


DESKTOP = {"width": 1280, "height": 800}
