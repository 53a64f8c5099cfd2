"""Full-text extraction benchmark: newspaper4k alone, trafilatura alone, and AiBot's `extract`.

    python benchmarks/extraction.py [--data ../shared/data/extraction] [--tokens ws|words]
                                    [--limit N] [--pages] [--ablation]

The data folder holds `ground-truth.json` ({id: {articleBody, url}}) and `html/<id>.html`
(the scrapinghub article-extraction-benchmark pages). The pages belong to their publishers: they
are read from --data at run time and never copied into this repository. The default --data is
`../shared/data/extraction` relative to the repository root.

Metric (4-token shingles, after the scrapinghub benchmark, with its conventions spelled out):
- tokens: the text lower-cased and split on white space (`--tokens ws`, the default), or
  lower-cased runs of word characters, `\\w+`, which ignores punctuation (`--tokens words`,
  close to the scrapinghub tokenizer, which is what the published figures use);
- shingles: the set of all runs of 4 consecutive tokens; a text of 1-3 tokens is one shingle;
- per page: P = |pred ∩ true| / |pred|, R = |pred ∩ true| / |true|; if both are empty
  P = R = 1; if only the prediction is empty P = R = 0 (an extractor that returns nothing, or
  crashes, is charged on both; scrapinghub instead leaves such a page out of the mean P);
- P and R are macro-averaged over pages; F1 = 2PR / (P + R) from the mean P and mean R.
Sets rather than scrapinghub's multisets, so a paragraph repeated twice counts once.

Each extractor's time is the wall time of its call per page, after one warm-up call (imports);
AiBot's `extract` runs both extractors and reads the metadata, so it costs about their sum.
`--ablation` adds trafilatura in the precision mode AiBot uses, tidied as AiBot tidies it, to
show what the combination adds beyond those two settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aibot.collect.extract import extract, tidy  # noqa: E402

SHINGLE = 4
_WORD = re.compile(r"\w+")


def tokens(text: str, mode: str) -> list[str]:
    text = (text or "").lower()
    return _WORD.findall(text) if mode == "words" else text.split()


def shingles(text: str, mode: str) -> set[tuple[str, ...]]:
    words = tokens(text, mode)
    if len(words) < SHINGLE:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def precision_recall(pred: str, true: str, mode: str) -> tuple[float, float]:
    predicted, expected = shingles(pred, mode), shingles(true, mode)
    if not predicted and not expected:
        return 1.0, 1.0
    if not predicted or not expected:
        return 0.0, 0.0
    both = len(predicted & expected)
    return both / len(predicted), both / len(expected)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_newspaper(html: str, url: str) -> str:
    """newspaper4k as AiBot configures it (no image probing, no nlp()); a crash is no text."""
    import newspaper

    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True
    page = newspaper.Article(url, config=config)
    try:
        page.download(input_html=html)
        page.parse()
    except Exception:  # noqa: BLE001 - scored as an empty prediction
        return ""
    return page.text or ""


def run_trafilatura(html: str, url: str) -> str:
    """trafilatura with its defaults, comments left out (as in the scrapinghub runner)."""
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


def run_trafilatura_tidy(html: str, url: str) -> str:
    """Ablation: trafilatura as AiBot runs it (precision mode) and tidies it, nothing else."""
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
    return tidy(text or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/extraction")
    parser.add_argument("--tokens", choices=("ws", "words"), default="ws")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--pages", action="store_true", help="also print per-page F1")
    parser.add_argument(
        "--ablation", action="store_true", help="also trafilatura in precision mode, tidied"
    )
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore")
    for name in ("trafilatura", "htmldate", "courlan", "justext", "newspaper"):
        logging.getLogger(name).addHandler(logging.NullHandler())
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[: args.limit or None]
    chosen: Counter[str] = Counter()

    def run_aibot(html: str, url: str) -> str:
        article = extract(html, url)
        chosen[article.extractor] += 1
        return article.text

    runners: dict[str, Callable[[str, str], str]] = {
        "newspaper4k": run_newspaper,
        "trafilatura": run_trafilatura,
    }
    if args.ablation:
        runners["trafilatura precision, tidied"] = run_trafilatura_tidy
    runners["AiBot extract"] = run_aibot
    runners["AiBot extract, thorough"] = lambda html, url: extract(html, url, thorough=True).text
    # Imports and first-call set-up are not per-page costs: pay them before timing.
    for run in runners.values():
        run("<html><body><p>Warm-up.</p></body></html>", "https://example.org/warm-up")
    chosen.clear()
    if args.pages:
        print("page", *(f"F1[{name}]" for name in runners), "url")
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
    seconds: dict[str, float] = dict.fromkeys(runners, 0.0)
    started = time.perf_counter()
    for page_id in ids:
        html = (args.data / "html" / f"{page_id}.html").read_bytes().decode("utf-8", "replace")
        url, body = truth[page_id]["url"], truth[page_id]["articleBody"]
        row = [page_id[:8]]
        for name, run in runners.items():
            begin = time.perf_counter()
            text = run(html, url)
            seconds[name] += time.perf_counter() - begin
            pr = precision_recall(text, body, args.tokens)
            scores[name].append(pr)
            row.append(f"{f1(*pr):.3f}")
        if args.pages:
            print(*row, url)
    total = time.perf_counter() - started

    tokenizer = "white-space split" if args.tokens == "ws" else "\\w+ runs"
    print(f"{len(ids)} pages; 4-token shingles ({tokenizer}, lower-cased); macro P and R; F1 of")
    print("the mean P and mean R")
    print()
    print("| extractor | F1 | precision | recall | ms/page |")
    print("|---|---|---|---|---|")
    for name in runners:
        precision = sum(p for p, _ in scores[name]) / len(ids)
        recall = sum(r for _, r in scores[name]) / len(ids)
        ms = 1000 * seconds[name] / len(ids)
        print(
            f"| {name} | {f1(precision, recall):.3f} | {precision:.3f} | {recall:.3f} | {ms:.0f} |"
        )
    print()
    print("AiBot's text came from:", ", ".join(f"{k} {v}" for k, v in chosen.most_common()))
    print(f"total {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
