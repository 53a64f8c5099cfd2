"""verify(): numbers and quotations in a draft must be found in the sources each paragraph cites."""

from __future__ import annotations

from datetime import UTC, datetime

from aibot.models import Article, Draft, Paragraph, Section
from aibot.write.verify import verify

WHEN = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

GAZETTE = Article(
    "https://gazette.example.org/flood",
    "Harbour Gazette",
    "Floods close 2,300 homes on the coast",
    "Floods closed 2,300 homes along the coast on Monday. "
    "\u201cWe have never seen water this high,\u201d said harbour master Ines Calder. "
    "Repairs will cost $4.2 billion, officials estimated.",
    WHEN,
)
COURIER = Article(
    "https://courier.example.net/flood-aid",
    "Hill Courier",
    "Aid arrives for flooded towns",
    "About 1500 volunteers arrived by Tuesday. The council opened 12 shelters.",
    WHEN,
)
ARTICLES = [GAZETTE, COURIER]


def draft_of(*paragraphs: Paragraph, heading: str = "The floods") -> Draft:
    return Draft(
        title="Coastal floods close homes",
        summary="Thousands of homes were closed.",
        sections=[Section(heading, list(paragraphs))],
    )


def test_draft_made_of_source_sentences_passes():
    draft = Draft(
        title="Coastal floods close homes",
        summary="Thousands of homes were closed.",
        sections=[
            Section(
                "What happened",
                [
                    Paragraph("Floods closed 2,300 homes along the coast on Monday.", [GAZETTE.id]),
                    Paragraph(
                        "\u201cWe have never seen water this high,\u201d said harbour master "
                        "Ines Calder.",
                        [GAZETTE.id],
                    ),
                ],
            ),
            Section(
                "Help",
                [
                    Paragraph(
                        "About 1500 volunteers arrived by Tuesday. Repairs will cost $4.2 "
                        "billion, officials estimated.",
                        [COURIER.id, GAZETTE.id],
                    )
                ],
            ),
        ],
    )
    review = verify(draft, ARTICLES)
    assert review.status == "passed"
    assert review.notes == []


def test_changed_number_is_flagged_naming_the_number():
    draft = draft_of(Paragraph("Floods closed 2,400 homes along the coast.", [GAZETTE.id]))
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert len(review.notes) == 1
    note = review.notes[0]
    assert "2,400" in note or "2400" in note
    assert "2300" not in note and "2,300" not in note
    assert "section 1 (The floods), paragraph 1" in note


def test_changed_decimal_is_flagged():
    draft = draft_of(Paragraph("Repairs will cost $4.7 billion.", [GAZETTE.id]))
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert "4.7" in review.notes[0]


def test_number_with_separator_matches_number_without_one():
    draft = draft_of(Paragraph("About 1,500 volunteers came.", [COURIER.id]))
    assert verify(draft, ARTICLES).status == "passed"
    source_has_comma = draft_of(Paragraph("Floods closed 2300 homes.", [GAZETTE.id]))
    assert verify(source_has_comma, ARTICLES).status == "passed"


def test_number_only_in_an_uncited_source_is_flagged():
    draft = draft_of(Paragraph("The council opened 12 shelters.", [GAZETTE.id]))
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert "12" in review.notes[0]


def test_quotation_not_in_the_cited_source_is_flagged():
    draft = draft_of(
        Paragraph(
            "\u201cThe sea wall will be rebuilt by summer,\u201d said Ines Calder.",
            [GAZETTE.id],
        )
    )
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert len(review.notes) == 1
    assert "quotation" in review.notes[0]
    assert "The sea wall will be rebuilt by summer" in review.notes[0]


def test_quotation_with_straight_quotes_matches_curly_quotes_in_the_source():
    draft = draft_of(
        Paragraph('"We have never   seen water this high," said Ines Calder.', [GAZETTE.id])
    )
    assert verify(draft, ARTICLES).status == "passed"


