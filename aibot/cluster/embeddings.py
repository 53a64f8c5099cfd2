"""Sentence embeddings for clustering: WordLlama's static word vectors, part of every install.

The model (l2_supercat, 256 numbers per text: the mean of its tokens' trained vectors) ships
inside the `wordllama` package; it is loaded from there with downloads switched off, so nothing
is fetched at run time and no PyTorch is needed. It loads on the first `embed()` call.
benchmarks/embeddings.py compares it with the other models considered (all-MiniLM-L6-v2 among
them) on labelled news, install size and speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from aibot.models import Article

# The cache keys stored embeddings by this name: a new model needs a new name.
MODEL_NAME = "wordllama-l2-supercat-256"
WEIGHTS = "weights/l2_supercat_256.safetensors"
# The weights file this name stands for; another one (a new release of the package) is refused
# rather than mixed with embeddings cached from this one.
WEIGHTS_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"
# Words of the article's text after its title that go into the embedding (a title and its lead
# say what the story is; more words pull every text towards the average).
TEXT_WORDS = 80

Embed = Callable[[Sequence[str]], list[list[float]]]


def available() -> bool:
    """Whether the model and what runs it are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("wordllama", "numpy"))


def embedding_text(article: Article) -> str:
    """What is embedded for an article: its title and the start of its text."""
    words = (article.text or article.summary).split()[:TEXT_WORDS]
    if not words:
        return article.title
    return f"{article.title}. {' '.join(words)}" if article.title else " ".join(words)


def embed(texts: Sequence[str]) -> list[list[float]]:
    """Unit-length embeddings (256 numbers each) from the packaged model, loaded once per
    process; a text without words gets zeros (similar to nothing). A text's embedding does not
    depend on the texts embedded with it."""
    if not texts:
        return []
    import numpy

    vectors = _model().embed(list(texts), norm=False)
    norms = numpy.linalg.norm(vectors, axis=1, keepdims=True)
    return numpy.divide(vectors, norms, out=numpy.zeros_like(vectors), where=norms > 0).tolist()


@cache
def _model() -> Any:
    with _root_logging_kept():
        from wordllama import WordLlama

    folder = Path(importlib.util.find_spec("wordllama").origin).parent
    weights = folder / WEIGHTS
    if hashlib.sha256(weights.read_bytes()).hexdigest() != WEIGHTS_SHA256:
        raise RuntimeError(
            f"{weights} is not the model file AiBot was tested with (sha256 differs); "
            "reinstall it with `pip install --force-reinstall wordllama==0.4.0.post1`"
        )
    # The package's own folder as the cache: load() looks for the shipped tokenizer in the
    # wrong subfolder first, then finds it there; disable_download makes a miss an error.
    return WordLlama.load("l2_supercat", cache_dir=folder, dim=256, disable_download=True)


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what an import does to the root logger: wordllama's sets it to INFO with a handler
    of its own, which would print every HTTP request of a run that goes on in the process."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


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
