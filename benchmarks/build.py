"""How long building the site takes, and how much memory it needs, as the number of posts grows.

    python benchmarks/build.py N [--runs 3] [--pelican] [--keep DIR]

Generates N posts shaped like AiBot's own (about 600 words with headings, citations and a Sources
list; 2-4 tags from a pool of 60; 3-5 sources; 3 related slugs; sealed like the pipeline seals
them) into a temporary site with its own aibot.yaml, then times the command `aibot build --json`
on it, each build a process of its own, as a user runs it (interpreter start, imports and exit
included; AiBot's modules compiled to bytecode first, as pip does on install; the replaced site
deleted in the background, as `aibot build` does):

- cold: no site/ and no .aibot/ (no posts index, no search index to reuse), built into folders
  that never held anything, before any file of the run is deleted (see fresh_config());
- warm: nothing changed since the previous build;
- one post edited: one post's body changed, as an editor changes it;
- template changed: the site's own templates/base.html (which extends theme/base.html) changed.

The cold builds run first, --runs of them; then the other three kinds, in that order, round
after round, on the last cold build's site. The table gives the
median wall time, the range and the peak resident memory of the largest of the build process and
its children (Pagefind, the render workers), from wait4's rusage. The second table says how many
files each build made (the others were hard-linked from the previous site, see
aibot.render.incremental) and how long search indexing took (Pagefind, part of the build).

With --pelican, Pelican (`pip install pelican markdown`) builds the same posts in its Markdown
format, cold, right after each of AiBot's cold builds (speed drifts with load: each round's
pair is compared), into a new folder each time too, with comparable
outputs (an article page per post, paginated index, tag pages, archives, an Atom feed for the
site and one per tag, 50 entries each), and the ratio AiBot cold / Pelican cold is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aibot
from aibot.models import Post
from aibot.posts.files import post_path, save_post, seal

OUTLETS = [
    "The Harbour Herald", "The Northgate Times", "The Ledger Daily", "Circuit Post",
    "The Valley Courier", "The Global Dispatch", "Metro Bulletin", "The Evening Standard-Bearer",
    "Coastline Weekly", "The Summit Review",
]  # fmt: skip
TAGS = [
    "world", "business", "tech", "local", "politics", "economy", "climate", "energy", "health",
    "science", "education", "transport", "housing", "crime", "courts", "elections", "council",
    "culture", "sport", "football", "tennis", "space", "ai", "security", "privacy", "markets",
    "banking", "trade", "labour", "agriculture", "weather", "wildfires", "floods", "oceans",
    "europe", "asia", "africa", "americas", "middle-east", "nato", "united-nations", "migration",
    "diplomacy", "defence", "media", "music", "film", "books", "travel", "aviation", "rail",
    "shipping", "retail", "startups", "semiconductors", "telecoms", "water", "mining",
    "public-health", "research",
]  # fmt: skip
PLACES = [
    "Calder Bay", "Northgate", "Port Ellis", "Marrow Valley", "Kestrel Point", "Ashford Ridge",
    "Lindenmoor", "Silverbrook", "Eastholm", "Brannock",
]  # fmt: skip
NOUNS = [
    "council", "ministry", "harbour", "bridge", "budget", "agreement", "report", "court",
    "company", "union", "hospital", "school", "airport", "network", "reservoir", "election",
    "inquiry", "market", "factory", "railway", "committee", "satellite", "vaccine", "treaty",
    "tariff", "pipeline", "festival", "stadium", "port", "programme",
]  # fmt: skip
VERBS = [
    "approved", "rejected", "delayed", "announced", "questioned", "expanded", "suspended",
    "reviewed", "confirmed", "funded", "criticised", "defended", "opened", "closed", "extended",
]  # fmt: skip
WORDS = (
    "the a of to and in on for with by after before during while said according officials "
    "residents members spokesperson plan project cost million percent week month year local "
    "national regional new first second final vote debate decision statement figures data "
    "analysts expected would could should may cut raise increase reduce support oppose "
    "concerns delay schedule review published added told reporters meeting Tuesday Wednesday "
    "Thursday Friday morning evening government opposition experts critics supporters rate "
    "services public private sector investment funding contract proposal estimate"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(14, 24))]
    words[rng.randrange(len(words))] = rng.choice(PLACES)
    words[rng.randrange(len(words))] = f"{rng.randint(2, 980)}"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def make_post(n: int, when: datetime, earlier: list[str], rng: random.Random) -> Post:
    place, noun, verb = rng.choice(PLACES), rng.choice(NOUNS), rng.choice(VERBS)
    event = rng.choice(["vote", "talks", "report", "review"])
    title = f"{place} {noun} {verb} after {rng.choice(NOUNS)} {event}"
    slug = f"{title.lower().replace(' ', '-')}-{n}"
    outlets = rng.sample(OUTLETS, rng.randint(3, 5))
    sources = [
        {"id": f"{n:07d}{k}", "outlet": outlet, "title": f"{title} ({outlet})",
         "url": f"https://outlet{OUTLETS.index(outlet)}.example/news/{n}/{k}",
         "published": (when - timedelta(hours=k + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for k, outlet in enumerate(outlets)
    ]  # fmt: skip
    # About 600 words: a lead, then four sections (two paragraphs of three sentences, a citation),
    # then the Sources list.
    parts = [_paragraph(rng, 3)]
    for _ in range(4):
        cite = rng.randint(1, len(sources))
        parts.append(f"## {rng.choice(NOUNS).capitalize()} and {rng.choice(NOUNS)}")
        parts.append(f"{_paragraph(rng, 3)} [[{cite}]](#source-{cite})")
        parts.append(_paragraph(rng, 3))
    parts.append("## Sources")
    parts.append(
        "\n".join(
            f'{k + 1}. <span id="source-{k + 1}"></span>{s["outlet"]}: [{s["title"]}]({s["url"]})'
            for k, s in enumerate(sources)
        )
    )
    related = rng.sample(earlier[-200:], min(3, len(earlier)))
    post = Post(
        meta={
            "title": title,
            "slug": slug,
            "date": when,
            "author": "AiBot",
            "summary": _sentence(rng),
            "tags": rng.sample(TAGS, rng.randint(2, 4)),
            "sources": sources,
            "related": related,
            "draft": False,
            "review": {"status": "passed", "notes": []},
            "generator": {"writer": "extractive", "model": None, "story": f"s{n:08d}",
                          "slug": slug, "body_sha256": ""},
        },
        body="\n\n".join(parts) + "\n",
    )  # fmt: skip
    seal(post)
    return post


def make_posts(count: int, seed: int = 7) -> list[Post]:
    """`count` posts, one every three hours, the newest a day ago."""
    rng = random.Random(seed)
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    posts: list[Post] = []
    for n in range(count):
        when = newest - timedelta(hours=3 * (count - 1 - n))
        posts.append(make_post(n, when, [p.slug for p in posts], rng))
    return posts


CONFIG = """\
site:
  title: Build Benchmark
  base_url: "https://bench.aibot.example/"
  posts_per_page: 10
