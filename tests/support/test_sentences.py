"""Sentence splitting against the case corpus in tests/fixtures/sentences/cases.txt."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibot.support.text import sentences

CASES_FILE = Path(__file__).parents[1] / "fixtures" / "sentences" / "cases.txt"


class Case(NamedTuple):
    group: str
    line: int  # of the case's first sentence in the file
    paragraph: str
    expected: list[str]


def read_cases(path: Path = CASES_FILE) -> list[Case]:
    """The cases of the corpus: blocks of expected sentences, one a line, under "## group"
    headings; the paragraph is the block's lines joined by single spaces."""
    cases: list[Case] = []
    group, block, first = "", [], 0
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if line.startswith("## "):
            group = line[3:].strip()
        elif line.startswith("# "):
            continue
        elif line.strip():
            if not block:
                first = number
            block.append(line.strip())
        elif block:
            cases.append(Case(group, first, " ".join(block), block))
            block = []
    return cases


CASES = read_cases()


def test_the_corpus_is_large_and_covers_every_group():
    groups = {case.group for case in CASES}
    assert len(CASES) >= 200
    assert groups >= {
        "titles",
        "initials",
        "ends with an abbreviation",
        "abbreviations mid-sentence",
        "months and dates",
        "numbers and amounts",
        "ellipses",
        "web addresses and emails",
        "numbered lists",
        "quotations",
        "brackets",
    }
    assert all(case.group for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}:{c.line}" for c in CASES])
def test_sentences_match_the_corpus(case: Case):
    assert sentences(case.paragraph) == case.expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("It rained.  It poured.", ["It rained.", "It poured."]),
        ("It rained.\nIt poured.", ["It rained.", "It poured."]),
        ("  It rained. It poured.  ", ["It rained.", "It poured."]),
        ("He moved to the U.S.\n\tIt was 1990.", ["He moved to the U.S.", "It was 1990."]),
    ],
)
def test_sentences_split_at_any_white_space_and_strip_it(paragraph, expected):
    assert sentences(paragraph) == expected


def test_sentences_are_the_paragraph_in_order():
    paragraph = " ".join(case.paragraph for case in CASES[:60])
    result = sentences(paragraph)
    assert " ".join(result) == paragraph


def test_a_quotation_left_open_protects_nothing_after_it():
    paragraph = '"The pier is safe. The ferry is not. Engineers said so on Monday.'
    assert sentences(paragraph) == [
        '"The pier is safe.',
        "The ferry is not.",
        "Engineers said so on Monday.",
    ]


_TOKENS = st.sampled_from(
    """The U.S. Dr. H.W. a.m. p.m. No. 1. 2) b) $3.5 ... … ." "It "We over." over," (Kessa) [on]
    it. Then? Why?" Stop!" asked Lund said. etc. e.g. Inc. Jan. 5 Élise 'Yes,' “Run.” ” “ ( )
    example.org. x@y.example. II. — -""".split()
)


@settings(deadline=None, database=None)  # the machine's load must not fail the test
@given(st.lists(_TOKENS, min_size=1, max_size=40))
def test_sentences_lose_and_add_nothing(tokens):
    paragraph = " ".join(tokens)
    result = sentences(paragraph)
    assert " ".join(result) == paragraph
    assert all(s and s == s.strip() for s in result)
