"""Readability lint: what makes a site's posts read badly, counted per post and per site.

    python benchmarks/readability.py SITE_DIR [SITE_DIR ...] [--explain]
    python benchmarks/readability.py --demo [--explain]     # the demo, built in a temporary folder
    python benchmarks/readability.py --e2e [--explain]      # the posts of benchmarks/e2e_news.py

A SITE_DIR is a folder holding `content/posts/` (a site made by `aibot init`, the demo's
`examples/demo`, or a folder kept by `benchmarks/e2e_news.py --keep`). Every post under it is read
with `aibot.posts.load_posts`, drafts included (the writer wrote them too). The body is read as the
build reads it: `##` headings open sections, a paragraph is a run of non-blank lines, citations
(`[[2]](#source-2)`) are cut out and mark where one source's text ends, Markdown escapes are
undone, and the "Sources", "Updates" and "Where sources differ" sections are not prose.

Kinds (each hit is one sentence, heading or summary; see the functions of the same name):
- dangling opener: a paragraph, or a sentence right after a citation, that opens with a word
  referring back ("He", "They", "It", "This", "Then", "Also", "However", "But", "Meanwhile",
  "Still,", "The move", ...). "He"/"She" after a citation count only when no name comes before
  them in the paragraph; "It is unclear whether" and other empty "it"s do not count.
- relative time: "today", "tonight", "yesterday", "tomorrow", "this morning/afternoon/evening/
  week/weekend/month", "last/next night/week/month/Friday", "earlier this week", "three days
  ago", and a weekday with no date next to it ("on Friday", "Friday's vote"). A resolved form
  ("on Monday 23 November", "Monday, Nov. 23"), words inside quotation marks (a speaker's own
  words), a time word capitalised in mid-sentence (a name: "USA TODAY") and a newspaper's
  edition ("Wednesday's Post") do not count. Year-level words ("last year") are left out.
- summary = lede: the front matter `summary` and the first paragraph share at least
  LEDE_OVERLAP of the words of the shorter of the two.
- repeated sentence: a sentence whose words (at least REPEAT_MIN_WORDS distinct ones) are, to at
  least REPEAT_OVERLAP, those of an earlier sentence of the post.
- self-reference: an outlet speaking of itself: "this newspaper", "our reporters", "told us",
  "we reported", or a source outlet's short name ("the Herald" for The Harbour Herald, "(Herald)")
  outside quotation marks; the outlets are those of the post's `sources`.
- heading off its section: a heading with no content word (stemmed, stop words out) in common
  with its section's paragraphs.
- cut at abbreviation: a paragraph that starts with a lower-case word, or a sentence that ends
  in a title ("Dr.", "No."), in a first name's initials ("George H.W."), or in "the U.S." or
  "St." when the next sentence starts with a name rather than a word that starts sentences
  ("… the U.S. | Senate voted").
- page furniture: a sentence of the title, summary or prose that `aibot.collect.junk.is_furniture`
  calls furniture, that starts with a label or a gallery's controls run into it ("Story
  highlights The…", `without_widget`), or that matches FURNITURE ("Add X as an interest", "Image
  caption", "Follow us on", "Sign up for", a video player's "CLOSE").

Output: a table per site (kind, count, posts affected, per 100 posts); with --explain, every hit
as `post:line: kind: "trigger" in "sentence"`, the hits per post, and the commonest triggers of
each kind.

--demo copies `examples/demo` (its aibot.yaml and sample/) into a temporary folder, runs
`python -m aibot run -c <tmp>/aibot.yaml` there with this checkout on PYTHONPATH, and lints it.
--e2e runs `benchmarks/e2e_news.py --keep <tmp>/site` (about a minute; it reads the Multi-News
dev file at run time, see that script) and lints the kept site. Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aibot.collect.junk import is_furniture, without_widget  # noqa: E402
from aibot.models import Post  # noqa: E402
from aibot.posts.files import load_posts  # noqa: E402
from aibot.support.sentences import sentences  # noqa: E402
from aibot.support.text import STOPWORDS  # noqa: E402

DANGLING = "dangling opener"
RELATIVE_TIME = "relative time"
SUMMARY_LEDE = "summary = lede"
REPEATED = "repeated sentence"
SELF_REFERENCE = "self-reference"
HEADING = "heading off its section"
ABBREVIATION_CUT = "cut at abbreviation"
FURNITURE_KIND = "page furniture"
KINDS = (DANGLING, RELATIVE_TIME, SUMMARY_LEDE, REPEATED, SELF_REFERENCE, HEADING,
         ABBREVIATION_CUT, FURNITURE_KIND)  # fmt: skip

LEDE_OVERLAP = 0.8
REPEAT_OVERLAP = 0.8
REPEAT_MIN_WORDS = 6
NOT_PROSE = frozenset({"sources", "updates", "where sources differ"})


@dataclass(frozen=True)
class Hit:
    kind: str
    line: int  # in the post's file, 1-based
    trigger: str  # the words that made it a hit, as the table of common patterns groups them
    text: str  # the sentence, heading or summary


@dataclass
class Paragraph:
    line: int
    chunks: list[str]  # its text cut at citations: each chunk is one source's


@dataclass
class Section:
    heading: str  # "" for text before the first heading
    line: int
    paragraphs: list[Paragraph] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(c for p in self.paragraphs for c in p.chunks)


# Reading a post


_CITATION = re.compile(r"(?:\s*(?:\[\[\d+\]\]\(#source-\d+\)|(?<!\\)\[\d+\](?!\()))+")
_ESCAPE = re.compile(r"\\(.)")


def prose_sections(body: str, first_line: int = 1) -> list[Section]:
    """The sections of a post body that are prose, with the file line of each heading and
    paragraph (`first_line`: the file line of the body's first line)."""
    sections: list[Section] = [Section("", first_line)]
    skipping = False
    lines: list[str] = []
    start = 0

    def close() -> None:
        if lines and not skipping:
            sections[-1].paragraphs.append(Paragraph(start, _chunks(" ".join(lines))))
        lines.clear()

    for number, raw in enumerate(body.splitlines(), start=first_line):
        line = raw.strip()
        if re.match(r"#{1,6} ", line):
            close()
            heading = _ESCAPE.sub(r"\1", line.lstrip("#").strip())
            skipping = heading.lower() in NOT_PROSE
            if not skipping:
                sections.append(Section(heading, number))
        elif not line:
            close()
        else:
            start = start if lines else number
            lines.append(line)
    close()
    return [s for s in sections if s.heading or s.paragraphs]


def _chunks(markdown: str) -> list[str]:
    parts = (_ESCAPE.sub(r"\1", part).strip() for part in _CITATION.split(markdown))
    return [part for part in parts if part]


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int
    opens_paragraph: bool
    after_citation: bool  # first sentence of a chunk that is not the paragraph's first
    before: str  # the paragraph's text before it
    earlier: str = ""  # the prose before it, every paragraph


def post_sentences(sections: Sequence[Section]) -> list[Sentence]:
    """The prose's sentences in order, each knowing where it stands in its paragraph."""
    out: list[Sentence] = []
    earlier: list[str] = []
    for section in sections:
        for paragraph in section.paragraphs:
            before = ""
            for c, chunk in enumerate(paragraph.chunks):
                for s, text in enumerate(sentences(chunk)):
                    opens, after_citation = c == 0 and s == 0, c > 0 and s == 0
                    out.append(
                        Sentence(
                            text, paragraph.line, opens, after_citation, before, " ".join(earlier)
                        )
                    )
                    before = f"{before} {text}".strip()
                    earlier.append(text)
    return out


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r'"[^"]*"|“[^”]*”', text)]