feeds:
{feeds}
writer:
  backend: extractive
paths:
  content: content
  templates: templates
  output: site
  cache: .aibot
"""

TEMPLATE = """\
{{% extends "theme/base.html" %}}
{{% block head %}}<meta name="benchmark-revision" content="{revision}">{{% endblock %}}
"""


def run_measured(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (of the process and its children, from wait4) and stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out_file, err_file = process.stdout, process.stderr
    assert out_file is not None and err_file is not None
    # The outputs are small (a line of JSON, Pelican's summary): read them, then reap.
    out = out_file.read()
    err = err_file.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out_file.close()
    err_file.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed (exit {process.returncode}):\n"
                         f"{err[-2000:]}")  # fmt: skip
    return seconds, usage.ru_maxrss / 1024, out


def write_site(root: Path, posts: list[Post]) -> None:
    feeds = "\n".join(
        f"  - {{url: 'https://outlet{k}.example/feed.xml', name: '{name}'}}"
        for k, name in enumerate(OUTLETS)
    )
    root.mkdir(parents=True)
    (root / "aibot.yaml").write_text(CONFIG.format(feeds=feeds), encoding="utf-8")
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "base.html").write_text(TEMPLATE.format(revision=0), encoding="utf-8")
    posts_dir = root / "content" / "posts"
    for post in posts:
        save_post(post, post_path(posts_dir, post))


PELICANCONF = """\
AUTHOR = "AiBot"
SITENAME = "Build Benchmark"
SITEURL = ""
RELATIVE_URLS = True
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
DELETE_OUTPUT_DIRECTORY = True
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
ARTICLE_URL = ARTICLE_SAVE_AS = "posts/{slug}.html"
FEED_DOMAIN = "https://bench.aibot.example"
FEED_ALL_ATOM = "atom.xml"
TAG_FEED_ATOM = "tags/{slug}.atom.xml"
FEED_MAX_ITEMS = 50
RSS_FEED_SUMMARY_ONLY = False
FEED_ALL_RSS = CATEGORY_FEED_ATOM = CATEGORY_FEED_RSS = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
LINKS = ()
SOCIAL = ()
"""


def write_pelican(root: Path, posts: list[Post]) -> None:
    content = root / "content"
    for post in posts:
        meta = post.meta
        lines = [
            f"Title: {meta['title']}",
            f"Date: {meta['date']:%Y-%m-%d %H:%M}",
            f"Tags: {', '.join(meta['tags'])}",
            f"Slug: {meta['slug']}",
            f"Summary: {meta['summary']}",
        ]
        path = content / f"{meta['date']:%Y}" / f"{meta['slug']}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n\n" + post.body, encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(PELICANCONF, encoding="utf-8")


class _Pelican:
    """Pelican building the same posts: call it for one cold build's (seconds, peak RSS MB)."""

    def __init__(self, root: Path, pelican: str, name: str) -> None:
        self.root, self.pelican, self.name = root, pelican, name

    def __call__(self, output: str) -> tuple[float, float]:
        if (self.root / output).exists():
            raise SystemExit(f"Pelican's {output} exists: it would not be a cold build")
        command = [self.pelican, "content", "-o", output, "-s", "pelicanconf.py"]
        seconds, peak, _ = run_measured(command, self.root)
        return seconds, peak


