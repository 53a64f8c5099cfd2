"""The order of a news story: the event first, then details, what people said, reactions,
background and what comes next; within the events, earlier before later.

A sentence's kind is read from its wording (no tagger): a quotation is what people said, unless
its verb is a reaction ("welcomed", "condemned", "called for"); a sentence that names a time of
the story's days ("at 3.15am", "on Monday afternoon", "overnight") tells the event; one that looks
ahead ("expected to", "will") is the outlook; one that looks back ("in 2007", "for decades",
"previous") is background; anything else is a detail.

A sentence's event time is the first time it names, resolved against its source's publication
time: a clock time on the publication day, a part of a day ("afternoon" is 15:00), a weekday
the most recent one on or before publication, "yesterday" and "last night" the day before.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

EVENT, DETAIL, QUOTE, REACTION, BACKGROUND, OUTLOOK = range(6)

_QUOTED = re.compile(r"[\"“][^\"“”]{12,}[\"”]")
_REACTION = re.compile(
    r"\b(?:welcom|condemn|criticis|criticiz|prais|hail|slamm|denounc|applaud|deplor|"
    r"apologis|apologiz)(?:e|es|ed|ing)?\b"
    r"|\b(?:call(?:s|ed)? (?:for|on)|urg(?:e|es|ed)|vow(?:s|ed)?|react(?:s|ed)?|"
    r"respond(?:s|ed)?|protest(?:s|ed)?|demand(?:s|ed)?)\b",
    re.I,
)
_OUTLOOK = re.compile(
    r"\b(?:will|expected to|expects?|is set to|are set to|forecasts?|forecasters|plans? to|"
    r"planned|due to|next (?:week|month|year|season|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)|this coming|is likely|are likely|would|intends? to|aims? to|"
    r"hopes? to)\b",
    re.I,
)
_BACKGROUND = re.compile(
    r"\b(?:in|since|until|from|before) (?:1[89]|20)\d\d\b|\blast (?:year|month|decade|century)\b"
    r"|\bfor (?:decades|years|centuries|generations)\b|\bprevious(?:ly)?\b|\bhistor(?:y|ic)\b"
    r"|\b(?:has|have|had) (?:long|been)\b|\bearlier this (?:year|month)\b|\bformer(?:ly)?\b"
    r"|\bsince\b",
    re.I,
)
# "Storm Jessa is the second named storm to hit …": the event set against others.
_COMPARED = re.compile(
    r"\b(?:is|was|are|were) the (?:first|second|third|fourth|fifth|latest|last|\w+est)\b", re.I
)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# Hours of the parts of a day and of named moments; a bare day counts as its middle.
_MOMENTS = {
    "morning": 9, "afternoon": 15, "evening": 19, "night": 22, "overnight": 2, "midnight": 0,
    "noon": 12, "midday": 12, "tonight": 21,
}  # fmt: skip
_CLOCK = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?![a-z])", re.I)
_TIME = re.compile(
    r"\b(?:(?P<clock>\d{1,2}(?:[.:]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.))(?![a-z])"
    r"|(?P<day>(?:this|last|on|early|late)?\s*(?:yesterday|today|tonight|overnight|midnight|"
    r"noon|midday|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?)"
    r"|(?P<part>(?:this|last|early this|late this|early|late) (?:morning|afternoon|evening|"
    r"night)))\b",
    re.I,
)


def kind(text: str) -> int:
    """EVENT, DETAIL, QUOTE, REACTION, BACKGROUND or OUTLOOK (see the module docstring)."""
    if _QUOTED.search(text):
        return REACTION if _REACTION.search(_outside_quotes(text)) else QUOTE
    if _REACTION.search(text):
        return REACTION
    if _OUTLOOK.search(text):
        return OUTLOOK
    if _COMPARED.search(text):
        return BACKGROUND
    if _TIME.search(text):
        return EVENT
    if _BACKGROUND.search(text):
        return BACKGROUND
    return DETAIL


def event_time(text: str, published: datetime) -> datetime | None:
    """The first time `text` names, as a moment near `published`; None when it names none."""
    match = _TIME.search(text)
    if match is None:
        return None
    day = published.replace(hour=0, minute=0, second=0, microsecond=0)
    phrase = match.group(0).lower()
    if match.group("clock"):
        clock = _CLOCK.search(phrase)
        if clock is None:
            return None
        hour = int(clock.group(1)) % 12 + (12 if clock.group(3).lower().startswith("p") else 0)
        minute = int(clock.group(2) or 0)
        if hour > 23 or minute > 59:
            return None
        return day + timedelta(hours=hour, minutes=minute)
    for offset, name in enumerate(_WEEKDAYS):
        if name in phrase:
            back = (published.weekday() - offset) % 7
            day -= timedelta(days=back)
            break
    if "yesterday" in phrase or "last night" in phrase:
        day -= timedelta(days=1)
    said = phrase.split()
    hour = next((h for word, h in _MOMENTS.items() if word in said), 12)
    return day + timedelta(hours=hour)


def _outside_quotes(text: str) -> str:
    return re.sub(r"[\"“][^\"”]*[\"”]", " ", text)
