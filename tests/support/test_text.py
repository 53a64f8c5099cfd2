"""Text helpers: sentence splitting, HTML to plain text, word tokens."""

from __future__ import annotations

import pytest

from aibot.support.text import html_to_text, one_line, plain_text, sentences, words


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Mr. Okafor met Dr. Lund at noon. They talked for an hour.",
            ["Mr. Okafor met Dr. Lund at noon.", "They talked for an hour."],
        ),
        (
            "The U.S. Senate voted on Tuesday. The bill failed.",
            ["The U.S. Senate voted on Tuesday.", "The bill failed."],
        ),
        (
            "Profits rose to $4.2 billion in 2025. Shares fell 3.5 percent.",
            ["Profits rose to $4.2 billion in 2025.", "Shares fell 3.5 percent."],
        ),
        (
            "The novel by J. R. Harrow sold well. Fans queued for hours.",
            ["The novel by J. R. Harrow sold well.", "Fans queued for hours."],
        ),
        (
            "Is the pier safe? Engineers say yes! It reopens on Monday.",
            ["Is the pier safe?", "Engineers say yes!", "It reopens on Monday."],
        ),
        (
            'She said "It is over." Then she left the hall.',
            ['She said "It is over."', "Then she left the hall."],
        ),
    ],
)
def test_sentences_split_on_real_sentence_ends_only(paragraph, expected):
    assert sentences(paragraph) == expected


def test_sentences_keep_abbreviations_decimals_and_initials_together():
    paragraph = (
        "Mr. Brandt of the U.S. Treasury said the fund holds $4.2 billion. "
        "Ms. A. B. Corrie disagreed."
    )
    result = sentences(paragraph)
    assert result == [
        "Mr. Brandt of the U.S. Treasury said the fund holds $4.2 billion.",
        "Ms. A. B. Corrie disagreed.",
    ]


def test_sentences_of_text_without_a_full_stop_is_one_sentence():
    assert sentences("Storm warning for the coast") == ["Storm warning for the coast"]


def test_sentences_of_blank_text_is_empty():
    assert sentences("   ") == []


def test_html_to_text_drops_script_and_style_content():
    markup = (
        "<p>Harbour <b>reopens</b></p>"
        '<script>var secret = "token";</script>'
        "<style>p { color: red }</style>"
        "<p>Boats &amp; ferries return</p>"
    )
    text = html_to_text(markup)
    assert text == "Harbour reopens\n\nBoats & ferries return"
    assert "secret" not in text
    assert "color" not in text


def test_html_to_text_separates_block_elements_with_blank_lines():
    assert html_to_text("<h2>Flood</h2><p>Water rose.</p><ul><li>One</li><li>Two</li></ul>") == (
        "Flood\n\nWater rose.\n\nOne\n\nTwo"
    )


def test_html_to_text_treats_newlines_in_the_markup_as_spaces():
    # In HTML a line break inside a paragraph is white space, not a new paragraph.
    assert html_to_text("<p>The council voted\n   on Tuesday.</p>") == (
        "The council voted on Tuesday."
    )


def test_html_to_text_keeps_inline_elements_in_one_paragraph():
    assert html_to_text("<p>A <a href='x'>link</a> and <em>stress</em>.</p>") == (
        "A link and stress."
    )


def test_plain_text_of_text_plain_keeps_angle_brackets_as_text():
    assert plain_text("Ferry &lt;b&gt;news&lt;/b&gt;", "text/plain") == "Ferry <b>news</b>"


def test_plain_text_of_html_removes_tags():
    assert plain_text("Ferry <b>news</b> &amp; views", "text/html") == "Ferry news & views"


def test_one_line_collapses_white_space():
    assert one_line("  Ferry\n\tfares   rise ") == "Ferry fares rise"


def test_words_drop_stop_words_and_fold_plurals():
    assert words("The harbours and the boats were late in 2026") == [
        "harbour",
        "boat",
        "late",
        "2026",
    ]
    assert words("Boats") == words("boat")
