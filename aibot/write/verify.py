"""Grounding checks: what a paragraph states must be found in the sources it cites.

For every paragraph of a draft:
- every number, amount and percentage must be in a cited source, compared by value: "1,000" =
  "1000" = "one thousand", "$5.6 billion" = "5.6bn dollars" = "US$5.6 billion" = "5,600 million";
- every quotation (12 characters or more between quotes) must be in a cited source, with curly
  and straight quotes and white space folded;
- every month and weekday named must be in a cited source, and every date with all the numbers it
  holds (day, and year when written), in any notation: "July 31, 2014" = "31 July 2014" =
  "2014-07-31"; "July 31" is supported by "31 July 2014" (see aibot.write.dates); a date a cited
  source's relative time word means counts as that source's ("today" in a source published on
  Monday 23 November in the site's time zone: `aibot.write.standalone.dates_meant`);
- a date that cannot exist ("July 100", "31 April", "29 February 2015", "13/13/2014") is
  flagged as such;
- every name (a capitalised word in mid-sentence) must be in a cited source or be the name of
  a cited outlet;
- most of a paragraph's words (stemmed, stop words aside) must be in its cited sources: a
  paragraph on another subject (a model that followed an instruction planted in an article) has
  no number or name to catch, but its words give it away;
- a paragraph must cite at least one source, and only sources of the story;
- every link (http:, www., javascript: …) must be in a cited source.

Each paragraph's evidence is recorded as it is checked: for each cited source, the sentences
that support it (aibot.write.evidence), kept in the post's front matter for the build.

A source paragraph that speaks to the model instead of the reader ("ignore previous
instructions", "note to any AI summarising this page", a forged <source> element or answer, a
fake "Human:" turn) is not evidence: it is left out of what the sources hold, and a draft that
uses words found only in such text — in a paragraph, the headline, the summary or a disagreement,
which are checked against all the story's sources — obeyed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from aibot.models import Article, Draft, Evidence, Review
from aibot.support.text import STOPWORDS, sentences
from aibot.write.dates import MONTH_NAMES, Reading, WrittenDate, dates_in, why_impossible
from aibot.write.evidence import supporting_sentences
from aibot.write.standalone import dates_meant

_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s*(billion|bn|million|mn|m|thousand|k|trillion|tn)\b)?",
    re.I,
)
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
_UNITS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * n
    for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_WORD_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER_WORD = re.compile(
    r"\b(?:(?:{})(?:[\s-]+(?:and[\s-]+)?)?)+".format(
        "|".join([*_UNITS, *_TENS, *_WORD_SCALES, "a"])
    ),
    re.I,
)
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,}?)[\"”]")
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_MONTH_NUMBER = {name.lower(): n for n, name in enumerate(MONTH_NAMES, 1)}
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
# Before a word that starts a sentence or a quotation (a straight quote opens one only when it
# stands right before the word).
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[“(‘]\s*|(?:^|\s)[\"'])$")
# A paragraph of at least OFF_SOURCE_MIN_WORDS content words is off-source when fewer than
# OFF_SOURCE_SHARE of them (stemmed) are in its cited sources.
OFF_SOURCE_MIN_WORDS = 8
OFF_SOURCE_SHARE = 0.5
_STEMMER = snowballstemmer.stemmer("english")
# A number under this is common enough to be found anywhere: it must come with the same word
# before or after it as in a source ("8 p.m." is not "6 p.m. ... 8 people").
SMALL = 100
# Words that often open a sentence and are no names, for the sentence-initial check.
_COMMON_OPENERS = frozenset(
    """meanwhile however still also but and or so yet thus instead later earlier today yesterday
    tomorrow now then after before while when since although though despite according officials
    police authorities residents critics analysts experts investigators prosecutors lawmakers
    witnesses neighbors neighbours researchers scientists doctors both many most some several few
    all each every other others one two three four five six seven eight nine ten first second
    third last next new once in on at by for from with without under over about as if what who
    why how where which whose""".split()
)
# Capitalised words that are not names wherever they stand.
_NOT_NAMES = frozenset(
    """i a an the he she it we they you his her its our their this that these those there here
    mr mrs ms dr prof sir madam st""".split()
)


# A source paragraph addressed to the model rather than the reader (see the module docstring).
_TO_THE_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,60}"
    r"\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\bsystem\s+(?:prompt|override|message|instructions?)\b"
    r"|\b(?:notes?|messages?|instructions?|attention)(?:\s+(?:to|for))?\s+(?:any\s+|all\s+|the\s+)?"
    r"(?:ai|a\.i\.|language\s+models?|llms?|assistants?|chatbots?|bots?)\b"
    r"|^\s*(?:human|assistant|user|system)\s*:"
    r"|\bwhen\s+you\s+(?:write|summari[sz]e|report|describe|cover|answer)\b"
    r"|\b(?:in|into)\s+your\s+(?:story|summary|answer|article|response|output|reply)\b"
    r"|\byour\s+(?:full\s+)?(?:system\s+)?(?:prompt|instructions)\b"
    r"|</?\s*source\b|<!--|\"headline\"\s*:",
    re.I | re.M,
)
# Characters that hide an instruction from a pattern without changing how it reads.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062"
                                    "\u2063\u2064\ufeff"))  # fmt: skip
_LINK = re.compile(
    r"\b(?:(?:https?|ftp|file|javascript|vbscript|data):|www\.)[^\s<>()\[\]\"']+", re.I
)


def verify(draft: Draft, articles: Sequence[Article], *, timezone: str = "UTC") -> Review:
    """Check `draft` against `articles`; a flagged review lists each unsupported claim. A date
    a source's relative time word means in `timezone` (the site's) counts as that source's.
    Each paragraph's `evidence` is set on the way (see add_evidence)."""
    notes = [
        f"section {s + 1} ({draft.sections[s].heading}), paragraph {p + 1}: {note}"
        for (s, p), found in paragraph_problems(draft, articles, timezone=timezone).items()
        for note in found
    ]
    # Headline, summary and disagreements cite no source: checked against all of them, for
    # what an instruction planted in a source would add.
    whole = [("headline", draft.title), ("summary", draft.summary)]
    whole += [(f"disagreement {n}", d) for n, d in enumerate(draft.disagreements, start=1)]
    for name, text in whole:
        notes += [f"{name}: {note}" for note in planted_or_linked(text, articles)]
    add_evidence(draft, articles)
    return Review(status="flagged" if notes else "passed", notes=notes)


