"""BCubed of aibot.cluster over a grid of its two thresholds, on the labelled sets.

    python benchmarks/cluster_sweep.py [--data-dir ../shared/data/clustering]
        [--threshold 0.3,0.35,0.4] [--merge 0.25,0.27,0.3] [--embeddings]

How the defaults were chosen (and how to check them on other labelled news). The data sets,
their loading and the metric are those of cluster_quality.py; one call per setting, in time
order. With --embeddings the grid is over the embedding thresholds, the embeddings computed
once first (needs the embeddings extra). Not run by CI.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from cluster_quality import (
    DEFAULT_DATA_DIR,
    MULTINEWS_FILE,
    UCI_FILE,
    load_multinews,
    load_uci,
    score,
    time_order,
)

from aibot import embeddings
from aibot.cluster import cluster
from aibot.config import ClusterConfig


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--threshold", type=_floats, default=[0.3, 0.35, 0.4])
    parser.add_argument("--merge", type=_floats, default=[0.25, 0.27, 0.3])
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()
    datasets = [load_uci(args.data_dir / UCI_FILE), load_multinews(args.data_dir / MULTINEWS_FILE)]
    vectors: dict[str, list[float]] | None = None
    if args.embeddings:
        articles = [a for d in datasets for a in d.articles]
        texts = [embeddings.embedding_text(a) for a in articles]
        vectors = dict(zip((a.id for a in articles), embeddings.embed(texts), strict=True))
    print("| threshold | merge | data set | stories | P | R | F1 | s |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for threshold in args.threshold:
        for merge in args.merge:
            if vectors is None:
                settings = replace(ClusterConfig(), threshold=threshold, merge_threshold=merge)
            else:
                settings = replace(
                    ClusterConfig(), embedding_threshold=threshold, embedding_merge_threshold=merge
                )
            for data in datasets:
                started = time.perf_counter()
                stories = cluster(time_order(data.articles), (), settings, embeddings=vectors)
                seconds = time.perf_counter() - started
                s = score(stories, data.labels)
                print(
                    f"| {threshold} | {merge} | {data.name} | {s.clusters} | {s.precision:.3f} "
                    f"| {s.recall:.3f} | {s.f1:.3f} | {seconds:.2f} |"
                )


if __name__ == "__main__":
    main()
