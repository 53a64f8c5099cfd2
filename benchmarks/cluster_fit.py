"""Fit the same-story probability of aibot.cluster (JOIN_INTERCEPT, JOIN_COEFFICIENTS) and
check that it holds on a dev set it was not fitted on.

    python benchmarks/cluster_fit.py [--data-dir ../shared/data/clustering] [--rounds 1]

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
aibot/cluster/stories.py. Not run by CI.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy
from cluster_sweep import embeddings_of
from devsets import DEFAULT_DATA_DIR, DataSet, Score, bcubed, hourly, load_all

from aibot.cluster import stories as clustering
from aibot.config import ClusterConfig

FIELDS = clustering.JoinEvidence._fields
# +1: the coefficient must not be negative; -1: not positive; 0: either.
SIGNS = {
    "semantic": 1,
    "shared_numbers": 1,
    "gap": -1,
    "full_text": 0,
    "story_size": 0,
    "shared_names": 1,
    "lead_name_found": 1,
}
L2 = 1.0

Model = tuple[float, dict[str, float]]
Pairs = list[tuple[tuple[float, ...], int]]


def shipped() -> Model:
    return clustering.JOIN_INTERCEPT, dict(clustering.JOIN_COEFFICIENTS)


def clustered(data: DataSet, model: Model, meanings, pairs: Pairs | None = None) -> Score:
    """BCubed of the set fed as hourly runs with `model`; the scored pairs go to `pairs`."""
    original = clustering._Group.join_evidence

    def recorded(group, article_id, *args, terms):
        # The join step first asks for a bound (terms: all the story's terms) for every story
        # in reach, then for the evidence itself only where the bound can win: the pair is
        # kept at the first call, with the evidence itself, so every story in reach counts.
        if pairs is not None and terms is not group.summary:
            evidence = original(group, article_id, *args, terms=group.summary)
            label = Counter(data.labels.get(i) for i in group.story.article_ids).most_common(1)
            pairs.append((tuple(evidence), int(label[0][0] == data.labels.get(article_id))))
        return original(group, article_id, *args, terms=terms)

    saved = shipped()
    clustering._Group.join_evidence = recorded
    clustering.FIT_ON_FULL_TEXTS = pairs is not None
    clustering.JOIN_INTERCEPT, clustering.JOIN_COEFFICIENTS = model
    try:
        return bcubed(hourly(data, ClusterConfig(), embeddings=meanings), data.labels)
    finally:
        clustering._Group.join_evidence = original
        clustering.FIT_ON_FULL_TEXTS = False
        clustering.JOIN_INTERCEPT, clustering.JOIN_COEFFICIENTS = saved


def fit(pair_sets: list[Pairs]) -> Model:
    """Logistic regression over the pairs of every set given, each set weighing the same, with
    the signs of SIGNS kept."""
    x = numpy.vstack([numpy.array([p[0] for p in pairs]) for pairs in pair_sets])
    y = numpy.concatenate([numpy.array([p[1] for p in pairs]) for pairs in pair_sets])
    weight = numpy.concatenate([numpy.full(len(p), 1 / len(p)) for p in pair_sets])
    weight *= len(y) / weight.sum()
    kept = list(range(len(FIELDS)))
    while True:
        intercept, coefficients = _logistic(x[:, kept], y, weight)
        wrong = [
            (SIGNS[FIELDS[k]] * c, k)
            for k, c in zip(kept, coefficients, strict=True)
            if SIGNS[FIELDS[k]] * c < 0
        ]
        if not wrong:
            break
        kept.remove(min(wrong)[1])
    found = dict.fromkeys(FIELDS, 0.0)
    found.update({FIELDS[k]: float(c) for k, c in zip(kept, coefficients, strict=True)})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    datasets = load_all(args.data_dir)
    meanings = embeddings_of(datasets)
    model = shipped()
    for round_ in range(args.rounds):
        pairs: dict[str, Pairs] = {d.name: [] for d in datasets}
        print(f"round {round_ + 1}: pairs collected with {_shown(model)}")
        for data in datasets:
            score = clustered(data, model, meanings[data.name], pairs[data.name])
            joins = sum(label for _, label in pairs[data.name])
            print(f"  {data.name}: {len(pairs[data.name])} pairs ({joins} same story); "
                  f"F1 {score.f1:.3f} P {score.precision:.3f} R {score.recall:.3f}")  # fmt: skip
        model = fit(list(pairs.values()))
    print("\nLeave one data set out (fitted on the others, scored on it, hourly runs):")
    print("| left out (worst first) | F1 | P | R | fitted on the others |")
    print("|---|---:|---:|---:|---|")
    rows = []
    for data in datasets:
        held_out = fit([p for name, p in pairs.items() if name != data.name])
        score = clustered(data, held_out, meanings[data.name])
        rows.append((score.f1, data.name, score, held_out))
    for _, name, score, held_out in sorted(rows, key=lambda r: r[0]):
        print(f"| {name} | {score.f1:.3f} | {score.precision:.3f} | {score.recall:.3f} "
              f"| {_shown(held_out)} |")  # fmt: skip
    print(f"\nFitted on every set: {_shown(model)}")
    print(f"JOIN_INTERCEPT = {model[0]:.2f}")
    for name, value in model[1].items():
        print(f'    "{name}": {value:.2f},')
    for data in datasets:
        score = clustered(data, model, meanings[data.name])
        print(f"  {data.name}: F1 {score.f1:.3f} P {score.precision:.3f} R {score.recall:.3f}")


if __name__ == "__main__":
    main()
