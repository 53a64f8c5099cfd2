"""URL text fragments (`#:~:text=…`) that take a reader to a sentence of a source page.

The syntax is WICG Text Fragments (https://wicg.github.io/scroll-to-text-fragment/), which
Chromium, Edge and Safari follow: `text=[prefix-,]textStart[,textEnd][,-suffix]`, each part
percent-encoded UTF-8. `-`, `,` and `&` are syntax there, so they are always encoded; so is
everything outside the spec's explicit characters. A browser highlights the first place where
the (case-insensitive, whole-word) start matches, and with an end, the text up to the first end
after it.

A short sentence is named whole. A long one is named by a range: its first and last few words.
When the page's text is known, the range is made to land on the sentence: the start is
lengthened while an earlier place in the page starts the same way, and, if it still does, the
words just before the sentence are added as a `prefix-`; the end is lengthened while it also
occurs inside the sentence. Without the page's text, the range is the default one, and a page
where an earlier sentence starts with the same words highlights from there.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

# A sentence of at most this many words is named whole; a longer one by its first and last
# EDGE_WORDS words (lengthened up to MAX_EDGE_WORDS to be unique).
EXACT_WORDS = 10
EDGE_WORDS = 4
MAX_EDGE_WORDS = 10
PREFIX_WORDS = 3


def encode_part(text: str) -> str:
    """One part of a text directive, percent-encoded: every byte but letters, digits and
    `_.~` (quote's safe set, all explicit characters of the spec) is encoded; `-` too, since
    quote keeps it and the directive uses it for prefixes and suffixes."""
    return quote(" ".join(text.split()), safe="").replace("-", "%2D")


def text_directive(sentence: str, page_text: str | None = None) -> str:
    """`text=…` naming `sentence`, made to land on it in `page_text` when that is given and
    holds the sentence (see the module's notes)."""
    words = sentence.split()
    if not words:
        raise ValueError("a text directive needs a sentence with words")
    start, end = words, []
    if len(words) > EXACT_WORDS:
        start, end = words[:EDGE_WORDS], words[-EDGE_WORDS:]
    prefix: list[str] = []
    page = _fold(page_text) if page_text and end else ""
    folded = [w.casefold() for w in words] if page else []
    at = _find(page, folded) if page else -1
    if at >= 0:
        size, tail, prefix = _landing(page, at, folded)
        start, end = (words, []) if size + tail >= len(words) else (words[:size], words[-tail:])
    parts = [encode_part(" ".join(start))]
    if end:
        parts.append(encode_part(" ".join(end)))
    if prefix:
        parts.insert(0, encode_part(" ".join(prefix)) + "-")
    return "text=" + ",".join(parts)


def fragment_url(url: str, sentences: list[str], page_text: str | None = None) -> str:
    """`url` with a text directive for each sentence (the browser highlights them all and
    scrolls to the first); `url` itself when there is none."""
    directives = [text_directive(s, page_text) for s in sentences if s.split()]
    if not directives:
        return url
    joiner = ":~:" if "#" in url else "#:~:"
    return url + joiner + "&".join(directives)


def _landing(page: str, at: int, words: list[str]) -> tuple[int, int, list[str]]:
    """(how many words start the range, how many end it, the prefix's words) that name the
    sentence of folded `words` found at `at` in the folded `page`, and nothing before it."""
    size = EDGE_WORDS
    while _find(page, words[:size]) != at and size < MAX_EDGE_WORDS:
        size += 1
    prefix: list[str] = []
    if _find(page, words[:size]) != at:
        before = page[:at].split()[-PREFIX_WORDS:]
        if before and _find(page, [*before, *words[:size]]) == at - _length(before) - 1:
            prefix = before
    # The end is looked for after the start's match: the first match there must be the
    # sentence's own last words.
    after, finish = at + _length(words[:size]), at + _length(words)
    tail = EDGE_WORDS
    while size + tail < len(words) and (
        _find(page, words[-tail:], after) + _length(words[-tail:]) != finish
    ):
        tail += 1
    return size, tail, prefix


def _length(words: list[str]) -> int:
    return len(" ".join(words))


@lru_cache(maxsize=32)
def _fold(text: str) -> str:
    """`text` as the search sees it: white space folded, case folded (a source's text is folded
    once for all the sentences cited from it)."""
    return " ".join(text.split()).casefold()


def _find(page: str, words: list[str], begin: int = 0) -> int:
    """Where `words` first occur as whole words in the folded `page` from `begin`; -1 if not."""
    phrase = " ".join(words)
    at = page.find(phrase, begin)
    while at >= 0:
        end = at + len(phrase)
        if (at == 0 or not _word_char(page[at - 1])) and (
            end == len(page) or not _word_char(page[end])
        ):
            return at
        at = page.find(phrase, at + 1)
    return -1


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"
