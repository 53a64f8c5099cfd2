"""Sentence embeddings in clustering: the packaged model, the blend, the cache, the fallback."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import aibot.cluster.stories
from aibot.cluster import embeddings
from aibot.cluster.stage import cluster_stage
from aibot.cluster.stories import (
    JOIN_COEFFICIENTS,
    MERGE_COEFFICIENTS,
    SAME_MEANING,
    JoinEvidence,
    MergeEvidence,
    cluster,
    merge_probability,
    same_story_probability,
)
from aibot.collect.stage import collect_stage
from aibot.config import ClusterConfig, load_config
from aibot.models import Article
from aibot.pipeline import RunReport
from aibot.store import Store
from tests.conftest import DEMO
from tests.helpers.clustering import assert_meets_bar, load_fixture

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _article(n: int, title: str, text: str, minutes: int = 0) -> Article:
    when = T0 + timedelta(minutes=minutes)
    return Article(f"https://outlet{n}.example/{n}", f"Outlet {n}", title, text, when)


HEADLINES = [
    "Dockworkers end strike after pay deal at Calder Bay port",
    "Port workers return to the quays as wage dispute is settled",
    "Astronomers find a ring of dust around a distant young star",
    "Telescope spots dusty disc circling a newborn star",
    "Brightwell shares slide after quarterly profit warning",
]
# Pairs of HEADLINES about the same event, and pairs about different ones.
SAME = [(0, 1), (2, 3)]
DIFFERENT = [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 4), (3, 4)]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails; the model is loaded afresh under that rule."""

    class Refused(socket.socket):  # a class still, for modules that subclass socket.socket
        def __init__(self, *args, **kwargs) -> None:
            raise AssertionError("the embedding model tried to open a socket")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "socket", Refused)
    embeddings._model.cache_clear()
    yield
    embeddings._model.cache_clear()


def test_the_packaged_model_loads_and_embeds_without_the_network(no_network) -> None:
    assert embeddings.available()
    vectors = embeddings.embed(HEADLINES)
    assert len(vectors) == len(HEADLINES)
    assert {len(v) for v in vectors} == {256}


def test_embeddings_are_unit_length_and_deterministic() -> None:
    first = embeddings.embed(HEADLINES)
    for vector in first:
        assert math.isclose(sum(x * x for x in vector), 1.0, rel_tol=1e-5)
    assert embeddings.embed(HEADLINES) == first
    # Alone or among longer texts, a headline gets the same vector (batches are padded).
    alone = embeddings.embed([HEADLINES[0]])[0]
    crowded = embeddings.embed([HEADLINES[0], "a much longer text about ports " * 40])[0]
    assert max(abs(x - y) for x, y in zip(alone, first[0], strict=True)) < 1e-5
    assert max(abs(x - y) for x, y in zip(crowded, first[0], strict=True)) < 1e-5


def test_same_story_headlines_score_higher_than_different_story_ones() -> None:
    vectors = embeddings.embed(HEADLINES)
    lowest_same = min(_cos(vectors[i], vectors[j]) for i, j in SAME)
    highest_different = max(_cos(vectors[i], vectors[j]) for i, j in DIFFERENT)
    assert lowest_same > highest_different + 0.1


def test_a_long_text_is_unit_length_and_a_text_without_words_is_zeros() -> None:
    words = " ".join(f"word{n}" for n in range(2000))
    long, empty = embeddings.embed([words, ""])
    assert math.isclose(sum(x * x for x in long), 1.0, rel_tol=1e-5)
    assert empty == [0.0] * 256


def test_embedding_text_is_the_title_and_the_start_of_the_text() -> None:
    article = _article(1, "Calder strike ends", " ".join(["word"] * 200))
    assert embeddings.embedding_text(article) == "Calder strike ends. " + " ".join(
        ["word"] * embeddings.TEXT_WORDS
    )
    assert embeddings.embedding_text(_article(2, "Only a title", "")) == "Only a title"


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


