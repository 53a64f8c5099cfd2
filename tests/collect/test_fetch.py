"""Fetcher against a loopback server; canonical_url and is_public_address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer

from aibot.collect.fetch import MAX_REDIRECTS, Fetcher, FetchError
from aibot.collect.urls import canonical_url, is_public_address


def loopback(server: HTTPServer, path: str) -> str:
    """The URL of `path` on the test server, spelled with the loopback address."""
    return f"http://127.0.0.1:{server.port}{path}"


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout_s=5, max_bytes=10_000, allow_private=True) as client:
        yield client


# HTTP


def test_ok_response_returns_content_and_lower_cased_headers(httpserver, fetcher):
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"<rss>harbour</rss>",
        content_type="application/rss+xml",
        headers={"X-Desk-Edition": "Morning", "ETag": '"v1"'},
    )
    response = fetcher.get(loopback(httpserver, "/feed.xml"))
    assert response.status == 200
    assert response.content == b"<rss>harbour</rss>"
    assert response.headers["x-desk-edition"] == "Morning"
    assert response.headers["etag"] == '"v1"'
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert all(key == key.lower() for key in response.headers)
    assert response.history == []


def test_request_headers_and_user_agent_are_sent(httpserver, fetcher):
    httpserver.expect_request("/conditional", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "fresh"
    )
    response = fetcher.get(loopback(httpserver, "/conditional"), headers={"If-None-Match": '"v1"'})
    assert response.content == b"fresh"
    (request, _) = httpserver.log[0]
    assert request.headers["User-Agent"].startswith("AiBot/")


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status_raises_fetch_error_naming_the_status(httpserver, fetcher, status):
    httpserver.expect_request("/gone").respond_with_data("nothing here", status=status)
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        fetcher.get(loopback(httpserver, "/gone"))


def _redirect_chain(server: HTTPServer, hops: int) -> None:
    for n in range(hops):
        server.expect_request(f"/hop/{n}").respond_with_data(
            "", status=302, headers={"Location": f"/hop/{n + 1}"}
        )
    server.expect_request(f"/hop/{hops}").respond_with_data("arrived")


def test_redirects_up_to_the_limit_are_followed(httpserver, fetcher):
    _redirect_chain(httpserver, MAX_REDIRECTS)
    response = fetcher.get(loopback(httpserver, "/hop/0"))
    assert response.content == b"arrived"
    assert response.url.endswith(f"/hop/{MAX_REDIRECTS}")
    assert len(response.history) == MAX_REDIRECTS
    assert response.history[0] == loopback(httpserver, "/hop/0")


def test_redirect_chain_longer_than_five_raises(httpserver, fetcher):
    assert MAX_REDIRECTS == 5
    _redirect_chain(httpserver, 6)
    with pytest.raises(FetchError, match="redirects"):
        fetcher.get(loopback(httpserver, "/hop/0"))
    requested = [request.path for request, _ in httpserver.log]
    assert "/hop/6" not in requested


def test_body_larger_than_max_bytes_raises(httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5_000)
    with (
        Fetcher(timeout_s=5, max_bytes=1_000, allow_private=True) as small,
        pytest.raises(FetchError, match="larger than 1000 bytes"),
    ):
        small.get(loopback(httpserver, "/big"))


def test_body_of_exactly_max_bytes_is_accepted(httpserver):
    httpserver.expect_request("/fits").respond_with_data(b"y" * 1_000)
    with Fetcher(timeout_s=5, max_bytes=1_000, allow_private=True) as small:
        assert len(small.get(loopback(httpserver, "/fits")).content) == 1_000


class _StallingHandler(BaseHTTPRequestHandler):
    """Answers only once the test lets it go (the server's `release` event is set)."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.server.release.wait(timeout=30)  # type: ignore[attr-defined]
        body = b"too late"
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up long ago

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """A loopback server whose handler blocks until teardown; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StallingHandler)
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()  # joins the handler threads
    thread.join()


def test_slow_server_past_the_timeout_raises_timed_out(stalling_server):
    with (
        Fetcher(timeout_s=0.5, allow_private=True) as quick,
        pytest.raises(FetchError, match="timed out"),
    ):
        quick.get(f"{stalling_server}/slow")


def test_loopback_address_is_refused_unless_private_hosts_are_allowed(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data("secret")
    with Fetcher(timeout_s=5, allow_private=False) as strict, pytest.raises(FetchError) as caught:
        strict.get(loopback(httpserver, "/feed.xml"))
    message = str(caught.value)
    assert "127.0.0.1" in message
    assert "allow_private_hosts" in message
    assert httpserver.log == []


def test_private_network_literal_is_refused_before_connecting():
    # an IP literal resolves without DNS, and the refusal comes before any connection
    with Fetcher(timeout_s=5, allow_private=False) as strict, pytest.raises(FetchError) as caught:
        strict.get("http://10.0.0.1/feed.xml")
    assert "10.0.0.1" in str(caught.value)
    assert "allow_private_hosts" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://files.example.org/feed.xml", "gopher://old.example/"])
def test_non_web_scheme_is_refused(fetcher, url):
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        fetcher.get(url)


def test_redirect_from_http_to_file_is_refused(httpserver, fetcher, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    httpserver.expect_request("/sneaky").respond_with_data(
        "", status=302, headers={"Location": secret.as_uri()}
    )
    with pytest.raises(FetchError) as caught:
        fetcher.get(loopback(httpserver, "/sneaky"), local_roots=[tmp_path])
    assert "do not read" not in str(caught.value)
    assert "non-web" in str(caught.value)


# Local files


def test_file_url_inside_an_allowed_root_is_read(fetcher, tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    local = feeds / "local.xml"
    local.write_bytes(b"<rss>mill street</rss>")
    response = fetcher.get(local.as_uri(), local_roots=[feeds])
    assert response.content == b"<rss>mill street</rss>"
    assert response.status == 200


def test_file_url_outside_the_allowed_roots_is_refused(fetcher, tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    outside = tmp_path / "private.txt"
    outside.write_text("diary")
    with pytest.raises(FetchError, match="refused"):
        fetcher.get(outside.as_uri(), local_roots=[feeds])


def test_file_url_escaping_the_root_with_dot_dot_is_refused(fetcher, tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (tmp_path / "private.txt").write_text("diary")
    with pytest.raises(FetchError, match="refused"):
        fetcher.get(f"{feeds.as_uri()}/../private.txt", local_roots=[feeds])


def test_file_url_with_no_allowed_roots_is_refused(fetcher, tmp_path):
    local = tmp_path / "local.xml"
    local.write_text("<rss/>")
    with pytest.raises(FetchError, match="refused"):
        fetcher.get(local.as_uri())


def test_missing_file_inside_a_root_is_a_fetch_error(fetcher, tmp_path):
    with pytest.raises(FetchError, match="not found"):
        fetcher.get((tmp_path / "absent.xml").as_uri(), local_roots=[tmp_path])


def test_file_larger_than_max_bytes_is_refused(tmp_path):
    local = tmp_path / "big.xml"
    local.write_bytes(b"z" * 2_000)
    with Fetcher(max_bytes=1_000) as small, pytest.raises(FetchError, match="larger than"):
        small.get(local.as_uri(), local_roots=[tmp_path])


# URL hygiene


def test_canonical_url_drops_tracking_parameters_and_fragment():
    url = (
        "https://News.Example.ORG/story/ferry?id=7&utm_source=rss&UTM_Medium=x"
        "&fbclid=abc&gclid=def&page=2#comments"
    )
    assert canonical_url(url) == "https://news.example.org/story/ferry?id=7&page=2"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("HTTPS://EXAMPLE.org", "https://example.org/"),
    ],
)
def test_canonical_url_drops_default_ports_and_lower_cases(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_keeps_brackets_around_ipv6_hosts():
    assert canonical_url("http://[2001:db8::1]:8080/a") == "http://[2001:db8::1]:8080/a"
    assert canonical_url("https://[2001:DB8::1]/a") == "https://[2001:db8::1]/a"


def test_canonical_url_keeps_the_path_case():
    assert canonical_url("https://Example.org/News/Ferry") == "https://example.org/News/Ferry"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "192.168.1.9"],
)
def test_private_and_loopback_addresses_are_not_public(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111"])
def test_global_addresses_are_public(address):
    assert is_public_address(address) is True


class _TricklingHandler(BaseHTTPRequestHandler):
    """Sends a long body one byte at a time, each byte well inside the read timeout."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                if self.server.stop.wait(timeout=0.1):  # type: ignore[attr-defined]
                    return
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_a_trickling_server_hits_the_total_deadline() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TricklingHandler)
    server.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/trickle"
        with (
            Fetcher(timeout_s=0.5, deadline_s=1.0, allow_private=True) as fetcher,
            pytest.raises(FetchError, match="no full answer in 1 s"),
        ):
            fetcher.get(url)
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join()
