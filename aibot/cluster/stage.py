"""The cluster stage: every unclustered article of the cache joins a story
(aibot.cluster.stories), with sentence embeddings when they are available."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from aibot.cluster import embeddings
from aibot.cluster.embeddings import Embed
from aibot.cluster.stories import (
    article_vectors,
    cluster,
    names_among,
    settled,
    vector_reading,
    word_uses,
)
from aibot.config import Config
from aibot.models import Article, Story
from aibot.report import RunReport
from aibot.store import Store


def cluster_stage(
    config: Config, store: Store, report: RunReport, *, embed: Embed | None = None
) -> list[Story]:
    """Attach every unclustered article to a story; return the stories that changed.

    `embed` replaces the packaged embedding model (tests); by default the model is used when
    the embeddings extra is installed and `cluster.embeddings` is not off."""
    newcomers = store.unclustered_articles()
    if not newcomers:
        return []
    window = timedelta(hours=config.cluster.window_hours)
    live = store.live_stories(since=min(a.when for a in newcomers) - window)
    pool = store.articles(i for s in live for i in s.article_ids) + newcomers
    before = {s.id: len(s.article_ids) for s in live}
    meanings = _embeddings(config, store, report, pool, embed)
    semantic = bool(meanings)
    if store.vectors_made_by(vector_reading(semantic=semantic)):
        live = [replace(s, centroid=None) for s in live]  # summed from the dropped vectors
    cached = store.vectors(a.id for a in pool)
    # With embeddings, full texts' names are learnt from every run's texts, not from this run's
    # few alone. TF-IDF alone keeps each run's: with no embeddings to tell one person's two
    # events apart, names learnt over runs joined them (docs/stories.md, step 1).
    store.add_word_uses(word_uses(a for a in newcomers if a.id not in cached))
    names = names_among(store.capitalised_word_uses()) if semantic else None
    known, live = settled(pool, cached, live, semantic=semantic)
    vectors = article_vectors(pool, known, semantic=semantic, names=names)
    store.save_vectors({i: v for i, v in vectors.items() if i not in known})
    stories = cluster(pool, live, config.cluster, embeddings=meanings, vectors=vectors, names=names)
    changed = [s for s in stories if s.absorbed or len(s.article_ids) != before.get(s.id, -1)]
    store.save_stories(changed)
    report.stories_new += sum(1 for s in changed if s.id not in before)
    report.stories_grown += sum(1 for s in changed if s.id in before)
    _count_merges(report, changed, {s.id: s for s in live})
    return changed


def _count_merges(report: RunReport, changed: list[Story], earlier: dict[str, Story]) -> None:
    """One report entry per earlier story that another took in (stories started in this call
    and merged in it were never saved: nothing to report)."""
    for story in changed:
        for absorbed in (earlier[i] for i in story.absorbed if i in earlier and i != story.id):
            report.stories_merged += 1
            report.merges.append({
                "story": absorbed.id, "title": absorbed.title, "slug": absorbed.post_slug,
                "into": story.id, "into_title": story.title,
                "into_slug": story.post_slug or earlier.get(story.id, story).post_slug,
            })  # fmt: skip


def _embeddings(
    config: Config, store: Store, report: RunReport, pool: list[Article], embed: Embed | None
) -> dict[str, list[float]] | None:
    """The pool's sentence embeddings (cached in the store), or None for TF-IDF alone."""
    report.clustering = "TF-IDF"
    if config.cluster.embeddings == "off":
        return None
    if embed is None:
        if not embeddings.available():
            return None
        embed = embeddings.embed
    cached = store.embeddings((a.id for a in pool), embeddings.MODEL_NAME)
    try:
        everything, fresh = embeddings.embeddings_for(pool, cached, embed)
    except Exception as exc:  # a broken model install must not stop the run
        report.problem(f"embeddings: {type(exc).__name__}: {exc}; clustered with TF-IDF alone")
        return None
    store.save_embeddings(fresh, embeddings.MODEL_NAME)
    report.clustering = f"TF-IDF + embeddings ({embeddings.MODEL_NAME})"
    return everything