def test_quotation_from_another_source_than_the_cited_one_is_flagged():
    draft = draft_of(
        Paragraph("\u201cWe have never seen water this high,\u201d she said.", [COURIER.id])
    )
    assert verify(draft, ARTICLES).status == "flagged"


def test_paragraph_without_sources_is_flagged():
    draft = draft_of(
        Paragraph("Floods closed 2,300 homes along the coast on Monday.", [GAZETTE.id]),
        Paragraph("Residents were calm.", []),
        heading="Aftermath",
    )
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert review.notes == ["section 1 (Aftermath), paragraph 2: cites no source"]


def test_paragraph_citing_an_unknown_id_is_flagged_with_the_id():
    draft = draft_of(Paragraph("Residents were calm.", ["0123456789abcdef"]))
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert len(review.notes) == 1
    assert "unknown" in review.notes[0]
    assert "0123456789abcdef" in review.notes[0]


def test_unknown_id_beside_a_known_one_is_still_flagged():
    draft = draft_of(Paragraph("Floods closed 2,300 homes.", [GAZETTE.id, "ffffffffffffffff"]))
    review = verify(draft, ARTICLES)
    assert review.status == "flagged"
    assert any("ffffffffffffffff" in note for note in review.notes)


def test_every_problem_is_listed():
    draft = draft_of(
        Paragraph("Floods closed 9,999 homes.", [GAZETTE.id]),
        Paragraph("No source here.", []),
    )
    assert len(verify(draft, ARTICLES).notes) == 2


def _one(text: str, *sources: Article) -> list[str]:
    cited = sources or (GAZETTE,)
    return verify(draft_of(Paragraph(text, [a.id for a in cited])), ARTICLES).notes


def test_amounts_match_by_value_whatever_their_spelling():
    for same in ("$4.2 billion", "4.2bn dollars", "US$4.2 billion", "4,200 million dollars"):
        assert _one(f"Repairs will cost {same}.") == [], same
    assert _one("Repairs will cost $4.7 billion.") == [
        "section 1 (The floods), paragraph 1: number(s) not in the cited sources: 4.7 billion"
    ]


def test_spelled_out_numbers_are_checked_as_numbers():
    assert _one("Floods closed two thousand three hundred homes.") == []
    notes = _one("Floods closed twenty-four hundred homes.")
    assert notes and "twenty-four hundred" in notes[0]


def test_a_changed_weekday_or_month_is_flagged():
    assert _one("Floods closed 2,300 homes on Monday.") == []
    assert _one("Floods closed 2,300 homes on Sunday.") == [
        "section 1 (The floods), paragraph 1: date(s) not in the cited sources: Sunday"
    ]


def test_a_name_no_cited_source_mentions_is_flagged_but_outlets_are_known():
    assert _one("The Harbour Gazette said harbour master Ines Calder saw the water.") == []
    assert _one("Harbour master Ines Marlow said the water was high.") == [
        "section 1 (The floods), paragraph 1: name(s) not in the cited sources: Marlow"
    ]
    # A name from another source of the story is still not in the cited one.
    assert "Calder" in _one("Ines Calder welcomed 1500 volunteers.", COURIER)[-1]


def test_a_spelled_number_before_and_a_half_is_still_checked():
    boy = Article(
        "https://gazette.example.org/boy",
        "Harbour Gazette",
        "Boy rescued",
        "A two and a half year old boy was rescued from the harbour by a crew of 12.",
        WHEN,
    )
    cited = [boy.id]
    assert (
        verify(
            draft_of(Paragraph("A two and a half year old boy was rescued.", cited)), [boy]
        ).notes
        == []
    )
    notes = verify(
        draft_of(Paragraph("A nine and a half year old boy was rescued.", cited)), [boy]
    ).notes
    assert notes and "nine" in notes[0]


# Dates: every number a date holds is checked, in any notation, and a date must exist.

FERRY = Article(
    "https://gazette.example.org/ferry",
    "Harbour Gazette",
    "Ferry line opens",
    "The Tollan ferry line opened on July 31, 2014, with 100 passengers aboard. The harbour "
    "board met on 5 March and again on 2015-03-05. In June 45 people moved to the island.",
    WHEN,
)


