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
most central one that is not one of the draft's paragraphs and shares less than DEK_MAX_OVERLAP
of its words with the lede; failing that, the lede's main clause when it is short enough to
differ, and otherwise another central sentence of the draft.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from aibot.collect.junk import is_furniture, junk_kind
from aibot.models import Article
from aibot.text import STOPWORDS, words
from aibot.vectors import cosine, normalise

HEADLINE_MAX_CHARS = 90
HEADLINE_MIN_WORDS = 4
HEADLINE_MIN_SUPPORT = 0.5  # share of a headline's content words another source uses
DEK_MAX_OVERLAP = 0.5  # word-set overlap (Jaccard) with the lede above which a dek repeats it
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
_CLAUSE_END = re.compile(r",\s|;\s|:\s|\s[-–—]\s|\s\(")
_QUOTE_MARKS = re.compile(r"[\"“”]")


def clean_headline(title: str, outlet: str = "") -> str:
    """A source headline without the outlet's suffix (" - Reuters", " | BBC News")."""
    title = " ".join(title.split())
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
    titled = [a for a in sources if a.title.strip() and not is_furniture(a.title)]
    titled = titled or [a for a in sources if a.title.strip() and junk_kind(a.title) is None]
    candidates = []
    for article in titled:
        title = fitted(clean_headline(article.title, article.source))
        if (
            title
            and not frames_one_angle(title)
            and _support(title, article, sources) >= (HEADLINE_MIN_SUPPORT)
        ):
            candidates.append((_fit(title, centroid), -article.when.timestamp(), title))
    if candidates:
        return max(candidates)[2]
    from_lede = fitted(main_clause(lede)) if lede else None
    if from_lede:
        return from_lede
    if titled:
        best = max(titled, key=lambda a: _fit(a.title, centroid))
        title = clean_headline(best.title, best.source)
        return fitted(title) or _cut_anywhere(title)
    return "Untitled story"


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
    """A sentence up to its first clause break (", ", "; ", " - "), without a short opening
    phrase ("On Monday, …") or a trailing period."""
    text = " ".join(sentence.split()).rstrip(" .")
    parts = _CLAUSE_END.split(text)
    if len(parts) > 1 and len(parts[0].split()) <= 4:
        parts = parts[1:]
    return parts[0].strip()


def summary(lede: str, retellings: Sequence[str], others: Sequence[str]) -> str:
    """The dek: a retelling of the event in other words than the lede's (see the module
    docstring). `retellings` are other outlets' opening sentences, `others` the draft's other
    sentences, each best first."""
    for text in retellings:
        if _dek_like(text) and overlap(text, lede) < DEK_MAX_OVERLAP:
            return text
    clause = main_clause(lede)
    if len(clause.split()) >= HEADLINE_MIN_WORDS and overlap(clause, lede) < NEAR_EQUAL:
        return clause + "."
    for text in others:
        if _dek_like(text) and overlap(text, lede) < NEAR_EQUAL:
            return text
    return lede


def overlap(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' content-word sets."""
    first, second = set(words(a)), set(words(b))
    if not first or not second:
        return 1.0 if first == second else 0.0
    return len(first & second) / len(first | second)


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


def _cut_anywhere(title: str) -> str:
    """Last resort for a headline that cannot be cut well: whole words up to the limit."""
    if len(title) <= HEADLINE_MAX_CHARS:
        return title
    return title[:HEADLINE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-–—")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