CORVANE = (
    "Corvane Motors lifts yearly outlook after strong quarter",
    "Carmaker Corvane Motors said on Tuesday that profit rose in the third quarter as sales of "
    "its small vans grew in every region. The company now expects revenue to rise faster this "
    "year than it had forecast in the spring. Corvane said costs for steel and batteries eased, "
    "and its chief executive told analysts that the new plant at Harlow Point would open early.",
)
BRIGHTWELL = (
    "Brightwell Foods lifts yearly outlook after strong quarter",
    "Snack maker Brightwell Foods said on Tuesday that profit rose in the third quarter as sales "
    "of its oat biscuits grew in every region. The company now expects revenue to rise faster "
    "this year than it had forecast in the spring. Brightwell said costs for cocoa and sugar "
    "eased, and its chief executive told analysts that a new bakery at Fenwick Cross would open.",
)
CORVANE_LATER = (
    "Corvane shares jump as carmaker raises guidance",
    "Shares in Corvane Motors rose sharply after the carmaker raised its guidance for the year "
    "on the back of a strong third quarter. Investors welcomed the news that Corvane expects "
    "the Harlow Point plant to open early, and several analysts lifted their price targets "
    "for the company, citing van sales and easing costs for steel and batteries.",
)


def test_a_report_that_lacks_the_storys_names_needs_the_same_meaning_to_join() -> None:
    """Two companies' results on one day, in the same words, read alike to the embeddings too
    (cosine 0.6 here): the other company's report stays apart, the same company's later report
    joins."""
    # As feed summaries (under FULL_TEXT_WORDS): the join the probability decides.
    corvane, brightwell, later = (
        _article(n, title, " ".join(text.split()[:45]), minutes=minutes)
        for n, (title, text), minutes in (
            (1, CORVANE, 0),
            (2, BRIGHTWELL, 30),
            (3, CORVANE_LATER, 60),
        )
    )
    meanings = {corvane.id: [1.0, 0.0], brightwell.id: [0.6, 0.8], later.id: [0.6, -0.8]}
    stories = cluster([corvane, brightwell, later], embeddings=meanings)
    assert sorted(sorted(s.article_ids) for s in stories) == sorted(
        [sorted([corvane.id, later.id]), [brightwell.id]]
    )


def test_names_disagree_only_without_a_shared_name_and_the_same_meaning() -> None:
    other = JoinEvidence(0.6, 0, 0.0, 0.0, 1.0, 0.0, shared_names=0.0, lead_name_found=0.0)
    assert other.names_disagree()
    assert not other._replace(semantic=SAME_MEANING).names_disagree()  # a paraphrase
    assert not other._replace(shared_names=math.log(2)).names_disagree()
    assert not other._replace(lead_name_found=1.0).names_disagree()
    assert not other._replace(lead_name_found=0.5).names_disagree()  # the article names no one


JOIN_BASE = JoinEvidence(
    semantic=0.5,
    shared_numbers=0,
    gap=0.1,
    age=0.2,
    full_text=0,
    story_size=1.0,
    shared_names=0.0,
    lead_name_found=0.5,
)
MERGE_BASE = MergeEvidence(
    lexical=0.3,
    semantic=0.5,
    gap=0.1,
    span=0.2,
    shared_names=0.0,
    shared_numbers=0,
    smaller_size=0.0,
    larger_size=1.0,
    lead_names_found=0.5,
)


@pytest.mark.parametrize(
    ("probability", "coefficients", "base", "stronger"),
    [
        (
            same_story_probability,
            JOIN_COEFFICIENTS,
            JOIN_BASE,
            {
                "semantic": 0.7,
                "shared_numbers": 1,
                "shared_names": math.log(2),
                "lead_name_found": 1.0,
            },
        ),
        (merge_probability, MERGE_COEFFICIENTS, MERGE_BASE, {"lexical": 0.5, "semantic": 0.7}),
    ],
    ids=["join", "merge"],
)
def test_a_same_story_probability_grows_with_evidence_and_shrinks_with_time(
    probability, coefficients, base, stronger
) -> None:
    assert set(coefficients) == set(base._fields)
    p = probability(base)
    assert 0 < p < 1
    for field, value in stronger.items():
        assert probability(base._replace(**{field: value})) > p, field
    # Later: a longer gap, so a longer time since the story began (or a longer span of both).
    later = {"gap": 0.5, "age": 0.6, "span": 0.6}
    assert probability(base._replace(**{f: later[f] for f in base._fields if f in later})) < p