def _date_notes(text: str) -> list[str]:
    notes = verify(draft_of(Paragraph(text, [FERRY.id])), [FERRY]).notes
    return [n.removeprefix("section 1 (The floods), paragraph 1: ") for n in notes]


def test_a_day_that_no_month_has_is_flagged_even_beside_a_source_number():
    assert _date_notes("The ferry line opened on July 100 2014.") == [
        "date(s) that cannot exist: July 100 2014 (July has 31 days)"
    ]


def test_the_31st_of_a_30_day_month_is_flagged():
    assert _date_notes("The harbour board met on 31 April.") == [
        "date(s) that cannot exist: 31 April (April has 30 days)",
        "date(s) not in the cited sources: April",
    ]


def test_30_february_is_flagged_with_or_without_a_year():
    assert _date_notes("The board met on 30 February.")[0] == (
        "date(s) that cannot exist: 30 February (February has at most 29 days)"
    )
    assert _date_notes("The board met on 30 February 2016.")[0] == (
        "date(s) that cannot exist: 30 February 2016 (February 2016 has 29 days)"
    )


def test_29_february_is_flagged_only_in_a_year_that_is_not_a_leap_year():
    assert _date_notes("The board met on 29 February 2015.")[0] == (
        "date(s) that cannot exist: 29 February 2015 (2015 is not a leap year)"
    )
    leap = _date_notes("The board met on 29 February 2016.")
    assert not any("cannot exist" in n for n in leap)
    assert not any("cannot exist" in n for n in _date_notes("The board met on 29 February."))


def test_day_0_and_month_13_in_numeric_dates_are_flagged():
    assert _date_notes("The line opened on 0 July 2014.") == [
        "date(s) that cannot exist: 0 July 2014 (no day 0)"
    ]
    assert _date_notes("The line opened on 2014-13-01.") == [
        "date(s) that cannot exist: 2014-13-01 (no month 13)"
    ]
    assert _date_notes("The line opened on 13/25/2014.") == [
        "date(s) that cannot exist: 13/25/2014 (no month 13 or 25)"
    ]
    assert _date_notes("The line opened on 31/04/2014.") == [
        "date(s) that cannot exist: 31/04/2014 (no such day, read as month/day or as day/month)"
    ]


def test_a_number_after_a_month_that_the_source_writes_too_is_no_date():
    assert _date_notes("In June 45 people moved to the island.") == []
    assert _date_notes("The ferry line opened on July 100.") == [
        "date(s) that cannot exist: July 100 (July has 31 days)"
    ]
    # Before a month, a three-digit number is a count unless a year or an ordinal follows.
    assert _date_notes("The ferry line opened with 100 July passengers.") == []


def test_a_changed_year_in_a_date_is_flagged_even_if_the_day_is_right():
    assert _date_notes("The ferry line opened on July 31, 2015.") == [
        "date(s) not in the cited sources: July 31, 2015"
    ]
    assert _date_notes("The ferry line opened on July 30, 2014.") == [
        "date(s) not in the cited sources: July 30, 2014"
    ]
    assert _date_notes("The board met again in March 2016.") == [
        "date(s) not in the cited sources: March 2016"
    ]


def test_a_date_in_another_notation_passes():
    for same in (
        "July 31",
        "31 July 2014",
        "the 31st of July",
        "Jul. 31, 2014",
        "2014-07-31",
        "7/31/2014",
        "31/07/14",
        "31.07.2014",
    ):
        assert _date_notes(f"The ferry line opened on {same}.") == [], same
    # A count right after a date is no year (a year beside a month is 1800-2199).
    assert _date_notes("On July 31 1500 people read the notice.") == [
        "number(s) not in the cited sources: 1500"
    ]
    # A day the source gives without a year, with a year the source names elsewhere.
    assert _date_notes("The harbour board met on March 5, 2015.") == []
    assert _date_notes("The harbour board met on 5 March.") == []
