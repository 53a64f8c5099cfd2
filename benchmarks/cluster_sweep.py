"""Leave-one-dataset-out choice of aibot.cluster.stories's thresholds, on every labelled dev set.

    python benchmarks/cluster_sweep.py [--data-dir ../shared/data/clustering] [--tfidf]
        [--threshold 0.3,0.35,0.4] [--merge 0.3,0.35,0.4] [--one-call]

Every setting of the grid clusters every dev set of benchmarks/devsets.py, fed as hourly runs
(as the pipeline does; --one-call: all in one call). Then, for each set in turn, the setting
with the best worst-case F1 over the OTHER sets is chosen (within 0.01 of it, the one with the
best worst-case precision) and scored on the set left out: a setting that only suits the files
it was chosen on shows up as a drop there. Last, the setting chosen in the same way over all
sets, which is how the defaults are chosen.

With the embedding model installed (the default), the grid is over `embedding_merge_threshold`,
the bar for merging stories of full texts (a headline's join and the merge of two stories of
headlines are decided by learned probabilities: benchmarks/cluster_fit.py), the embeddings
computed once first; --tfidf sweeps the TF-IDF thresholds with embeddings off. Not run by CI.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace
from pathlib import Path

from devsets import DEFAULT_DATA_DIR, DataSet, Score, bcubed, hourly, load_all, one_call

from aibot.cluster import embeddings
from aibot.config import ClusterConfig

# Worst-case F1 this close to the best counts as a tie, settled by precision.
TOLERANCE = 0.01


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def embeddings_of(datasets: list[DataSet]) -> dict[str, dict[str, list[float]]]:
    """Set name -> article id -> embedding, computed once."""
    found = {}
    for data in datasets:
        texts = [embeddings.embedding_text(a) for a in data.articles]
        vectors = embeddings.embed(texts)
        found[data.name] = dict(zip((a.id for a in data.articles), vectors, strict=True))
    return found


def worst(scores: dict[str, Score], names: list[str]) -> float:
    return min(scores[n].f1 for n in names)


def choose(grid: dict[tuple[float, float], dict[str, Score]], names: list[str]):
    """The setting with the best worst-case F1 over `names`; among those within TOLERANCE of
    it, the one with the best worst-case precision (a post that mixes two stories is worse than
    a story that waits for another run)."""
    best = max(worst(scores, names) for scores in grid.values())
    near = [k for k, scores in grid.items() if worst(scores, names) >= best - TOLERANCE]
    return max(near, key=lambda k: (min(grid[k][n].precision for n in names), k))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--threshold", type=_floats, default=None)
    parser.add_argument("--merge", type=_floats, default=None)
    parser.add_argument("--tfidf", action="store_true", help="embeddings off")
    parser.add_argument("--one-call", action="store_true", help="one call instead of hourly")
    args = parser.parse_args()
    datasets = load_all(args.data_dir)
    use_embeddings = not args.tfidf and embeddings.available()
    meanings = embeddings_of(datasets) if use_embeddings else {}
    base = ClusterConfig(embeddings="auto" if use_embeddings else "off")
    if use_embeddings:
        first = [ClusterConfig().embedding_threshold]
        second = args.merge or [0.3, 0.35, 0.4]
        keys = ("embedding_threshold", "embedding_merge_threshold")
    else:
        first = args.threshold or [0.3, 0.35, 0.4]
        second = args.merge or [0.25, 0.3, 0.35]
        keys = ("threshold", "merge_threshold")
    feed = one_call if args.one_call else hourly
    print(f"feed: {'one call' if args.one_call else 'hourly runs'}; grid over {', '.join(keys)}")
    grid: dict[tuple[float, float], dict[str, Score]] = {}
    for a, b in itertools.product(first, second):
        settings = replace(base, **dict(zip(keys, (a, b), strict=True)))
        started = time.perf_counter()
        grid[a, b] = {
            d.name: bcubed(feed(d, settings, embeddings=meanings.get(d.name)), d.labels)
            for d in datasets
        }
        row = "  ".join(f"{n} {s.f1:.3f}/{s.precision:.3f}" for n, s in grid[a, b].items())
        print(f"{a:.2f} {b:.2f}  worst F1 {worst(grid[a, b], list(grid[a, b])):.3f}  {row}  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    names = [d.name for d in datasets]
    print("\nLeave one data set out (setting chosen by the worst F1 of the others):")
    print("| left out | chosen | F1 left out | P | R | best F1 possible on it |")
    print("|---|---|---:|---:|---:|---:|")
    rows = []
    for name in names:
        others = [n for n in names if n != name]
        chosen = choose(grid, others)
        score = grid[chosen][name]
        best = max(s[name].f1 for s in grid.values())
        rows.append((score.f1, name, chosen, score, best))
    for f1, name, chosen, score, best in sorted(rows):
        print(f"| {name} | {chosen[0]:.2f} / {chosen[1]:.2f} | {f1:.3f} | {score.precision:.3f} "
              f"| {score.recall:.3f} | {best:.3f} |")  # fmt: skip
    chosen = choose(grid, names)
    print(f"\nBest worst-case over all sets: {keys[0]} {chosen[0]}, {keys[1]} {chosen[1]}")
    for name, score in sorted(grid[chosen].items(), key=lambda kv: kv[1].f1):
        print(f"  {name}: F1 {score.f1:.3f} P {score.precision:.3f} R {score.recall:.3f}")


if __name__ == "__main__":
    main()
