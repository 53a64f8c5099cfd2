"""End-to-end benchmark on real news: Multi-News stories served as twelve outlets' feeds.

    python benchmarks/e2e_news.py [--data ../shared/data/summarization/multinews_dev.jsonl]
                                  [--hourly N] [--limit N] [--seed S | --seeds S,S,...]
                                  [--keep DIR] [--check] [--explain]

What it does: the stories of `multinews_dev.jsonl` (Multi-News test split, Fabbri et al. 2019;
each story 2-10 real source articles and a human-written summary) are served over loopback as
twelve invented outlets' RSS feeds and article pages. AiBot then runs on a temporary site whose
aibot.yaml lists those twelve feeds, and its posts are compared with the stories they came from.
The data is read at run time and never copied into the repository (its licence allows
non-commercial research use only); the temporary site is deleted afterwards unless --keep.

How the news is served (all drawn from `random.Random(--seed)`, default 7):
- Outlets: twelve invented names. A story's documents go to different outlets (a random sample
  of as many outlets as the story has documents), so "2+ documents" means "2+ outlets".
- Times: each story starts at a random moment of a 40-hour window ending a few minutes before
  the run; each of its other documents follows after an exponentially distributed delay (mean 3
  hours), cut at the window's end.
- Titles: Multi-News documents have none. A document's headline is the first sentence of its
  first line of eight words or more (split at ". ", "? " or "! " before a capital letter or a
  quote), cut to its first twelve words; it is the page's <title>, <h1> and og:title and the
  feed item's title. Many Multi-News documents begin with a photo caption or a dateline, so
  some headlines are odd, as scraped headlines sometimes are.
- Article page: an HTML5 news page with a site header and navigation, the headline, a byline
  (invented reporter names), <time> and article:published_time, one <p> per non-empty line of
  the document (Multi-News keeps the original paragraphs as lines), related links and a footer.
  Every piece of text is HTML-escaped. URLs are opaque (`/<outlet>/news/<hash>.html`): nothing in
  them tells the story.
- Feed: RSS 2.0 per outlet with title, link, guid, pubDate and a short description (the first 30
  words of the body), newest first. A feed lists only the items published by the server's clock.

How AiBot runs: `python -m aibot run -c <tmp>/aibot.yaml --writer extractive --json`, once, as a
subprocess (the clock shows every item), with this checkout first on its PYTHONPATH (as it is on
this script's path). The config lifts the per-run caps
(`writer.max_posts_per_run: 1000`, `writer.max_cost_per_run: 0`) and allows loopback hosts
(`collect.allow_private_hosts: true`); clustering keeps its defaults (`cluster.min_sources: 2`).
With `--hourly N`, the same news is fed as runs every N simulated hours instead, as production
runs: the server's clock moves to each run's time, and each run is `aibot.pipeline.run(config,
now=...)` in this process (the CLI has no option for the clock). The first run is N hours into
the window, the last one at or after its end.

How posts map to stories: every post under content/posts is read with
`aibot.posts.files.load_posts`; each source URL in its front matter is one served document,
hence one story. A post's story is the story most of its sources come from.

Figures:
- one story: the share of posts whose sources all come from one story (target >= 95 %).
- stories with a post: the share of stories with 2+ documents (2+ outlets) that are some post's
  story (target >= 85 %). Also shown for stories with 2+ documents not flagged as junk.
- stories shown as 2+ posts: the share of stories that are the story of two posts or more
  (target <= 5 %).
- posts from junk: posts with a source flagged as junk (target 0). A document is junk when one
  of JUNK_MARKERS below matches it and it has fewer than JUNK_MAX_WORDS words; the markers are
  boilerplate that web archives, video and social sites put in place of an article. The length
  limit keeps out full articles that merely carry one widget line ("Add X as an interest").
  The script prints how many documents the markers match and how many count as junk.
- ROUGE-1 / ROUGE-2 F1 (x 100, rouge-score with its stemmer, averaged over posts) of each post's
  prose (paragraphs of its sections, without headings, citations, sources, updates or "Where
  sources differ"), cut to its first 250 words, against the human summary of the post's story;
  and of LexRank (sumy, via benchmarks/summarize.py) given the same documents as the post (the
  served text of its sources), with the same budget and cut. Both are scored in the same run.
- run time: wall time of the `aibot run` subprocess (interpreter start included); with --hourly,
  the sum over runs, and the slowest run.

--seeds runs the whole benchmark once per seed (other outlets, times and bylines for the same
stories) and prints a row per seed, then each figure's worst and median: a setting that meets a
target at one draw of times can miss it at another.

--explain lists the mixed posts, the posts from junk, the stories shown as 2+ posts, and for each
story without a post how many of its documents were collected and how many AiBot stories (read
from the run's cache) they fell into.

Figures are for orientation: 100 stories, one machine shared with other work. Not run by CI.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCHMARKS))

from devsets import seed_list  # noqa: E402 (found through the path set above)

DEFAULT_DATA = REPO.parent / "shared" / "data" / "summarization" / "multinews_dev.jsonl"
WINDOW_HOURS = 40.0
MEAN_DELAY_HOURS = 3.0
BUDGET_WORDS = 250
HEADLINE_WORDS = 12
DESCRIPTION_WORDS = 30
CHECK_STORIES = 12

OUTLETS = (
    "The Harbour Ledger", "Northfield Tribune", "The Daily Compass", "Riverside Gazette",
    "Metro Lantern", "The Evening Signal", "Coastline Post", "The Granite Courier",
    "Valley Observer", "The Civic Wire", "Summit Herald", "The Lakeside Record",
)  # fmt: skip
FIRST_NAMES = ("Ada", "Bram", "Celia", "Dario", "Elin", "Fenna", "Goran", "Hana", "Idris", "Juno")
LAST_NAMES = ("Marlow", "Quill", "Ostrava", "Penhallow", "Tarrant", "Vey", "Wendeborn", "Ashgrove")

# Boilerplate that stands in for an article: (what it is, a case-insensitive pattern).
JUNK_MARKERS = (
    ("web archive notice", r"Alexa Internet has been donating"),
    ("web archive notice", r"These crawls are part of an effort to archive pages"),
    ("Twitter location prompt", r"location history"),
    ("video player notice", r"interactive transcript could not be loaded"),
    ("reprints notice", r"Dow Jones Reprints"),
    ("journal widget", r"^More from this journal$"),
    ("error page", r"page you requested"),
    ("interest widget", r"Add [^.\n]{1,60} as an interest"),
)
JUNK_MAX_WORDS = 200

TARGETS = {
    "one story": (">=", 95.0),
    "stories with a post": (">=", 85.0),
    "stories shown as 2+ posts": ("<=", 5.0),
    "posts from junk": ("<=", 0.0),
}


@dataclass(frozen=True)
class Document:
    """One Multi-News document as one outlet's article."""

    story: str
    text: str
    outlet: int
    published: datetime
    path: str
    headline: str
    byline: str


