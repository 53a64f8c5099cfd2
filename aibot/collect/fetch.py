"""Fetching feeds and pages: http(s) through httpx, local files for configured local feeds.

The `Fetcher` is the seam tests point at a loopback server. Rules it enforces:
- at most `max_bytes` are read (streamed, then cut off), at most 5 redirects, a timeout;
- hosts resolving to private or loopback addresses are refused unless `allow_private`;
- `file:` URLs are read only inside folders the caller allows (the folder of a configured local
  feed); a `file:` link found in a web feed is never followed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from aibot import __version__
from aibot.collect.urls import private_address_of

MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL could not be fetched; the message says why in a few words."""


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


class Fetcher:
    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        max_bytes: int = 5_000_000,
        allow_private: bool = False,
        agent: str | None = None,
        transport: httpx.BaseTransport | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        # The timeout bounds each network wait; the deadline bounds the whole download, so a
        # server trickling one byte at a time cannot hold a worker for ever.
        self.deadline_s = deadline_s if deadline_s is not None else 3 * timeout_s
        self.allow_private = allow_private
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            headers={"User-Agent": agent or user_agent()},
            transport=transport,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        local_roots: Sequence[Path] = (),
    ) -> Response:
        """Fetch `url`; raise FetchError for refusals, network errors and HTTP errors >= 400."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return self._read_file(url, local_roots)
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {scheme or '(none)'!r}")
        history: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            self._check_host(url)
            response = self._get_http(url, headers or {})
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                history.append(url)
                url = urljoin(url, response.headers["location"])
                if urlsplit(url).scheme.lower() not in ("http", "https"):
                    raise FetchError(f"redirect to a non-web URL {url!r}")
                continue
            response.history = history
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status}")
            return response
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _check_host(self, url: str) -> None:
        if self.allow_private:
            return
        parts = urlsplit(url)
        address = private_address_of(parts.hostname or "", parts.port or 443)
        if address is not None:
            raise FetchError(
                f"refused: {parts.hostname} resolves to the private address {address} "
                "(set collect.allow_private_hosts: true to allow)"
            )

    def _get_http(self, url: str, headers: Mapping[str, str]) -> Response:
        try:
            give_up = time.monotonic() + self.deadline_s
            with self.client.stream("GET", url, headers=dict(headers)) as response:
                chunks: list[bytes] = []
                size = 0
                if response.status_code < 300:
                    for chunk in response.iter_bytes():
                        if time.monotonic() > give_up:
                            raise FetchError(f"timed out: no full answer in {self.deadline_s:g} s")
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
        except httpx.TimeoutException:
            raise FetchError("timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from None

    def _read_file(self, url: str, local_roots: Sequence[Path]) -> Response:
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root.resolve()) for root in local_roots):
            raise FetchError("refused: local file outside the folders allowed for this feed")
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise FetchError(f"larger than {self.max_bytes} bytes")
            return Response(url=path.as_uri(), status=200, headers={}, content=path.read_bytes())
        except FileNotFoundError:
            raise FetchError("not found") from None
        except OSError as exc:
            raise FetchError(f"cannot read: {exc.strerror}") from None
