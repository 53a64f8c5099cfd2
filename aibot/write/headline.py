"""The offline writer's headline and summary (dek), both drawn from the sources' own words.

Headline. The candidates are the sources' headlines without their outlet suffix, never a line
of page furniture or junk. One is central enough when its words are shared by the story: at
least HEADLINE_MIN_SUPPORT of its content words occur in another source's text (or, with one
source, in its own text); among those, the one closest to the story's centroid wins. A
headline that frames one angle - a question, "Why X wants Y: …", "Opinion: …", "5 things …",
"X: what it means" - does not speak for the story, and neither does one longer than
HEADLINE_MAX_CHARS that cannot be cut at a word boundary into a headline (ending on a content
word, before a preposition or conjunction). When no headline qualifies, the lede's main clause
becomes the headline, cut the same way.

Summary. The page shows the summary right under the headline and above the lede, so it must
say the story in other words: another outlet's opening sentence (they retell the event), the
most central one that is not one of the draft's paragraphs and has less than DEK_MAX_OVERLAP
of its content words in the lede; failing that, another opening sentence, a source's own
summary or headline, or a central sentence of the draft with less than NEAR_EQUAL of its words
in the lede; the lede's main clause only when none is left.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from aibot.collect.junk import is_furniture, without_widget
from aibot.models import Article
from aibot.support.text import STOPWORDS, words
from aibot.support.vectors import cosine, normalise

HEADLINE_MAX_CHARS = 90
HEADLINE_MIN_WORDS = 4
HEADLINE_MIN_SUPPORT = 0.5  # share of a headline's content words another source uses
DEK_MAX_OVERLAP = 0.6  # share of its content words in the lede above which a dek repeats it
NEAR_EQUAL = 0.8  # above this, a summary is the lede again
DEK_WORDS = (12, 45)

_OUTLET_SUFFIX = re.compile(r"\s+(?:[-–—|:]\s+)[^-–—|:]{2,40}$")
# A headline that frames one angle rather than the event.
_ANGLE = re.compile(
    r"^(?:why|how|what|who|whom|where|when|which|should|could|can|is|are|does|do|will)\b"
    r"|^(?:opinion|analysis|comment|commentary|explainer|explained|editorial|column|watch|"
    r"live|video|podcast|in pictures|q ?& ?a|fact ?check|the big read|view)\b"
    r"|^\d+\s+(?:things|ways|reasons|facts|questions|lessons|charts|takeaways|key)\b"
    r"|:\s*(?:why|how|what|who|where|when|everything|all you|the key|\d+ things)\b"
    r"|\?\s*$",
    re.I,
)
# Where a headline may end: before one of these words, after a content word.
_CUT_BEFORE = frozenset(
    """after before during as while when where which who whose that because since until
    following amid despite with without for from in on at by into over under than through
    across against between including and but or so""".split()
)
# Furniture that page extraction leaves at the top of an article, where a headline is taken
# from: a video player's "CLOSE", a photo caption, a newsletter box.
_BOILERPLATE = re.compile(
    r"^(?-i:CLOSE|BREAKING|WATCH|VIDEO|PHOTOS?)\b|\b(?:file|ap|getty|reuters) photo\b"
    r"|\bimage (?:caption|copyright)\b|\bbreaking news (?:emails?|alerts?)\b|\bsign up\b"
    r"|\bnewsletter\b|\bclick here\b|\bin this (?:\w+, )?[\w.]+ \d{1,2}, \d{4},? (?:file )?photo",
    re.I,
)
# A phrase of time, place or manner that opens a sentence ("For decades, …", "Speaking at a
# rally, …"), not its subject.
OPENING_PHRASE = re.compile(
    r"(?:for|on|in|at|after|before|by|since|with|under|last|this|earlier|later|until|during|"
    r"despite|over|across|from|as|when|while|yet|still|now|today|yesterday|among|amid|"
    r"following|if|although|though|because|unlike|like|whether)\b"
    r"|(?-i:[A-Z]?[a-z]+ing\s+[a-z])",  # a participle: "Speaking at …", not "Beijing"
    re.I,
)
_CLAUSE_END = re.compile(r",\s|;\s|:\s|\s[-–—]\s|\s\(")
_QUOTE_MARKS = re.compile(r"[\"“”]")


def clean_headline(title: str, outlet: str = "") -> str:
    """A source headline without the outlet's suffix (" - Reuters", " | BBC News") or a label
    run into its start ("Story highlights …")."""
    title = without_widget(" ".join(title.split()))
    if outlet and title.lower().endswith(outlet.lower()):
        trimmed = title[: -len(outlet)].rstrip(" -–—|:")
        if trimmed:
            return trimmed
    match = _OUTLET_SUFFIX.search(title)
    if match and outlet and outlet.lower() in match.group(0).lower():
        return title[: match.start()]
    return title


def headline(sources: Sequence[Article], centroid: dict[str, float], lede: str) -> str:
    """The most central source headline that speaks for the whole story, or the lede's main
    clause (see the module docstring)."""
    # A title that is page furniture ("Media caption …") is never a headline, even the only one.
    titled = [a for a in sources if a.title.strip() and not is_furniture(a.title)]
    candidates = []
    for article in titled:
        title = fitted(clean_headline(article.title, article.source))
        if (
            title
            and reads_as_headline(title)
            and _support(title, article, sources) >= HEADLINE_MIN_SUPPORT
        ):
            candidates.append((_fit(title, centroid), -article.when.timestamp(), title))
    if candidates:
        return max(candidates)[2]
    clause = main_clause(lede) if lede else ""
    from_lede = fitted(clause)
    if from_lede and reads_as_headline(from_lede):
        return from_lede
    readable = [
        (_fit(title, centroid), title)
        for title in (fitted(clean_headline(a.title, a.source)) for a in titled)
        if title and reads_as_headline(title)
    ]
    if readable:
        return max(readable)[1]
    return _cut_anywhere(clause) or "Untitled story"


def reads_as_headline(title: str) -> bool:
    """At least HEADLINE_MIN_WORDS words, ending on a content word (not a title cut short,
    "… into the evening of", or a bare dateline, "CAIRO |"), not page furniture ("CLOSE …",
    "Breaking News Emails …"), and not framing one angle."""
    tokens = title.split()
    if len(tokens) < HEADLINE_MIN_WORDS or frames_one_angle(title) or _BOILERPLATE.search(title):
        return False
    last = tokens[-1].lower().strip("\"“”'‘’")
    return last[-1:].isalnum() and last not in STOPWORDS and last not in _CUT_BEFORE


def frames_one_angle(title: str) -> bool:
    """A question, an explainer or an opinion label, a listicle: one outlet's angle."""
    return bool(_ANGLE.search(title.strip(" \"“”'‘’")))