def _pelican(base: Path, posts: list[Post]) -> _Pelican:
    pelican = shutil.which("pelican", path=str(Path(sys.executable).parent)) or shutil.which(
        "pelican"
    )
    if pelican is None:
        raise SystemExit("Pelican is not installed: `pip install pelican markdown`")
    version = subprocess.run([pelican, "--version"], capture_output=True, text=True, check=False)
    root = base / "pelican"
    write_pelican(root, posts)
    return _Pelican(root, pelican, f"Pelican {version.stdout.strip()}")


def fresh_config(root: Path, n: int) -> Path:
    """A copy of the site's aibot.yaml whose output and cache are `cold-n/site` and
    `cold-n/.aibot`: folders that never held anything, for cold build n.

    A cold build on a new machine or checkout follows no deletion, and on some disks it would be
    slower right after one: ext4 without a journal makes a new file skip, one by one,
    every free inode deleted in the last 60 s, or the last 360 s while its inode table block is
    unwritten, and making files makes those blocks unwritten (the kernel's recently_deleted()).
    Cold builds into the folder the last one was deleted from spent 2-7 CPU-s more in the kernel
    (8-13 s against 5.5-6 s). So no cold build, AiBot's or Pelican's, runs where anything was
    deleted, and the run deletes nothing before its cold builds are done."""
    text = (root / "aibot.yaml").read_text(encoding="utf-8")
    paths = {
        "  output: site\n": f"  output: cold-{n}/site\n",
        "  cache: .aibot\n": f"  cache: cold-{n}/.aibot\n",
    }
    for old, new in paths.items():
        if old not in text:
            raise SystemExit(f"aibot.yaml has no {old.strip()!r} line to point elsewhere")
        text = text.replace(old, new)
    config = root / f"aibot.cold-{n}.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("posts", type=int, help="number of posts to generate")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pelican", action="store_true", help="also time Pelican, cold")
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep it")
    args = parser.parse_args()

    tmp = None
    if args.keep:
        args.keep.mkdir(parents=True)
        base = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="aibot-build-bench-")
        base = Path(tmp.name)
    try:
        bench(base, args)
    finally:
        if tmp is not None:
            tmp.cleanup()