# The news: outlets, times, headlines


def load_stories(path: Path, limit: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def assign_outlets(sizes: Sequence[int], outlets: int, rng: random.Random) -> list[list[int]]:
    """For each story of `sizes[i]` documents, that many different outlets (indexes)."""
    if max(sizes, default=0) > outlets:
        raise ValueError(f"a story has {max(sizes)} documents but there are {outlets} outlets")
    return [rng.sample(range(outlets), size) for size in sizes]


def publication_times(
    sizes: Sequence[int], start: datetime, rng: random.Random, hours: float = WINDOW_HOURS
) -> list[list[datetime]]:
    """For each story, its documents' times: the first at a random moment of the window, the
    others after exponential delays (mean MEAN_DELAY_HOURS), never past the window's end."""
    end = start + timedelta(hours=hours)
    times = []
    for size in sizes:
        first = start + timedelta(hours=rng.uniform(0, hours))
        later = [
            first + timedelta(hours=rng.expovariate(1 / MEAN_DELAY_HOURS)) for _ in range(size - 1)
        ]
        times.append([min(t, end).replace(microsecond=0) for t in [first, *later]])
    return times


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘'])")


def headline(text: str, words: int = HEADLINE_WORDS) -> str:
    """The first sentence of five words or more of the first line of eight words or more (else
    that line), cut to `words` words."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if len(line.split()) >= 8), lines[0] if lines else "")
    sentence = next((s for s in _SENTENCE_END.split(first) if len(s.split()) >= 5), first)
    return " ".join(sentence.split()[:words]) or "Untitled"


def plan_documents(rows: Sequence[dict], start: datetime, seed: int) -> list[Document]:
    rng = random.Random(seed)
    sizes = [len(row["documents"]) for row in rows]
    outlets = assign_outlets(sizes, len(OUTLETS), rng)
    times = publication_times(sizes, start, rng)
    documents = []
    for row, own_outlets, own_times in zip(rows, outlets, times, strict=True):
        for k, (text, outlet, published) in enumerate(
            zip(row["documents"], own_outlets, own_times, strict=True)
        ):
            digest = hashlib.sha256(f"{seed}/{row['id']}/{k}".encode()).hexdigest()[:12]
            documents.append(
                Document(
                    story=row["id"],
                    text=text,
                    outlet=outlet,
                    published=published,
                    path=f"/{_slug(OUTLETS[outlet])}/news/{digest}.html",
                    headline=headline(text),
                    byline=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                )
            )
    return documents


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# Pages and feeds


def article_page(document: Document, base: str) -> str:
    e = html.escape
    outlet = OUTLETS[document.outlet]
    when = document.published.isoformat().replace("+00:00", "Z")
    paragraphs = "\n".join(
        f"      <p>{e(line.strip())}</p>" for line in document.text.splitlines() if line.strip()
    )
    home = f"{base}{_slug(outlet)}/"
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(document.headline)} | {e(outlet)}</title>
  <meta name="author" content="{e(document.byline)}">
  <meta property="og:title" content="{e(document.headline)}">
  <meta property="og:site_name" content="{e(outlet)}">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{when}">
  <link rel="canonical" href="{e(base.rstrip("/") + document.path)}">
</head>
<body>
  <header><a href="{e(home)}">{e(outlet)}</a>
    <nav><a href="{e(home)}world/">World</a> <a href="{e(home)}politics/">Politics</a>
      <a href="{e(home)}business/">Business</a> <a href="{e(home)}culture/">Culture</a></nav>
  </header>
  <main>
    <article>
      <h1>{e(document.headline)}</h1>
      <p class="byline">By <span class="author">{e(document.byline)}</span>,
        <time datetime="{when}">{document.published:%d %B %Y, %H:%M} UTC</time></p>
{paragraphs}
    </article>
    <aside><h2>More from {e(outlet)}</h2>
      <ul><li><a href="{e(home)}">Latest headlines</a></li></ul></aside>
  </main>
  <footer>&copy; {e(outlet)}. <a href="{e(home)}about/">About us</a>
    <a href="{e(home)}privacy/">Privacy</a></footer>
</body>
</html>
"""


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def rss_feed(outlet: int, documents: Sequence[Document], base: str, now: datetime) -> str:
    """The outlet's RSS 2.0 feed: its items published by `now`, newest first."""

    def e(text: str) -> str:  # control characters are not allowed in XML 1.0
        return html.escape(_NOT_XML.sub("", text))

    name = OUTLETS[outlet]
    shown = sorted(
        (d for d in documents if d.outlet == outlet and d.published <= now),
        key=lambda d: d.published,
        reverse=True,
    )
    items = []
    for d in shown:
        link = base.rstrip("/") + d.path
        words = " ".join(d.text.split()).split(" ")
        description = " ".join(words[:DESCRIPTION_WORDS]) + (
            "…" if len(words) > DESCRIPTION_WORDS else ""
        )
        items.append(
            f"""    <item>
      <title>{e(d.headline)}</title>
      <link>{e(link)}</link>
      <guid isPermaLink="true">{e(link)}</guid>
      <pubDate>{format_datetime(d.published, usegmt=True)}</pubDate>
      <description>{e(description)}</description>
    </item>"""
        )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{e(name)}</title>
    <link>{e(base)}{_slug(name)}/</link>
    <description>News from {e(name)}</description>
{body}
  </channel>
</rss>
"""


class NewsServer:
    """The outlets' feeds and pages on 127.0.0.1; `clock` decides which items the feeds show."""

    def __init__(self, documents: Sequence[Document], clock: datetime) -> None:
        self.documents = list(documents)
        self.clock = clock
        self.pages = {d.path: d for d in self.documents}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, kind, body = server.answer(self.path)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def feed_url(self, outlet: int) -> str:
        return f"{self.base}{_slug(OUTLETS[outlet])}/rss.xml"

    def answer(self, path: str) -> tuple[int, str, str]:
        if path in self.pages:
            return 200, "text/html; charset=utf-8", article_page(self.pages[path], self.base)
        for outlet, name in enumerate(OUTLETS):
            if path == f"/{_slug(name)}/rss.xml":
                feed = rss_feed(outlet, self.documents, self.base, self.clock)
                return 200, "application/rss+xml; charset=utf-8", feed
        return 404, "text/plain; charset=utf-8", "not found\n"

    @contextmanager
    def serving(self) -> Iterator[NewsServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join()


# The site and the runs


def write_config(folder: Path, server: NewsServer) -> Path:
    config = {
        "site": {"title": "AiBot end-to-end benchmark", "base_url": "https://news.example/"},
        "author": {"name": "AiBot"},
        "feeds": [
            {"url": server.feed_url(k), "name": name, "tags": ["news"]}
            for k, name in enumerate(OUTLETS)
        ],
        "collect": {"allow_private_hosts": True},
        "writer": {"backend": "extractive", "max_posts_per_run": 1000, "max_cost_per_run": 0},
    }
    path = folder / "aibot.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class RunTimes:
    seconds: list[float]
    reports: list[dict]


def run_once(config_file: Path) -> RunTimes:
    """`aibot run` once, as a subprocess of this checkout's aibot; raise with its output when
    it crashes."""
    command = [sys.executable, "-m", "aibot", "run", "-c", str(config_file),
               "--writer", "extractive", "--json"]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=config_file.parent, env=env)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(
            f"aibot run failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        ) from None
    return RunTimes([seconds], [report])


def run_hourly(config_file: Path, server: NewsServer, start: datetime, step: float) -> RunTimes:
    """One `aibot.pipeline.run` every `step` simulated hours, the feeds showing what was
    published by then."""
    from aibot.config import load_config
    from aibot.pipeline import run

    config = load_config(config_file)
    config = replace(config, writer=replace(config.writer, backend="extractive"))
    end = start + timedelta(hours=WINDOW_HOURS)
    times = RunTimes([], [])
    now = start
    while now < end:
        now = now + timedelta(hours=step)
        server.clock = now
        started = time.perf_counter()
        report = run(config, now=now)
        times.seconds.append(time.perf_counter() - started)
        times.reports.append(json.loads(json.dumps(report.to_dict(), default=str)))
    return times


# From posts back to stories


@dataclass
class PostView:
    """A post as the benchmark scores it."""

    path: str
    urls: list[str]  # its sources' URLs, in the front matter's order
    stories: list[str]  # the story of each source that is a served document
    unknown: list[str]  # source URLs that are no served document
    prose: str
    draft: bool

    @property
    def story(self) -> str:
        """The story most of its sources come from (the first such, in source order)."""
        counts = Counter(self.stories)
        return max(self.stories, key=lambda s: counts[s]) if self.stories else ""


def post_views(
    posts_dir: Path, story_of_url: Mapping[str, str]
) -> tuple[list[PostView], list[str]]:
    """Every post with its sources' stories, and the posts that could not be read."""
    from aibot.posts.files import load_posts

    posts, errors = load_posts(posts_dir)
    views = []
    for post in posts:
        urls = [str(s.get("url")) for s in post.meta.get("sources") or [] if isinstance(s, dict)]
        views.append(
            PostView(
                path=str(post.path),
                urls=urls,
                stories=[story_of_url[u] for u in urls if u in story_of_url],
                unknown=[u for u in urls if u not in story_of_url],
                prose=post_prose(post.body),
                draft=post.is_draft,
            )
        )
    return views, [str(e) for e in errors]


_NOT_PROSE = {"sources", "updates", "where sources differ"}
_CITATION = re.compile(r"\s*\[\[\d+\]\]\(#source-\d+\)")
_ESCAPE = re.compile(r"\\(.)")


def post_prose(body: str) -> str:
    """A post body's paragraphs without headings, citations, sources, updates or disagreements."""
    paragraphs, skipping = [], False
    for line in body.splitlines():
        if line.startswith("## "):
            skipping = line[3:].strip().lower() in _NOT_PROSE
        elif line.strip() and not skipping:
            paragraphs.append(_ESCAPE.sub(r"\1", _CITATION.sub("", line)).strip())
    return "\n\n".join(paragraphs)


# Figures


def junk_marker(text: str) -> str | None:
    """What boilerplate marker flags `text`, if any."""
    for what, pattern in JUNK_MARKERS:
        if re.search(pattern, text, re.IGNORECASE | re.MULTILINE):
            return what
    return None


def is_junk(text: str) -> bool:
    return junk_marker(text) is not None and len(text.split()) < JUNK_MAX_WORDS


@dataclass
class Figures:
    posts: int
    one_story: float
    stories_with_post: float
    clean_stories_with_post: float
    split_stories: float
    junk_posts: int
    counts: dict[str, int]


def story_figures(
    views: Sequence[PostView], documents: Sequence[Document], junk_paths: set[str], base: str
) -> Figures:
    stories = Counter(d.story for d in documents)
    clean = Counter(d.story for d in documents if d.path not in junk_paths)
    multi = {s for s, n in stories.items() if n >= 2}
    clean_multi = {s for s, n in clean.items() if n >= 2}
    shown = Counter(v.story for v in views if v.story)
    junk_urls = {base.rstrip("/") + p for p in junk_paths}
    junk_posts = sum(1 for v in views if junk_urls.intersection(v.urls))
    pure = sum(1 for v in views if len(set(v.stories)) == 1 and not v.unknown)
    return Figures(
        posts=len(views),
        one_story=_share(pure, len(views)),
        stories_with_post=_share(len(multi & set(shown)), len(multi)),
        clean_stories_with_post=_share(len(clean_multi & set(shown)), len(clean_multi)),
        split_stories=_share(sum(1 for n in shown.values() if n >= 2), len(stories)),
        junk_posts=junk_posts,
        counts={
            "pure": pure,
            "multi": len(multi),
            "multi_shown": len(multi & set(shown)),
            "clean_multi": len(clean_multi),
            "clean_multi_shown": len(clean_multi & set(shown)),
            "split": sum(1 for n in shown.values() if n >= 2),
            "stories": len(stories),
        },
    )


def _share(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def rouge_figures(
    views: Sequence[PostView], text_of_url: Mapping[str, str], summaries: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Mean ROUGE-1 and ROUGE-2 F1 (x 100) over posts, of AiBot's post and of LexRank given the
    post's sources, both cut to BUDGET_WORDS, against the human summary of the post's story."""
    from rouge_score import rouge_scorer
    from summarize import LexRankSummarizer, sumy_summarizer, truncated

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    lexrank = sumy_summarizer(LexRankSummarizer)
    scores: dict[str, dict[str, list[float]]] = {
        name: {"rouge1": [], "rouge2": []} for name in ("AiBot post", "LexRank (sumy)")
    }
    for view in views:
        if not view.story:
            continue
        sources = [text_of_url[u] for u in view.urls if u in text_of_url]
        outputs = {"AiBot post": view.prose, "LexRank (sumy)": lexrank(sources, BUDGET_WORDS)}
        for name, text in outputs.items():
            found = scorer.score(summaries[view.story], truncated(text, BUDGET_WORDS))
            for metric in ("rouge1", "rouge2"):
                scores[name][metric].append(found[metric].fmeasure * 100)
    return {
        name: {m: statistics.fmean(v) if v else 0.0 for m, v in metrics.items()}
        for name, metrics in scores.items()
    }


def target_lines(figures: Figures) -> list[str]:
    """The four figures with targets, the furthest from its target first."""
    c = figures.counts
    rows = [
        ("one story", figures.one_story, f"{c['pure']} of {figures.posts} posts"),
        ("stories with a post", figures.stories_with_post,
         f"{c['multi_shown']} of {c['multi']} stories with 2+ outlets"),
        ("stories shown as 2+ posts", figures.split_stories,
         f"{c['split']} of {c['stories']} stories"),
        ("posts from junk", float(figures.junk_posts), "posts with a source flagged as junk"),
    ]  # fmt: skip

    def shortfall(row: tuple[str, float, str]) -> float:
        sign, target = TARGETS[row[0]]
        gap = target - row[1] if sign == ">=" else row[1] - target
        if row[0] == "posts from junk":
            gap = _share(int(row[1]), figures.posts)  # a post in percent, like the others
        return gap

    lines = ["| figure | measured | target | met | counts |", "|---|---:|---:|:-:|---|"]
    for row in sorted(rows, key=shortfall, reverse=True):
        sign, target = TARGETS[row[0]]
        unit = "" if row[0] == "posts from junk" else " %"
        met = "yes" if shortfall(row) <= 0 else "**no**"
        lines.append(f"| {row[0]} | {row[1]:.{0 if not unit else 1}f}{unit} | "
                     f"{sign} {target:.0f}{unit} | {met} | {row[2]} |")  # fmt: skip
    return lines


@dataclass
class Measurement:
    """One benchmark run: the news served and what AiBot made of it."""

    documents: list[Document]
    marked: Counter
    junk_paths: set[str]
    times: RunTimes
    figures: Figures
    rouge: dict[str, dict[str, float]]
    views: list[PostView]
    unreadable: list[str]
    grouping: dict[str, str]
    base: str


def measured(args: argparse.Namespace, rows: Sequence[dict], seed: int) -> Measurement:
    """Serve the stories with outlets, times and bylines drawn from `seed`, run AiBot on them
    (once, or every `args.hourly` hours) and score its posts."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(hours=WINDOW_HOURS)
    documents = plan_documents(rows, start, seed)
    junk_paths = {d.path for d in documents if is_junk(d.text)}
    marked = Counter(m for d in documents if (m := junk_marker(d.text)))
    server = NewsServer(documents, clock=start if args.hourly else end)
    with server.serving(), _site_folder(args.keep) as folder:
        config_file = write_config(folder, server)
        if args.hourly:
            times = run_hourly(config_file, server, start, args.hourly)
        else:
            times = run_once(config_file)
        story_of_url = {server.base.rstrip("/") + d.path: d.story for d in documents}
        views, unreadable = post_views(folder / "content" / "posts", story_of_url)
        text_of_url = {server.base.rstrip("/") + d.path: d.text for d in documents}
        figures = story_figures(views, documents, junk_paths, server.base)
        rouge = rouge_figures(views, text_of_url, {r["id"]: r["summary"] for r in rows})
        grouping = aibot_grouping(config_file) if args.explain else {}
        base = server.base
    return Measurement(
        documents, marked, junk_paths, times, figures, rouge, views, unreadable, grouping, base
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--hourly",
        type=float,
        default=0,
        metavar="N",
        help="feed the news as runs every N simulated hours (default: one run)",
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N stories")
    parser.add_argument("--seed", type=int, default=7, help="outlets, times and bylines")
    parser.add_argument("--seeds", type=seed_list, metavar="S,S,...",
                        help="one run per seed; each figure's worst and median")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="build the site in this new folder and keep it")
    parser.add_argument("--check", action="store_true",
                        help=f"a quick try: the first {CHECK_STORIES} stories")  # fmt: skip
    parser.add_argument("--explain", action="store_true",
                        help="list the posts and stories behind each missed figure")  # fmt: skip
    args = parser.parse_args(argv)
    if args.hourly < 0:
        parser.error(f"--hourly: {args.hourly:g}: give a positive number of hours")
    if args.keep is not None and args.keep.exists():
        parser.error(f"--keep: {args.keep} exists; give a new folder")
    if args.seeds and (args.keep or args.explain):
        parser.error("--seeds: give --keep and --explain with --seed, one seed at a time")
    if not args.data.is_file():
        parser.error(f"--data: {args.data}: no such file (multinews_dev.jsonl of shared/data)")
    rows = load_stories(args.data, CHECK_STORIES if args.check else args.limit)
    if args.seeds:
        print(
            "\n".join(
                seed_table(args, rows, {seed: measured(args, rows, seed) for seed in args.seeds})
            )
        )
        return
    m = measured(args, rows, args.seed)
    _print(args, rows, m.documents, m.marked, m.junk_paths, m.times, m.figures, m.rouge,
           m.views, m.unreadable)  # fmt: skip
    if args.explain:
        print("\n".join(explanation(m.views, m.documents, m.junk_paths, m.base, m.grouping)))


def seed_table(
    args: argparse.Namespace, rows: Sequence[dict], runs: Mapping[int, Measurement]
) -> list[str]:
    """One row per seed, then each figure's worst and median over the seeds."""
    how = f"runs every {args.hourly:g} simulated hours" if args.hourly else "one run"
    lines = [
        f"Multi-News dev: {len(rows)} stories, {len(OUTLETS)} outlets, {WINDOW_HOURS:g} hours, "
        f"{how} per seed, extractive writer\n",
        "| seed | stories with a post | one story | stories shown as 2+ posts | posts from junk "
        "| posts | ROUGE-1 / -2, AiBot | ROUGE-1 / -2, LexRank | run time s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    columns: dict[str, list[float]] = {}
    for seed, m in runs.items():
        f, aibot, lexrank = m.figures, m.rouge["AiBot post"], m.rouge["LexRank (sumy)"]
        values = {
            "stories with a post": f.stories_with_post,
            "one story": f.one_story,
            "stories shown as 2+ posts": f.split_stories,
            "posts from junk": float(f.junk_posts),
        }
        for name, value in values.items():
            columns.setdefault(name, []).append(value)
        lines.append(
            f"| {seed} | {f.stories_with_post:.1f} % | {f.one_story:.1f} % | "
            f"{f.split_stories:.1f} % | {f.junk_posts} | {f.posts} | "
            f"{aibot['rouge1']:.2f} / {aibot['rouge2']:.2f} | "
            f"{lexrank['rouge1']:.2f} / {lexrank['rouge2']:.2f} | {sum(m.times.seconds):.1f} |"
        )
    worst = {
        name: (min if TARGETS[name][0] == ">=" else max)(values) for name, values in columns.items()
    }
    median = {name: statistics.median(values) for name, values in columns.items()}
    for label, f in (("worst", worst), ("median", median)):
        lines.append(
            f"| **{label}** | {f['stories with a post']:.1f} % | {f['one story']:.1f} % | "
            f"{f['stories shown as 2+ posts']:.1f} % | {f['posts from junk']:g} | | | | |"
        )
    met = [
        name
        for name, value in worst.items()
        if (value >= TARGETS[name][1] if TARGETS[name][0] == ">=" else value <= TARGETS[name][1])
    ]
    lines.append(f"\ntargets met at every seed: {', '.join(met) or 'none'}")
    return lines


def explanation(
    views: Sequence[PostView],
    documents: Sequence[Document],
    junk_paths: set[str],
    base: str,
    grouping: Mapping[str, str],
) -> list[str]:
    """The posts and stories behind the figures: mixed posts, posts from junk, stories shown
    twice or more, stories without a post and how AiBot grouped their documents (`grouping`:
    article URL -> AiBot's story id, from the cache)."""
    junk_urls = {base.rstrip("/") + p for p in junk_paths}
    lines = ["", "posts from more than one story:"]
    for v in views:
        if len(set(v.stories)) > 1 or v.unknown:
            counts = ", ".join(f"{s} x{n}" for s, n in Counter(v.stories).most_common())
            lines.append(f"  {Path(v.path).name}: {counts}")
    lines.append("posts from junk:")
    for v in views:
        if found := junk_urls.intersection(v.urls):
            lines.append(f"  {Path(v.path).name}: {len(found)} of {len(v.urls)} sources junk; "
                         f"stories {sorted(set(v.stories))}")  # fmt: skip
    shown: dict[str, list[str]] = {}
    for v in views:
        shown.setdefault(v.story, []).append(Path(v.path).name)
    lines.append("stories shown as 2+ posts:")
    lines += [f"  {s}: {', '.join(names)}" for s, names in shown.items() if len(names) > 1]
    lines.append("stories with 2+ documents and no post: documents (junk), collected (not merged "
                 "as syndicated copies), AiBot stories they are in")  # fmt: skip
    for story in dict.fromkeys(d.story for d in documents):
        own = [d for d in documents if d.story == story]
        if len(own) < 2 or story in shown:
            continue
        found = [grouping[u] for d in own if (u := base.rstrip("/") + d.path) in grouping]
        junk = sum(1 for d in own if d.path in junk_paths)
        lines.append(f"  {story}: {len(own)} ({junk}), {len(found)}, {len(set(found))}")
    return lines


def aibot_grouping(config_file: Path) -> dict[str, str]:
    """Article URL -> the id of the story AiBot put it in, from the run's cache."""
    from aibot.config import load_config
    from aibot.store import Store

    with Store(load_config(config_file).cache_file) as store:
        rows = store.db.execute("SELECT url, story_id FROM articles").fetchall()
    return {row["url"]: row["story_id"] for row in rows if row["story_id"]}


@contextmanager
def _site_folder(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=False)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="aibot-e2e-") as folder:
        yield Path(folder)


def _print(
    args: argparse.Namespace,
    rows: Sequence[dict],
    documents: Sequence[Document],
    marked: Counter,
    junk_paths: set[str],
    times: RunTimes,
    figures: Figures,
    rouge: dict[str, dict[str, float]],
    views: Sequence[PostView],
    unreadable: Sequence[str],
) -> None:
    how = (f"{len(times.seconds)} runs, one every {args.hourly:g} simulated hours"
           if args.hourly else "one run")  # fmt: skip
    print(f"Multi-News dev: {len(rows)} stories, {len(documents)} documents, "
          f"{len(OUTLETS)} outlets, {WINDOW_HOURS:g} hours, seed {args.seed}; {how}, "
          "extractive writer\n")  # fmt: skip
    print("\n".join(target_lines(figures)))
    drafts = sum(1 for v in views if v.draft)
    print(f"\nposts: {figures.posts} ({drafts} held as drafts); stories with 2+ documents not "
          f"flagged as junk that got a post: {figures.counts['clean_multi_shown']} of "
          f"{figures.counts['clean_multi']} ({figures.clean_stories_with_post:.1f} %)")  # fmt: skip
    listed = ", ".join(f"{what} {n}" for what, n in marked.most_common())
    print(
        f"junk in the input: the markers match {sum(marked.values())} documents ({listed}); "
        f"{len(junk_paths)} of them have fewer than {JUNK_MAX_WORDS} words and count as junk"
    )
    print(f"\nROUGE F1 x 100 against the human summary of each post's story, "
          f"{BUDGET_WORDS} words, mean over {sum(1 for v in views if v.story)} posts:")  # fmt: skip
    print("| system | ROUGE-1 | ROUGE-2 |\n|---|---:|---:|")
    for name, scores in rouge.items():
        print(f"| {name} | {scores['rouge1']:.2f} | {scores['rouge2']:.2f} |")
    total = sum(times.seconds)
    slowest = f", slowest run {max(times.seconds):.1f} s" if len(times.seconds) > 1 else ""
    print(f"\nrun time of aibot run: {total:.1f} s{slowest}")
    last = times.reports[-1]
    new = sum(r.get("articles_new", 0) for r in times.reports)
    failed = sum(r.get("articles_failed", 0) for r in times.reports)
    problems = [p for r in times.reports for p in r.get("problems", [])]
    merged, written, updated = (
        sum(r.get(key, 0) for r in times.reports)
        for key in ("articles_syndicated", "posts_written", "posts_updated")
    )
    print(f"run report: {new} articles new, {failed} failed, {merged} syndicated copies merged, "
          f"{written} posts written, {updated} updated; "
          f"clustering: {last.get('clustering', '?')}; {len(problems)} problems")  # fmt: skip
    for line in problems[:10]:
        print(f"  problem: {line}")
    for line in unreadable:
        print(f"  unreadable post: {line}")
    unknown = sum(len(v.unknown) for v in views)
    if unknown:
        print(f"  {unknown} post sources are no served document")


if __name__ == "__main__":
    main()