def fitted(text: str, limit: int = HEADLINE_MAX_CHARS) -> str | None:
    """`text` as a headline of at most `limit` characters: whole, or cut before a preposition
    or conjunction after a content word; None when no such cut leaves a headline."""
    text = " ".join(text.split()).rstrip(" .")
    if not text:
        return None
    if len(text) <= limit:
        return _capitalised(text)
    tokens = text.split()
    best = None
    for end in range(HEADLINE_MIN_WORDS, len(tokens)):
        head = " ".join(tokens[:end])
        if len(head) > limit:
            break
        last = tokens[end - 1].lower().strip(",;:")
        ends_well = last not in STOPWORDS and last not in _CUT_BEFORE
        if tokens[end].lower() in _CUT_BEFORE and ends_well and tokens[end - 1][-1:] not in ",;:":
            best = head
    if best is None or len(_QUOTE_MARKS.findall(best)) % 2:
        return None
    return _capitalised(best)


def main_clause(sentence: str) -> str:
    """A sentence up to its first clause break (", ", "; ", " - "), without an opening phrase
    of time, place or manner ("On Monday, …", "After months of talks, …") or a trailing
    period."""
    text = " ".join(sentence.split()).rstrip(" .")
    parts = _CLAUSE_END.split(text)
    while len(parts) > 1 and OPENING_PHRASE.match(parts[0]):
        parts = parts[1:]
    return parts[0].strip()


def summary(
    lede: str, retellings: Sequence[str], others: Sequence[str], extras: Sequence[str] = ()
) -> str:
    """The dek: a retelling of the event in other words than the lede's (see the module
    docstring). `retellings` are other outlets' opening sentences, `others` the draft's other
    sentences, each best first; `extras` (the sources' own summaries and headlines) come after
    them, and the lede's main clause is the last resort."""
    for text in retellings:
        if _dek_like(text) and overlap(text, lede) < DEK_MAX_OVERLAP:
            return text
    for text in [*retellings, *extras, *others]:
        if len(text.split()) >= HEADLINE_MIN_WORDS and overlap(text, lede) < NEAR_EQUAL:
            return text
    clause = main_clause(lede)
    return clause + "." if clause and clause + "." != lede else lede


def overlap(a: str, b: str) -> float:
    """The share of the shorter text's content words that the other one holds: a clause cut
    from the lede overlaps it fully, as a reader sees it."""
    first, second = set(words(a)), set(words(b))
    if not first or not second:
        return 1.0 if first == second else 0.0
    return len(first & second) / min(len(first), len(second))


def _dek_like(text: str) -> bool:
    low, high = DEK_WORDS
    return low <= len(text.split()) <= high and not _QUOTE_MARKS.search(text)


def _support(title: str, own: Article, sources: Sequence[Article]) -> float:
    """The largest share of the headline's content words that another source's text uses."""
    terms = set(words(title))
    if not terms:
        return 0.0
    others = [a for a in sources if a.source != own.source] or [own]
    return max(len(terms & set(words(f"{a.title} {a.text}"))) / len(terms) for a in others)


def _fit(title: str, centroid: dict[str, float]) -> float:
    return cosine(normalise(dict(Counter(words(title)))), centroid)


def _cut_anywhere(text: str) -> str:
    """Last resort: whole words up to the limit, ending on a content word."""
    tokens = " ".join(text.split()).rstrip(" .").split()
    while tokens and (
        len(" ".join(tokens)) > HEADLINE_MAX_CHARS
        or tokens[-1].lower().strip(",;:") in STOPWORDS | _CUT_BEFORE
    ):
        tokens.pop()
    return _capitalised(" ".join(tokens).rstrip(",;:"))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
