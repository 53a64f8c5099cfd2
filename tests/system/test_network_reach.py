"""Network reach: with `collect.allow_private_hosts` off, no URL from a feed, a page or a redirect
makes AiBot connect to a private, loopback, link-local or reserved address — however the address
is spelled, whatever a DNS name resolves to, and even when the DNS answer changes between the
check and the connection (rebinding).

The test network: a *canary* listens on 127.0.0.1:P and [::1]:P and records every request that
reaches it; 127.0.0.2:P stands for the public internet (the tests declare that one address public
by wrapping `urls.is_public_address`); DNS names are answered by a fake resolver
(`socket.getaddrinfo` wrapped). Every spelling of the canary's address is first fetched with
private hosts allowed, which must reach the canary — so its silence in the real test means
something.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from aibot.collect import urls
from aibot.collect.fetch import Fetcher, FetchError
from tests.helpers.collect import article_html, collected, rss, write_config

PUBLIC_IP = "127.0.0.2"  # "the internet" in these tests


# The test network


@dataclass
class Server:
    """A loopback HTTP server answering `routes` (path -> (status, headers, body)) and 404
    otherwise; it records the path of every request it receives."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        record: Server = self.server.record  # type: ignore[attr-defined]
        record.hits.append(self.path)
        status, headers, body = record.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@dataclass
class Network:
    port: int  # the same port on the canary's two addresses and on the public server
    canary: Server
    public: Server

    def public_url(self, path: str) -> str:
        return f"http://{PUBLIC_IP}:{self.port}{path}"


def _start(cls: type[ThreadingHTTPServer], host: str, port: int, record: Server):
    server = cls((host, port), _Handler)
    server.record = record  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _bind_all(canary: Server, public: Server) -> tuple[int, list[ThreadingHTTPServer]]:
    """127.0.0.1:P and [::1]:P for the canary, 127.0.0.2:P for the public server (one P)."""
    for _ in range(20):
        first = _start(ThreadingHTTPServer, "127.0.0.1", 0, canary)
        port = first.server_address[1]
        started = [first]
        try:
            started.append(_start(_Server6, "::1", port, canary))
            started.append(_start(ThreadingHTTPServer, PUBLIC_IP, port, public))
            return port, started
        except OSError:  # that port is taken on another address: try another
            _stop(started)
    raise RuntimeError("no port free on all three loopback addresses")


def _stop(servers: list[ThreadingHTTPServer]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], list[str]]]:
    """Fake DNS: name -> a function giving its addresses at each lookup; other names (and
    address literals) go to the real resolver."""
    names: dict[str, Callable[[], list[str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002, ANN001
        name = host.decode() if isinstance(host, bytes) else host
        if name not in names:
            return real(host, port, family, type, proto, flags)
        infos = []
        for address in names[name]():
            if ":" in address:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch, resolver) -> Iterator[Network]:
    real = urls.is_public_address
    monkeypatch.setattr(
        urls, "is_public_address", lambda address: address == PUBLIC_IP or real(address)
    )
    canary, public = Server(), Server()
    canary.routes = {"/": (200, {}, b"canary"), "/feed.xml": (200, {}, b"<rss/>")}
    public.routes = {"/": (200, {}, b"public")}
    port, servers = _bind_all(canary, public)
    try:
        yield Network(port, canary, public)
    finally:
        _stop(servers)


def fetch(url: str, *, allow_private: bool = False) -> bytes:
    with Fetcher(timeout_s=3, allow_private=allow_private) as fetcher:
        return fetcher.get(url).content


# Every spelling of the canary's address


CANARY_SPELLINGS = [
    "127.0.0.1",
    "2130706433",  # decimal
    "0x7f000001",  # hexadecimal
    "017700000001",  # octal
    "0x7f.1",  # hexadecimal, short form
    "127.1",  # short form
    "localhost",
    "LOCALHOST",
    "0.0.0.0",  # Linux connects this to the local host
    "0",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:7f00:1]",
    "[::]",  # unspecified: the local host again
]
CANARY_NAMES = {  # DNS names the fake resolver points at the canary
    "canary.example": ["127.0.0.1"],
    "v6.canary.example": ["::1"],
    "mapped.canary.example": ["::ffff:127.0.0.1"],
    "mixed.canary.example": ["127.0.0.1", PUBLIC_IP],  # one public address is not enough
}
PRIVATE_ELSEWHERE = [  # private, reserved and internal addresses where nothing listens
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "198.18.0.1",  # benchmarking
    "192.0.0.170",
    "224.0.0.1",  # multicast
    "255.255.255.255",
    "240.0.0.1",
    "[fd00::1]",  # unique local
    "[fe80::1]",  # link-local
    "[fec0::1]",  # site-local (deprecated, still routed in places)
    "[ff02::1]",  # multicast
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::a9fe:a9fe]",  # IPv4-compatible 169.254.169.254
    "[::ffff:0:a00:1]",  # IPv4-translated 10.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[2001:db8::1]",  # documentation
]
PRIVATE_NAMES = {
    "intranet.example": ["10.20.30.40"],
    "metadata.example": ["169.254.169.254"],
    "nat64.example": ["64:ff9b::a00:1"],
}