def add_evidence(draft: Draft, articles: Sequence[Article]) -> None:
    """Set each paragraph's evidence: for each cited source, the sentences that support it
    (only text for the reader: never a sentence addressed to the model)."""
    by_id = {a.id: a for a in articles}
    for section in draft.sections:
        for paragraph in section.paragraphs:
            cited = [by_id[i] for i in dict.fromkeys(paragraph.sources) if i in by_id]
            found = [
                (a.canonical_url, supporting_sentences(paragraph.text, _reader_paragraphs(a)))
                for a in cited
            ]
            paragraph.evidence = [Evidence(url, said) for url, said in found if said]


def paragraph_problems(
    draft: Draft, articles: Sequence[Article], *, timezone: str = "UTC"
) -> dict[tuple[int, int], list[str]]:
    """(section, paragraph) indexes, from 0, of every flagged paragraph -> its notes."""
    by_id = {a.id: a for a in articles}
    problems: dict[tuple[int, int], list[str]] = {}
    for s_index, section in enumerate(draft.sections):
        for p_index, paragraph in enumerate(section.paragraphs):
            notes: list[str] = []
            if not paragraph.sources:
                notes.append("cites no source")
            unknown = [i for i in paragraph.sources if i not in by_id]
            if unknown:
                notes.append(f"cites unknown source(s) {', '.join(unknown)}")
            cited = [by_id[i] for i in paragraph.sources if i in by_id]
            if cited:
                notes += unsupported(paragraph.text, cited, timezone=timezone)
            notes += planted_or_linked(paragraph.text, articles, links=False)
            if notes:
                problems[(s_index, p_index)] = notes
    return problems


