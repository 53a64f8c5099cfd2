"""Sentence splitters compared: AiBot's rules against segmenter libraries, in one run.

    python benchmarks/sentences.py [--data ../shared/data/summarization/multinews_dev.jsonl]
                                   [--paragraphs 2000] [--runs 3] [--before REV] [--misses NAME]
                                   [--cases FILE] [--writer]

Install the candidates first (they are not AiBot's dependencies):
    pip install pysbd nupunkt sentencex syntok blingfire
A candidate that is not installed is listed as such and skipped.

What is measured, for each splitter:
- cases: how many of the paragraphs of tests/fixtures/sentences/cases.txt (written for this
  project: abbreviations, initials, amounts, ellipses, web addresses, lists, quotations,
  brackets) it splits exactly into the expected sentences, after stripping white space.
- speed on 2,000 paragraphs (--paragraphs): thousands of sentences per second, where the
  sentences are counted by the reference (the corpus's expected sentences; for --data, the
  sentences AiBot's splitter finds), so that every splitter is timed on the same work; CPU
  time, the median of --runs runs. Without --data the corpus's paragraphs are repeated to that
  count; with --data the first paragraphs (lines, white space collapsed) of the Multi-News
  documents are used too. The Multi-News text is read at run time and never printed.
- installed size of the package's own files (from its installed RECORD; dependencies not
  counted).

--before REV adds AiBot's splitter as it was at git revision REV (aibot/support/sentences.py, or at
older revisions aibot/sentences.py or aibot/text.py), to compare with an earlier rule set. --misses
NAME prints the cases a splitter gets wrong. --writer (with --data and --before) also times the
offline writer (`ExtractiveWriter().write`) on each Multi-News story with each of the two AiBot
splitters in turn, alternating them so that both see the same load: median CPU time per story over
--runs calls, and how many drafts the change of splitter changes. Not run by CI.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aibot.support.text import sentences as aibot_sentences  # noqa: E402
from tests.support.test_sentences import CASES_FILE, read_cases  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "summarization" / "multinews_dev.jsonl"
Splitter = Callable[[str], list[str]]


def candidates(before: str | None) -> dict[str, tuple[str, Splitter | str]]:
    """name -> (package for version and size, splitter or the reason it is missing)."""
    found: dict[str, tuple[str, Splitter | str]] = {"AiBot rules": ("aibot", aibot_sentences)}
    if before:
        found[f"AiBot at {before}"] = ("aibot", _aibot_at(before))
    for name, load in [
        ("pysbd", _pysbd),
        ("nupunkt", _nupunkt),
        ("sentencex", _sentencex),
        ("syntok", _syntok),
        ("blingfire", _blingfire),
    ]:
        try:
            found[name] = (name, load())
        except ImportError as error:
            found[name] = (name, f"not installed ({error})")
    return found


def _aibot_at(revision: str) -> Splitter:
    for path in ("aibot/support/sentences.py", "aibot/sentences.py", "aibot/text.py"):
        shown = subprocess.run(
            ["git", "show", f"{revision}:{path}"], cwd=REPO, capture_output=True, text=True
        )
        if shown.returncode == 0:
            module = types.ModuleType(f"aibot_at_{revision}")
            exec(compile(shown.stdout, path, "exec"), module.__dict__)  # our own code, from git
            return module.sentences
    raise SystemExit(f"--before {revision}: no sentence splitter module there")


def _pysbd() -> Splitter:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter.segment


def _nupunkt() -> Splitter:
    import nupunkt

    return nupunkt.sent_tokenize


def _sentencex() -> Splitter:
    import sentencex

    return lambda text: list(sentencex.segment("en", text))


def _syntok() -> Splitter:
    from syntok import segmenter

    def split(text: str) -> list[str]:
        return [
            "".join(token.spacing + token.value for token in sentence)
            for paragraph in segmenter.analyze(text)
            for sentence in paragraph
        ]

    return split


def _blingfire() -> Splitter:
    import blingfire

    return lambda text: blingfire.text_to_sentences(text).split("\n")


def stripped(parts: list[str]) -> list[str]:
    return [p.strip() for p in parts if p.strip()]


def news_paragraphs(path: Path, count: int) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as rows:
        for row in rows:
            for document in json.loads(row)["documents"]:
                for line in document.splitlines():
                    if line.strip():
                        out.append(" ".join(line.split()))
                    if len(out) == count:
                        return out
    return out


def sentences_per_second(
    split: Splitter, paragraphs: list[str], sentences: int, runs: int
) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()  # CPU time: other programs' load counts less
        for paragraph in paragraphs:
            split(paragraph)
        times.append(time.process_time() - started)
    return sentences / statistics.median(times)


def installed_size(package: str) -> str:
    try:
        files = importlib.metadata.files(package) or []
    except importlib.metadata.PackageNotFoundError:
        return "-"
    total = sum(f.size or 0 for f in files)
    return f"{total / 1e6:.1f} MB"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help=f"e.g. {DEFAULT_DATA}")
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="a git revision: add AiBot's splitter as it was there")
    parser.add_argument("--misses", help="print the cases this splitter gets wrong")
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help="a corpus file")
    parser.add_argument("--writer", action="store_true", help="time the offline writer too")
    args = parser.parse_args()

    cases = read_cases(args.cases)
    corpus = [cases[n % len(cases)] for n in range(args.paragraphs)]
    corpus_paragraphs = [case.paragraph for case in corpus]
    corpus_sentences = sum(len(case.expected) for case in corpus)
    news = news_paragraphs(args.data, args.paragraphs) if args.data else []
    news_sentences = sum(len(aibot_sentences(p)) for p in news)

    header = f"| splitter | version | exact cases (of {len(cases)}) | k sentences/s, cases |"
    rule = "|---|---|---:|---:|"
    if news:
        header += f" k sentences/s, {len(news):,} news paragraphs |"
        rule += "---:|"
    print(header + " installed size |")
    print(rule + "---:|")
    for name, (package, split) in candidates(args.before).items():
        if isinstance(split, str):
            print(f"| {name} | {split} |")
            continue
        misses = [c for c in cases if stripped(split(c.paragraph)) != c.expected]
        speed = sentences_per_second(split, corpus_paragraphs, corpus_sentences, args.runs)
        row = f"| {name} | {version(package)} | {len(cases) - len(misses)} | {speed / 1000:.1f} |"
        if news:
            news_speed = sentences_per_second(split, news, news_sentences, args.runs)
            row += f" {news_speed / 1000:.1f} |"
        size = "-" if package == "aibot" else installed_size(package)
        print(f"{row} {size} |")
        if name == args.misses:
            for case in misses:
                print(f"    line {case.line} ({case.group}): {stripped(split(case.paragraph))}")
    if args.writer and args.data and args.before:
        print()
        writer_table(
            args.data,
            {"AiBot rules": aibot_sentences, args.before: _aibot_at(args.before)},
            args.runs,
        )


def writer_table(data: Path, splitters: dict[str, Splitter], runs: int) -> None:
    """CPU ms per story of the offline writer with each splitter, alternating them."""
    from aibot.models import Article, Story
    from aibot.write import extractive

    start = datetime(2024, 1, 1, tzinfo=UTC)
    times: dict[str, list[float]] = {name: [] for name in splitters}
    changed = 0
    with data.open(encoding="utf-8") as rows:
        for number, row in enumerate(rows):
            documents = json.loads(row)["documents"]
            articles = [
                Article(
                    url=f"https://doc{k}.example/{number}/",
                    source=f"Outlet {chr(ord('A') + k)}",
                    title=f"Story {number} document {k}",
                    text=document,
                    published=start + timedelta(days=number, hours=k),
                )
                for k, document in enumerate(documents)
            ]
            story = Story(
                id=str(number),
                article_ids=[a.id for a in articles],
                title=articles[0].title,
                first_seen=articles[0].published,
                last_seen=articles[-1].published,
            )
            texts, story_times = set(), {name: [] for name in splitters}
            for _ in range(runs):
                for name, split in splitters.items():
                    extractive.sentences = split
                    started = time.process_time()
                    texts.add(extractive.ExtractiveWriter().write(story, articles).text())
                    story_times[name].append(time.process_time() - started)
            changed += len(texts) > 1
            for name in splitters:
                times[name].append(statistics.median(story_times[name]))
    extractive.sentences = aibot_sentences
    print("| offline writer with | CPU ms/story (median) | CPU s, all stories |")
    print("|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values) * 1000:.1f} | {sum(values):.2f} |")
    print(f"\nDrafts that differ between the two splitters: {changed} of {len(times[name])}")


if __name__ == "__main__":
    main()