@pytest.mark.parametrize("host", CANARY_SPELLINGS + list(CANARY_NAMES))
def test_every_spelling_of_the_loopback_address_is_refused(net, resolver, host: str) -> None:
    for name, addresses in CANARY_NAMES.items():
        resolver[name] = lambda addresses=addresses: list(addresses)
    url = f"http://{host}:{net.port}/"
    # Allowed, the spelling reaches the canary: this really is its address.
    assert fetch(url, allow_private=True) == b"canary"
    assert len(net.canary.hits) == 1
    with pytest.raises(FetchError) as refused:
        fetch(url)
    assert "refused" in str(refused.value) and "private address" in str(refused.value)
    assert len(net.canary.hits) == 1  # nothing more reached it
    assert net.public.hits == []


# Spellings the C resolver reads as 127.0.0.1 but httpx rejects as invalid: an error for that
# one URL, never a crash and never a connection.
INVALID_SPELLINGS = ["0177.0.0.1", "127.0.0.01", "127.000.000.001", "999.1.1.1", "127.0.0.1:99999"]


@pytest.mark.parametrize("host", INVALID_SPELLINGS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_an_address_the_client_cannot_read_is_a_fetch_error_not_a_crash(
    net, host: str, allow_private: bool
) -> None:
    url = f"http://{host}/" if ":" in host else f"http://{host}:{net.port}/"
    with pytest.raises(FetchError, match="invalid URL|refused"):
        fetch(url, allow_private=allow_private)
    assert net.canary.hits == []


@pytest.mark.parametrize("host", PRIVATE_ELSEWHERE + list(PRIVATE_NAMES))
def test_private_and_reserved_addresses_are_refused_before_connecting(resolver, host) -> None:
    for name, addresses in PRIVATE_NAMES.items():
        resolver[name] = lambda addresses=addresses: list(addresses)
    with pytest.raises(FetchError, match=r"refused: .* resolves to the private address"):
        fetch(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("address", [h.strip("[]") for h in PRIVATE_ELSEWHERE])
def test_is_public_address_says_no_to_every_private_form(address: str) -> None:
    assert urls.is_public_address(address) is False


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700:4700::1111", "::ffff:93.184.216.34",
                "2002:5db8:d822::1", "64:ff9b::5db8:d822"],
)  # fmt: skip
def test_public_addresses_in_every_form_stay_public(address: str) -> None:
    assert urls.is_public_address(address) is True


def test_the_public_test_server_is_fetched_with_private_hosts_off(net) -> None:
    """The control for everything below: 127.0.0.2 counts as public, so a refusal later is
    about the target, not about the test network."""
    assert fetch(net.public_url("/")) == b"public"
    assert net.public.hits == ["/"] and net.canary.hits == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(net, resolver) -> None:
    resolver["public-first.example"] = lambda: [PUBLIC_IP, "127.0.0.1"]
    resolver["private-first.example"] = lambda: ["127.0.0.1", PUBLIC_IP]
    for name in ("public-first.example", "private-first.example"):
        with pytest.raises(FetchError, match="refused: .* private address 127.0.0.1"):
            fetch(f"http://{name}:{net.port}/")
    assert net.canary.hits == [] and net.public.hits == []


