"""The preview server: serves site/ on 127.0.0.1 with the site's own 404 page."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from aibot.serve import make_server

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
