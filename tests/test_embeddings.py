"""Sentence embeddings in clustering: the packaged model, the blend, the cache, the fallback."""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot import embeddings
from aibot.cluster import cluster
from aibot.config import ClusterConfig, load_config
from aibot.models import Article
from aibot.pipeline import RunReport, cluster_stage, collect_stage
from aibot.store import Store
from tests.test_cluster_quality import assert_meets_bar, load_fixture

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _article(n: int, title: str, text: str, minutes: int = 0) -> Article:
    when = T0 + timedelta(minutes=minutes)
    return Article(f"https://outlet{n}.example/{n}", f"Outlet {n}", title, text, when)


def test_the_packaged_model_loads_offline_and_ranks_paraphrases_closest() -> None:
    assert embeddings.available()
    first, paraphrase, unrelated = embeddings.embed(
        [
            "Dockworkers end strike after pay deal at Calder Bay port",
            "Port workers return to the quays as wage dispute is settled",
            "Astronomers find a ring of dust around a distant young star",
        ]
    )
    assert len(first) == 384
    assert math.isclose(sum(x * x for x in first), 1.0, rel_tol=1e-4)

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cos(first, paraphrase) > cos(first, unrelated) + 0.2


def test_embeddings_join_paraphrases_that_share_only_a_name() -> None:
    one = _article(1, "Dockworkers end Calder strike", "Pay deal agreed after eleven days.")
    two = _article(2, "Calder quay staff back at work", "Wage dispute settled on Tuesday.", 30)
    apart = cluster([one, two])
    assert len(apart) == 2  # one shared name is too little for TF-IDF alone

    same_meaning = {one.id: [1.0, 0.0], two.id: [0.98, 0.199]}
    joined = cluster([one, two], embeddings=same_meaning)
    assert [sorted(s.article_ids) for s in joined] == [sorted([one.id, two.id])]

    unlike = {one.id: [1.0, 0.0], two.id: [0.0, 1.0]}
    assert len(cluster([one, two], embeddings=unlike)) == 2


def test_the_labelled_fixture_meets_the_bar_with_the_real_model() -> None:
    articles, labels = load_fixture()
    titles = {a.id: a.title for a in articles}
    vectors = dict(
        zip(
            (a.id for a in articles),
            embeddings.embed([embeddings.embedding_text(a) for a in articles]),
            strict=True,
        )
    )
    assert_meets_bar(cluster(articles, embeddings=vectors), labels, titles)


@pytest.fixture
def demo_store(demo_dir: Path):
    config = load_config(demo_dir / "aibot.yaml")
    with Store(config.cache_file) as store:
        collect_stage(config, store, RunReport(started=T0))
        yield config, store


def test_the_cluster_stage_embeds_each_article_once_and_caches_it(demo_store) -> None:
    config, store = demo_store
    calls: list[int] = []

    def fake(texts):
        calls.append(len(texts))
        return [[float(len(t) % 7), 1.0] for t in texts]

    report = RunReport(started=T0)
    changed = cluster_stage(config, store, report, embed=fake)
    articles = store.articles(i for s in changed for i in s.article_ids)
    assert calls == [len(articles)]
    assert report.clustering == "TF-IDF + embeddings (all-MiniLM-L6-v2)"
    assert "clustering: TF-IDF + embeddings" in "\n".join(report.lines())
    cached = store.embeddings((a.id for a in articles), embeddings.MODEL_NAME)
    assert set(cached) == {a.id for a in articles}

    # Clustered again, the same articles are read from the cache: nothing is embedded.
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=fake)
    assert calls == [len(articles), 0]


def test_a_failing_model_is_a_problem_line_and_tf_idf_carries_on(demo_store) -> None:
    config, store = demo_store

    def broken(texts):
        raise RuntimeError("model file is truncated")

    report = RunReport(started=T0)
    changed = cluster_stage(config, store, report, embed=broken)
    assert len(changed) == 15
    assert report.clustering == "TF-IDF"
    assert report.problems == [
        "embeddings: RuntimeError: model file is truncated; clustered with TF-IDF alone"
    ]


def test_embeddings_off_never_embeds(demo_dir: Path) -> None:
    raw = (demo_dir / "aibot.yaml").read_text()
    (demo_dir / "aibot.yaml").write_text(raw.replace("cluster:\n", "cluster:\n  embeddings: off\n"))
    config = load_config(demo_dir / "aibot.yaml")
    assert config.cluster.embeddings == "off"

    def must_not_run(texts):
        raise AssertionError("embedded with embeddings: off")

    with Store(config.cache_file) as store:
        collect_stage(config, store, RunReport(started=T0))
        report = RunReport(started=T0)
        cluster_stage(config, store, report, embed=must_not_run)
    assert report.clustering == "TF-IDF" and not report.problems


def test_cluster_settings_are_checked(tmp_path: Path) -> None:
    from aibot.config import ConfigError

    shutil.copy(Path(__file__).parent.parent / "examples/demo/aibot.yaml", tmp_path / "a.yaml")
    text = (tmp_path / "a.yaml").read_text()
    for bad, message in (
        ("embeddings: maybe", "cluster.embeddings: expected auto or off, got 'maybe'"),
        ("merge_threshold: 1.5", "cluster.merge_threshold: expected a number between 0 and 1"),
        ("embedding_threshold: 0", "cluster.embedding_threshold: expected a number between 0"),
    ):
        (tmp_path / "a.yaml").write_text(text.replace("cluster:\n", f"cluster:\n  {bad}\n"))
        with pytest.raises(ConfigError, match=message):
            load_config(tmp_path / "a.yaml")
    assert ClusterConfig().embeddings == "auto"
