"""Fit the same-story probability of aibot.cluster (JOIN_INTERCEPT, JOIN_COEFFICIENTS) and
check that it holds on a dev set it was not fitted on.

    python benchmarks/cluster_fit.py [--data-dir ../shared/data/clustering] [--rounds 1]
        [--merge] [--merged-labels]

Pairs: every dev set of benchmarks/devsets.py is fed as hourly runs (as the pipeline does) with
the shipped coefficients, and every article-story pair the join step scores is kept with its
`JoinEvidence` and whether the article's label is the story's most common label. So the pairs
are the decisions the pipeline makes, not all pairs of the set, with one difference: while
pairs are collected, full texts are judged by the probability too (`FIT_ON_FULL_TEXTS`). The
pipeline judges them by the blended similarity (they mixed stories end to end), but their few
pairs anchor the fit: fitted on headline pairs alone, the embedding's weight fell to 0 and the
held-out stream lost precision (F1 0.746, P 0.705). `--rounds N` collects the pairs
again with the coefficients fitted in the round before.

Fit: a logistic regression (Newton's method, written here with numpy: a dozen lines, where
scikit-learn would be a dependency for one call), the features standardised, an L2 penalty of 1,
each set weighing the same however many pairs it has. Evidence of sameness must not count
against joining, nor a longer gap for it: a coefficient of the wrong sign is set to 0 and the
rest fitted again.

Then, for each set in turn, the coefficients fitted on the OTHER sets cluster it in hourly
runs (BCubed F1, P, R), worst first; last, the coefficients fitted on every set, to paste into
aibot/cluster/stories.py. `--merged-labels` collects the pairs and scores against the headline
sets' labels merged where one headline stands under two stories (`devsets.merged_by_headline`),
and also scores each held-out fit against the labels as given. Not run by CI.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy
from cluster_sweep import embeddings_of
from devsets import (
    DEFAULT_DATA_DIR,
    DataSet,
    Score,
    bcubed,
    hourly,
    load_all,
    merged_by_headline,
    one_call,
)

from aibot.cluster import stories as clustering
from aibot.config import ClusterConfig

# +1: the coefficient must not be negative; -1: not positive; 0: either.
JOIN_SIGNS = {
    "semantic": 1,
    "shared_numbers": 1,
    "gap": -1,
    "age": 0,
    "full_text": 0,
    "story_size": 0,
    "shared_names": 1,
    "lead_name_found": 1,
}
MERGE_SIGNS = {
    "lexical": 1,
    "semantic": 1,
    "gap": -1,
    "span": 0,
    "shared_names": 1,
    "shared_numbers": 1,
    "smaller_size": 0,
    "larger_size": 0,
    "lead_names_found": 1,
}
L2 = 1.0
# Each set weighs the same, except that a set of few pairs weighs less: n / (n + SMALL_SET).
SMALL_SET = 100

Model = tuple[float, dict[str, float]]
Pairs = list[tuple[tuple[float, ...], int]]


class Decision:
    """One of the two fitted decisions: an article joining a story, or two stories merging."""

    def __init__(self, prefix: str, signs: dict[str, int]) -> None:
        self.prefix, self.signs, self.fields = prefix, signs, tuple(signs)

    def shipped(self) -> Model:
        return (
            getattr(clustering, f"{self.prefix}_INTERCEPT"),
            dict(getattr(clustering, f"{self.prefix}_COEFFICIENTS")),
        )

    def install(self, model: Model) -> None:
        setattr(clustering, f"{self.prefix}_INTERCEPT", model[0])
        setattr(clustering, f"{self.prefix}_COEFFICIENTS", dict(model[1]))


JOIN = Decision("JOIN", JOIN_SIGNS)
MERGE = Decision("MERGE", MERGE_SIGNS)


def _majority(data: DataSet, ids) -> str | None:
    return Counter(data.labels.get(i) for i in ids).most_common(1)[0][0]


def clustered(
    data: DataSet,
    model: Model,
    meanings,
    pairs: Pairs | None = None,
    decision: Decision = JOIN,
    feed=hourly,
) -> Score:
    """BCubed of the set fed by `feed` (hourly runs, or one call) with `model` for `decision`;
    the scored pairs go to `pairs`."""
    join_evidence = clustering._Group.join_evidence
    merge_evidence = clustering._Group.merge_evidence

    def joining(group, article_id, *args, terms):
        # The join step first asks for a bound (terms: all the story's terms) for every story
        # in reach, then for the evidence itself only where the bound can win: the pair is
        # kept at the first call, with the evidence itself, so every story in reach counts.
        if terms is not group.summary:
            evidence = join_evidence(group, article_id, *args, terms=group.summary)
            same = _majority(data, group.story.article_ids) == data.labels.get(article_id)
            pairs.append((tuple(evidence), int(same)))
        return join_evidence(group, article_id, *args, terms=terms)

    def merging(group, other, *args):
        evidence = merge_evidence(group, other, *args)
        same = _majority(data, group.story.article_ids) == _majority(data, other.story.article_ids)
        pairs.append((tuple(evidence), int(same)))
        return evidence

    saved = decision.shipped()
    if pairs is not None and decision is JOIN:
        clustering._Group.join_evidence = joining
        clustering.FIT_ON_FULL_TEXTS = True
    if pairs is not None and decision is MERGE:
        clustering._Group.merge_evidence = merging
    decision.install(model)
    try:
        return bcubed(feed(data, ClusterConfig(), embeddings=meanings), data.labels)
    finally:
        clustering._Group.join_evidence = join_evidence
        clustering._Group.merge_evidence = merge_evidence
        clustering.FIT_ON_FULL_TEXTS = False
        decision.install(saved)


def fit(pair_sets: list[Pairs], decision: Decision = JOIN) -> Model:
    """Logistic regression over the pairs of every set given, each set weighing the same, with
    the signs of the decision's fields kept."""
    fields, signs = decision.fields, decision.signs
    x = numpy.vstack([numpy.array([p[0] for p in pairs]) for pairs in pair_sets])
    y = numpy.concatenate([numpy.array([p[1] for p in pairs]) for pairs in pair_sets])
    weight = numpy.concatenate([numpy.full(len(p), 1 / (len(p) + SMALL_SET)) for p in pair_sets])
    weight *= len(y) / weight.sum()
    kept = list(range(len(fields)))
    while True:
        intercept, coefficients = _logistic(x[:, kept], y, weight)
        wrong = [
            (signs[fields[k]] * c, k)
            for k, c in zip(kept, coefficients, strict=True)
            if signs[fields[k]] * c < 0
        ]
        if not wrong:
            break
        kept.remove(min(wrong)[1])
    found = dict.fromkeys(fields, 0.0)
    found.update({fields[k]: float(c) for k, c in zip(kept, coefficients, strict=True)})
    return float(intercept), found