def test_a_name_that_rebinds_to_the_canary_after_the_check_is_never_connected_to_it(
    net, resolver
) -> None:
    """The first lookup (the check by name) says public, every later one says loopback: the
    connection must go to a vetted address, not ask the resolver again and trust the answer."""

    def rebinding() -> Callable[[], list[str]]:
        answers = iter([[PUBLIC_IP]])
        return lambda: next(answers, ["127.0.0.1"])

    # The trap is real: a client that checks the name and then lets httpx resolve it again
    # (as AiBot did before) is sent to the canary.
    resolver["rebind.example"] = rebinding()
    url = f"http://rebind.example:{net.port}/"
    with Fetcher(timeout_s=3, transport=httpx.AsyncHTTPTransport()) as checks_by_name_only:
        assert checks_by_name_only.get(url).content == b"canary"
    assert net.canary.hits == ["/"]
    resolver["rebind.example"] = rebinding()
    with pytest.raises(FetchError, match="refused: rebind.example resolves to .* 127.0.0.1"):
        fetch(url)
    assert net.canary.hits == ["/"] and net.public.hits == []


def test_a_name_that_rebinds_between_requests_is_checked_at_every_connection(net, resolver) -> None:
    """A name public for a first request and private for the next: the second is refused (the
    first connection is not reused for it: it went to the other server)."""
    state = {"private": False}
    resolver["flip.example"] = lambda: ["127.0.0.1"] if state["private"] else [PUBLIC_IP]
    assert fetch(f"http://flip.example:{net.port}/") == b"public"
    state["private"] = True
    with pytest.raises(FetchError, match="refused"):
        fetch(f"http://flip.example:{net.port}/")
    assert net.canary.hits == [] and net.public.hits == ["/"]


# Redirects from a public server


REDIRECT_TARGETS = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://[::1]:{port}/",
    "http://2130706433:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://canary.example:{port}/",
    "//127.0.0.1:{port}/",  # scheme-relative
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/admin",
    "http://[fd00::1]/",
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/_GET%20/",
    "dict://127.0.0.1:{port}/info",
]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_from_a_public_server_to_private_targets_are_refused(
    net, resolver, status: int
) -> None:
    resolver["canary.example"] = lambda: ["127.0.0.1"]
    for n, target in enumerate(REDIRECT_TARGETS):
        net.public.routes[f"/r{n}"] = (status, {"Location": target.format(port=net.port)}, b"")
    net.public.routes["/ok"] = (status, {"Location": "/"}, b"")
    assert fetch(net.public_url("/ok")) == b"public"  # a public redirect is followed
    for n, target in enumerate(REDIRECT_TARGETS):
        with pytest.raises(FetchError) as refused:
            fetch(net.public_url(f"/r{n}"))
        reason = str(refused.value)
        assert "refused" in reason or "non-web URL" in reason, (target, reason)
    assert net.canary.hits == []
    assert net.public.hits == ["/ok", "/", *(f"/r{n}" for n in range(len(REDIRECT_TARGETS)))]


# Through the collector: the run report names each refused feed and page


def _network_feed(net: Network) -> str:
    p = net.port
    links = [
        f"http://127.0.0.1:{p}/a1.html",
        f"http://localhost:{p}/a2.html",
        f"http://[::1]:{p}/a3.html",
        f"http://2130706433:{p}/a4.html",
        f"http://canary.example:{p}/a5.html",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a7.html",
        net.public_url("/to-canary.html"),
        "file:///etc/passwd",
        f"ftp://127.0.0.1:{p}/a10.html",
        f"gopher://127.0.0.1:{p}/_a11",
        net.public_url("/good.html"),
        net.public_url("/refresh.html"),
    ]
    return rss([(f"Harbour item {n}", link, f"Item {n} text.") for n, link in enumerate(links)])