def test_two_stories_whose_names_disagree_merge_only_as_a_paraphrase() -> None:
    apart = MergeEvidence(0.3, 0.6, 0.0, 0.0, 0.0, 0, 1.0, 1.0, lead_names_found=0.0)
    assert apart.names_disagree()
    assert not apart._replace(semantic=SAME_MEANING).names_disagree()
    assert not apart._replace(shared_names=math.log(2)).names_disagree()
    assert not apart._replace(lead_names_found=0.5).names_disagree()


def _in_runs(articles: list[Article], vectors, hours: float = 6.0):
    """The articles clustered as runs every `hours`, each run given the stories so far."""
    ordered = sorted(articles, key=lambda a: (a.when, a.id))
    stories, seen, cut = [], [], ordered[0].when
    while len(seen) < len(ordered):
        cut += timedelta(hours=hours)
        seen = [a for a in ordered if a.when < cut]
        stories = cluster(seen, stories, embeddings=vectors)
    return stories


def test_the_labelled_fixture_in_runs_keeps_distinct_events_apart_with_the_real_model() -> None:
    """Stories from earlier runs are compared as wholes by the learned merge: two companies'
    results on one day, two storms with near-identical names and one mayor's two events stay
    apart, and the fixture still meets the bar."""
    articles, labels = load_fixture()
    titles = {a.id: a.title for a in articles}
    vectors = dict(
        zip(
            (a.id for a in articles),
            embeddings.embed([embeddings.embedding_text(a) for a in articles]),
            strict=True,
        )
    )
    stories = _in_runs(articles, vectors)
    assert_meets_bar(stories, labels, titles)
    for pair in (
        ("earnings-corvane", "earnings-brightwell"),
        ("storm-ilse", "storm-ilsa"),
        ("mayor-bridge", "mayor-budget"),
    ):
        for story in stories:
            assert not set(pair) <= {labels[i] for i in story.article_ids}, story.title


LETTUCE = [
    "Astronauts to grow lettuce on the space station",
    "NASA's space station crew starts a lettuce farm in orbit",
    "Space station salad: crew plants lettuce in zero gravity",
    "Lettuce seeds head to the space station on a supply ship",
    "Astronauts tend a small lettuce garden aboard the station",
    "Space station crew waters its first orbital lettuce crop",
    "Growing food in orbit: lettuce sprouts on the space station",
    "Space station lettuce experiment passes its first week",
]
OUTAGE = [
    "Space station computer outage may force a spacewalk",
    "Backup computer fails on the space station",
    "NASA weighs a spacewalk to replace a failed station computer",
    "Computer failure on the space station prompts repair plans",
]


@pytest.mark.parametrize("hours", [1, 6])
def test_a_topic_in_the_news_all_day_does_not_take_the_next_day_s_event(hours: int) -> None:
    """A headline about the space station every three hours for a day, then a computer
    outage there the next morning: two events, though the first story never went quiet (with
    the time since the story's last article alone, the outage joined the lettuce)."""
    articles = [
        Article(f"https://o{n}.example/l{n}", f"Outlet {n}", title, "", T0 + timedelta(hours=3 * n))
        for n, title in enumerate(LETTUCE)
    ] + [
        Article(
            f"https://o{n}.example/o{n}",
            f"Outlet {n}",
            title,
            "",
            T0 + timedelta(hours=24, minutes=30 * n),
        )
        for n, title in enumerate(OUTAGE)
    ]
    texts = [embeddings.embedding_text(a) for a in articles]
    vectors = dict(zip((a.id for a in articles), embeddings.embed(texts), strict=True))
    titles = {a.id: a.title for a in articles}
    stories = _in_runs(articles, vectors, hours)
    assert sorted(sorted(titles[i] for i in s.article_ids) for s in stories) == sorted(
        [sorted(LETTUCE), sorted(OUTAGE)]
    )


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


