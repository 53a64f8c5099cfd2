"""Render a build's pages, in forked worker processes when there are many (Linux only).

A page is a Job: its file, template and context. RenderPool renders a list of them with the
build's render callable, in this process or in a pool of workers, and tells a Written of each page
as it is on disk, for the search index to index it (render.search).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aibot.render.incremental import HtmlCache
from aibot.support.workers import die_with_parent

# Below this many pages to render, starting worker processes costs more than it saves.
POOL_FROM = 200


@dataclass
class Job:
    """One page to render: its file, template and context, and the key of all three."""

    href: str
    template: str
    context: dict[str, Any]
    key: str
    make: Callable[[], dict[str, Any]] | None = None  # makes `context` when it is rendered
    body: str = ""  # a post page's Markdown, whose HTML it shows


Render = Callable[[Job], None]

# What a forked worker renders: the render callable, the HTML cache and the jobs, set just before
# the pool starts. Workers inherit it across fork, which is how multiprocessing's fork start
# method shares state with them (nothing of it is pickled).
_WORK: tuple[Render, HtmlCache, list[Job]] | None = None


class RenderPool:
    """Renders jobs in `processes` worker processes (1: in this one); by default one per core,
    at most 8, once there are `start_from` pages or more to render."""

    def __init__(self, processes: int | None = None, *, start_from: int = POOL_FROM) -> None:
        self.processes = processes
        self.start_from = start_from

    def render(self, todo: list[Job], render: Render, written: Written, cache: HtmlCache) -> None:
        """Render every job of `todo` with `render`; `written` hears of each page as it is
        written. A job that raises in a worker raises here, once every chunk is back."""
        workers = self.processes or min(os.cpu_count() or 1, 8)
        few = len(todo) < self.start_from if self.processes is None else not todo
        if few or workers < 2 or sys.platform != "linux":
            written.expect(job.href for job in todo)
            for job in todo:
                render(job)
                written.done([job.href])
            return
        cache.preload(job.body for job in todo if job.body)
        # Forked workers inherit every page's context as it is; nothing is pickled but indexes
        # on the way there, and the HTML they converted on the way back. Pages go out in small
        # chunks, in order, to whichever worker is free: both end together, and the pages
        # come back about in the order they were listed.
        global _WORK
        _WORK = (render, cache, todo)
        size = max(1, min(64, len(todo) // (workers * 8)))
        chunks = [range(n, min(n + size, len(todo))) for n in range(0, len(todo), size)]
        # Frozen, the objects the workers inherit are never walked by their collectors (which
        # would touch, and so copy, every page of them).
        gc.freeze()
        try:
            import multiprocessing  # only for a pool: ~15 ms to import

            fork = multiprocessing.get_context("fork")
            with fork.Pool(workers, _start_worker, (os.getpid(),)) as pool:
                written.expect(job.href for job in todo)
                failed: Exception | None = None
                for done, made, problem in pool.imap_unordered(_render_chunk, chunks):
                    cache.keep(made)
                    if problem is not None:
                        failed = failed or problem
                    else:
                        written.done([todo[i].href for i in done])
                if failed is not None:
                    raise failed
        finally:
            gc.unfreeze()
            _WORK = None


def _start_worker(parent: int) -> None:
    die_with_parent(parent)
    gc.enable()  # a worker makes and drops thousands of template contexts


def _render_chunk(indexes: range) -> tuple[range, dict[str, str], Exception | None]:
    """A worker's part of RenderPool.render: these pages; returns them, the HTML of the posts
    it converted for them (for the cache), and what it raised instead, if it did.

    An exception is returned, not raised: a pool whose task fails is left with chunks still
    queued, and ending it then (Pool.terminate) could hang for ever in CPython's task handler;
    the parent takes every chunk back first, then raises."""
    assert _WORK is not None
    render, cache, jobs = _WORK
    try:
        for i in indexes:
            render(jobs[i])
    except Exception as exc:  # noqa: BLE001 - re-raised by the parent
        import pickle

        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - what cannot cross to the parent is told in words
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return indexes, {}, exc
    made, cache.made = cache.made, {}
    return indexes, made, None


class Written:
    """Which pages of a build are written yet: the search index waits on it, to index each shard
    of posts as soon as its pages are on disk."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: set[str] | None = None  # None: not known yet
        self._failed = False

    def expect(self, hrefs: Iterable[str]) -> None:
        """These pages are being made (every other page is in place)."""
        with self._changed:
            self._pending = set(hrefs)
            self._changed.notify_all()

    def done(self, hrefs: Iterable[str]) -> None:
        with self._changed:
            assert self._pending is not None
            self._pending.difference_update(hrefs)
            self._changed.notify_all()

    def fail(self) -> None:
        with self._changed:
            self._failed = True
            self._changed.notify_all()

    def wait(self, hrefs: Iterable[str]) -> None:
        """Return once these pages are written (with none: once the pages being made are
        known); raise RuntimeError when rendering failed instead."""
        wanted = set(hrefs)
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self._failed or (self._pending is not None and self._pending.isdisjoint(wanted))
                )
            )
            if self._failed:
                raise RuntimeError("rendering failed: the pages to index were not all written")
