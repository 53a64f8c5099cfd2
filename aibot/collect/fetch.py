"""Fetching feeds and pages: http(s) through httpx (async), local files for local feeds.

`AsyncFetcher` is what the collector uses and the seam tests point at a loopback server; `Fetcher`
is a synchronous convenience around it for one-off calls. Rules both enforce:
- at most `concurrency` requests at once, and at most `per_host` to any one host;
- a timeout on every network wait and a total deadline per request; at most `max_bytes` of
  (decoded) body, streamed and cut off — so a gzip bomb stops at the cap; at most 5 redirects;
- hosts resolving to private, loopback, link-local or reserved addresses are refused unless
  `allow_private`: checked by name before every request and redirect hop (for a clear message),
  and again where the socket is opened, which connects only to an address it has just vetted — so
  a DNS answer that changes between the check and the connection (rebinding) gains nothing. (A
  proxy set in the environment makes its own connections: then only the check by name applies.)
- `file:` URLs are read only inside the folders a caller allows (the folder of a configured local
  feed); a `file:` link found in a web feed, or a redirect to one, is never followed;
- 429 and 503 with Retry-After raise RetryLater, so a feed is skipped, not waited on.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpcore
import httpx

from aibot import __version__
from aibot.collect import urls

MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL could not be fetched; the message says why in a few words."""


class RetryLater(FetchError):
    """The server asked us to come back later (429/503 with Retry-After)."""

    def __init__(self, status: int, seconds: float) -> None:
        super().__init__(f"HTTP {status}, asked to retry after {seconds:.0f} s")
        self.status = status
        self.seconds = seconds


@dataclass
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    history: list[str] = field(default_factory=list)


def user_agent(site_url: str = "") -> str:
    site = f"; +{site_url}" if site_url else ""
    return f"AiBot/{__version__} (news summariser{site})"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class AsyncFetcher:
    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        max_bytes: int = 5_000_000,
        allow_private: bool = False,
        agent: str | None = None,
        concurrency: int = 16,
        per_host: int = 2,
        deadline_s: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        # The timeout bounds each network wait; the deadline bounds the whole request, so a
        # server trickling one byte at a time cannot hold a worker for ever.
        self.deadline_s = deadline_s if deadline_s is not None else 3 * timeout_s
        self.per_host = per_host
        self._all = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        if transport is None and not allow_private:
            transport = _VettedTransport(limits)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            headers={"User-Agent": agent or user_agent(), "Accept-Encoding": "gzip, deflate, br"},
            transport=transport,
            limits=limits,
        )

    async def __aenter__(self) -> AsyncFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        local_roots: Sequence[Path] = (),
    ) -> Response:
        """Fetch `url`; raise FetchError for refusals, network errors and HTTP errors >= 400."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return await asyncio.to_thread(self._read_file, url, local_roots)
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {scheme or '(none)'!r}")
        history: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            _check_url(url)
            await self._check_host(url)
            response = await self._get_http(url, headers or {})
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                history.append(url)
                url = urljoin(url, response.headers["location"])
                if urlsplit(url).scheme.lower() not in ("http", "https"):
                    raise FetchError(f"redirect to a non-web URL {url!r}")
                continue
            response.history = history
            if response.status in (429, 503):
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if wait is not None:
                    raise RetryLater(response.status, wait)
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status}")
            return response
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _check_host(self, url: str) -> None:
        if self.allow_private:
            return
        parts = urlsplit(url)
        address = await asyncio.to_thread(
            urls.private_address_of, parts.hostname or "", parts.port or 443
        )
        if address is not None:
            raise _refused(parts.hostname or "", address)

    async def _get_http(self, url: str, headers: Mapping[str, str]) -> Response:
        host = (urlsplit(url).hostname or "").lower()
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        # Host first: a request queued behind its host's limit must not hold a global slot, or
        # a burst of pages from one host would stall every other host.
        async with per_host, self._all:
            try:
                return await asyncio.wait_for(self._stream(url, headers), self.deadline_s)
            except TimeoutError:
                raise FetchError(f"timed out: no full answer in {self.deadline_s:g} s") from None
            except httpx.TimeoutException:
                raise FetchError("timed out") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}") from None

    async def _stream(self, url: str, headers: Mapping[str, str]) -> Response:
        async with self.client.stream("GET", url, headers=dict(headers)) as response:
            chunks: list[bytes] = []
            size = 0
            if response.status_code < 300:
                # iter_bytes() yields decoded bytes: the cap applies after decompression.
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
            return Response(
                url=str(response.url),
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                content=b"".join(chunks),
            )

    def _read_file(self, url: str, local_roots: Sequence[Path]) -> Response:
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root.resolve()) for root in local_roots):
            raise FetchError("refused: local file outside the folders allowed for this feed")
        try:
            if path.stat().st_size > self.max_bytes:
                raise FetchError(f"larger than {self.max_bytes} bytes")
            return Response(url=path.as_uri(), status=200, headers={}, content=path.read_bytes())
        except FileNotFoundError:
            raise FetchError("not found") from None
        except OSError as exc:
            raise FetchError(f"cannot read: {exc.strerror}") from None


def _check_url(url: str) -> None:
    """FetchError for a URL httpx or urlsplit cannot read ("http://999.1.1.1/", a port past
    65535): a bad link in a feed is that entry's problem, not the run's."""
    try:
        httpx.URL(url)
        urlsplit(url).port  # noqa: B018 - raises ValueError for a bad port
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"invalid URL ({exc})") from None


def _refused(host: str, address: str) -> FetchError:
    return FetchError(
        f"refused: {host} resolves to the private address {address} "
        "(set collect.allow_private_hosts: true to allow)"
    )


class _VettedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to public addresses: the host is resolved here, every address
    it has is vetted, and the socket is opened to a vetted address (never to the name, which the
    resolver could answer differently a moment later)."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        private = urls.first_private(addresses)
        if private is not None:
            raise _refused(host, private)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout,
                    local_address,
                    socket_options,  # type: ignore[arg-type]
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: object = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _VettedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with a connection pool that connects through _VettedBackend."""

    def __init__(self, limits: httpx.Limits) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context, limits=limits)
        # httpx has no parameter for the network backend; its pool is made again with one.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_VettedBackend(),
        )


class Fetcher:
    """A synchronous fetcher for one-off calls (library users, tests): each get() runs the
    async fetcher on its own event loop."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        local_roots: Sequence[Path] = (),
    ) -> Response:
        async def once() -> Response:
            async with AsyncFetcher(**self.options) as fetcher:  # type: ignore[arg-type]
                return await fetcher.get(url, headers=headers, local_roots=local_roots)

        return asyncio.run(once())