def _unquoted(text: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    spans = _quoted_spans(text)
    for match in pattern.finditer(text):
        if not any(a <= match.start() < b for a, b in spans):
            yield match


# Dangling openers

_PERSONAL = r"He|She|His|Her|Him"
_CONNECTIVES = (
    r"Then(?!-)|Also|However|But|Meanwhile|Still,|Yet|And|So,|Moreover|Furthermore|Additionally|"
    r"Nevertheless|Nonetheless|Instead|Thus|Therefore|Hence|Besides|Likewise|Similarly|Otherwise|"
    r"Consequently|Afterwards?|(?:Earlier|Later)(?:,| that| in the day)|Again,|Even so|Even then|"
    r"In addition|"
    r"As a result|In response|In contrast|By contrast|On the other hand|At the same time|"
    r"Despite (?:this|that)|Because of (?:this|that)|After that|Before that|Since then|By then|"
    r"Until then|That said|Such"
)
_THE_NOUNS = (
    r"The (?:move|decision|announcement|comments|remarks|incident|development|step|measure|"
    r"ruling|findings|revelation|latter|former|same|pair|duo|trio|couple)\b"
)
_POINTERS = frozenset("latter former same pair duo trio couple".split())
_TIME_NOUNS = (
    r"week|weekend|month|year|morning|afternoon|evening|night|summer|spring|autumn|fall|winter|"
    r"season|decade|century"
)
_OPENER = re.compile(
    rf"^(?:(?P<personal>{_PERSONAL})\b|(?P<other>They|Their|Them|Its|Those|That(?:'s)?|"
    rf"(?:This|These)(?!\s+(?:{_TIME_NOUNS})\b))\b|(?P<it>It)\b|(?P<connective>{_CONNECTIVES})"
    rf"(?=\W)|(?P<noun>{_THE_NOUNS}))"
)
# "It" that refers to nothing: "It is unclear whether …", "It remains to be seen …".
_EMPTY_IT = re.compile(
    r"^It(?:'s| is| was| remains| remained| seems| seemed| appears| appeared)(?: not)?"
    r"(?: yet)? (?:clear|unclear|known|unknown|likely|unlikely|possible|impossible|expected|"
    r"understood|thought|believed|hoped|feared|estimated|reported|alleged|said|too early|hard|"
    r"difficult|easy|important|necessary|to be seen|that|as if|raining|snowing|\d)"
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*")
_NOT_NAMES = frozenset(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December""".split()
)


def dangling_openers(sentences_: Sequence[Sentence]) -> list[Hit]:
    """Sentences that open a paragraph, or follow a citation, with a word that refers back to
    text the reader has not been given."""
    hits = []
    for sentence in sentences_:
        if not (sentence.opens_paragraph or sentence.after_citation):
            continue
        match = _OPENER.match(sentence.text)
        if not match or (match["it"] and _EMPTY_IT.match(sentence.text)):
            continue
        if sentence.after_citation and (match["other"] or match["it"]):
            continue  # the paragraph's earlier sentences give it something to refer to
        if match["personal"] and _has_name(sentence.before):
            continue
        if match["noun"] and _named_before(match["noun"], sentence.earlier):
            continue  # "…injured in the incident." then "The incident report says…"
        hits.append(Hit(DANGLING, sentence.line, match.group(0), sentence.text))
    return hits


def _named_before(opening: str, earlier: str) -> bool:
    """Whether the noun of an opening "The incident…" (not "The latter", "The same": those point
    at the sentence just before) is named in the post before it, which it then refers to."""
    noun = opening.split()[1].lower()
    if noun in _POINTERS:
        return False
    return bool(re.search(rf"\b{re.escape(noun)}(?:s|es)?\b", earlier, re.IGNORECASE))


def _has_name(text: str) -> bool:
    """Whether `text` has a capitalised word that may be a name (a person "He" refers to)."""
    return any(
        m.group(0) not in _NOT_NAMES and m.group(0) not in _SENTENCE_STARTERS
        for m in _NAME.finditer(text)
    )


# Relative time words

_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTHS = (
    r"Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?"
)
_RELATIVE = re.compile(
    r"\b(?:today|tonight|yesterday|tomorrow)\b|"
    r"\bthis (?:morning|afternoon|evening|week|weekend|month)\b|"
    rf"\b(?:last|next) (?:night|week|weekend|month|{_WEEKDAYS})\b|"
    r"\b(?:earlier|later) (?:today|this (?:week|month))\b|"
    r"\b(?:\w+|a few|a couple of) (?:days|weeks|hours|months) ago\b|\ba (?:day|week|month) ago\b",
    re.IGNORECASE,
)
# A weekday, unless a plural ("on Mondays"), a named day ("Good Friday"), part of a compound
# ("Saturday-night"), a title ("Saturday Night Live"), or dated.
_WEEKDAY = re.compile(
    rf"(?<!Good )(?<!Black )(?<!Cyber )(?<!Super )(?<!Ash )(?<!Easter )(?<!Palm )(?<!Holy )"
    rf"(?<!Maundy )(?<!Bloody )\b(?:[Oo]n |last |next |this )?(?:{_WEEKDAYS})\b"
    r"(?!s\b|-| Night Live)"
)
_DATE_AFTER = re.compile(
    rf"^(?:'s)?(?: (?:morning|afternoon|evening|night))?,? (?:the )?(?:\d{{1,2}}(?:st|nd|rd|th)? "
    rf"(?:of )?(?:{_MONTHS})|(?:{_MONTHS}) \d{{1,2}}\b|\(\d{{1,2}} (?:{_MONTHS})\)|"
    rf"\d{{1,2}}[/.]\d{{1,2}})"
)
# "today (31 May)": a date in brackets right after the word.
_DATE_IN_BRACKETS = re.compile(
    rf"^,? \((?:\w+,? )?(?:\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTHS})|(?:{_MONTHS}) \d{{1,2}})"
)
_DATE_BEFORE = re.compile(rf"(?:\d{{1,2}} (?:{_MONTHS})|(?:{_MONTHS}) \d{{1,2}}),? $")


# "Wednesday's Post", "Sunday's edition": a newspaper's edition of that day.
_EDITION = re.compile(
    r"^['’]s (?:(?:[A-Z]\w+ )?(?:Post|Times|Herald|Journal|Telegraph|Mail|Globe|Star|Tribune|"
    r"Guardian|Observer|Express|Mirror|Sun|Gazette|Courier|Chronicle|Independent|News)\b|"
    r"(?:edition|issue|paper|newspaper|print edition|front page)\b)"
)


def _a_name(match: re.Match[str], text: str) -> bool:
    """A time word capitalised in mid-sentence is part of a name: "USA TODAY", "the Today
    programme"."""
    before = text[: match.start()].rstrip(" \"“‘'(")
    return match.group(0)[0].isupper() and bool(before) and before[-1] not in ".!?:"


def relative_times(sentences_: Sequence[Sentence]) -> list[Hit]:
    """Time words that only the source's publication time could resolve, outside quotes. A
    weekday the post gave with its date before ("on Monday 23 November", later "on Monday")
    is resolved for the reader."""
    hits = []
    dated: set[str] = set()
    for sentence in sentences_:
        text = sentence.text
        for match in _unquoted(text, _RELATIVE):
            if _DATE_IN_BRACKETS.match(text[match.end() :]) or _a_name(match, text):
                continue
            hits.append(Hit(RELATIVE_TIME, sentence.line, match.group(0).lower(), text))
        for match in _unquoted(text, _WEEKDAY):
            day = match.group(0).split()[-1]
            if _DATE_AFTER.match(text[match.end() :]) or _DATE_BEFORE.search(text[: match.start()]):
                dated.add(day)
                continue
            if _EDITION.match(text[match.end() :]):
                continue  # "Wednesday's Post": a newspaper's edition
            if re.match(r"(?:last|next) ", match.group(0)):
                continue  # already counted by _RELATIVE
            if day in dated:
                continue
            hits.append(Hit(RELATIVE_TIME, sentence.line, match.group(0), text))
    return hits


# Summary and lede, repeated sentences


_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


def overlap(a: str, b: str) -> float:
    """The share of the shorter text's distinct words that the other one has."""
    first, second = _tokens(a), _tokens(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def summary_repeats_lede(summary: str, line: int, sections: Sequence[Section]) -> list[Hit]:
    lede = next((p for s in sections for p in s.paragraphs), None)
    if not summary or lede is None:
        return []
    share = overlap(summary, " ".join(lede.chunks))
    if share < LEDE_OVERLAP:
        return []
    return [Hit(SUMMARY_LEDE, line, f"{share:.0%} of the words shared", summary)]


def repeated_sentences(sentences_: Sequence[Sentence]) -> list[Hit]:
    hits = []
    seen: list[set[str]] = []
    for sentence in sentences_:
        words = _tokens(sentence.text)
        if len(words) >= REPEAT_MIN_WORDS:
            for earlier in seen:
                if len(words & earlier) / min(len(words), len(earlier)) >= REPEAT_OVERLAP:
                    same = "same sentence" if words == earlier else "near-duplicate"
                    hits.append(Hit(REPEATED, sentence.line, same, sentence.text))
                    break
            seen.append(words)
    return hits


# Self-references


_OWN_VOICE = re.compile(
    r"\bthis (?:newspaper|publication|newsroom|magazine|news organi[sz]ation|website)\b|"
    r"\bour (?:reporters?|correspondents?|journalists?|staff|newspaper|newsroom|readers|website|"
    r"reporting|investigation|analysis|poll|survey|sources)\b|"
    # "us" in lower case: "told US Weekly" names a magazine.
    r"\b(?:told|contacted|reached|seen by|obtained by|shared with|provided to|confirmed to) "
    r"(?-i:us)\b|"
    r"\bwe (?:have )?(?:reported|revealed|learned|learnt|asked|contacted|spoke to|obtained)\b",
    re.IGNORECASE,
)


def outlet_names(post: Post) -> list[str]:
    """The outlets of a post's sources (syndicated copies' outlets too)."""
    names = []
    for source in post.meta.get("sources") or []:
        if isinstance(source, dict):
            names += [source.get("outlet")] + list(source.get("also") or [])
    return [n for n in dict.fromkeys(names) if isinstance(n, str) and n.strip()]


def short_name_pattern(outlets: Iterable[str]) -> re.Pattern[str] | None:
    """ "the Herald", "(Herald)": a word of an outlet's name standing for the outlet, not part of
    its full name ("The Harbour Herald") or of another name ("the Herald Tribune")."""
    words = {w for name in outlets for w in re.findall(r"[A-Z][\w'&-]{2,}", name) if w != "The"}
    if not words:
        return None
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"\b[Tt]he (?:{alternatives})\b(?!\s+[A-Z])|\((?:{alternatives})\)")


def self_references(sentences_: Sequence[Sentence], outlets: Sequence[str]) -> list[Hit]:
    short = short_name_pattern(outlets)
    hits = []
    for sentence in sentences_:
        found = list(_unquoted(sentence.text, _OWN_VOICE))
        found += list(_unquoted(sentence.text, short)) if short else []
        for match in found:
            hits.append(Hit(SELF_REFERENCE, sentence.line, match.group(0), sentence.text))
    return hits


# Headings


_STEMMER = snowballstemmer.stemmer("english")


def content_stems(text: str) -> set[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS]
    return {_STEMMER.stemWord(w) for w in words if len(w) > 1 or w.isdigit()}


def headings_off_section(sections: Sequence[Section]) -> list[Hit]:
    hits = []
    for section in sections:
        if not section.heading or not section.paragraphs:
            continue
        if not content_stems(section.heading) & content_stems(section.text()):
            hits.append(Hit(HEADING, section.line, "no shared word", section.heading))
    return hits


# Sentences cut at an abbreviation


# Titles before a name: never the end of a sentence.
_ENDS_IN_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Maj|Capt|Sgt|Cpl|Rev|Msgr|Hon|Supt|Det|"
    r"No|Nos|Fig|Vol|Art)\.[\"'”’)]*$"
)
# Initials after a first name: "George H.W.", "John F." (not "World War I.", "Plan B.").
_ENDS_IN_INITIALS = re.compile(
    r"\b(?!(?:War|Plan|Type|Class|Grade|Vitamin|Group|Part|Category)\b)[A-Z][a-z]+ "
    r"(?:[A-Z]\.){1,3}[\"'”’)]*$"
)
# Abbreviations that may end a sentence or go on into a name: "the U.S. | Senate", "St. | Kilda".
# ("Washington, D.C. | Police said" and "Arie Lund Jr. | Ada Vey said" are two sentences.)
_ENDS_IN_ABBREVIATION = re.compile(r"(?:\bthe (?:[A-Z]\.){2,}|\b(?:St|Mt|Ft)\.)[\"'”’)]*$")
_STARTS_LOWER = re.compile(r"^[\"'“‘(\[]*(?P<word>[a-z][a-z'’-]*)\b")
_SENTENCE_STARTERS = frozenset(
    """A About After Again All Also Although An And Another Any As At Because Before Both But By
    Despite During Each Even Every Few For From He Her Here His How However I If In Instead It
    Its Last Later Many Meanwhile More Most Much My No None Not Now Of On Once One Only Or Other
    Our Over Several She Since So Some Still Such That The Their Then There These They This Those
    Though To Today Two Under Unlike Until We What When Where Whether Which While Who Why With
    Within Without Yet You Your""".split()
)


def abbreviation_cuts(sentences_: Sequence[Sentence]) -> list[Hit]:
    hits = []
    for sentence, following in zip(sentences_, [*sentences_[1:], None], strict=True):
        text = sentence.text
        start = _STARTS_LOWER.match(text)
        if sentence.opens_paragraph and start and not re.match(r"[a-z]+[A-Z]", start["word"]):
            hits.append(Hit(ABBREVIATION_CUT, sentence.line, "starts in lower case", text))
        end = _ENDS_IN_TITLE.search(text) or _ENDS_IN_INITIALS.search(text)
        if not end and following is not None and _starts_with_name(following.text):
            end = _ENDS_IN_ABBREVIATION.search(text)
        if end:
            shown = text if following is None else f"{text} | {following.text}"
            hits.append(Hit(ABBREVIATION_CUT, sentence.line, f"ends in {end.group(0)}", shown))
    return hits


def _starts_with_name(text: str) -> bool:
    first = re.match(r"[\"'“‘(]*([A-Z][\w'’-]*)(?!,)", text)
    return bool(first) and first.group(1) not in _SENTENCE_STARTERS and not _OPENER.match(text)


# Page furniture


FURNITURE = re.compile(
    r"\bAdd .{1,80}? as an interest\b|^\W*(?:(?:Image|Photo) )?caption\b|"
    r"^\W*Image (?:copyright|source)\b|\bFollow us on\b|^\W*Sign up (?:for|to)\b|"
    r"(?-i:^CLOSE )",  # a video player's close button before its caption
    re.IGNORECASE,
)


def furniture(title: str, title_line: int, summary: str, summary_line: int,
              sentences_: Sequence[Sentence]) -> list[Hit]:  # fmt: skip
    found = [(title_line, title), (summary_line, summary)]
    found += [(s.line, s.text) for s in sentences_]
    hits = []
    for line, text in found:
        if not text:
            continue
        match = FURNITURE.search(text)
        if match or is_furniture(text) or without_widget(text) != text:
            trigger = match.group(0) if match else "is_furniture"
            hits.append(Hit(FURNITURE_KIND, line, trigger, text))
    return hits


# A post, a site


def post_hits(post: Post, file_text: str | None = None) -> list[Hit]:
    """Every hit of every kind in one post. With `file_text` (the file as read), hits name lines
    of the file; without it, lines of the body."""
    text = post.body if file_text is None else file_text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines()
    first_body_line = len(lines) - len(post.body.splitlines()) + 1
    sections = prose_sections(post.body, first_body_line)
    sentences_ = post_sentences(sections)
    summary = post.meta.get("summary")
    summary = " ".join(summary.split()) if isinstance(summary, str) else ""
    title = post.meta.get("title")
    title = title if isinstance(title, str) else ""
    return [
        *dangling_openers(sentences_),
        *relative_times(sentences_),
        *summary_repeats_lede(summary, key_line(lines, "summary"), sections),
        *repeated_sentences(sentences_),
        *self_references(sentences_, outlet_names(post)),
        *headings_off_section(sections),
        *abbreviation_cuts(sentences_),
        *furniture(
            title, key_line(lines, "title"), summary, key_line(lines, "summary"), sentences_
        ),
    ]


def key_line(lines: Sequence[str], key: str) -> int:
    return next((n for n, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 1)


@dataclass
class SiteLint:
    name: str
    posts: int
    hits: dict[str, list[Hit]]  # post path -> its hits
    unreadable: list[str]


def lint_site(site: Path, name: str | None = None) -> SiteLint:
    posts_dir = site / "content" / "posts"
    if not posts_dir.is_dir():
        raise SystemExit(
            f"{site}: no content/posts folder; give a site folder (the one with aibot.yaml), "
            "e.g. examples/demo after `aibot run --demo`"
        )
    posts, errors = load_posts(posts_dir)
    hits = {}
    for post in posts:
        path = post.path or posts_dir / post.slug
        hits[os.path.relpath(path, site)] = post_hits(post, path.read_text(encoding="utf-8-sig"))
    return SiteLint(name or str(site), len(posts), hits, [str(e) for e in errors])


def table(lint: SiteLint) -> list[str]:
    out = [f"{lint.name}: {lint.posts} posts", "",
           "| kind | count | posts affected | per 100 posts |", "|---|---:|---:|---:|"]  # fmt: skip
    for kind in KINDS:
        count = sum(1 for hits in lint.hits.values() for h in hits if h.kind == kind)
        affected = sum(1 for hits in lint.hits.values() if any(h.kind == kind for h in hits))
        per_100 = 100 * count / lint.posts if lint.posts else 0.0
        out.append(f"| {kind} | {count} | {affected} | {per_100:.1f} |")
    out += [f"unreadable post: {e}" for e in lint.unreadable]
    return out


def explanation(lint: SiteLint, common: int = 3) -> list[str]:
    out = []
    for path, hits in lint.hits.items():
        for hit in sorted(hits, key=lambda h: (h.line, KINDS.index(h.kind))):
            out.append(f'{path}:{hit.line}: {hit.kind}: "{hit.trigger}" in "{_short(hit.text)}"')
    out += ["", "hits per post:"]
    for path, hits in lint.hits.items():
        counts = Counter(h.kind for h in hits)
        if counts:
            out.append(f"  {path}: " + ", ".join(f"{k} x{counts[k]}" for k in KINDS if counts[k]))
    out += ["", f"commonest triggers (up to {common} a kind):"]
    for kind in KINDS:
        triggers = Counter(
            _pattern(h) for hits in lint.hits.values() for h in hits if h.kind == kind
        )
        listed = ", ".join(f'"{t}" x{n}' for t, n in triggers.most_common(common))
        out.append(f"  {kind}: {listed or '-'}")
    return out


def _pattern(hit: Hit) -> str:
    if hit.kind == SUMMARY_LEDE:
        return "summary shares >= 80 % of the words"
    if hit.kind == HEADING:
        return "no shared word"
    if hit.kind == RELATIVE_TIME:
        return re.sub(
            rf"\b(?:{_WEEKDAYS})\b", "<weekday>", hit.trigger, flags=re.IGNORECASE
        ).lower()
    return hit.trigger if hit.kind == SELF_REFERENCE else hit.trigger.lower()


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Making the sites


def run_or_stop(command: Sequence[str], cwd: Path) -> None:
    """Run `command` with this checkout first on PYTHONPATH; stop with its output if it fails."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed (exit {done.returncode}):\n"
            f"{(done.stderr or done.stdout)[-3000:]}"
        )


def demo_site(folder: Path) -> Path:
    """The demo, run into `folder/demo` from a copy of examples/demo."""
    site = folder / "demo"
    site.mkdir()
    shutil.copy(REPO / "examples" / "demo" / "aibot.yaml", site / "aibot.yaml")
    shutil.copytree(REPO / "examples" / "demo" / "sample", site / "sample")
    run_or_stop([sys.executable, "-m", "aibot", "run", "-c", str(site / "aibot.yaml")], cwd=site)
    return site


def e2e_site(folder: Path, data: Path | None) -> Path:
    """The site benchmarks/e2e_news.py builds from the Multi-News dev stories, kept in
    `folder/e2e`."""
    site = folder / "e2e"
    command = [sys.executable, str(REPO / "benchmarks" / "e2e_news.py"), "--keep", str(site)]
    run_or_stop(command + (["--data", str(data)] if data else []), cwd=REPO)
    return site


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/readability.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("sites", nargs="*", type=Path, metavar="SITE_DIR")
    parser.add_argument("--demo", action="store_true", help="build the demo and lint it")
    parser.add_argument(
        "--e2e",
        action="store_true",
        help="run benchmarks/e2e_news.py (a minute) and lint its posts",
    )
    parser.add_argument("--data", type=Path, help="--e2e: the Multi-News file to pass on")
    parser.add_argument("--explain", action="store_true", help="list every hit")
    args = parser.parse_args(argv)
    if not (args.sites or args.demo or args.e2e):
        parser.error("give a SITE_DIR, --demo or --e2e")
    with tempfile.TemporaryDirectory(prefix="aibot-readability-") as temporary:
        sites = [(str(site), site) for site in args.sites]
        if args.demo:
            sites.append(("demo", demo_site(Path(temporary))))
        if args.e2e:
            sites.append(("e2e (Multi-News dev)", e2e_site(Path(temporary), args.data)))
        for n, (name, site) in enumerate(sites):
            lint = lint_site(site, name)
            print(("\n" if n else "") + "\n".join(table(lint)))
            if args.explain:
                print("\n".join(["", *explanation(lint)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
