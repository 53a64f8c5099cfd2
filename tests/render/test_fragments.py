"""Text fragments: the encoding follows the grammar of WICG Text Fragments
(https://wicg.github.io/scroll-to-text-fragment/#syntax) and decodes back to the sentence; with
the page's text, the directive lands on the sentence and nowhere before it."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aibot.render.fragments import (
    EDGE_WORDS,
    EXACT_WORDS,
    encode_part,
    fragment_url,
    text_directive,
)

# The spec's grammar, transcribed:
#   TextDirectiveParameters ::= (TextDirectivePrefix ",")? TextDirectiveString
#                               ("," TextDirectiveString)? ("," TextDirectiveSuffix)?
#   TextDirectivePrefix ::= TextDirectiveString "-"
#   TextDirectiveSuffix ::= "-" TextDirectiveString
#   TextDirectiveString ::= (TextDirectiveExplicitChar | PercentEncodedByte)+
#   TextDirectiveExplicitChar ::= [a-zA-Z0-9] | "!" | "$" | "'" | "(" | ")" | "*" | "+" | "."
#                                 | "/" | ":" | ";" | "=" | "?" | "@" | "_" | "~"
STRING = r"(?:[a-zA-Z0-9!$'()*+./:;=?@_~]|%[0-9A-F]{2})+"
DIRECTIVE = re.compile(
    rf"text=(?:(?P<prefix>{STRING})-,)?(?P<start>{STRING})(?:,(?P<end>{STRING}))?"
    rf"(?:,-(?P<suffix>{STRING}))?"
)

PUNCTUATED = [
    "Fares rise by a fifth, the council said, and passes by a tenth.",
    "The vote – seven to two – came late.",
    "Turnout fell — sharply — in the north.",
    "A well-known co-op in Tollan-on-Sea reopens.",
    "Hill & Dale Ltd paid £4.1m & costs.",
    '"We will not close," she said, "not this year."',
    "“It’s done,” said Åsa Nyström in Malmö.",
    "Rates rose 5% to 12.5%, and 100% of seats were sold.",
    "Ask: who pays? (Nobody; yet.) #harbour @council ~ok",
    "Zürich, São Paulo and Kraków signed; 東京 did not.",
]


def parse(directive: str) -> dict[str, str | None]:
    """The decoded parts of a directive that matches the grammar; an AssertionError if not."""
    match = DIRECTIVE.fullmatch(directive)
    assert match, f"not a text directive by the spec's grammar: {directive}"
    return {k: unquote(v) if v is not None else None for k, v in match.groupdict().items()}


def lands_on(page: str, directive: str) -> str:
    """The text a browser highlights for `directive` in `page`, by the spec's matching: the
    first whole-word, case-insensitive match of prefix + start, then the first end after it."""
    parts = parse(directive)
    folded = " ".join(page.split())
    lower = folded.casefold()

    def find(text: str, begin: int) -> re.Match[str] | None:
        return re.compile(rf"(?<!\w){re.escape(text.casefold())}(?!\w)").search(lower, begin)

    lead = (parts["prefix"] + " ") if parts["prefix"] else ""
    start = find(lead + parts["start"], 0)
    assert start, f"{parts['start']!r} is not on the page"
    begin = start.start() + len(lead)
    if not parts["end"]:
        return folded[begin : start.end()]
    end = find(parts["end"], start.end())
    assert end, f"{parts['end']!r} is not on the page after the start"
    return folded[begin : end.end()]


# Encoding


@pytest.mark.parametrize("sentence", PUNCTUATED)
def test_a_punctuated_sentence_follows_the_grammar_and_decodes_back(sentence: str) -> None:
    parts = parse(text_directive(sentence))
    words = sentence.split()
    if len(words) <= EXACT_WORDS:
        assert parts["start"] == sentence and parts["end"] is None
    else:
        assert parts["start"] == " ".join(words[:EDGE_WORDS])
        assert parts["end"] == " ".join(words[-EDGE_WORDS:])
    assert parts["prefix"] is None and parts["suffix"] is None


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("co-op", "co%2Dop"),
        ("a, b", "a%2C%20b"),
        ("Hill & Dale", "Hill%20%26%20Dale"),
        ("5%", "5%25"),
        ("a – b — c", "a%20%E2%80%93%20b%20%E2%80%94%20c"),
        ('"so"', "%22so%22"),
        ("Malmö", "Malm%C3%B6"),
    ],
)
def test_syntax_characters_are_percent_encoded(text: str, encoded: str) -> None:
    assert encode_part(text) == encoded


def test_white_space_is_folded_to_single_spaces() -> None:
    assert encode_part(" Fares\n rise\tin  April. ") == "Fares%20rise%20in%20April."


@given(st.text(min_size=1).filter(lambda s: s.split()))
def test_any_text_gives_a_directive_that_decodes_to_its_words(text: str) -> None:
    parts = parse(text_directive(text))
    words = text.split()
    kept = parts["start"].split() + (parts["end"].split() if parts["end"] else [])
    assert kept == (
        words if len(words) <= EXACT_WORDS else words[:EDGE_WORDS] + words[-EDGE_WORDS:]
    )


def test_a_sentence_without_words_is_refused() -> None:
    with pytest.raises(ValueError, match="a text directive needs a sentence with words"):
        text_directive(" \n ")


def test_fragment_url_joins_one_directive_per_sentence() -> None:
    url = fragment_url("https://gazette.test/ferry", ["Fares rise.", "Passes - too."])
    assert url == "https://gazette.test/ferry#:~:text=Fares%20rise.&text=Passes%20%2D%20too."


def test_fragment_url_after_a_fragment_the_url_has() -> None:
    url = fragment_url("https://gazette.test/ferry#latest", ["Fares rise."])
    assert url == "https://gazette.test/ferry#latest:~:text=Fares%20rise."


def test_fragment_url_without_sentences_is_the_url() -> None:
    assert fragment_url("https://gazette.test/ferry", []) == "https://gazette.test/ferry"


# Landing on the sentence

SENTENCE = (
    "The harbour council said on Tuesday that fares on the island ferry would rise by a fifth "
    "in April."
)


def test_without_the_page_a_long_sentence_is_a_range_of_its_edges() -> None:
    assert text_directive(SENTENCE) == (
        "text=The%20harbour%20council%20said,a%20fifth%20in%20April."
    )


def test_a_start_found_earlier_on_the_page_is_lengthened() -> None:
    page = (
        "The harbour council said little at first. Crowds gathered at the quay. "
        f"{SENTENCE} Ferries will run as usual until then."
    )
    directive = text_directive(SENTENCE, page)
    assert lands_on(page, directive) == SENTENCE
    assert parse(directive)["start"] == "The harbour council said on"
    assert lands_on(page, text_directive(SENTENCE)) != SENTENCE  # what the default would do


def test_a_start_repeated_at_length_gets_the_words_before_it_as_prefix() -> None:
    earlier = (
        "The harbour council said on Tuesday that fares on the island ferry would stay as they are."
    )
    page = f"{earlier} Then a second meeting was called. {SENTENCE} Passes are unchanged."
    directive = text_directive(SENTENCE, page)
    assert parse(directive)["prefix"] == "meeting was called."
    assert lands_on(page, directive) == SENTENCE


def test_an_end_that_also_occurs_inside_the_sentence_is_lengthened() -> None:
    sentence = (
        "Fares rise in April, the council said, and season passes for islanders rise in April."
    )
    page = f"Crowds gathered. {sentence} Nothing else changes."
    directive = text_directive(sentence, page)
    assert lands_on(page, directive) == sentence


def test_matching_is_case_insensitive_as_in_the_browser() -> None:
    page = f"THE HARBOUR COUNCIL SAID nothing. {SENTENCE}"
    assert lands_on(page, text_directive(SENTENCE, page)) == SENTENCE


def test_a_sentence_not_on_the_page_keeps_the_default_range() -> None:
    page = "An unrelated page about the weather in Tollan."
    assert text_directive(SENTENCE, page) == text_directive(SENTENCE)


def test_a_short_sentence_is_named_whole_even_when_repeated() -> None:
    page = "Fares rise in April. Crowds gathered. Fares rise in April."
    assert text_directive("Fares rise in April.", page) == "text=Fares%20rise%20in%20April."