@pytest.fixture(scope="module")
def collected_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo folder with its sample collected into the cache, once for this module."""
    folder = tmp_path_factory.mktemp("collected") / "demo"
    folder.mkdir()
    shutil.copy(DEMO / "aibot.yaml", folder / "aibot.yaml")
    shutil.copytree(DEMO / "sample", folder / "sample")
    config = load_config(folder / "aibot.yaml")
    with Store(config.cache_file) as store:
        collect_stage(config, store, RunReport(started=T0))
    return folder


@pytest.fixture
def demo_store(collected_demo: Path, tmp_path: Path):
    """A copy of the collected demo, config and open cache: each test clusters into its own."""
    folder = shutil.copytree(collected_demo, tmp_path / "demo")
    config = load_config(folder / "aibot.yaml")
    with Store(config.cache_file) as store:
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
    assert report.clustering == f"TF-IDF + embeddings ({embeddings.MODEL_NAME})"
    assert "clustering: TF-IDF + embeddings" in "\n".join(report.lines())
    cached = store.embeddings((a.id for a in articles), embeddings.MODEL_NAME)
    assert set(cached) == {a.id for a in articles}

    # Clustered again, the same articles are read from the cache: nothing is embedded.
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=fake)
    assert calls == [len(articles), 0]


def test_the_pipeline_clusters_with_the_packaged_model_by_default(demo_store) -> None:
    config, store = demo_store
    assert config.cluster.embeddings == "auto"
    report = RunReport(started=T0)
    changed = cluster_stage(config, store, report)
    assert report.clustering == "TF-IDF + embeddings (wordllama-l2-supercat-256)"
    assert not report.problems
    ids = [i for s in changed for i in s.article_ids]
    assert set(store.embeddings(ids, "wordllama-l2-supercat-256")) == set(ids)


def test_a_model_file_other_than_the_tested_one_is_refused(demo_store, monkeypatch) -> None:
    import wordllama

    config, store = demo_store
    weights = Path(wordllama.__file__).parent / "weights" / "l2_supercat_256.safetensors"
    monkeypatch.setattr(embeddings, "WEIGHTS_SHA256", "0" * 64)  # as if the file had changed
    embeddings._model.cache_clear()
    try:
        report = RunReport(started=T0)
        cluster_stage(config, store, report)
    finally:
        embeddings._model.cache_clear()
    assert report.clustering == "TF-IDF"
    assert report.problems == [
        f"embeddings: RuntimeError: {weights} is not the model file AiBot was tested with (sha256 "
        "differs); reinstall it with `pip install --force-reinstall wordllama==0.4.0.post1`; "
        "clustered with TF-IDF alone"
    ]


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


def test_embeddings_off_never_embeds(collected_demo: Path, tmp_path: Path) -> None:
    demo_dir = shutil.copytree(collected_demo, tmp_path / "demo")
    raw = (demo_dir / "aibot.yaml").read_text()
    (demo_dir / "aibot.yaml").write_text(raw.replace("cluster:\n", "cluster:\n  embeddings: off\n"))
    config = load_config(demo_dir / "aibot.yaml")
    assert config.cluster.embeddings == "off"

    def must_not_run(texts):
        raise AssertionError("embedded with embeddings: off")

    with Store(config.cache_file) as store:
        report = RunReport(started=T0)
        cluster_stage(config, store, report, embed=must_not_run)
    assert report.clustering == "TF-IDF" and not report.problems


def test_cluster_settings_are_checked(tmp_path: Path) -> None:
    from aibot.config import ConfigError

    shutil.copy(
        Path(__file__).resolve().parents[2] / "examples/demo/aibot.yaml", tmp_path / "a.yaml"
    )
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


def test_loading_the_model_leaves_the_root_logger_as_it_was() -> None:
    """wordllama's import sets the root logger to INFO with a handler: a run that embeds would
    then print every HTTP request it makes afterwards."""
    script = (
        "import logging\n"
        "from aibot.cluster import embeddings\n"
        "embeddings.embed(['Harbour reopens'])\n"
        "root = logging.getLogger()\n"
        "print(logging.getLevelName(root.level), len(root.handlers))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout == "WARNING 0\n"


def test_full_texts_join_by_the_blend_and_headlines_by_the_probability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fit has few full-text examples and mixed stories there: a full text is judged by
    the blended similarity and its threshold, a headline or short summary by the probability."""
    asked: list[JoinEvidence] = []
    real = aibot.cluster.stories.same_story_probability
    monkeypatch.setattr(
        aibot.cluster.stories, "same_story_probability", lambda e: asked.append(e) or real(e)
    )
    full = [_article(1, *CORVANE), _article(3, *CORVANE_LATER, minutes=60)]
    meanings = {full[0].id: [1.0, 0.0], full[1].id: [0.9, 0.1]}
    assert len(cluster(full, embeddings=meanings)) == 1
    assert asked == []
    short = [
        _article(4, "Corvane Motors lifts yearly outlook after strong quarter", ""),
        _article(5, "Corvane Motors lifts its outlook for the year", "", minutes=60),
    ]
    cluster(short, embeddings={short[0].id: [1.0, 0.0], short[1].id: [0.9, 0.1]})
    assert asked