def unsupported(text: str, cited: Sequence[Article], *, timezone: str = "UTC") -> list[str]:
    """What `text` states that the cited articles do not: one note per kind of claim."""
    meant = [d for a in cited for d in dates_meant(a, timezone, near=text)]
    facts = _facts(_evidence(cited) + ("\n" + ". ".join(meant) if meant else ""))
    notes = []
    links = [link for link in _LINK.findall(text) if link.rstrip(".,;:") not in facts.folded]
    if links:
        notes.append(f"link(s) not in the cited sources: {', '.join(_unique(links))}")
    dates = _dates(text, facts)
    in_dates = [(d.start, d.end) for d in dates]  # their numbers and months: checked as dates
    missing = [
        raw
        for raw, value, before, after in _amounts(text, skip=in_dates)
        if value not in facts.values
        or (
            value < SMALL
            and (value, after) not in facts.contexts
            and (before, value) not in facts.contexts
        )
    ]
    if missing:
        notes.append(f"number(s) not in the cited sources: {', '.join(_unique(missing))}")
    for quote in _QUOTED.findall(text):
        if _fold(quote) not in facts.folded:
            notes.append(f"quotation not in the cited sources: “{quote}”")
    calendar = [
        w for w in (_bare(m) for m in _WORD.findall(text))
        if w.lower() in _CALENDAR and w[0].isupper()
    ]  # fmt: skip
    months = {r[0] for r in facts.dates}
    changed = [
        w for w in calendar
        if w.lower() not in facts.words and _MONTH_NUMBER.get(w.lower()) not in months
    ]  # fmt: skip
    impossible = [f"{d.text} ({why_impossible(d)})" for d in dates if not d.possible]
    if impossible:
        notes.append(f"date(s) that cannot exist: {', '.join(_unique(impossible))}")
    changed += [d.text for d in dates if d.possible and not _date_held(d, facts)]
    if changed:
        notes.append(f"date(s) not in the cited sources: {', '.join(_unique(changed))}")
    names = [
        w for w in _names(text, facts.lower_words, skip=in_dates) if w.lower() not in facts.words
    ]
    if names:
        notes.append(f"name(s) not in the cited sources: {', '.join(_unique(names))}")
    content = [w for w in (_bare(m).lower() for m in _WORD.findall(text)) if w not in STOPWORDS]
    if len(content) >= OFF_SOURCE_MIN_WORDS:
        absent = [w for w in content if _STEMMER.stemWord(w) not in facts.stems]
        if len(absent) > (1 - OFF_SOURCE_SHARE) * len(content):
            notes.append(
                f"off-source: {len(absent)} of {len(content)} words are not in the cited "
                f"sources ({', '.join(_unique(absent)[:6])})"
            )
    return notes


def planted_or_linked(text: str, articles: Sequence[Article], *, links: bool = True) -> list[str]:
    """Words of `text` found in the story's sources only in text planted for the model, and
    (with `links`) links no source holds outside such text."""
    notes = []
    planted = _planted_stems(_evidence(articles), _planted(articles))
    words = [w for w in (_bare(m).lower() for m in _WORD.findall(text)) if w not in STOPWORDS]
    obeyed = [w for w in words if len(w) > 2 and _STEMMER.stemWord(w) in planted]
    if obeyed:
        notes.append(
            "follows an instruction planted in a source: word(s) found only there "
            f"({', '.join(_unique(obeyed)[:6])})"
        )
    if links:
        held = _folded(_evidence(articles))
        found = [link for link in _LINK.findall(text) if link.rstrip(".,;:") not in held]
        if found:
            notes.append(f"link(s) not in the sources: {', '.join(_unique(found))}")
    return notes


