"""A post's evidence: for each paragraph, the sentences of its sources that support it.

The front matter key `evidence:` maps a short hash of each paragraph, as the body writes it, to
one entry per cited source:

    evidence:
      3f2a9c1b7d0e:
      - url: https://harbour.example.org/news/ferry
        sentences:
        - Fares rise in April.

The hash is of the paragraph's Markdown (citations included, white space folded), so a paragraph
an editor changes no longer matches its entry and simply has no evidence; the entry can be left
or deleted. The write stage records the evidence (aibot.write.verify fills it in); the build
reads it with `paragraph_evidence`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from aibot.models import Evidence, Post

KEY_CHARS = 12


def paragraph_key(markdown: str) -> str:
    """The key of a paragraph's evidence: a hash of its Markdown with white space folded (a
    paragraph rewrapped by an editor's tool keeps its evidence)."""
    folded = " ".join(markdown.split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:KEY_CHARS]


def evidence_front_matter(
    paragraphs: Iterable[tuple[str, Sequence[Evidence]]],
) -> dict[str, list[dict[str, Any]]]:
    """The `evidence:` value for (paragraph Markdown, its evidence) pairs; paragraphs without
    evidence are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for markdown, evidence in paragraphs:
        entries = [{"url": e.url, "sentences": list(e.sentences)} for e in evidence if e.sentences]
        if entries:
            out[paragraph_key(markdown)] = entries
    return out


def paragraph_evidence(post: Post, paragraph: str) -> list[Evidence]:
    """The evidence recorded for one paragraph of `post`'s body (its Markdown, as in the body);
    [] when there is none, the paragraph was edited since, or the entry is malformed."""
    recorded = post.meta.get("evidence")
    if not isinstance(recorded, dict):
        return []
    entries = recorded.get(paragraph_key(paragraph))
    if not isinstance(entries, list):
        return []
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or _entry_problem(entry):
            continue
        found.append(Evidence(entry["url"], list(entry["sentences"])))
    return found


def evidence_problem(value: Any) -> str | None:
    """What is wrong with an `evidence:` value, for `aibot check`; None when it is well formed."""
    shape = "a mapping of paragraph keys to lists of {url, sentences}"
    if not isinstance(value, dict):
        return f"expected {shape}, got {type(value).__name__}"
    for key, entries in value.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return f"{key}: expected a list of {{url, sentences}} entries"
        for entry in entries:
            problem = _entry_problem(entry)
            if problem:
                return f"{key}: {problem}"
    return None


def _entry_problem(entry: dict[str, Any]) -> str | None:
    if not isinstance(entry.get("url"), str):
        return "an entry without a url"
    said = entry.get("sentences")
    if not isinstance(said, list) or not all(isinstance(s, str) for s in said):
        return "an entry whose sentences are not a list of text"
    return None
