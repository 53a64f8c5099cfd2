"""Junk detection: precision and recall on the test corpus, and what it flags in real documents.

    python benchmarks/junk.py [--data ../shared/data/summarization/multinews_dev.jsonl]
                              [--examples N] [--extraction ../shared/data/extraction]

1. The corpus in tests/fixtures/junk/ (written for the tests): junk pages against news pages
   (`junk_reason`), furniture lines against news sentences that look like furniture
   (`is_furniture`). Precision = flagged junk / all flagged, recall = flagged junk / all junk.
2. With --data (a Multi-News JSON Lines file, read at run time, never copied into this
   repository): how many source documents `junk_reason` flags, by kind, with the first 60
   characters of the first N flagged ones, and how many lines `without_furniture` takes out.
   These documents are not labelled: read the snippets to judge the flags.
3. With --extraction (the article-extraction set: `html/<id>.html` and `ground-truth.json`, read
   at run time): how many real article pages `junk_reason` flags (each one is an article, so
   every flag is a false one), how many sentences of the extracted texts `is_furniture` flags
   inside the annotated article body and outside it, and the time the checks take per page next
   to the time `extract` takes on the same pages, in the same run (after one warm-up page).
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
from aibot.support.text import sentences  # noqa: E402

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


def extraction_set(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {i: (folder / "html" / f"{i}.html").read_bytes() for i in sorted(truth)}
    extract(next(iter(pages.values())), "https://example.org/warm-up")
    start = time.perf_counter()
    articles = {i: extract(page, truth[i].get("url") or "https://example.org/a")
                for i, page in pages.items()}  # fmt: skip
    extracting = time.perf_counter() - start
    start = time.perf_counter()
    for article in articles.values():
        junk_reason(article.text, article.title)
        without_furniture(article.text)
    checking = time.perf_counter() - start
    flagged = [i for i, a in articles.items() if junk_reason(a.text, a.title)]
    inside = outside = 0
    for i, article in articles.items():
        body = " ".join(truth[i]["articleBody"].split()).lower()
        for line in article.text.split("\n"):
            for sentence in sentences(line):
                if is_furniture(sentence):
                    if " ".join(sentence.split()).lower() in body:
                        inside += 1
                    else:
                        outside += 1
    print(f"\n{len(pages)} article pages: {len(flagged)} flagged as junk {flagged}; furniture "
          f"sentences: {inside} inside the annotated body, {outside} outside it")  # fmt: skip
    print(f"extract {1000 * extracting / len(pages):.1f} ms/page, junk checks "
          f"{1000 * checking / len(pages):.1f} ms/page "
          f"({100 * checking / extracting:.1f} % of extraction)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a Multi-News JSON Lines file")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--extraction", type=Path, help="the article-extraction set's folder")
    args = parser.parse_args()
    corpus()
    if args.data:
        documents(args.data, args.examples)
    if args.extraction:
        extraction_set(args.extraction)


if __name__ == "__main__":
    main()
