"""Sentence splitting for English news prose.

A full stop, question mark, exclamation mark or ellipsis (with any closing quotes and brackets
after it) followed by white space and a capital letter, a digit, an amount or a list marker ends
a sentence, unless:
- it falls inside a quotation that closes later in the paragraph ('"We lost. We will be back,"
  she said.' is one sentence; a quotation left open, as news does when a quote runs on into the
  next paragraph, protects nothing);
- a question or exclamation in quotes is followed by its speaker ('"Why?" Lund asked.');
- the full stop ends an abbreviation or an initial that goes on (see `_continues`);
- it follows a list number at the start of a sentence ("1. Cut costs.").

Why rules of our own rather than a segmenter library: benchmarks/sentences.py runs pysbd,
nupunkt, sentencex, syntok and blingfire on the cases in tests/fixtures/sentences/cases.txt. The
four best of them miss 28-37 of its 306 cases (list numbers, quotations and their speakers,
"a.m." before a day, abbreviations that end a sentence), so each would need a layer of rules as
large as these; see benchmarks/README.md.
"""

from __future__ import annotations

import bisect
import re

# A candidate end: the marks, then any closing quotes or brackets, then white space.
_CANDIDATE = re.compile(r"""([.!?…]+["'”’)\]]*)\s+""")
_OPENERS = "\"'“‘(["
_QUOTE_OPENERS = "\"'“‘"
_DOUBLE_QUOTE = re.compile('["“”]')
_CURRENCY = "$£€¥"

# Titles and the like: always followed by more of the sentence ("Dr. Lund", "e.g. Kessa").
_TITLES = frozenset(
    """mr mrs ms mx messrs dr prof gov sen rep pres lt col gen maj capt cmdr adm sgt cpl pvt det
    supt insp rev fr msgr hon mt e.g i.e vs cf esp viz""".split()
)
# Abbreviations that go on only before a number ("No. 10", "Fig. 4", "approx. 3,000"); before
# anything else they are the words "no", "art" and so on.
_BEFORE_NUMBERS = frozenset(
    "no nos art fig figs vol vols pp ch sec para approx ca incl tel op".split()
)
_MONTHS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
# "9 a.m. Monday" goes on; "at 9 a.m. Late ballots …" is a new sentence.
_TIMES = frozenset(["a.m", "p.m"])
_AFTER_TIMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec et est edt ct cst cdt mt mst mdt pt pst pdt gmt utc bst cet cest""".split()
)
# Abbreviations that may end a sentence ("… signed by Valmora Inc. The price …"): like initials
# and dotted initialisms (U.S., Ph.D.), they end one only before a word that starts sentences.
_MAY_END = frozenset(
    """inc co corp ltd llc plc jr sr st ave rd blvd bros assn dept univ al est
    ala ariz ark calif colo conn del fla ga kan ky la md mich minn mo mont neb nev okla ore pa
    tenn vt va wis wyo""".split()
)
_ABBREVIATIONS = _TITLES | _BEFORE_NUMBERS | _MONTHS | _TIMES | _MAY_END
_INITIALISM = re.compile(r"(?:[a-z]{1,2}\.)+[a-z]{1,2}|[a-z]")
# Words that start sentences and are not names: after an abbreviation that may end a sentence,
# one of these begins the next ("He moved to the U.S. It was 1990."), while a name or a noun
# goes on with it ("the U.S. Senate", "George H.W. Bush").
_STARTERS = frozenset(
    """a about after again all also although an and another any are as at because before both
    but by can despite did do does during each even every few for from had has have he her here
    his how however i if in instead is it its last later many meanwhile more most much my no
    nobody none not now of on once one only or other our over several she since so some still
    such that the their then there these they this those though three to today two under
    unlike until we what when where whether which while who why with within without yes yet
    you your""".split()
)
# After '"Why?"' or '"Stop!"', one of these within the next few words names the speaker.
_SPEECH_VERBS = frozenset(
    """said says asked asks shouted shouts yelled cried added adds told tells replied replies
    wrote writes wondered demanded demands insisted insists warned warns""".split()
)
_LIST_NUMBER = re.compile(r"\(?\d{1,2}\)?")
_NON_SPACE = re.compile(r"\S")


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, in order, each stripped of surrounding white space."""
    quoted = _closed_quotations(paragraph)
    out: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(paragraph):
        if _ends_sentence(paragraph, start, match, quoted):
            out.append(paragraph[start : match.end(1)].strip())
            start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _ends_sentence(
    text: str, start: int, match: re.Match[str], quoted: list[tuple[int, int]]
) -> bool:
    after = text[match.end() : match.end() + 100]  # enough for the next few words
    if not _starts_sentence(after) or _inside(match.end(1), quoted):
        return False
    marks = match.group(1).rstrip("\"'”’)]")
    closed_quote = match.group(1) != marks and match.group(1)[len(marks)] in '"”'
    if marks[-1] in "?!" and closed_quote:
        return not _names_speaker(after)
    if marks != ".":
        return True  # an ellipsis, or a question or exclamation not in quotes
    # The word before the full stop; a window keeps long paragraphs linear.
    before = text[max(start, match.start(1) - 60) : match.start(1)]
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    if _LIST_NUMBER.fullmatch(word):
        # "1. Cut costs." when the number starts the sentence, not "It was in 1990."
        return _NON_SPACE.search(text, start, match.start(1) - len(word)) is not None
    return not _continues(word.lstrip(_OPENERS).lower(), after)