def test_the_vectors_follow_the_embedding_setting_and_are_made_again_when_it_changes(
    demo_store,
) -> None:
    from aibot.cluster.stories import SEMANTIC_BODY_WORDS, article_vectors, vector_reading

    config, store = demo_store
    pool = store.unclustered_articles()
    ids = [a.id for a in pool]
    assert any(len(a.text.split()) > SEMANTIC_BODY_WORDS // 2 for a in pool)

    def broken(texts):
        raise RuntimeError("model file is truncated")

    def fake(texts):
        return [[float(len(t) % 7), 1.0] for t in texts]

    def meta() -> str:
        return store.db.execute("SELECT value FROM meta WHERE key='vectors'").fetchone()[0]

    # TF-IDF alone this run (the model failed): the vectors read the shorter body.
    cluster_stage(config, store, RunReport(started=T0), embed=broken)
    assert meta() == vector_reading(semantic=False)
    plain = article_vectors(pool, semantic=False)
    kept = store.vectors(ids)
    assert kept.keys() == plain.keys()
    for article_id, vector in plain.items():
        assert kept[article_id] == pytest.approx(vector, rel=1e-5)

    # With embeddings the next run: every kept vector is made again, reading further.
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=fake)
    assert meta() == vector_reading(semantic=True) != vector_reading(semantic=False)
    further = article_vectors(pool, semantic=True)
    kept = store.vectors(ids)
    assert kept.keys() == further.keys()
    for article_id, vector in further.items():
        assert kept[article_id] == pytest.approx(vector, rel=1e-5)
    assert any(further[i].keys() != plain[i].keys() for i in ids)


def test_a_kept_centroid_of_the_other_reading_is_summed_again_from_the_new_vectors(
    demo_store,
) -> None:
    config, store = demo_store

    def broken(texts):
        raise RuntimeError("model file is truncated")

    def fake(texts):
        return [[float(len(t) % 7), 1.0] for t in texts]

    first = cluster_stage(config, store, RunReport(started=T0), embed=broken)  # TF-IDF alone
    story = max(first, key=lambda s: len(s.article_ids))
    latest = story.article_ids[-1]
    store.db.execute("UPDATE articles SET story_id=NULL WHERE id=?", (latest,))

    changed = cluster_stage(config, store, RunReport(started=T0), embed=fake)
    (joined,) = [s for s in changed if latest in s.article_ids]
    assert joined.id in {s.id for s in first}  # an earlier story, its centroid kept then
    for saved in changed:
        vectors = store.vectors(saved.article_ids)
        summed: dict[str, float] = {}
        for vector in vectors.values():
            for term, weight in vector.items():
                summed[term] = summed.get(term, 0.0) + weight
        assert store.story(saved.id).centroid == pytest.approx(summed, rel=1e-5, abs=1e-6)


