"""How long loading and validating the site's posts takes, with and without the parsed-post index.

    python benchmarks/posts.py [--posts 10000] [--runs 5]

Generates N posts shaped like AiBot's own (front matter with sources, generator and review; a
body of about 450 words with headings, citations and a Sources list) in a temporary folder, then
times, in the same run and on the same files:

- `load_posts` with no index (every file read and its front matter parsed and validated);
- `load_posts` with a cold index (the same, in a process pool, and the index written);
- `load_posts` with a warm index (what every build after the first does);
- the same warm load after `touch`ing every file (times changed, bytes not: each file hashed);
- python-frontmatter's `frontmatter.load` on every file (parsing only, no validation), the
  library most Python static-site tools use for Markdown with YAML front matter, when installed.

Each figure is the median of --runs runs (the cold index is rebuilt each run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aibot.models import Post
from aibot.posts.files import load_posts, post_path, save_post

PARAGRAPH = (
    "The regional council approved the plan on Tuesday after a four-hour debate, with 31 "
    "members in favour and 12 against, according to the Harbour Herald. Supporters said the "
    "project would cut journey times by a third; opponents questioned its cost of $420m."
)


def make_posts(folder: Path, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        sources = [
            {"id": f"{n:06d}{k}", "outlet": f"Outlet {k}", "title": f"Report {k} on story {n}",
             "url": f"https://outlet{k}.example/news/{n}", "published": f"2026-01-01T0{k}:00:00Z"}
            for k in range(4)
        ]  # fmt: skip
        body = "\n\n".join(
            f"## Section {s}\n\n{PARAGRAPH} [[{s}]](#source-{s})\n\n{PARAGRAPH}"
            for s in range(1, 4)
        )
        body += "\n\n## Sources\n\n" + "\n".join(
            f'{k + 1}. <span id="source-{k + 1}"></span>{s["outlet"]}: [{s["title"]}]({s["url"]})'
            for k, s in enumerate(sources)
        )
        post = Post(
            meta={
                "title": f"Council approves harbour bridge plan, part {n}",
                "slug": f"council-approves-harbour-bridge-plan-part-{n}",
                "date": start + timedelta(minutes=17 * n),
                "author": "AiBot",
                "summary": "The regional council approved the harbour bridge plan on Tuesday.",
                "tags": ["transport", "council"],
                "sources": sources,
                "related": [],
                "draft": False,
                "review": {"status": "passed", "notes": []},
                "generator": {"writer": "extractive", "model": None, "story": f"s{n:08d}",
                              "slug": f"council-approves-harbour-bridge-plan-part-{n}",
                              "body_sha256": "0" * 64},
            },
            body=body,
        )  # fmt: skip
        save_post(post, post_path(folder, post))


def timed(action: Callable[[], object], runs: int, before: Callable[[], object] | None = None):
    seconds = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), min(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "posts"
        index = Path(tmp) / "posts-index.json"
        started = time.perf_counter()
        make_posts(folder, args.posts)
        paths = sorted(folder.rglob("*.md"))
        size = sum(p.stat().st_size for p in paths)
        print(f"{len(paths)} posts, {size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores; "
              f"medians of {args.runs} runs")  # fmt: skip

        def check(result: tuple[list[Post], list]) -> None:
            posts, errors = result
            assert len(posts) == args.posts and not errors, errors[:3]

        rows = [
            ("load_posts, no index", timed(lambda: check(load_posts(folder)), args.runs)),
            ("load_posts, cold index (parsed in a pool, index written)",
             timed(lambda: check(load_posts(folder, index=index)), args.runs,
                   before=lambda: index.unlink(missing_ok=True))),
            ("load_posts, warm index", timed(lambda: check(load_posts(folder, index=index)),
                                             args.runs)),
            ("load_posts, warm index, every file touched",
             timed(lambda: check(load_posts(folder, index=index)), args.runs,
                   before=lambda: [os.utime(p) for p in paths])),
        ]  # fmt: skip
        try:
            import frontmatter
        except ImportError:
            print("python-frontmatter is not installed: `pip install python-frontmatter`")
        else:
            every = lambda: [frontmatter.load(p) for p in paths]  # noqa: E731
            rows.append(("python-frontmatter, frontmatter.load each file (no validation)",
                         timed(every, args.runs)))  # fmt: skip
        print("\n| load | median s | min–max s | posts/s |")
        print("|---|---:|---:|---:|")
        for name, (median, low, high) in rows:
            print(f"| {name} | {median:.2f} | {low:.2f}–{high:.2f} | {args.posts / median:,.0f} |")


if __name__ == "__main__":
    main()
