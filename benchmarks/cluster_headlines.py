"""BCubed precision/recall/F1 of aibot.cluster on labelled headlines, for several thresholds.

    python benchmarks/cluster_headlines.py [--data ../shared/data/clustering/uci_news_dev.jsonl]

Headlines are fed in time order, titles only (the UCI set has no article text). Orientation for
choosing `cluster.threshold`; not run by CI.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from aibot.cluster import cluster
from aibot.config import ClusterConfig
from aibot.models import Article, Story

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/clustering/uci_news_dev.jsonl"


def labelled_articles(path: Path) -> tuple[list[Article], dict[str, str]]:
    articles, labels = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        when = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        article = Article(row["url"], row["source"], row["title"], "", when)
        articles.append(article)
        labels[article.id] = str(row["story"])
    return articles, labels


def bcubed(stories: list[Story], labels: dict[str, str]) -> tuple[float, float, float]:
    predicted = {i: s.id for s in stories for i in s.article_ids}
    size_p = Counter(predicted.values())
    size_t = Counter(labels.values())
    both = Counter((predicted[i], labels[i]) for i in labels)
    n = len(labels)
    precision = sum(both[(predicted[i], labels[i])] / size_p[predicted[i]] for i in labels) / n
    recall = sum(both[(predicted[i], labels[i])] / size_t[labels[i]] for i in labels) / n
    return precision, recall, 2 * precision * recall / (precision + recall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--thresholds", default="0.15,0.2,0.25,0.3")
    args = parser.parse_args()
    articles, labels = labelled_articles(args.data)
    print(f"{len(articles)} headlines, {len(set(labels.values()))} labelled stories")
    print("threshold  stories  precision  recall  F1     seconds")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        started = time.perf_counter()
        stories = cluster(articles, (), ClusterConfig(threshold=threshold))
        seconds = time.perf_counter() - started
        p, r, f = bcubed(stories, labels)
        print(f"{threshold:<9}  {len(stories):<7}  {p:.3f}      {r:.3f}   {f:.3f}  {seconds:.1f}")


if __name__ == "__main__":
    main()
