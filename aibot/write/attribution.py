"""Whose report it is: a claim that is not plain fact names the outlet that reported it.

A sentence makes a claim rather than stating a fact when it estimates, alleges, expects or
judges ("is expected to", "could", "allegedly", "believed to", "likely"). When the story's other
sources do not corroborate it and the sentence does not already say whose word it is ("police
said", "according to"), the writer adds the outlet, as an editor would: "…, the Ledger Daily
reported." The outlet's name is a cited source's, so the grounding gate accepts it.
"""

from __future__ import annotations

import re

from aibot.support.text import sentences

_CLAIM = re.compile(
    r"\b(?:expected|expects?|estimated?s?|could|would|(?-i:may)|might|likely|unlikely|allegedly|"
    r"alleged|allegations?|reportedly|believed|thought to|understood to|feared|appears? to|"
    r"seems? to|forecast to|predicts?|predicted|plans? to|planning to|intends? to|is set to|"
    r"are set to|probably|possibly|potentially|accused|suspected)\b",
    re.I,
)
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|say|told|tells|according to|reported|reports|announced|stated|confirmed|"
    r"wrote|writes|added|adds|insisted|warned|argued|arguing|believes|declared|declares|claims|"
    r"claimed|alleges|alleged by|estimates by|seen by|quoted|"
    r"statement|spokes(?:man|woman|person))\b"
    r"|\b(?:officials?|police|experts?|analysts?|economists?|scientists?|researchers?|"
    r"forecasters?|officers?|authorities)\s+(?:\w+\s+)?(?:estimate|believe|think|fear|expect|"
    r"suspect)s?\b",
    re.I,
)


def is_claim(sentence: str) -> bool:
    """Estimates, alleges, expects or judges, and does not say whose word it is."""
    return bool(_CLAIM.search(sentence)) and not _ATTRIBUTED.search(sentence)


def attributed(text: str, outlet: str) -> str:
    """`text` with its first claim credited to `outlet` ("…, The Ledger Daily reported."); the
    text unchanged when it makes no claim or its claim ends in a quotation or question."""
    parts = sentences(text)
    name = " ".join(outlet.split())
    for index, sentence in enumerate(parts):
        if is_claim(sentence) and sentence.endswith(".") and not sentence.endswith(".."):
            parts[index] = f"{sentence[:-1].rstrip(' ,;:')}, {name} reported."
            return " ".join(parts)
    return text
