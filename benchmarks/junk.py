"""Junk detection: precision and recall on the test corpus, and what it flags in real documents.

    python benchmarks/junk.py [--data ../shared/data/summarization/multinews_dev.jsonl]
                              [--examples N] [--pages ../shared/data/extraction/html --limit N]

1. The corpus in tests/fixtures/junk/ (written for the tests): junk pages against news pages
   (`junk_reason`), furniture lines against news sentences that look like furniture
   (`is_furniture`). Precision = flagged junk / all flagged, recall = flagged junk / all junk.
2. With --data (a Multi-News JSON Lines file, read at run time, never copied into this
   repository): how many source documents `junk_reason` flags, by kind, with the first 60
   characters of the first N flagged ones, and how many lines `without_furniture` takes out.
   These documents are not labelled: read the snippets to judge the flags.
3. With --pages (a folder of article pages, read at run time): the time `junk_reason` and
   `without_furniture` take per page next to the time `extract` takes on the same pages, in the
   same run (after one warm-up page).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aibot.collect.extract import extract  # noqa: E402
from aibot.collect.junk import is_furniture, junk_reason, without_furniture  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "junk"


def _lines(name: str) -> list[str]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _scores(flags_on_junk: list[bool], flags_on_news: list[bool]) -> tuple[float, float]:
    true = sum(flags_on_junk)
    false = sum(flags_on_news)
    precision = true / (true + false) if true + false else 1.0
    return precision, true / len(flags_on_junk)


def corpus() -> None:
    junk = yaml.safe_load((CORPUS / "junk_pages.yaml").read_text(encoding="utf-8"))
    news = yaml.safe_load((CORPUS / "news_pages.yaml").read_text(encoding="utf-8"))
    pages = _scores(
        [junk_reason(p["text"], p["title"]) is not None for p in junk],
        [junk_reason(p["text"], p["title"]) is not None for p in news],
    )
    furniture, sentences = _lines("furniture.txt"), _lines("news_sentences.txt")
    lines = _scores([is_furniture(s) for s in furniture], [is_furniture(s) for s in sentences])
    print("| what | junk items | news items | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    print(f"| pages (junk_reason) | {len(junk)} | {len(news)} | {pages[0]:.3f} | {pages[1]:.3f} |")
    print(f"| lines (is_furniture) | {len(furniture)} | {len(sentences)} | {lines[0]:.3f} | "
          f"{lines[1]:.3f} |")  # fmt: skip


def documents(path: Path, examples: int) -> None:
    docs = [d for line in path.open(encoding="utf-8") for d in json.loads(line)["documents"]]
    kinds: Counter[str] = Counter()
    shown = []
    removed = 0
    for doc in docs:
        reason = junk_reason(doc)
        if reason:
            kinds[reason.split(":")[0]] += 1
            shown.append(f"{reason.split(':')[0]}: {' '.join(doc[:60].split())!r}")
        kept = {" ".join(line.split()) for line in without_furniture(doc).split("\n")}
        removed += sum(1 for line in doc.split("\n") if line.strip() and
                       " ".join(line.split()) not in kept)  # fmt: skip
    flagged = sum(kinds.values())
    print(f"\n{path.name}: {flagged} of {len(docs)} documents flagged as junk "
          f"({', '.join(f'{k} {n}' for k, n in kinds.most_common())}); "
          f"{removed} lines changed or removed as furniture")  # fmt: skip
    for line in shown[:examples]:
        print(f"  {line}")


def cost(folder: Path, limit: int) -> None:
    pages = [p.read_bytes() for p in sorted(folder.glob("*.html"))[:limit]]
    extract(pages[0], "https://example.org/warm-up")
    start = time.perf_counter()
    articles = [extract(page, "https://example.org/a") for page in pages]
    extracting = time.perf_counter() - start
    start = time.perf_counter()
    for article in articles:
        junk_reason(article.text, article.title)
        without_furniture(article.text)
    checking = time.perf_counter() - start
    print(f"\n{len(pages)} pages: extract {1000 * extracting / len(pages):.1f} ms/page, junk "
          f"checks {1000 * checking / len(pages):.1f} ms/page "
          f"({100 * checking / extracting:.1f} % of extraction)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a Multi-News JSON Lines file")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--pages", type=Path, help="a folder of article pages (*.html)")
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args()
    corpus()
    if args.data:
        documents(args.data, args.examples)
    if args.pages:
        cost(args.pages, args.limit)


if __name__ == "__main__":
    main()