@lru_cache(maxsize=1024)
def _paragraphs_to_the_model(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(text for the reader, text addressed to the model) of a source, by paragraph: in a
    paragraph, the first sentence that speaks to the model and every one after it (the rest of
    an instruction) are the model's; the sentences before it are the reader's."""
    reader, model = [], []
    for paragraph in re.split(r"\n\s*\n", text):
        said = sentences(paragraph) or [paragraph]
        first = next(
            (n for n, s in enumerate(said) if _TO_THE_MODEL.search(s.translate(_INVISIBLE))), None
        )
        if first is None:
            reader.append(paragraph)
            continue
        if first:
            reader.append(" ".join(said[:first]))
        model.append(" ".join(said[first:]))
    return tuple(reader), tuple(model)


def _evidence(articles: Sequence[Article]) -> str:
    """What the articles hold for the reader: outlet, title and every paragraph not addressed
    to the model."""
    return " \n ".join(
        f"{a.source}\n{a.title}\n" + "\n\n".join(_reader_paragraphs(a)) for a in articles
    )


def _reader_paragraphs(article: Article) -> tuple[str, ...]:
    return _paragraphs_to_the_model(article.text)[0]


def _planted(articles: Sequence[Article]) -> str:
    return "\n\n".join(p for a in articles for p in _paragraphs_to_the_model(a.text)[1])


@lru_cache(maxsize=64)
def _planted_stems(evidence: str, planted: str) -> frozenset[str]:
    """Stems of the planted text that the evidence does not have."""
    if not planted:
        return frozenset()
    return _stems(planted.translate(_INVISIBLE)) - _stems(evidence)


@lru_cache(maxsize=64)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_STEMMER.stemWords([_bare(w).lower() for w in _WORD.findall(text)]))


@lru_cache(maxsize=64)
def _folded(text: str) -> str:
    return _fold(text)


@dataclass(frozen=True)
class _Facts:
    """What the cited sources hold, read once per set of sources."""

    values: frozenset[float]
    contexts: frozenset[tuple[object, object]]
    folded: str
    words: frozenset[str]  # lower-cased
    lower_words: frozenset[str]  # the words the sources write in lower case
    dates: frozenset[Reading]  # every reading of every date the sources write
    stems: frozenset[str]


@lru_cache(maxsize=256)
def _facts(source: str) -> _Facts:
    words = _WORD.findall(source)
    return _Facts(
        values=frozenset(_values(source)),
        contexts=frozenset(_contexts(source)),
        folded=_fold(source),
        words=frozenset(_bare(w).lower() for w in words),
        lower_words=frozenset(_bare(w) for w in words if w.islower()),
        dates=frozenset(r for d in dates_in(source) for r in d.readings),
        stems=frozenset(_STEMMER.stemWords([_bare(w).lower() for w in words])),
    )


def _dates(text: str, facts: _Facts) -> list[WrittenDate]:
    """The dates of a paragraph, but for an impossible one that the sources write too: that is
    no date ("in June 45 people")."""
    return [d for d in dates_in(text) if d.possible or _fold(d.text) not in facts.folded]


def _date_held(date: WrittenDate, facts: _Facts) -> bool:
    """Whether the sources give the date, in any notation: the same month, day and year. A
    year the sources do not give to that month and day must be one they name."""
    for month, day, year in date.possible:
        same_month = [r for r in facts.dates if r[0] == month]
        if day is not None:
            same_day = [r for r in same_month if r[1] == day]
            years = {r[2] for r in same_day if r[2] is not None}
            if same_day and (year is None or year in years or (not years and year in facts.values)):
                return True
        else:
            years = {r[2] for r in same_month if r[2] is not None}
            if year in years or (not years and year in facts.values):
                return True
    return False


def _amounts(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[tuple[str, float, str, str]]:
    """(as written, value, word before, word after) for every number in the text, spelled-out
    ones included, but for those within the `skip` spans."""
    found = []
    for match in _NUMBER.finditer(text):
        if any(start <= match.start() < end for start, end in skip):
            continue
        digits, scale = match.group(1), (match.group(2) or "").lower()
        value = _parse(digits)
        if value is None:
            continue
        if scale == "m" and not _is_money(text, match.start()):
            scale = ""  # "5 m" is metres unless it follows a currency sign
        value = round(value * _SCALES.get(scale, 1), 6)
        found.append((match.group(0).strip(), value, *_around(text, match.start(), match.end())))
    for match in _NUMBER_WORD.finditer(text):
        words = match.group(0).strip()
        if re.search(r"\d\s*$", text[max(0, match.start() - 40) : match.start()]):
            continue  # the scale word of "4.2 billion", read above
        value = _spelled(words)
        if value is not None and value >= 2:  # "one of the" says no number
            found.append((words, float(value), *_around(text, match.start(), match.end())))
    return found


def _around(text: str, start: int, end: int) -> tuple[str, str]:
    """The words just before and just after a span, lower-cased."""
    before = _WORD.findall(text[max(0, start - 40) : start])
    after = _WORD.findall(text[end : end + 40])
    return (_bare(before[-1]).lower() if before else "", _bare(after[0]).lower() if after else "")


def _contexts(text: str) -> set[tuple[object, object]]:
    """(value, word after) and (word before, value) for every number in the text."""
    out: set[tuple[object, object]] = set()
    for _, value, before, after in _amounts(text):
        out.add((value, after))
        out.add((before, value))
    return out


def _values(text: str) -> set[float]:
    """Every value a number in the source can be read as: with and without its scale word."""
    values = {value for _, value, _, _ in _amounts(text)}
    for match in _NUMBER.finditer(text):
        value = _parse(match.group(1))
        if value is not None:
            values.add(round(value, 6))
    return values


def _parse(digits: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    elif "," in digits:
        digits = digits.replace(",", ".", 1) if digits.count(",") == 1 else digits
    try:
        return float(digits.rstrip("."))
    except ValueError:
        return None


def _is_money(text: str, start: int) -> bool:
    return bool(re.search(r"[$£€¥]\s*$", text[max(0, start - 4) : start]))


def _spelled(words: str) -> int | None:
    """The value of spelled-out numbers such as "one thousand" or "twenty-five million"."""
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("and", ""):
            continue
        if word == "a":
            if not current:
                current = 1  # "a thousand" is a number; "a" alone (seen stays False) is not
        elif word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word in _WORD_SCALES:
            if not current:
                return None  # a bare "million" says no amount
            total += current * int(_WORD_SCALES[word])
            current = 0
            seen = True
    return total + current if seen else None


def _names(
    text: str, common: Iterable[str] = (), skip: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """The names a paragraph mentions: capitalised words in mid-sentence, and a capitalised
    word opening a sentence when the sources never use it in lower case and it is no common
    opener ("Meanwhile", "Officials"); none within the `skip` spans (dates: "Jul. 31")."""
    common = set(common)
    out = []
    for match in _WORD.finditer(text):
        word = _bare(match.group(0))
        if not word or not word[0].isupper() or word.lower() in _NOT_NAMES:
            continue
        if word.lower() in _CALENDAR or any(a <= match.start() < b for a, b in skip):
            continue
        # The 80 characters before are enough, and reading all of them for every word of a
        # long text would take quadratic time.
        if _SENTENCE_START.search(text[max(0, match.start() - 80) : match.start()]):
            lower = word.lower()
            if lower in common or lower in _COMMON_OPENERS or lower in STOPWORDS:
                continue
        if text[match.end() : match.end() + 1] == "$":
            continue  # US$, A$, HK$: a currency
        out.append(word)
    return out


def _bare(word: str) -> str:
    """A word without a trailing full stop, dash or possessive."""
    word = word.rstrip(".-")
    for ending in ("'s", "’s", "'", "’"):
        if word.endswith(ending):
            return word[: -len(ending)]
    return word


def _fold(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(text.split()).lower()


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
