"""Story clustering under other draws of time: every dev set whose times are synthetic, fed as
hourly runs with its times drawn again from several seeds.

    python benchmarks/cluster_times.py [--seeds 1,2,3,4,5,6,7,8] [--data-dir DIR]

The UCI sets and Multi-News have no publication times that can be trusted, so `devsets.py`
gives each story a random start and its articles exponential delays, from one seed. A setting
chosen on one draw can ride on it: two stories about one person may happen to start a day apart
in one draw and an hour apart in another. For each seed and each set, the times are drawn again
in two ways: as the dev sets draw them (a 72-hour window, delays of 5 hours on average) and as
`e2e_news.py` serves its news (40 hours, 3 hours). The demo sample and the labelled fixture
have real times and are clustered once. Prints BCubed F1 and precision per set and way:
median and worst over the seeds, worst set first.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from cluster_sweep import embeddings_of
from devsets import DEFAULT_DATA_DIR, bcubed, hourly, load_all, seed_list, with_times_drawn

from aibot.config import ClusterConfig

# (name, window hours, mean delay hours)
DRAWS = (("dev sets' draw", 72.0, 5.0), ("e2e_news.py's draw", 40.0, 3.0))
REAL_TIMES = ("demo sample", "labelled fixture")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds", type=seed_list, default=list(range(1, 9)))
    args = parser.parse_args()
    started = time.perf_counter()
    datasets = load_all(args.data_dir)
    meanings = embeddings_of(datasets)
    settings = ClusterConfig()
    rows = []
    for data in datasets:
        vectors = meanings[data.name]
        if data.name in REAL_TIMES:
            score = bcubed(hourly(data, settings, embeddings=vectors), data.labels)
            rows.append((data.name, "its own times", [score]))
            continue
        for name, window, mean_delay in DRAWS:
            scores = []
            for seed in args.seeds:
                drawn = with_times_drawn(data, seed, window=window, mean_delay=mean_delay)
                scores.append(bcubed(hourly(drawn, settings, embeddings=vectors), data.labels))
            rows.append((data.name, name, scores))
    print(f"# Hourly runs, seeds {','.join(map(str, args.seeds))}, ClusterConfig defaults\n")
    print("| data set (worst first) | times | F1 median | F1 worst | P median | P worst |")
    print("|---|---|---:|---:|---:|---:|")
    for data_name, draw, scores in sorted(rows, key=lambda row: min(s.f1 for s in row[2])):
        f1 = [s.f1 for s in scores]
        precision = [s.precision for s in scores]
        print(
            f"| {data_name} | {draw} | {statistics.median(f1):.3f} | {min(f1):.3f} | "
            f"{statistics.median(precision):.3f} | {min(precision):.3f} |"
        )
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