def bench(base: Path, args: argparse.Namespace) -> None:
    root = base / "aibot"
    # Compiled as pip compiles an installed package (an editable install, or a machine with
    # PYTHONDONTWRITEBYTECODE set, would otherwise compile AiBot's modules in every build).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(aibot.__file__).parent)],
                   check=True)  # fmt: skip
    started = time.perf_counter()
    posts = make_posts(args.posts)
    write_site(root, posts)
    files = sorted((root / "content" / "posts").rglob("*.md"))
    words = statistics.median(len(p.body.split()) for p in posts)
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} posts ({words:.0f} words each, median; {size / 1e6:.1f} MB), written in "
          f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores; Python "
          f"{sys.version.split()[0]}; medians of {args.runs} run(s)")  # fmt: skip

    edited = files[len(files) // 2]
    original = edited.read_text(encoding="utf-8")
    kinds = ["cold", "warm (no change)", "one post edited", "template changed"]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    rss: dict[str, list[float]] = {k: [] for k in kinds}
    reports: dict[str, list[dict]] = {k: [] for k in kinds}
    pelican_run = _pelican(base, posts) if args.pelican else None
    ptimes: list[float] = []
    prss: list[float] = []

    def timed(kind: str, config: Path) -> None:
        # The command itself, as a user runs it: `python -m aibot` is the `aibot` program.
        command = [sys.executable, "-m", "aibot", "build", "-c", str(config), "--json"]
        seconds, peak, out = run_measured(command, root)
        report = json.loads(out)
        if not report["ok"] or report["problems"]:
            raise SystemExit(f"{kind} build: {report['problems'][:5]}")
        times[kind].append(seconds)
        rss[kind].append(peak)
        reports[kind].append(report)

    config = root / "aibot.yaml"
    for n in range(1, args.runs + 1):
        config = fresh_config(root, n)
        os.sync()  # the posts (and the last round's builds) written back, not during this one
        timed("cold", config)
        if pelican_run is not None:  # the same moment's machine: pairs
            os.sync()
            seconds, peak = pelican_run(f"output-{n}")
            ptimes.append(seconds)
            prss.append(peak)
    # The other kinds build on the last cold build's site, round after round.
    for n in range(1, args.runs + 1):
        timed("warm (no change)", config)
        edited.write_text(
            original.rstrip("\n") + f"\n\nAn editor added this paragraph, round {n}.\n",
            encoding="utf-8",
        )
        timed("one post edited", config)
        (root / "templates" / "base.html").write_text(TEMPLATE.format(revision=n), encoding="utf-8")
        timed("template changed", config)

    rows = [(f"AiBot, {kind}", summary(times[kind]), max(rss[kind])) for kind in kinds]
    pelican_cold = None
    if pelican_run is not None:
        pelican_cold = summary(ptimes)
        rows.append((f"{pelican_run.name}, cold", pelican_cold, max(prss)))

    print("\n| build | median s | min–max s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, (median, low, high), peak in rows:
        print(f"| {name} | {median:.2f} | {low:.2f}–{high:.2f} | {peak:.0f} |")
    if pelican_cold is not None:
        ratio = statistics.median(times["cold"]) / pelican_cold[0]
        pairs = [a / p for a, p in zip(times["cold"], ptimes, strict=True)]
        print(f"\nAiBot cold / Pelican cold (medians): {ratio:.2f}×; per round (each AiBot cold "
              f"build followed by Pelican's): median {statistics.median(pairs):.2f}×, "
              f"{min(pairs):.2f}–{max(pairs):.2f} (target: at most 0.4×)")  # fmt: skip

    print("\n| build | files | made this time | in-process s (median) | search s (median) |")
    print("|---|---:|---:|---:|---:|")
    for kind in kinds:
        done = reports[kind]
        print(f"| {kind} | {done[-1]['pages']} | {done[-1]['rendered']} | "
              f"{statistics.median(r['seconds'] for r in done):.2f} | "
              f"{statistics.median(r['search_seconds'] for r in done):.2f} |")  # fmt: skip
    print("\nWall time includes starting Python and importing AiBot; peak RSS is the build "
          "process's and its children's (Pagefind), from wait4.")  # fmt: skip


if __name__ == "__main__":
    main()
