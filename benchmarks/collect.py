"""Collection speed against a loopback server: 500 feeds x 20 items over 2,000 article pages.

    python benchmarks/collect.py [--feeds 500] [--items 20] [--pages 2000] [--runs 3] [--baseline]

Prints wall time, articles per second and peak RSS (this process plus extraction workers) for a
cold run and for a second run in which every feed answers 304 Not Modified; medians of --runs
runs, each in a fresh cache. --baseline also times the plain approach on the same server: one
feed after another with feedparser, then every page with newspaper4k's own download() and
parse(), sequentially. The server runs in its own process so it does not share our GIL.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

WORDS = (
    "council harbour minister budget rail storm river energy market school hospital court "
    "union airport festival museum bridge election tariff farm port vote plan report police "
    "housing water price wage data survey license coast city village company factory"
).split()


def page_html(n: int) -> str:
    rng = random.Random(n)
    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.choice(WORDS)} update {n}"
    paragraphs = []
    for _ in range(10):
        sentences = []
        for _ in range(3):
            words = [rng.choice(WORDS) for _ in range(18)]
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(f"<p>{' '.join(sentences)}</p>")
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        f"<meta property='article:published_time' content='2026-11-24T08:00:00Z'>"
        f"<link rel='canonical' href='https://bench.example/p/{n}'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1><p class='byline'>By Bench Writer</p>"
        f"{''.join(paragraphs)}</article><aside>Advertisement</aside>"
        f"<footer>All rights reserved</footer></body></html>"
    )


# Feeds and pages are spread over this many loopback addresses (127.0.0.1 … 127.0.0.8), as the
# real web spreads them over many hosts: the per-host limit then works as it would there.
HOSTS = 8


def host(n: int) -> str:
    return f"127.0.0.{n % HOSTS + 1}"


def feed_xml(feed: int, items: int, pages: int, port: int) -> str:
    def link(i: int) -> str:
        page = (feed * items + i) % pages
        return f"http://{host(page)}:{port}/p/{page}.html"

    entries = "".join(
        f"<item><title>Item {feed}-{i}</title>"
        f"<link>{link(i)}</link>"
        f"<description>Summary of item {i}.</description>"
        f"<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate></item>"
        for i in range(items)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench feed {feed}</title>"
        f"<link>http://bench.example/</link>{entries}</channel></rss>"
    )


def serve(port_queue: multiprocessing.Queue, items: int, pages: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            port = self.server.server_address[1]
            if self.path.startswith("/f/"):
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = feed_xml(int(self.path[3:-4]), items, pages, port).encode()
                kind = "application/rss+xml"
            elif self.path.startswith("/p/"):
                body = page_html(int(self.path[3:-5])).encode()
                kind = "text/html; charset=utf-8"
            else:
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # clients closing kept-alive connections at exit: not worth a traceback

    first = Server(("127.0.0.1", 0), Handler)
    port = first.server_address[1]
    servers = [first] + [Server((host(n), port), Handler) for n in range(1, HOSTS)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port_queue.put(port)
    threading.Event().wait()


MEASURE = """
import json, resource, sys, time
from aibot.config import load_config
from aibot.collect.stage import collect
from aibot.store import Store
config = load_config(sys.argv[1])
with Store(config.cache_file) as store:
    for label in ("cold", "warm"):
        started = time.perf_counter()
        report = collect(config, store)
        seconds = time.perf_counter() - started
        rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
               + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(json.dumps({"run": label, "seconds": seconds, "new": report.articles_new,
                          "feeds_ok": report.feeds_ok, "failed": report.articles_failed,
                          "rss_mb": rss / 1024}))
"""

BASELINE = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import feedparser, newspaper, requests
port, feeds = int(sys.argv[1]), int(sys.argv[2])
started = time.perf_counter()
links = []
for f in range(feeds):
    data = requests.get(f"http://127.0.0.{f % 8 + 1}:{port}/f/{f}.xml", timeout=20).content
    links += [e.link for e in feedparser.parse(data).entries]
links = list(dict.fromkeys(links))
config = newspaper.Config(); config.fetch_images = False
done = 0
for link in links:
    page = newspaper.Article(link, config=config)
    page.download(); page.parse(); done += bool(page.text)
print(json.dumps({"run": "baseline", "seconds": time.perf_counter() - started, "new": done}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--thorough", action="store_true", help="collect.thorough_extraction")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(ports, args.items, args.pages), daemon=True
    )
    server.start()
    port = ports.get(timeout=10)
    import json

    results: dict[str, list[dict]] = {"cold": [], "warm": [], "baseline": []}
    try:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                config = Path(folder) / "aibot.yaml"
                config.write_text(yaml.safe_dump({
                    "feeds": [{"url": f"http://{host(f)}:{port}/f/{f}.xml", "name": f"Feed {f}"}
                              for f in range(args.feeds)],
                    "collect": {"allow_private_hosts": True, "max_age_hours": 0,
                                "thorough_extraction": args.thorough},
                }))  # fmt: skip
                out = subprocess.run([sys.executable, "-c", MEASURE, str(config)],
                                     capture_output=True, text=True, check=True)  # fmt: skip
                for line in out.stdout.splitlines():
                    row = json.loads(line)
                    results[row["run"]].append(row)
            if args.baseline:
                out = subprocess.run([sys.executable, "-c", BASELINE, str(port), str(args.feeds)],
                                     capture_output=True, text=True, check=True)  # fmt: skip
                results["baseline"].append(json.loads(out.stdout))
    finally:
        server.terminate()

    print(f"{args.feeds} feeds x {args.items} items, {args.pages} pages; median of {args.runs}")
    print("| run | seconds | articles | articles/s | peak RSS MB |")
    print("|---|---|---|---|---|")
    for label, rows in results.items():
        if not rows:
            continue
        seconds = statistics.median(r["seconds"] for r in rows)
        new = rows[0]["new"]
        rss = statistics.median(r["rss_mb"] for r in rows) if "rss_mb" in rows[0] else None
        rate = f"{new / seconds:.0f}" if new else "-"
        print(f"| {label} | {seconds:.2f} | {new} | {rate} | {f'{rss:.0f}' if rss else '-'} |")


if __name__ == "__main__":
    main()