def _a_common_word_taught_as_a_name(store: Store) -> tuple[str, dict[str, tuple[int, int]]]:
    """A word the demo's articles write in lower case, which earlier runs (as the cache tells)
    wrote capitalised ten times as often; and the articles' own word uses."""
    from aibot.cluster.stories import word_uses

    uses = word_uses(store.unclustered_articles())
    common = max((w for w, (_, capital) in uses.items() if not capital), key=lambda w: uses[w])
    store.add_word_uses({common: (0, 10 * uses[common][0])})
    return common, uses


def _stand_in_embed(texts):
    return [[float(len(t) % 7), 1.0] for t in texts]


def test_the_cache_adds_up_full_texts_word_uses_once_and_learns_their_names_from_them(
    demo_store,
) -> None:
    from aibot.cluster.stories import article_vectors, names_among

    config, store = demo_store
    articles = store.unclustered_articles()
    common, uses = _a_common_word_taught_as_a_name(store)

    cluster_stage(config, store, RunReport(started=T0), embed=_stand_in_embed)
    kept_uses = store.capitalised_word_uses()
    assert kept_uses[common] == (uses[common][0], 10 * uses[common][0])
    assert {w: u for w, u in kept_uses.items() if w != common} == {
        w: u for w, u in uses.items() if u[1]
    }
    names = names_among(kept_uses)
    assert common in names
    made = article_vectors(articles, semantic=True, names=names)
    assert made != article_vectors(articles, semantic=True)
    kept = store.vectors(made)
    for article_id, vector in made.items():
        assert kept[article_id] == pytest.approx(vector, rel=1e-5)

    # The same articles again, their vectors kept: their words are not counted twice.
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=_stand_in_embed)
    assert store.capitalised_word_uses() == kept_uses


def test_with_tf_idf_alone_each_run_learns_its_own_names(demo_store) -> None:
    from aibot.cluster.stories import article_vectors

    config, store = demo_store
    articles = store.unclustered_articles()
    common, uses = _a_common_word_taught_as_a_name(store)

    def broken(texts):
        raise RuntimeError("model file is truncated")

    cluster_stage(config, store, RunReport(started=T0), embed=broken)
    made = article_vectors(articles, semantic=False)
    kept = store.vectors(made)
    for article_id, vector in made.items():
        assert kept[article_id] == pytest.approx(vector, rel=1e-5)
    assert store.capitalised_word_uses()[common][0] == uses[common][0]  # still counted


def test_while_the_pool_is_small_full_texts_vectors_are_made_again_each_run(
    demo_store, monkeypatch
) -> None:
    from aibot.cluster.stories import article_vectors, names_among

    config, store = demo_store
    articles = store.unclustered_articles()
    cluster_stage(config, store, RunReport(started=T0), embed=_stand_in_embed)
    # As if the first article's vector had been made in a feed's first hour, from a handful of
    # texts: the next run weighs its words again with the pool it is in.
    first = articles[0]
    store.save_vectors({first.id: {"handful": 1.0}})
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=_stand_in_embed)
    names = names_among(store.capitalised_word_uses())
    made = article_vectors(articles, semantic=True, names=names)[first.id]
    assert store.vectors([first.id])[first.id] == pytest.approx(made, rel=1e-5)

    # A pool that large has settled: the kept vector is used as it is.
    monkeypatch.setattr(aibot.cluster.stories, "SETTLED_POOL", len(articles))
    store.save_vectors({first.id: {"handful": 1.0}})
    store.db.execute("UPDATE articles SET story_id=NULL")
    cluster_stage(config, store, RunReport(started=T0), embed=_stand_in_embed)
    assert store.vectors([first.id])[first.id] == {"handful": 1.0}


def test_only_full_texts_vectors_are_unsettled_with_embeddings_in_a_small_pool(
    monkeypatch,
) -> None:
    from aibot.cluster.stories import unsettled_vectors

    full = _article(1, "Harbour strike ends", "dockworkers vote " * 40)
    headline = _article(2, "Harbour strike ends after a vote", "")
    assert unsettled_vectors([full, headline], semantic=True) == {full.id}
    assert unsettled_vectors([full, headline], semantic=False) == set()
    monkeypatch.setattr(aibot.cluster.stories, "SETTLED_POOL", 2)
    assert unsettled_vectors([full, headline], semantic=True) == set()
