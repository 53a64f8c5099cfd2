"""The search index made while the site is rendered: Pagefind (render.search) indexes the post
pages shard by shard as they are written, from a thread of the build, while the build and its
render workers write every other page and the feeds."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from aibot.render.pool import Written
from aibot.render.search import BUNDLE, SearchReport, index_site
from aibot.render.staging import Staging
from aibot.render.swap import remove_tree

# In the new site while it is built: the last site's search index, whose shards it reuses.
_LAST_SEARCH = ".last-search"


class BackgroundIndex:
    """The search index of one build: `pages` are the post pages to index (href -> key of what
    search shows of them), `written` says which of them are on disk yet."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}  # post page href -> key, for search.index_site
        self.written = Written()  # which post pages are on disk yet, for the search index
        self._searcher = ThreadPoolExecutor(max_workers=1)
        self._search: Future[SearchReport] | None = None
        self._out: Path | None = None

    def start(self, new: Staging) -> None:
        """Index the pages of the new site as they are written (call once `pages` is complete)."""
        new.await_links()
        previous = new.previous if new.previous.is_dir() else None
        if new.prelinked and (new.out / BUNDLE).is_dir():
            # The last index came along with the links: moved aside, its shards are moved back
            # where they still hold, and the rest goes (see result).
            previous = new.out / _LAST_SEARCH
            previous.mkdir()
            (new.out / BUNDLE).rename(previous / BUNDLE)
        self._out = new.out
        self._search = self._searcher.submit(self._index, new.out, previous)

    def _index(self, out: Path, previous: Path | None) -> SearchReport:
        self.written.wait(())  # until the render workers are forked: none forks with this busy
        return index_site(
            out,
            previous=previous,
            pages=self.pages,
            move=previous == out / _LAST_SEARCH,
            written=self.written.wait,
        )

    def result(self) -> SearchReport:
        """Wait for the search index; the last site's index, moved aside for it, goes."""
        if self._search is None or self._out is None:
            raise RuntimeError("the site was rendered without starting its search index")
        try:
            return self._search.result()
        finally:
            remove_tree(self._out / _LAST_SEARCH)

    def abandon(self) -> None:
        """The build failed: no more pages come. Pagefind stops after the shard it is on, and
        this returns once it has, so that its folder can go."""
        if self._search is not None:
            self.written.fail()
            with contextlib.suppress(Exception):
                self._search.result()

    def close(self) -> None:
        """Let go of the search thread."""
        self._searcher.shutdown(wait=True)
