"""Section headings for the offline writer: a short phrase taken from the section's own most
central sentence, saying what the section is about ("About 900 people work at the plant").

A heading is the sentence's main clause - without an opening attribution ("The Met Service
said …", "According to …"), a short opening phrase ("For decades, …") or what follows its first
clause break - cut before a preposition or conjunction to at most MAX_HEADING_WORDS words, with
a leading article dropped. It must keep at least MIN_HEADING_WORDS words and a word that is not
a name, so that it is never a bare keyword ("Power Supplies") or a bare name ("Storm Jessa").
Quotations give no heading: their words are the speaker's, in the first person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from aibot.support.text import STOPWORDS, sentences
from aibot.write.headline import OPENING_PHRASE

MAX_HEADING_WORDS = 8
MIN_HEADING_WORDS = 3

_ATTRIBUTION = re.compile(
    r"^(?:according to [^,]{1,60},\s*"
    r"|(?:[\w'’.-]+\s+){1,6}?(?:(?:said|says|say|reported|reports|told \w+)\s+(?:on \w+\s+)?"
    r"(?:that\s+)?|(?:announced|confirmed|added|estimated|argued|argues|warned|warns|insisted|"
    r"wrote|writes|noted|notes|explained|believed|thinks|thought|"
    r"believes|believe)\s+(?:on \w+\s+)?that\s+))",
    re.I,
)
_CLAUSE_END = re.compile(r",\s|;\s|:\s|\s[-–—]\s|\s\(")
_QUOTE_MARKS = re.compile(r"[\"“”‘]")
_CUT_BEFORE = frozenset(
    """after before during as while when where which who whose that because since until
    following amid despite with without for from in on at by into over under than through
    across against between including and but or so to of""".split()
)
_ARTICLES = frozenset({"the", "a", "an"})
_PRONOUNS = frozenset(
    """he she they it we i you his her their its our this that these those others both
    another which who whom whose where when what of""".split()
)
_BE = frozenset("be been being is are was were".split())
_RAISING = frozenset("thought believed expected said set understood due likely able".split())
_SAYS = frozenset("said says say told tells".split())
_FIRST_PERSON = frozenset("i me my we us our let's".split())
_VERBS = frozenset(
    """is are was were be been being has have had will would can could may might must shall
    should do does did says said comes come came needs need goes go went gets get got makes
    make made takes take took gives give gave holds hold held keeps keep kept opens open shows
    show shown leads lead led hits hit falls fall fell rises rise rose wins win won loses lose
    lost calls call backs back cuts cut adds add sees see saw runs run ran faces face plans
    plan wants want work works remains remain expects expect meets meet met sets set puts put
    pays pay paid sells sell sold buys buy bought leaves leave left stands stand stood brings
    bring brought begins begin began ends end returns return reaches reach joins join signs
    sign becomes become became grows grow grew drops drop warns warn says tells tell told
    owns own uses use spent spends spend seeks seek sought struck strikes strike broke breaks
    break found thought seen shown known given taken done gone""".split()
)


def heading(ranked: Iterable[str], taken: Iterable[str] = ()) -> str | None:
    """The first phrase, from sentences best first, that makes a heading not already taken."""
    used = {t.lower() for t in taken}
    for text in ranked:
        for sentence in sentences(text)[:1]:  # the sentences after it lean on it
            phrase = phrase_of(sentence)
            if phrase and phrase.lower() not in used:
                return phrase
    return None


def phrase_of(sentence: str) -> str | None:
    """The heading a sentence gives, or None (see the module docstring)."""
    if _QUOTE_MARKS.search(sentence):
        return None
    text = _ATTRIBUTION.sub("", " ".join(sentence.split()), count=1)
    parts = _CLAUSE_END.split(text.rstrip(" .!?"))
    while len(parts) > 1 and OPENING_PHRASE.match(parts[0]):
        parts = parts[1:]
    whole = parts[0].split()
    tokens = _cut(whole) if len(whole) > MAX_HEADING_WORDS else list(whole)
    while tokens and tokens[-1].lower() in (STOPWORDS | _CUT_BEFORE):
        tokens.pop()
    cut = len(tokens) < len(whole)
    if tokens and tokens[0].lower() in _ARTICLES:
        tokens = tokens[1:]
    if tokens and tokens[0].lower() in _PRONOUNS or re.match(r"according\b", text, re.I):
        return None  # "He expected …", "According to …": whose word it is gets lost
    if len(tokens) < MIN_HEADING_WORDS or not any(_verb_like(t) for t in tokens[1:]):
        return None  # a bare keyword or name, or a noun phrase that says nothing happened
    # "… will be raised" is whole; "… is thought", "… are expected" wait for "to …".
    passive = len(tokens) > 1 and tokens[-2].lower() in _BE and tokens[-1] not in _RAISING
    if (cut and _verb_like(tokens[-1]) and not passive) or OPENING_PHRASE.match(" ".join(tokens)):
        return None  # cut before its object ("Researchers have found"), or a fragment
    if (_FIRST_PERSON | _SAYS) & {t.lower().replace("’", "'") for t in tokens}:
        return None  # a first-person phrase, or a bare "X said"
    return tokens[0][:1].upper() + " ".join(tokens)[1:]


def _verb_like(token: str) -> bool:
    """A guess, with no tagger: an auxiliary, a common verb, or a past form in -ed."""
    word = token.lower().strip(".,;:!?")
    return word in _VERBS or (word.endswith("ed") and len(word) > 4 and token[:1].islower())


def _cut(tokens: list[str]) -> list[str]:
    """The longest head of at most MAX_HEADING_WORDS words that ends before a preposition or
    conjunction, after a content word; nothing when there is none."""
    best: list[str] = []
    for end in range(MIN_HEADING_WORDS, min(len(tokens), MAX_HEADING_WORDS + 1)):
        last = tokens[end - 1].lower()
        if tokens[end].lower() in _CUT_BEFORE and last not in STOPWORDS | _CUT_BEFORE:
            best = tokens[:end]
    return best