def test_the_collector_fetches_nothing_private_and_names_every_refusal(
    net, resolver, tmp_path: Path
) -> None:
    resolver["canary.example"] = lambda: ["127.0.0.1"]
    p = net.port
    net.public.routes.update({
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, _network_feed(net).encode()),
        "/to-canary.html": (302, {"Location": f"http://127.0.0.1:{p}/secret.html"}, b""),
        "/good.html": (200, {"Content-Type": "text/html"},
                       article_html("Harbour ferry timetable changes").encode()),
        # What a page links to or loads is never fetched: the meta refresh, the iframe, the
        # image and the stylesheet all point at the canary.
        "/refresh.html": (200, {"Content-Type": "text/html"}, article_html(
            "Harbour lighthouse repainted",
            extra=f'<meta http-equiv="refresh" content="0; url=http://127.0.0.1:{p}/r">'
                  f'<iframe src="http://127.0.0.1:{p}/frame"></iframe>'
                  f'<img src="http://127.0.0.1:{p}/pixel.png">'
                  f'<link rel="stylesheet" href="http://[::1]:{p}/style.css">',
        ).encode()),
    })  # fmt: skip
    private_feeds = [
        f"http://127.0.0.1:{p}/feed.xml",
        f"http://[::1]:{p}/feed.xml",
        f"http://canary.example:{p}/feed.xml",
        "http://169.254.169.254/latest/feed",
        net.public_url("/to-canary.html"),
        "file:///etc/passwd",
    ]
    feeds = [{"url": net.public_url("/feed.xml"), "name": "Public"}]
    feeds += [{"url": url, "name": f"Private {n}"} for n, url in enumerate(private_feeds)]
    config_file = write_config(tmp_path, feeds, allow_private_hosts=False, respect_robots=True)
    report, articles = collected(config_file)

    assert net.canary.hits == []
    assert report.feeds_ok == 1 and report.feeds_failed == len(private_feeds)
    assert {"/good.html", "/refresh.html"} <= set(net.public.hits)
    assert net.public_url("/good.html") in [a.url for a in articles]
    problems = "\n".join(report.problems)
    for n, url in enumerate(private_feeds):
        line = next(line for line in report.problems if line.startswith(f"feed Private {n} "))
        assert url in line and "refused" in line, line
    for path in ("a1", "a2", "a3", "a4", "a5"):
        line = next(line for line in report.problems if f"/{path}.html" in line)
        assert "refused" in line and "private address" in line and "(feed Public)" in line
    assert "169.254.169.254 resolves to the private address" in problems
    assert "10.0.0.1 resolves to the private address" in problems
    redirect = next(line for line in report.problems if "/to-canary.html (feed" in line)
    assert "127.0.0.1" in redirect and "refused" in redirect
    passwd = next(line for line in report.problems if line.startswith("page file:"))
    assert "/passwd (feed Public)" in passwd
    assert "refused: local file outside the folders allowed" in passwd
    assert "2 of 13 entries have no usable link and were skipped" in problems  # ftp, gopher
    assert "root:" not in problems and not any("root:" in a.text for a in articles)


@pytest.fixture
def served_private_article(net) -> Network:
    net.canary.routes["/secret.html"] = (200, {}, article_html("Internal memo").encode())
    return net


def test_allowing_private_hosts_is_what_lets_the_collector_reach_them(
    served_private_article: Network, tmp_path: Path
) -> None:
    """The same feed with `allow_private_hosts: true` does reach the canary: the refusals above
    come from that setting alone."""
    net = served_private_article
    net.public.routes["/feed.xml"] = (200, {}, rss([
        ("Internal memo", f"http://127.0.0.1:{net.port}/secret.html", "Memo."),
    ]).encode())  # fmt: skip
    feeds = [{"url": net.public_url("/feed.xml"), "name": "Public"}]
    for allowed, expected in ((False, []), (True, ["/robots.txt", "/secret.html"])):
        folder = tmp_path / str(allowed)
        folder.mkdir()
        write_config(folder, feeds, allow_private_hosts=allowed)
        collected(folder / "aibot.yaml")
        assert net.canary.hits == expected