def _inside(position: int, quoted: list[tuple[int, int]]) -> bool:
    """Whether `position` is inside one of the (sorted, disjoint) quoted passages."""
    index = bisect.bisect_left(quoted, (position,)) - 1
    return index >= 0 and position < quoted[index][1]


def _starts_sentence(after: str) -> bool:
    """Whether text can start a sentence: a capital, a digit, an amount or a list letter "b)"."""
    rest = after.lstrip(_OPENERS)
    if not rest:
        return False
    first = rest[0]
    if first.isupper() or first.isdigit() or first in _CURRENCY:
        return True
    return first.islower() and rest[1:2] == ")"


def _continues(word: str, after: str) -> bool:
    """Whether `word` (lower case, its final full stop removed) is an abbreviation or an
    initial that the text `after` it goes on from."""
    if word not in _ABBREVIATIONS and not _INITIALISM.fullmatch(word):
        return False
    following = after.split(None, 1)[0]
    bare = following.lstrip(_OPENERS).rstrip(".,;:!?\"'”’)]").lower()
    if word in _TITLES:
        return True
    if word in _BEFORE_NUMBERS or word in _MONTHS:
        if following[0].isdigit():
            return True
        if word in _BEFORE_NUMBERS:
            return False
    if word in _TIMES:
        return bare in _AFTER_TIMES
    if word in _MONTHS or word in _MAY_END or _INITIALISM.fullmatch(word):
        if following[0] in _QUOTE_OPENERS:
            return False  # a quotation starts: 'He moved to the U.S. "It was hard," he said.'
        return bare not in _STARTERS or _is_initial(following)
    return False


def _is_initial(word: str) -> bool:
    return len(word) == 2 and word[0].isupper() and word[1] == "."


def _names_speaker(after: str) -> bool:
    """Whether the next few words, up to the end of a sentence, hold a verb of speech."""
    for word in after.split(None, 5)[:5]:
        bare = word.strip(".,;:!?\"'”’").lower()
        if bare in _SPEECH_VERBS:
            return True
        if word.rstrip("\"'”’)")[-1:] in (".", "!", "?") and not (
            bare in _TITLES or _is_initial(word)
        ):
            return False  # '"Why?" The board met. She said no.'
    return False


def _closed_quotations(text: str) -> list[tuple[int, int]]:
    """(opening, closing) positions of the double-quoted passages that close in `text`.

    Straight and curly quotes alike are told apart by where they stand (curly ones are often
    typed the wrong way round): a quote after white space or an opening bracket, and before a
    non-space, opens."""
    spans = []
    opening = None
    for quote in _DOUBLE_QUOTE.finditer(text):
        index = quote.start()
        after_space = index == 0 or text[index - 1].isspace() or text[index - 1] in "([{—–-/"
        before_text = index + 1 < len(text) and not text[index + 1].isspace()
        if after_space and before_text:
            opening = index
        elif opening is not None:
            spans.append((opening, index))
            opening = None
    return spans
