"""robots.txt for article pages: fetched once per host, kept a day in the cache."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from aibot.collect.fetch import AsyncFetcher, FetchError
from aibot.store import Store

ROBOTS_TTL = timedelta(hours=24)
ROBOTS_MAX_BYTES = 500_000
AGENT_TOKEN = "AiBot"


class RobotsRules:
    """Answers `allowed(url)` for web URLs; local files and unknown hosts are allowed."""

    def __init__(self, store: Store, fetcher: AsyncFetcher, now: datetime) -> None:
        self.store = store
        self.fetcher = fetcher
        self.now = now
        self._parsers: dict[str, asyncio.Task[RobotFileParser]] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._parsers:  # one fetch per host, however many pages wait on it
            self._parsers[origin] = asyncio.create_task(self._parser(origin))
        parser = await self._parsers[origin]
        return parser.can_fetch(AGENT_TOKEN, url)

    async def _parser(self, origin: str) -> RobotFileParser:
        parser = RobotFileParser()
        parser.parse((await self._body(origin)).splitlines())
        return parser

    async def _body(self, origin: str) -> str:
        cached = self.store.robots(origin)
        if cached is not None and self.now - cached[1] < ROBOTS_TTL:
            return cached[0]
        try:
            response = await self.fetcher.get(f"{origin}/robots.txt")
            body = response.content[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        except FetchError:
            body = ""  # no robots.txt (or none reachable): nothing is disallowed
        self.store.save_robots(origin, body, self.now)
        return body
