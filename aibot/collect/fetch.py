"""Fetching feeds and pages: http(s) through httpx (async), local files for local feeds.

`AsyncFetcher` is what the collector uses and the seam tests point at a loopback server; `Fetcher`
is a synchronous convenience around it for one-off calls. Rules both enforce:
- at most `concurrency` requests at once, and at most `per_host` to any one host;
- a timeout on every network wait and a total deadline per request; at most `max_bytes` of
  (decoded) body, streamed and cut off — so a gzip bomb stops at the cap; at most 5 redirects;
- hosts resolving to private, loopback, link-local or reserved addresses are refused unless
  `allow_private` (checked for every redirect hop too);
- `file:` URLs are read only inside the folders a caller allows (the folder of a configured local
  feed); a `file:` link found in a web feed, or a redirect to one, is never followed;
- 429 and 503 with Retry-After raise RetryLater, so a feed is skipped, not waited on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from aibot import __version__
from aibot.collect.urls import private_address_of

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
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            headers={"User-Agent": agent or user_agent(), "Accept-Encoding": "gzip, deflate, br"},
            transport=transport,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
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
            private_address_of, parts.hostname or "", parts.port or 443
        )
        if address is not None:
            raise FetchError(
                f"refused: {parts.hostname} resolves to the private address {address} "
                "(set collect.allow_private_hosts: true to allow)"
            )

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
