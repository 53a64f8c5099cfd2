"""Grounding checks: every number and quotation in a paragraph must appear in the sources it cites.

A first, strict-but-simple version: numbers are compared after removing thousands separators and
currency signs; quotations after folding curly quotes and whitespace. Paragraphs citing no source,
or citing an article that is not among the story's sources, are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aibot.models import Article, Draft

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"[\"“]([^\"“”]{12,}?)[\"”]")


@dataclass
class Review:
    status: Literal["passed", "flagged"]
    notes: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(text.split()).lower()


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def verify(draft: Draft, articles: Sequence[Article]) -> Review:
    """Check `draft` against `articles`; a flagged review lists each unsupported claim."""
    by_id = {a.id: a for a in articles}
    notes: list[str] = []
    for s_index, section in enumerate(draft.sections, start=1):
        for p_index, paragraph in enumerate(section.paragraphs, start=1):
            where = f"section {s_index} ({section.heading}), paragraph {p_index}"
            if not paragraph.sources:
                notes.append(f"{where}: cites no source")
                continue
            unknown = [i for i in paragraph.sources if i not in by_id]
            if unknown:
                notes.append(f"{where}: cites unknown source(s) {', '.join(unknown)}")
            cited = " \n ".join(
                f"{by_id[i].title}\n{by_id[i].text}" for i in paragraph.sources if i in by_id
            )
            if not cited:
                continue
            missing_numbers = sorted(_numbers(paragraph.text) - _numbers(cited))
            if missing_numbers:
                notes.append(
                    f"{where}: number(s) not in the cited sources: {', '.join(missing_numbers)}"
                )
            folded = _fold(cited)
            for quote in _QUOTED.findall(paragraph.text):
                if _fold(quote) not in folded:
                    notes.append(f"{where}: quotation not in the cited sources: “{quote}”")
    return Review(status="flagged" if notes else "passed", notes=notes)
