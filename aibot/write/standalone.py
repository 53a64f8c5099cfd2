"""Sentences taken out of their article made to stand on their own in a new post.

An extracted sentence was written for its own page, on its own day, after its own sentences.
`standalone` rewrites or drops each sentence of a draft, in reading order, so that it still
reads right in the post:

- Time. A relative time word is resolved against the publication time of the sentence's source,
  in the site's time zone: "today" and "on Friday" become "on Monday 23 November", "this
  afternoon" and "last night" become "on the afternoon of Monday 23 November" and "on the night
  of Sunday 22 November", "three days ago" "on Friday 20 November", "last month" "in October",
  "next year" "in 2027". A span up to the publication day is counted from it: "in the past
  week" becomes "in the week to Monday 23 November", "nearly a month ago" "nearly a month
  before Monday 23 November". After a preposition the "on"/"in" goes ("until Monday 23
  November"); after "late"/"early" a part of a day keeps it ("late on the evening of Sunday 22
  November"). A bare weekday is taken as the next one when the words before it speak of the
  future ("will", "is due to"), as the last one when they speak of the past ("said", "was"),
  and the same day of the week is the publication day; after a verb of reporting it is a day
  even before a name ("said Tuesday Mayor Lund…"). A day named again later in the post is given
  by its weekday alone ("on Monday"). The sentence is dropped when no single day or month can
  be named: no publication time, "last week", "this weekend", "next Friday" (this one or the
  one after?), "ten hours ago" in a morning's article (today, or last night?), a day word in
  the possessive or before a noun ("yesterday's vote", "the Sunday night vigil"), or a weekday
  with no tense to go by. Weekdays that are dated already or part of a name ("Good Friday",
  "Saturday-matinee", "Wednesday's Post") are left as they are. A sentence that is only a time
  phrase ("On Friday."), a fragment of the one before it, goes.
- Quotations are never changed. A quotation holding a relative time word ("Today we were three
  minutes from extra time") is kept only when the sentence outside the quotation names its day,
  so that the reader knows which day the speaker meant; otherwise the sentence is dropped.
- Connectives. A sentence opening with a connective that refers back ("However,", "Then",
  "Meanwhile") keeps it only when the sentence before it in the paragraph is the one before it
  in the source; otherwise the connective goes when what follows reads as a sentence ("However,
  the council…" -> "The council…"), and the sentence is dropped when not, or when what is left
  opens with a pronoun ("Additionally, they are…"). An opening that dates a sentence by the
  one before it ("Earlier in the day,", "Hours later,", "The next day,") goes, on the same
  terms, unless that one is kept right before it. A
  sentence opening with a pronoun ("He said…") is dropped when the sentence it leaned on was.
- Self-references. An outlet's words for itself ("the Herald", "this newspaper", "told the
  Ledger", "as we reported") become its name ("The Harbour Herald", "as The Harbour Herald
  reported"), outside quotations.
- People. A person named in full ("Transport Minister Felix Adebayo-Strand") is named by surname
  alone ("Adebayo-Strand") after the first time, title dropped; a surname met as a speaker
  before its person was introduced is given in full, as its own source names them. A surname is
  a name the sources use alone as a speaker ("Adebayo-Strand said", "said Lund", "Ms Okafor");
  a full name is a first name and that surname. Once a person is introduced, a role in
  apposition beside their surname ("Szabo-Lind, Quillon's chief executive, said", "Quillon's
  chief executive, Szabo-Lind, said") goes: up to three words and a word for a post ("chief
  executive", "minister", "spokeswoman"…), unless a relative clause follows ("…, who…").
- Definite references. A sentence opening with "The" and a common noun that refers back ("The
  plant…", "The company…") is dropped when that noun has not been used earlier in the post. The
  limit: the check is on the word, so "the plant" after "Arvex's chip plant" passes, while "the
  company" after "Arvex" alone (no word "company") is dropped. A noun for an event told
  before ("The move by…", "The decision came…", "The incident…") refers back whatever follows
  it, and is dropped on the same terms.
- Repeats. A source's teaser cut short with "..." goes when the source gives the whole
  sentence too. A sentence that repeats an earlier one of the post, word for word or nearly, is
  dropped: NEAR_DUPLICATE of the content words of the shorter of the two are in the other, so
  that one outlet's longer retelling and another's teaser count; two facts that share a few
  words ("Witnesses said the driver…", "Witnesses said both…") do not.

A paragraph left without sentences goes, and so does a section left without paragraphs. A
section whose heading shares no content word (stemmed) with what is left of it, the sentences it
was made from having gone, carries on the section before it. Every
date written here is one that `dates_meant` lists for the source, which is what lets the
grounding check (`aibot.write.verify`) accept it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Sequence, Set
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import snowballstemmer

from aibot.models import Article, Paragraph, Section
from aibot.support.text import sentences, words

_STEMMER = snowballstemmer.stemmer("english")
NEAR_DUPLICATE = 0.8  # share of a sentence's words found in an earlier one
MIN_REPEAT_WORDS = 5  # distinct content words a sentence needs to count as a repeat

_WEEKDAYS = [d.lower() for d in calendar.day_name]  # monday … sunday
_PARTS = ("morning", "afternoon", "evening", "night")
_WEEKDAY = "|".join(_WEEKDAYS)
_PART = "|".join(_PARTS)
# Words after which a date goes without its own "on"/"in" ("until Monday 23 November", "late
# Saturday").
_BARE_AFTER = frozenset(
    "of until till by since from before after for to through during into within late early".split()
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"  # or abbreviated
# Not inside a compound ("Saturday-matinee"); "the last week" is a span of time up to the
# article's day, not a calendar week, and is left alone.
_RELATIVE = re.compile(
    rf"(?<![-\w])(?P<spec>(?:earlier|later)\s+(?:on\s+)?)?(?:"
    rf"(?P<day>today|tonight|yesterday|tomorrow)(?:\s+(?P<daypart>{_PART}))?"
    rf"|(?P<this>this|last)\s+(?P<thispart>{_PART}|night)"
    rf"|(?<!the\s)(?<!past\s)(?P<period_rel>this|last|next)\s+"
    rf"(?P<period>week|weekend|month|year)"
    rf"|(?P<ago>(?:about\s+|some\s+|nearly\s+|almost\s+|roughly\s+)?(?P<count>an?|one|two|three|"
    rf"four|five|six|seven|eight|nine|ten|\d{{1,2}}|a\s+few|a\s+couple\s+of|several|few)\s+"
    rf"(?P<unit>minutes?|hours?|days?|weeks?|months?)\s+ago)"
    rf"|(?P<span>the\s+(?:last|past)\s+(?P<spanned>week|month|few\s+days|couple\s+of\s+days|"
    rf"\d{{1,2}}\s+days|(?:two|three|four|five|six|seven|eight|nine|ten)\s+days)(?!\s+of\b))"
    rf"|(?P<wrel>(?:on\s+)?(?:(?:this|last|next|on)\s+)?)(?P<weekday>{_WEEKDAY})"
    rf"(?:\s+(?P<wpart>{_PART}))?"
    rf")(?P<possessive>['’]s)?(?![-\w])",
    re.I,
)
# A weekday already given with its date ("Friday, 20 November", "Friday Nov. 20"), or part of
# a name ("Good Friday", "Black Friday").
_DATED_AFTER = re.compile(
    rf"^,?\s*(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+\d)", re.I
)
# Verbs of reporting after which a weekday is when it was said ("said Tuesday").
_REPORTING = (
    r"(?:said|says|told|announced|confirmed|reported|added|wrote|warned|stated|declared|"
    r"revealed|disclosed|insisted|denied|tweeted|posted)"
)
_ATTRIBUTIVE = re.compile(r"\b(?:the|a|an|its|his|her|their|our|this|that)\s+$", re.I)
_NAMED_DAY = re.compile(r"(?:good|black|cyber|holy|ash|easter|super|palm)\s+$", re.I)
_FUTURE = re.compile(
    r"\b(?:will|won['’]t|shall|would|['’]ll|(?:is|are|was|were)\s+(?:due|expected|set|"
    r"scheduled|going)|plans?\s+to|planned|to\s+be\s+held|next|upcoming|ahead)\b",
    re.I,
)
_PAST = re.compile(
    r"\b(?:said|told|was|were|had|did|announced|went|came|took|made|gave|saw|met|won|lost|"
    r"died|began|left|held|ran|struck|fell|rose|fled|caught|brought|found|sent|spoke|wrote|"
    r"broke|led|shot|sank|stood|kept|paid|sold|drove|flew|grew|threw|chose|bought|fought|"
    r"sought|felt|built|spent|became|got|knew|heard|stole|withdrew|hit|struck|drew|wore|"
    r"bit|ate|swam|rang|sang|began|hid|woke|froze|spread|[a-z]{3,}ed)\b",
    re.I,
)
_QUOTATION = re.compile(r"[\"“][^\"“”]*[\"”]")
_CONNECTIVE = re.compile(
    r"^(?P<word>then|also|however|but|meanwhile|still|in addition|additionally|as a result|"
    r"moreover|furthermore|instead|yet|so|nevertheless|nonetheless|besides|even so)"
    r"(?P<comma>\s*,)?\s+(?=\S)",
    re.I,
)
# What can open a sentence once the connective is gone: a determiner, a pronoun, a name, a
# number, a quotation.
# An opening that dates a sentence by the one before it: "Earlier in the day,", "Later that
# week,", "Hours later,", "The next day,".
_TIMED_AFTER = re.compile(
    r"^(?:(?:earlier|later)\s+(?:in\s+the|that|the\s+same)\s+(?:day|morning|afternoon|evening|"
    r"night|week|month)|(?:hours|minutes|days|moments|weeks)\s+(?:later|earlier)|"
    r"(?:the\s+)?(?:next|following|previous)\s+(?:day|morning|evening|night)|"
    r"(?:shortly|soon|just|days|hours)\s+(?:before|after|afterwards?)(?=\s*,)|"
    r"(?:earlier|later|afterwards?)(?=\s*,))\b",
    re.I,
)
_SUBJECT = re.compile(
    r"^(?:the|a|an|this|that|these|those|some|many|most|several|all|no|his|her|its|their|our|"
    r"he|she|they|it|we|i|there|[A-Z][\w'’-]*|\d|[\"“])\b",
)
_LEANING = re.compile(
    r"^[\"“‘']?(?:he|she|they|it|its|his|her|their|them|this|these|those|such)\b", re.I
)
_SELF = re.compile(
    r"\b(?:this|our)\s+(?:newspaper|paper|publication|news\s+site|website|site|outlet|"
    r"news\s+organisation|news\s+organization)\b",
    re.I,
)
# An outlet's "we" reporting: "As we reported earlier", "we have learned".
_WE_REPORTED = re.compile(
    r"\b(?P<we>[Ww]e)\s+(?P<have>have\s+|had\s+)?(?P<verb>reported|revealed|learned|learnt|"
    r"disclosed|noted|wrote)\b"
)
_GENERIC_SHORT = frozenset("the daily weekly online news sunday evening morning".split())
_NAME_WORD = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*"
_FULL_NAME = re.compile(rf"\b({_NAME_WORD})\s+(?:[A-Z]\.\s+)?({_NAME_WORD})\b")
_SPEECH = r"(?:said|says|told|tells|added|adds|wrote|writes|warned|explained|insisted|argued)"
_ALONE = re.compile(
    rf"(?P<before>{_NAME_WORD})\s+{_SPEECH}\b|\b{_SPEECH}\s+(?P<after>{_NAME_WORD})\b(?!\s+[A-Z])"
    rf"|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+(?P<titled>{_NAME_WORD})\b(?!\s+[A-Z])"
)
# Capitalised words that come before a surname but are no first names.
_NOT_FIRST_NAMES = frozenset(
    """Mr Mrs Ms Miss Dr Prof Sir Dame Lord Lady The A An He She It They We I This That But And
    Minister Secretary President Mayor Governor Senator Chancellor Director Councillor Judge
    Inspector Detective Sergeant Constable Captain Coach Chairman Chairwoman Chair Commissioner
    Officer Executive Chief Professor Police Officials Residents""".split()
)
# A role in apposition: up to three words, then a word for a post ("Quillon's chief executive").
_ROLE = (
    r"(?:(?:[\w'’.&-]+)\s+){0,3}(?:chief executive|executive|president|chairman|chairwoman|"
    r"chair|director|minister|secretary|spokesman|spokeswoman|spokesperson|mayor|governor|"
    r"senator|founder|leader|manager|officer|head|chief|commissioner|chancellor|professor|"
    r"economist|analyst|coach|captain|lawyer|attorney|CEO)"
)
_RELATIVE_PRONOUN = r"(?:who|whom|whose|which)\b"
_TITLE_BEFORE = re.compile(
    r"(?:(?:[A-Z][a-z]+\s+){0,2}(?:Minister|Secretary|President|Mayor|Governor|Senator|"
    r"Chancellor|Director|Councillor|Judge|Inspector|Detective|Sergeant|Constable|Captain|"
    r"Coach|Chairman|Chairwoman|Chair|Commissioner|Officer|Executive)|Dr\.?|Prof\.?|"
    r"Professor)\s+$"
)
_REFERRING = frozenset(
    """plant factory site company firm group business bank agency council board committee
    club team side deal agreement bill law plan scheme project programme program report study
    survey project building station bridge road river dam mine airport port hospital school
    university village department jury case trial investigation inquiry vote election strike
    storm fire flood crash attack incident accident man woman boy girl victim suspect couple
    family driver pilot singer actor actress player striker coach union museum library church
    event festival tournament match final ship vessel aircraft plane train vehicle car""".split()
)
# "The plant will close", "The deal covers": the noun is the subject, with nothing after it
# ("The team from the University of Reading", "The report, from iSight,") that says which.
_DEFINITE_OPENING = re.compile(
    r"^[\"“]?The\s+([a-z][a-z-]+)\s+(?:is|are|was|were|has|have|had|will|would|could|can|"
    r"may|might|must|should|said|says|also|now|then|(?!(?:news|business|press|gas|bus)\b)"
    r"[a-z]+(?:ed|es|s))\b"
)


# Nouns for an event told before: "The move by…" refers to a sentence, not to a thing named.
_EVENTS = frozenset(
    """move decision announcement incident development step measure ruling finding findings
    revelation revelations comments remarks statement news episode verdict""".split()
)
_EVENT_OPENING = re.compile(rf"^[\"“]?The\s+({'|'.join(sorted(_EVENTS))})\b(?!\s+[A-Z])")


def zone_of(timezone: str | tzinfo) -> tzinfo:
    """A time zone from its name ("Europe/London") or as it is."""
    return ZoneInfo(timezone) if isinstance(timezone, str) else timezone


# --- time ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """A sentence with its relative time words resolved, or None for one that is dropped; and
    the dates written."""

    text: str | None
    dates: tuple[str, ...] = ()


def resolve_time(
    sentence: str,
    published: datetime | None,
    timezone: str | tzinfo,
    named: set[date] | None = None,
) -> Resolved:
    """`sentence` with every relative time word outside quotations replaced by the day, month
    or year it means, counted from `published` in `timezone`; text None when one cannot be
    resolved or a quotation holds one and the sentence does not name its day. A day in `named`
    (the days the post has given in full so far; updated) is given by its weekday alone."""
    zone = zone_of(timezone)
    now = published.astimezone(zone) if published is not None else None
    written: list[str] = []
    failed = False
    given = copy(named)  # `named` changes only on success

    def replace(match: re.Match[str], segment: str, opens: bool) -> str:
        nonlocal failed
        if _not_a_time_reference(match, segment):
            return match.group(0)
        phrase = None if now is None else _explicit(match, segment, now, given)
        if phrase is None:
            failed = True
            return match.group(0)
        written.append(phrase)
        return _joined(match, segment, phrase, opens)

    def resolved(segment: str) -> str:
        opens = sentence.startswith(segment)  # the first stretch: where the sentence starts
        return _RELATIVE.sub(lambda m: replace(m, segment, opens), segment)

    text = _outside_quotations(sentence, resolved)
    if failed:
        return Resolved(None)
    if any(_holds_relative(q) for q in _QUOTATION.findall(text)) and not _names_a_day(
        _QUOTATION.sub(" ", text)
    ):
        return Resolved(None)
    if named is not None and given is not None:
        named |= given
    return Resolved(text, tuple(written))


class _EveryDay(set):
    """Days all given already: `resolve_time` writes the short forms ("on Monday")."""

    def __contains__(self, item: object) -> bool:
        return True


def posted_size(text: str, article: Article, timezone: str | tzinfo) -> int | None:
    """Words of `text`, a sentence or more of `article`, as a post will give it: time words
    resolved, the outlet named; None when a time word cannot be resolved. Days are counted in
    their short form ("on Monday"): in a post of several sentences most were given before."""
    resolved = resolve_time(text, article.published, timezone, _EveryDay()).text
    return None if resolved is None else len(named_outlet(resolved, article.source).split())


def dates_meant(
    article: Article, timezone: str | tzinfo, near: str | None = None
) -> tuple[str, ...]:
    """Every date `resolve_time` writes for a sentence of `article`: the dates its relative
    time words mean. With `near` (a paragraph), only those of the sentences it retells (half
    their content words or more in it): a "tomorrow" elsewhere in the source must not vouch
    for a weekday changed in this paragraph."""
    dated = _dated_sentences(article.text or article.summary, article.published, zone_of(timezone))
    told = set(words(near)) if near is not None else None
    found: dict[str, None] = {}
    for said, dates in dated:
        if told is None or len(said & told) * 2 >= len(said):
            found.update(dict.fromkeys(dates))
    return tuple(found)


@lru_cache(maxsize=256)
def _dated_sentences(
    text: str, published: datetime | None, zone: tzinfo
) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
    """(content words, dates written) of each sentence whose time words resolve to a date."""
    if published is None:
        return ()
    found = []
    for line in text.split("\n"):
        for sentence in sentences(" ".join(line.split())):
            dates = resolve_time(sentence, published, zone).dates
            if dates:
                found.append((frozenset(words(sentence)), dates))
    return tuple(found)


# Characters either side of a time word that the rules read. Hostile text may put thousands of
# weekdays in one "sentence": reading the whole of it around each would take quadratic time.
CONTEXT = 300


def _before(match: re.Match[str], segment: str) -> str:
    return segment[max(0, match.start() - CONTEXT) : match.start()]


def _after(match: re.Match[str], segment: str) -> str:
    return segment[match.end() : match.end() + CONTEXT]


def _not_a_time_reference(match: re.Match[str], segment: str) -> bool:
    """A weekday already dated or part of a name ("Good Friday", "Sunday Times"), or a
    capitalised "Today" in mid-sentence (a programme's name)."""
    before, after = _before(match, segment), _after(match, segment)
    opening = before.rstrip(" \"“‘'(")
    mid_sentence = bool(opening) and opening[-1] not in ".!?:"
    if match.group("day") and match.group("day")[0].isupper() and mid_sentence:
        return True
    if match.group("weekday"):
        named = (
            re.match(r"\s+[A-Z]", after)
            and not _DATED_AFTER.match(after)
            and not match.group("wrel")  # "on Tuesday President Lund…": a day
            and not re.search(rf"\b{_REPORTING}\s+$", before)  # "said Tuesday Lund…"
        )
        return bool(_DATED_AFTER.match(after) or _NAMED_DAY.search(before) or named)
    return False


def _explicit(
    match: re.Match[str], segment: str, now: datetime, named: set[date] | None = None
) -> str | None:
    """The explicit form of one relative time expression, None when it names no single day
    (or month, or year); `now` is the publication time in the site's time zone."""
    today = now.date()
    if match.group("possessive") or _ATTRIBUTIVE.search(_before(match, segment)):
        return None  # "yesterday's vote", "the Sunday night event": no place for a date
    spec = (match.group("spec") or "").split()
    earlier = spec[0].lower() + " " if spec else ""
    if match.group("day"):
        offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
        word = match.group("day").lower()
        part = (match.group("daypart") or ("night" if word == "tonight" else "")).lower()
        return earlier + _on_day(today + timedelta(days=offset[word]), part, named)
    if match.group("this"):
        which = match.group("this").lower()
        part = match.group("thispart").lower()
        if which == "last" and part != "night":
            return None  # "last morning" says nothing
        shift = -1 if which == "last" else 0
        return earlier + _on_day(today + timedelta(days=shift), part, named)
    if match.group("span"):  # "in the last week" -> "in the week to Monday 23 November"
        spanned = " ".join(match.group("spanned").split()).lower()
        spanned = "days" if spanned.endswith("few days") else spanned  # "the days to Monday …"
        return f"the {spanned} to " + _on_day(today, "", named).removeprefix("on ")
    if match.group("ago"):
        return _ago(match, now, named)
    if match.group("period"):
        return _in_period(match.group("period_rel").lower(), match.group("period").lower(),
                          today, earlier)  # fmt: skip
    relation = match.group("wrel").lower().split()
    weekday = _WEEKDAYS.index(match.group("weekday").lower())
    around = segment[max(0, match.start() - CONTEXT) : match.end() + CONTEXT]
    day = _weekday_date(relation, weekday, _before(match, segment), around, today)
    if day is None:
        return None
    return earlier + _on_day(day, (match.group("wpart") or "").lower(), named)


_NUMBERS = "one two three four five six seven eight nine ten".split()
_COUNTS = {w: n for n, w in enumerate(_NUMBERS, 1)}
_COUNTS.update(a=1, an=1)


def _ago(match: re.Match[str], now: datetime, named: set[date] | None) -> str | None:
    """ "three days ago" -> "on Friday 20 November"; "two hours ago" -> the publication day
    when that many hours fit in it, else None (today, or last night?); weeks, months and vague
    counts are counted from the publication day: "nearly a month before Monday 23 November"."""
    count, unit = match.group("count").lower(), match.group("unit").lower()
    number = int(count) if count.isdigit() else _COUNTS.get(count)
    exact = number is not None and match.group("ago").split()[0].lower() == count.split()[0]
    if unit.startswith("day") and exact:
        return _on_day(now.date() - timedelta(days=number), "", named)
    if unit.startswith(("hour", "minute")):
        elapsed = now.hour * 60 + now.minute  # since midnight
        fits = exact and number * (60 if unit.startswith("hour") else 1) <= elapsed
        return _on_day(now.date(), "", named) if fits else None
    span = " ".join(match.group("ago").split()[:-1])  # "nearly a month"
    return f"{span} before " + _on_day(now.date(), "", named).removeprefix("on ")


def _in_period(relation: str, period: str, today: date, earlier: str) -> str | None:
    if period in ("week", "weekend"):
        return None  # several days: no single one to name
    step = {"last": -1, "this": 0, "next": 1}[relation]
    if period == "month":
        month = (today.month - 1 + step) % 12 + 1
        return f"{earlier}in {calendar.month_name[month]}"
    return f"{earlier}in {today.year + step}"


def _weekday_date(
    relation: list[str], weekday: int, before: str, around: str, today: date
) -> date | None:
    """The date a weekday means: "last Friday" the one before the publication day, "this
    Friday" the coming one, a bare "(on) Friday" by the tense of the words before it."""
    ahead = (weekday - today.weekday()) % 7
    behind = (today.weekday() - weekday) % 7
    if "next" in relation:
        return None  # this coming Friday, or the one after: writers differ
    if "last" in relation:
        return today - timedelta(days=behind or 7)
    if "this" in relation or ahead == 0:
        return today + timedelta(days=ahead)  # the publication day itself, whatever the tense
    near = " ".join(before.split()[-6:])
    for context in (near, around):
        if _FUTURE.search(context):
            return today + timedelta(days=ahead)
        if _PAST.search(context):
            return today - timedelta(days=behind)
    return None


def _on_day(day: date, part: str = "", named: set[date] | None = None) -> str:
    """ "on Monday 23 November", "on the afternoon of Monday 23 November"; "on Monday", "on
    Monday afternoon" for a day in `named`, which gets `day`."""
    weekday = calendar.day_name[day.weekday()]
    if named is not None and day in named:
        return f"on {weekday} {part}".rstrip()
    if named is not None:
        named.add(day)
    full = f"{weekday} {day.day} {calendar.month_name[day.month]}"
    return f"on the {part} of {full}" if part else f"on {full}"


def _joined(match: re.Match[str], segment: str, phrase: str, opens: bool) -> str:
    """The phrase in place of the match: without its own "on"/"in" after a preposition, with
    a capital where a sentence starts (`opens`: the segment starts the sentence)."""
    before = _before(match, segment).split()
    last = before[-1].lower() if before else ""
    late = last in ("late", "early") and phrase.startswith("on the ")  # "late on the night of"
    if last in _BARE_AFTER and phrase.split()[0] in ("on", "in") and not late:
        phrase = phrase.split(" ", 1)[1]
    if (opens and not before) or (before and before[-1][-1] in ".!?"):
        phrase = phrase[:1].upper() + phrase[1:]
    return phrase


def _holds_relative(text: str) -> bool:
    return any(not _not_a_time_reference(m, text) for m in _RELATIVE.finditer(text))


def _names_a_day(text: str) -> bool:
    weekday = re.search(rf"\b(?:{_WEEKDAY})\b", text, re.I)
    dated = re.search(rf"\b\d{{1,2}}\s+{_MONTH}|\b{_MONTH}\s+\d{{1,2}}\b", text, re.I)
    return bool(weekday or dated)


def _outside_quotations(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to every stretch outside quotation marks."""
    out, last = [], 0
    for quote in _QUOTATION.finditer(text):
        out += [change(text[last : quote.start()]), quote.group(0)]
        last = quote.end()
    out.append(change(text[last:]))
    return "".join(out)


# --- connectives, self-references, people, definite references, repeats ----------------------


_TIME_GLUE = re.compile(r"\b(?:late|early|by|until|from|since|at|around|about|and|then)\b", re.I)


def only_a_time(sentence: str) -> bool:
    """Whether `sentence` is a time phrase and nothing else ("On Friday.", "Late last night."):
    a fragment cut from the sentence it belonged to."""
    rest = _RELATIVE.sub(" ", sentence)
    rest = _TIME_GLUE.sub(" ", rest)
    return rest != sentence and not re.search(r"\w", rest)


def without_timing(sentence: str) -> str | None:
    """`sentence` without an opening that dates it by the sentence before ("Earlier in the day,
    the company…" -> "The company…"); None when no comma closes the opening or what is left
    leans on something else ("Hours later, he…")."""
    match = re.match(rf"{_TIMED_AFTER.pattern}\s*,\s*", sentence, re.I)
    if match is None:
        return None
    rest = sentence[match.end() :]
    if not _SUBJECT.match(rest) or _LEANING.match(rest):
        return None
    return rest[:1].upper() + rest[1:]


def opening_connective(sentence: str) -> str | None:
    """The connective that opens `sentence` and refers back, if any: "However," or "But the
    council…", and "Then" before a verb; not "So far", "Instead of", "Still more"."""
    match = _back_reference(sentence)
    return match.group("word") if match else None


def without_connective(sentence: str) -> str | None:
    """`sentence` without its opening connective, capitalised; None when what follows does not
    read as a sentence ("Then came the flood")."""
    match = _back_reference(sentence)
    if match is None:
        return sentence
    rest = sentence[match.end() :]
    if not match.group("comma") and not _SUBJECT.match(rest):
        return None
    return rest[:1].upper() + rest[1:]


def _back_reference(sentence: str) -> re.Match[str] | None:
    match = _CONNECTIVE.match(sentence)
    if match is None:
        return None
    then = match.group("word").lower() == "then"
    if match.group("comma") or then or _SUBJECT.match(sentence[match.end() :]):
        return match
    return None


def outlet_references(outlet: str) -> list[str]:
    """How an outlet may refer to itself after "the", longest first: "The Harbour Herald" gives
    "Harbour Herald" and "Herald", "The Ledger Daily" "Ledger Daily" and "Ledger" - the
    masthead's last word that is not generic ("Daily", "News"). Other words alone ("the
    Harbour") name places more often than papers."""
    name = re.sub(r"^the\s+", "", " ".join(outlet.split()), flags=re.I)
    found = [name] if name else []
    short = [p for p in name.split() if p[:1].isupper() and p.lower() not in _GENERIC_SHORT]
    if len(name.split()) > 1 and short and len(short[-1]) >= 3:
        found.append(short[-1])
    return found


def named_outlet(sentence: str, outlet: str) -> str:
    """`sentence` with its outlet's references to itself, outside quotations, replaced by the
    outlet's name: "seen by the Herald" -> "seen by The Harbour Herald"."""
    if not outlet.strip():
        return sentence
    outlet = " ".join(outlet.split())
    names = "|".join(re.escape(n) for n in outlet_references(outlet))
    short = re.compile(rf"\b(?:[Tt]he\s+)(?:{names})\b(?!['’]s\s+[A-Z])(?!\s+[A-Z])")

    def change(segment: str) -> str:
        segment = _SELF.sub(outlet, segment)
        segment = _WE_REPORTED.sub(lambda m: _reported_by(outlet, m), segment)
        return short.sub(outlet, segment) if names else segment

    return _outside_quotations(sentence, change)


def _reported_by(outlet: str, match: re.Match[str]) -> str:
    """ "we reported" -> "The Harbour Herald reported", "we have learned" -> "… has learned"."""
    have = {"have": "has ", "had": "had "}.get((match.group("have") or "").strip(), "")
    return f"{outlet} {have}{match.group('verb')}"


@dataclass
class People:
    """Who a post has introduced, in reading order: a person's full name the first time, the
    surname after that."""

    surnames: frozenset[str]  # how the sources refer to people already named
    introduced: set[str] = field(default_factory=set)

    def named(self, sentence: str, source: str = "") -> str:
        """`sentence` with every full name already introduced shortened to the surname, its
        title before it dropped, and a surname alone before its person was introduced given
        in full as `source` (the sentence's article) gives it; quotations unchanged."""
        known = {key.split()[-1] for key in self.introduced}
        named = _outside_quotations(
            sentence, lambda s: self._introduced(self._shortened(s), source)
        )
        return _outside_quotations(named, lambda s: _without_roles(s, known)) if known else named

    def _shortened(self, segment: str) -> str:
        out, last = [], 0
        for match in _FULL_NAME.finditer(segment):
            first, surname = match.group(1), match.group(2)
            if surname not in self.surnames or first in _NOT_FIRST_NAMES:
                continue
            key = f"{first} {surname}"
            if key not in self.introduced:
                self.introduced.add(key)
                continue
            start = match.start()
            near = max(0, start - CONTEXT)
            title = _TITLE_BEFORE.search(segment[near:start])
            if title:
                start = near + title.start()
            out += [segment[last:start], surname]
            last = match.end()
        out.append(segment[last:])
        return "".join(out)

    def _introduced(self, segment: str, source: str) -> str:
        """A surname alone ("Adebayo-Strand said") whose person the post has not introduced
        yet, given in full ("Transport Minister Felix Adebayo-Strand said") when `source`
        names them so; one with no full form there is left as it is."""
        for surname in sorted(self.surnames, key=len, reverse=True):
            if any(k.endswith(f" {surname}") for k in self.introduced):
                continue
            for match in re.finditer(rf"(?<![\w'’-]){re.escape(surname)}(?![\w-])", segment):
                before = _before(match, segment).split()
                if before and re.fullmatch(
                    rf"{_NAME_WORD}|(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?", before[-1]
                ):
                    continue  # a full name or "Ms Lund": not alone
                speaking = re.match(rf"\s+{_SPEECH}\b", _after(match, segment)) or re.search(
                    rf"\b(?:{_SPEECH}|according to)\s+$", _before(match, segment)
                )
                if not speaking:
                    continue  # "the Adebayo-Strand plan": a name used as a word, left alone
                full = _full_form(surname, source)
                if full is None:
                    break
                self.introduced.add(" ".join(full.split()[-2:]))
                return segment[: match.start()] + full + segment[match.end() :]
        return segment


def _without_roles(segment: str, surnames: Set[str]) -> str:
    """`segment` without a role in apposition beside one of `surnames` (people introduced
    before): "Szabo-Lind, Quillon's chief executive, said" -> "Szabo-Lind said"."""
    for surname in sorted(surnames):
        name = re.escape(surname)
        segment = re.sub(
            rf"(?<![\w'’-]){name},\s+{_ROLE},(?!\s+{_RELATIVE_PRONOUN})\s*",
            f"{surname} ",
            segment,
        )
        segment = re.sub(rf"(?<![\w'’-]){name},\s+{_ROLE}(?=[.;:]?$)", surname, segment)
        segment = re.sub(
            rf"(?:^|(?<=, )|(?<=said ))(?:[Tt]he\s+)?{_ROLE},\s+{name}"
            rf"(?:,(?!\s+{_RELATIVE_PRONOUN})\s+|(?=\s))",
            lambda m, s=surname: s + (" " if m.group(0).endswith(" ") else ""),
            segment,
        )
    return segment


def _full_form(surname: str, text: str) -> str | None:
    """How `text` first names the person called `surname`, with a title before the name when
    it gives one: "Transport Minister Felix Adebayo-Strand"."""
    for match in _FULL_NAME.finditer(text):
        if match.group(2) == surname and match.group(1) not in _NOT_FIRST_NAMES:
            title = _TITLE_BEFORE.search(text[max(0, match.start() - CONTEXT) : match.start()])
            return (title.group(0) if title else "") + f"{match.group(1)} {surname}"
    return None


def surnames_in(articles: Sequence[Article]) -> frozenset[str]:
    """Names the sources use alone next to a verb of speech or after a courtesy title
    ("Adebayo-Strand said", "said Lund", "Ms Okafor"): how they refer to a person already
    named."""
    found: set[str] = set()
    for article in articles:
        for match in _ALONE.finditer(article.text):
            name = match.group("before") or match.group("after") or match.group("titled")
            start = match.start("before") if match.group("before") else match.start()
            previous = article.text[max(0, start - 30) : start].split()
            first_name = bool(previous) and re.fullmatch(r"[A-Z][\w'’-]*", previous[-1])
            if match.group("titled") or not first_name:
                found.add(name)
    return frozenset(found - _NOT_FIRST_NAMES)


def unintroduced_reference(sentence: str, earlier: set[str]) -> str | None:
    """The noun of an opening "The plant…" that refers back to something not yet named in
    `earlier` (the words of the post before this sentence), else None. An event's noun ("The
    move by…", "The decision came…") refers back whatever follows it."""
    match = _DEFINITE_OPENING.match(sentence) or _EVENT_OPENING.match(sentence)
    if not match:
        return None
    noun = match.group(1).lower()
    if noun not in _REFERRING and noun not in _EVENTS:
        return None
    forms = {noun, noun + "s", noun + "es"}
    return None if forms & earlier else noun


def teaser(sentence: str, text: str) -> bool:
    """Whether `sentence` is a teaser cut short ("A lion was shot dead on Wednesday...") of a
    longer sentence that `text`, its source, gives too."""
    if not sentence.endswith(("...", "…")):
        return False
    opening = sentence.rstrip(".… ")
    return len(opening.split()) >= 3 and bool(re.search(rf"{re.escape(opening)}\s+\w", text))


def repeats(sentence: str, earlier: Sequence[set[str]]) -> bool:
    """`sentence` says again what an earlier sentence (given by its set of content words)
    said: at least NEAR_DUPLICATE of the content words of the shorter of the two are in the
    other, so that a longer retelling ("…, near the quay at Tollerby") and a teaser both count."""
    own = set(words(sentence))
    if len(own) < MIN_REPEAT_WORDS:
        return False  # "Will rates fall again?" shares its few words with many a sentence
    return any(
        len(other) >= MIN_REPEAT_WORDS
        and len(own & other) >= NEAR_DUPLICATE * min(len(own), len(other))
        for other in earlier
    )


# --- the draft -----------------------------------------------------------------------------


def standalone(
    sections: Sequence[Section], sources: Sequence[Article], timezone: str | tzinfo = "UTC"
) -> list[Section]:
    """The sections with every sentence made to stand on its own in the post (see the module
    docstring); each paragraph's sentences are read against its first cited source."""
    reading = _Reading(zone_of(timezone), People(surnames_in(sources)))
    by_id = {a.id: a for a in sources}
    out: list[Section] = []
    for section in sections:
        kept_paragraphs = []
        for paragraph in section.paragraphs:
            article = next((by_id[i] for i in paragraph.sources if i in by_id), None)
            kept = list(reading.paragraph(paragraph.text, article))
            if kept:
                kept_paragraphs.append(Paragraph(" ".join(kept), list(paragraph.sources)))
        if not kept_paragraphs:
            continue
        if out and not _describes(section.heading, kept_paragraphs):
            out[-1].paragraphs.extend(kept_paragraphs)  # its words went with dropped sentences
        else:
            out.append(Section(section.heading, kept_paragraphs))
    return out


def _describes(heading: str, paragraphs: Sequence[Paragraph]) -> bool:
    """Whether a heading shares a content word with its section (in any form: "flooding" over
    "floods")."""
    stems = {_stem(w) for p in paragraphs for w in words(p.text)}
    return not heading or any(_stem(w) in stems for w in words(heading))


def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


@dataclass
class _Reading:
    """What the post has said so far, in reading order."""

    zone: tzinfo
    people: People
    said: list[set[str]] = field(default_factory=list)  # words of each sentence kept
    words: set[str] = field(default_factory=set)  # every word of the post so far
    days: set[date] = field(default_factory=set)  # days given in full

    def paragraph(self, text: str, article: Article | None) -> Iterator[str]:
        """The paragraph's sentences that stand, rewritten."""
        order = _positions(article)
        previous: str | None = None  # the last sentence kept, as the source wrote it
        dropped_last = False
        for sentence in sentences(text):
            follows = (
                previous is not None and order.get(sentence, -2) == order.get(previous, -9) + 1
            )
            current = self.standing(sentence, article, follows, dropped_last)
            dropped_last = current is None
            if current is not None:
                current = self.people.named(current, article.text if article else "")
                self.said.append(set(words(sentence)))
                self.words.update(words(current))
                previous = sentence
                yield current

    def standing(
        self, sentence: str, article: Article | None, follows: bool, dropped_last: bool
    ) -> str | None:
        """One sentence rewritten to stand in the post, or None when it is dropped."""
        if repeats(sentence, self.said) or only_a_time(sentence):
            return None
        if article is not None and teaser(sentence, article.text):
            return None
        if dropped_last and _LEANING.match(sentence):
            return None  # what "He" or "This" pointed to is gone
        current: str | None = sentence
        if not follows and _TIMED_AFTER.match(sentence):
            current = without_timing(sentence)  # "Earlier in the day," of a sentence not kept
            if current is None:
                return None
        if opening_connective(current) and not follows:
            current = without_connective(current)
            if current is None or _LEANING.match(current):
                return None  # "Additionally, they…": "They" still refers back
        if self.said and not follows and unintroduced_reference(current, self.words):
            return None  # (the lede, and a sentence after its source's own, are let be)
        if article is None:
            return current if not _holds_relative(current) else None
        current = resolve_time(current, article.published, self.zone, self.days).text
        if current is None:
            return None
        return named_outlet(current, article.source)


def _positions(article: Article | None) -> dict[str, int]:
    """Index of each of the article's sentences in it."""
    if article is None:
        return {}
    return _sentence_positions(article.text or article.summary)


@lru_cache(maxsize=64)
def _sentence_positions(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    position = 0
    for line in text.split("\n"):
        for sentence in sentences(" ".join(line.split())):
            out.setdefault(sentence, position)
            position += 1
    return out