def _logistic(x, y, weight) -> tuple[float, list[float]]:
    """Weighted, L2-penalised logistic regression by Newton's method on standardised
    features; the coefficients returned are for the features as given."""
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread == 0] = 1.0
    z = numpy.hstack([numpy.ones((len(x), 1)), (x - mean) / spread])
    penalty = numpy.full(z.shape[1], L2)
    penalty[0] = 0.0  # the intercept is not shrunk
    beta = numpy.zeros(z.shape[1])
    for _ in range(100):
        p = 1 / (1 + numpy.exp(-z @ beta))
        gradient = z.T @ (weight * (p - y)) + penalty * beta
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + numpy.diag(penalty)
        step = numpy.linalg.solve(hessian, gradient)
        beta -= step
        if numpy.abs(step).max() < 1e-9:
            break
    coefficients = beta[1:] / spread
    return float(beta[0] - coefficients @ mean), coefficients.tolist()


def _shown(model: Model) -> str:
    intercept, coefficients = model
    terms = ", ".join(f"{k} {v:+.2f}" for k, v in coefficients.items())
    return f"intercept {intercept:+.2f}, {terms}"


def _both(data: DataSet, model: Model, meanings, decision: Decision) -> tuple[Score, Score]:
    """BCubed fed as hourly runs and in one call."""
    return (
        clustered(data, model, meanings, decision=decision),
        clustered(data, model, meanings, decision=decision, feed=one_call),
    )


def _cells(score: Score) -> str:
    return f"{score.f1:.3f} | {score.precision:.3f} | {score.recall:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--merge", action="store_true", help="fit the merge, not the join")
    parser.add_argument(
        "--merged-labels",
        action="store_true",
        help="fit and score against the labels merged where a headline stands under two stories",
    )
    args = parser.parse_args()
    decision = MERGE if args.merge else JOIN
    given = load_all(args.data_dir)
    datasets = given
    if args.merged_labels:
        datasets = [replace(d, labels=merged_by_headline(d)) for d in given]
    meanings = embeddings_of(datasets)
    model = decision.shipped()
    for round_ in range(args.rounds):
        pairs: dict[str, Pairs] = {d.name: [] for d in datasets}
        print(f"round {round_ + 1}: pairs collected with {_shown(model)}")
        for data in datasets:
            found = pairs[data.name]
            score = clustered(data, model, meanings[data.name], found, decision)
            if decision is MERGE:  # a site's first run clusters its backlog in one call
                clustered(data, model, meanings[data.name], found, decision, feed=one_call)
            same = sum(label for _, label in found)
            print(f"  {data.name}: {len(found)} pairs ({same} same story); hourly "
                  f"F1 {score.f1:.3f} P {score.precision:.3f} R {score.recall:.3f}")  # fmt: skip
        model = fit([p for p in pairs.values() if p], decision)
    print("\nLeave one data set out (fitted on the others, scored on it):")
    print("| left out (worst first) | hourly F1 | P | R | one call F1 | P | R | fitted on others |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    rows = []
    notes: list[str] = []
    for data, as_given in zip(datasets, given, strict=True):
        held_out = fit([p for name, p in pairs.items() if name != data.name and p], decision)
        hourly_score, one_score = _both(data, held_out, meanings[data.name], decision)
        rows.append((hourly_score.f1, data.name, hourly_score, one_score, held_out))
        if args.merged_labels:
            score = clustered(as_given, held_out, meanings[data.name], decision=decision)
            notes.append(f"  {data.name}, held out, against the labels as given: {_cells(score)}")
    for _, name, hourly_score, one_score, held_out in sorted(rows, key=lambda r: r[0]):
        print(f"| {name} | {_cells(hourly_score)} | {_cells(one_score)} | {_shown(held_out)} |")
    if notes:
        print("\nF1 | P | R hourly:")
        print("\n".join(notes))
    print(f"\nFitted on every set: {_shown(model)}")
    print(f"{decision.prefix}_INTERCEPT = {model[0]:.2f}")
    for name, value in model[1].items():
        print(f'    "{name}": {value:.2f},')
    for data in datasets:
        hourly_score, one_score = _both(data, model, meanings[data.name], decision)
        print(f"  {data.name}: hourly {_cells(hourly_score)}; one call {_cells(one_score)}")


if __name__ == "__main__":
    main()
