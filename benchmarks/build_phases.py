"""Where a cold build's CPU goes, phase by phase, in one process.

    python benchmarks/build_phases.py [N]

Generates N posts (default 5,000) as benchmarks/build.py does, then runs one cold build in this
process with the worker pools and search turned off, so that every phase's CPU time is this
process's own (time.process_time), and prints it: reading the posts, rendering post pages, topic
pages and front pages (with the Markdown conversion and related-card reasons inside the post
pages), the feeds and sitemaps. Pagefind is left out: time it with its own command line.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from build import make_posts, write_site

import aibot.posts.index
import aibot.posts.related
from aibot.config import load_config
from aibot.render import indexing, search
from aibot.render import site as render

SPENT: dict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, label: str, kind: Callable[..., str] | None = None) -> None:
    """Add the CPU time of every call of owner.name to SPENT[label] (or SPENT[kind(...)])."""
    function = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[kind(*args) if kind else label] += time.process_time() - started

    setattr(owner, name, wrapper)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    aibot.posts.index.POOL_FROM = 10**9  # no worker processes (and processes=1 below)
    indexing.index_site = lambda site, **_: search.SearchReport(output=site, ok=True)
    timed(render, "load_posts", "reading posts")
    timed(render, "markdown_to_html", "pages: posts, inside: Markdown to HTML")
    timed(aibot.posts.related.RelatedIndex, "reason", "pages: posts, inside: related reasons")
    timed(render, "write_outputs", "feeds and sitemaps")
    timed(render._Site, "_render", "", lambda _site, job: f"pages: {_page_kind(job.href)}")
    with tempfile.TemporaryDirectory(prefix="aibot-phases-") as folder:
        root = Path(folder) / "site"
        write_site(root, make_posts(count))
        started = time.process_time()
        report = render.build_site(load_config(root / "aibot.yaml"), processes=1)
        total = time.process_time() - started
    print(f"{report.pages} pages from {count} posts, one process, no search: {total:.2f} CPU-s")
    for label, seconds in sorted(SPENT.items()):
        print(f"  {label:40s} {seconds:6.2f}")


def _page_kind(href: str) -> str:
    if href.startswith("posts/"):
        return "posts"
    return {"tags": "topics", "page": "front pages", "archive": "archive"}.get(
        href.split("/")[0], "others"
    )


if __name__ == "__main__":
    main()
