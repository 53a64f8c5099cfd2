"""The render pool (render.pool): jobs rendered once each, in this process or in forked workers,
a worker's error raised in the parent, and Written, on which the search index waits."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from aibot.render.incremental import HtmlCache, digest
from aibot.render.pool import Job, RenderPool, Written


def _jobs(count: int, body: str = "") -> list[Job]:
    return [Job(f"p{n}.html", "page.html", {}, f"key{n}", body=body) for n in range(count)]


def _writes_its_pid(folder: Path, cache: HtmlCache | None = None) -> Any:
    """A render callable: the page's file holds the pid of the process that rendered it (and
    the HTML of its body, converted through `cache`)."""

    def render(job: Job) -> None:
        html = cache.html(job.body) if cache and job.body else ""
        (folder / job.href).write_text(f"{os.getpid()}\n{html}")

    return render


def _pids(folder: Path) -> dict[str, int]:
    return {p.name: int(p.read_text().split("\n")[0]) for p in folder.iterdir()}


@pytest.fixture
def cache(tmp_path: Path) -> Any:
    made = HtmlCache(tmp_path / "html.sqlite", str.upper)
    yield made
    made.close()


def test_workers_render_every_job_once(tmp_path, cache):
    pages = tmp_path / "pages"
    pages.mkdir()
    jobs = _jobs(40, body="a body")
    written = Written()

    RenderPool(2).render(jobs, _writes_its_pid(pages, cache), written, cache)

    pids = _pids(pages)
    assert sorted(pids) == sorted(job.href for job in jobs)
    assert os.getpid() not in pids.values()
    written.wait([job.href for job in jobs])  # every page is told as written: returns at once
    # The HTML the workers converted comes back to this process's cache.
    assert cache.made == {digest("a body"): "A BODY"}


def test_one_process_or_few_pages_render_in_this_process(tmp_path, cache):
    for name, pool in {"one": RenderPool(1), "few": RenderPool(start_from=21)}.items():
        pages = tmp_path / name
        pages.mkdir()
        pool.render(_jobs(20), _writes_its_pid(pages), Written(), cache)
        assert set(_pids(pages).values()) == {os.getpid()}, name


class _Broken(Exception):
    """An exception that cannot be pickled back to the parent (it holds a lock)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()


@pytest.mark.parametrize(
    ("error", "raised", "message"),
    [
        (ValueError("page p3.html broke"), ValueError, "page p3.html broke"),
        (_Broken("page p3.html broke"), RuntimeError, "_Broken: page p3.html broke"),
    ],
)
def test_a_worker_error_is_raised_here_once_every_chunk_is_back(
    tmp_path, cache, error, raised, message
):
    pages = tmp_path / "pages"
    pages.mkdir()
    rendered = _writes_its_pid(pages)

    def render(job: Job) -> None:
        if job.href == "p3.html":
            raise error
        rendered(job)

    with pytest.raises(raised) as caught:
        RenderPool(2).render(_jobs(16), render, Written(), cache)

    assert str(caught.value) == message
    # One page per chunk (16 pages, 2 workers): every other page was rendered.
    assert sorted(_pids(pages)) == sorted(f"p{n}.html" for n in range(16) if n != 3)


# The search index waits for the post pages of each shard


def _waiter(written: Written, hrefs: list[str]) -> tuple[Any, list[BaseException]]:
    raised: list[BaseException] = []

    def wait() -> None:
        try:
            written.wait(hrefs)
        except BaseException as exc:  # noqa: BLE001 - what the waiter saw is the result
            raised.append(exc)

    thread = threading.Thread(target=wait)
    thread.start()
    return thread, raised


def test_search_waits_until_its_pages_are_written():
    written = Written()
    thread, raised = _waiter(written, ["posts/a.html"])
    written.expect(["posts/a.html", "posts/b.html"])
    written.done(["posts/b.html"])
    assert thread.is_alive()  # a.html is still being made
    written.done(["posts/a.html"])
    thread.join(timeout=30)
    assert not thread.is_alive() and raised == []
    # A page not being made (kept from the last site) is there already.
    thread, raised = _waiter(written, ["posts/kept.html"])
    thread.join(timeout=30)
    assert not thread.is_alive() and raised == []


def test_a_failed_render_releases_the_search_with_an_error():
    written = Written()
    before, raised_before = _waiter(written, [])  # pages to be made not known yet
    after, raised_after = _waiter(written, ["posts/a.html"])
    assert before.is_alive() and after.is_alive()
    written.fail()
    for thread in (before, after):
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert [type(e) for e in raised_before + raised_after] == [RuntimeError, RuntimeError]
