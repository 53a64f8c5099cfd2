"""benchmarks/readability.py on posts written for these tests (invented outlets, people and
places): each kind of hit, and a near miss beside it that must not count."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aibot.posts.frontmatter import load_post
from tests.conftest import script_module

lint = script_module("benchmarks/readability.py")

HERALD = "The Harbour Herald"
GAZETTE = "Skerne Gazette"


def _write(
    site: Path,
    body: str,
    *,
    slug: str = "ferry-returns",
    summary: str = "The Skerne ferry is back after a week of gales, with a new timetable.",
    outlets: tuple[str, ...] = (HERALD, GAZETTE),
    title: str = "Skerne ferry returns to service",
) -> Path:
    sources = "".join(
        f"- {{outlet: {outlet}, title: A headline, url: 'https://example.org/{n}'}}\n"
        for n, outlet in enumerate(outlets)
    )
    text = (
        f"---\ntitle: {title}\nslug: {slug}\ndate: 2026-11-23T18:30:00Z\n"
        f"summary: '{summary}'\nsources:\n{sources}---\n\n{body.strip()}\n"
    )
    path = site / "content" / "posts" / "2026" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _hits(tmp_path: Path, body: str, kind: str, **options) -> list:
    path = _write(tmp_path, body, **options)
    found = lint.post_hits(load_post(path), path.read_text(encoding="utf-8"))
    return [(hit.trigger, hit.line) for hit in found if hit.kind == kind]


LEDE = (
    "Passenger ferries between Kestrel Point and Dunmarrow sailed again on Monday 23 November "
    "after gales kept the fleet in port for seven days. [[1]](#source-1)"
)


# Reading the body


def test_prose_sections_leave_out_sources_updates_and_disagreements():
    body = (
        "## Ferries sail again\n\nFerries sail. [[1]](#source-1)\n\n"
        "## Where sources differ\n\n- One says today.\n\n"
        '## Sources\n\n1. <span id="source-1"></span>The Harbour Herald: [Today](https://x.example/)\n\n'
        "## Updates\n\n- 24 November 2026, 09:00 UTC: today's timetable added\n"
    )
    sections = lint.prose_sections(body)
    assert [(s.heading, [p.chunks for p in s.paragraphs]) for s in sections] == [
        ("Ferries sail again", [["Ferries sail."]])
    ]


def test_a_paragraph_is_cut_at_its_citations_and_unescaped():
    (section,) = lint.prose_sections(
        "Quint runs the quay\\. [[1]](#source-1) She sails at 6am \\[sic\\]. [[2]](#source-2)"
    )
    assert section.paragraphs[0].chunks == ["Quint runs the quay.", "She sails at 6am [sic]."]


def test_hits_name_the_line_of_the_file(tmp_path):
    body = f"## Ferries sail again\n\n{LEDE}\n\nHe said the crossing was calm. [[2]](#source-2)\n"
    path = _write(tmp_path, body)
    line = path.read_text().splitlines().index("He said the crossing was calm. [[2]](#source-2)")
    assert _hits(tmp_path, body, lint.DANGLING) == [("He", line + 1)]


# Dangling openers


def test_a_paragraph_opening_with_he_is_dangling(tmp_path):
    body = f"{LEDE}\n\nHe said the crossing was calm. [[2]](#source-2)"
    assert [t for t, _ in _hits(tmp_path, body, lint.DANGLING)] == ["He"]


def test_he_after_a_citation_with_a_name_before_it_in_the_paragraph_is_not(tmp_path):
    body = (
        f"{LEDE}\n\nHarbour master Ada Quint reopened the quay at dawn. [[1]](#source-1) "
        "He said the crossing was calm. [[2]](#source-2)"
    )
    assert _hits(tmp_path, body, lint.DANGLING) == []


def test_a_connective_after_a_citation_is_dangling(tmp_path):
    body = (
        f"{LEDE}\n\nThe quay reopened at dawn. [[1]](#source-1) However, the crossing was "
        "rough. [[2]](#source-2)\n\nThen the wind dropped. [[1]](#source-1)\n\n"
        "The move drew praise from islanders. [[2]](#source-2)\n\n"
        "Earlier in the day, the council also met. [[1]](#source-1)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.DANGLING)] == [
        "However",
        "Then",
        "The move",
        "Earlier in the day",
    ]


def test_a_label_run_into_the_title_is_furniture(tmp_path):
    hits = [
        h
        for h in lint.furniture("Story highlights The ferry sails again", 2, "", 3, [])
        if h.kind == lint.FURNITURE_KIND
    ]
    assert [h.text for h in hits] == ["Story highlights The ferry sails again"]
    assert lint.furniture("Story highlights of the season", 2, "", 3, []) == []


def test_an_event_named_before_may_open_a_paragraph_with_the_same_noun(tmp_path):
    body = (
        f"{LEDE}\n\nTwo deckhands were hurt in the incident. [[1]](#source-1)\n\n"
        "The incident report says the ramp gave way. [[2]](#source-2)\n\n"
        "The latter was closed. [[1]](#source-1)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.DANGLING)] == ["The latter"]
    unnamed = f"{LEDE}\n\nThe incident report says the ramp gave way. [[2]](#source-2)"
    assert [t for t, _ in _hits(tmp_path, unnamed, lint.DANGLING)] == ["The incident"]


def test_openers_that_refer_to_nothing_before_are_not_dangling(tmp_path):
    body = (
        f"{LEDE}\n\nIt is unclear whether the winter timetable will hold. [[1]](#source-1)\n\n"
        "This week the crossing takes 40 minutes. [[2]](#source-2)\n\n"
        "Then-mayor Bram Tolliver opened the route in 1998. [[1]](#source-1)\n\n"
        "Earlier in 2026, the operator sold two of its boats. [[2]](#source-2)\n\n"
        "The ferry sailed at 6am. However, the crossing was rough. [[1]](#source-1)"
    )
    assert _hits(tmp_path, body, lint.DANGLING) == []
    dated = f"{LEDE}\n\nEarlier in 2026, the operator sold two of its boats. [[2]](#source-2)"
    assert _hits(tmp_path, dated, lint.RELATIVE_TIME) == []  # "earlier in 2026" is a date


# Relative time words


def test_unresolved_time_words_count(tmp_path):
    body = (
        f"{LEDE}\n\nForecasters expect the gales to return this afternoon. [[1]](#source-1)\n\n"
        "The ferry was cancelled on Friday, and Saturday's sailings too. [[2]](#source-2)\n\n"
        "Three days ago the quay was under water; the council meets next week. [[2]](#source-2)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.RELATIVE_TIME)] == [
        "this afternoon",
        "on Friday",
        "Saturday",
        "three days ago",
        "next week",
    ]


def test_dated_weekdays_quotes_and_named_days_do_not_count(tmp_path):
    body = (
        "The ferry was cancelled on Friday 4 December and on Saturday, Dec. 5. [[1]](#source-1)\n\n"
        '"We sail again today," said Ada Quint. [[1]](#source-1)\n\n'
        "Sailings on Sundays stop after Good Friday. [[2]](#source-2)\n\n"
        "The operator said today (24 November) that a Saturday-night sailing and a Sunday "
        "Night Live show on board are planned. [[2]](#source-2)"
    )
    assert _hits(tmp_path, body, lint.RELATIVE_TIME) == []


def test_a_name_in_capitals_and_a_newspapers_edition_are_no_time_words(tmp_path):
    body = (
        "Her lawyers did not answer calls from FENMOOR TODAY or the Brackwater Today "
        "desk. [[1]](#source-1)\n\n"
        "According to sources in Wednesday's Post, the ferry was sold. [[2]](#source-2)\n\n"
        "Today the quay reopened, and Friday's sailing is full. [[2]](#source-2)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.RELATIVE_TIME)] == ["today", "Friday"]


def test_a_weekday_dated_earlier_in_the_post_is_resolved_and_another_is_not(tmp_path):
    body = (
        "The ferry was cancelled on Friday 4 December. [[1]](#source-1)\n\n"
        "Repairs began on Friday afternoon, and divers go down on Sunday. [[2]](#source-2)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.RELATIVE_TIME)] == ["on Sunday"]


# Summary and lede


def test_a_summary_that_copies_the_lede_counts(tmp_path):
    summary = (
        "Passenger ferries between Kestrel Point and Dunmarrow sailed again on Monday 23 "
        "November after gales kept the fleet in port for seven days."
    )
    path = _write(tmp_path, LEDE, summary=summary)
    summary_line = path.read_text().splitlines().index(f"summary: '{summary}'") + 1
    assert _hits(tmp_path, LEDE, lint.SUMMARY_LEDE, summary=summary) == [
        ("100% of the words shared", summary_line)
    ]


def test_a_summary_in_its_own_words_does_not(tmp_path):
    summary = "Islanders can cross to the mainland again, a week after the storm cut them off."
    assert _hits(tmp_path, LEDE, lint.SUMMARY_LEDE, summary=summary) == []


# Repeated sentences


def test_the_same_or_a_near_duplicate_sentence_twice_counts(tmp_path):
    body = (
        f"{LEDE}\n\nThe council will inspect the Dunmarrow slipway before winter. [[1]](#source-1)"
        "\n\nThe council is to inspect the Dunmarrow slipway before winter. [[2]](#source-2)\n\n"
        "The ferry carried 212 passengers on its first crossing. [[1]](#source-1)\n\n"
        "The ferry carried 212 passengers on its first crossing. [[2]](#source-2)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.REPEATED)] == [
        "near-duplicate",
        "same sentence",
    ]


def test_sentences_sharing_some_words_are_not_repeats(tmp_path):
    body = (
        f"{LEDE}\n\nThe ferry carried 212 passengers on its first crossing. [[1]](#source-1)\n\n"
        "The ferry carried freight and mail on its second crossing, at noon. [[2]](#source-2)"
    )
    assert _hits(tmp_path, body, lint.REPEATED) == []


# Self-references


def test_an_outlet_speaking_of_itself_counts(tmp_path):
    body = (
        f"{LEDE}\n\nIn a letter seen by the Herald, the operator apologised. [[1]](#source-1)\n\n"
        "The timetable was shared with this newspaper on Sunday 22 November. [[1]](#source-1)\n\n"
        "Our reporters crossed on the first sailing. [[2]](#source-2)\n\n"
        "A spokesman declined to comment (Gazette), he told us. [[2]](#source-2)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.SELF_REFERENCE)] == [
        "the Herald",
        "this newspaper",
        "Our reporters",
        "told us",
        "(Gazette)",
    ]


def test_full_names_other_outlets_and_quotes_are_not_self_references(tmp_path):
    body = (
        f"{LEDE}\n\nIn a letter seen by The Harbour Herald, the operator apologised. "
        "[[1]](#source-1)\n\nThe timetable was printed in the Herald Tribune. [[1]](#source-1)\n\n"
        '"Our reporters sail every week," said Skerne Gazette editor Juno Vey. [[2]](#source-2)'
        "\n\nThe Times said nothing, and the skipper told US Weekly little more. [[2]](#source-2)"
    )
    assert _hits(tmp_path, body, lint.SELF_REFERENCE) == []


# Headings


def test_a_heading_with_no_word_of_its_section_counts(tmp_path):
    body = (
        f"## Ferries sail again\n\n{LEDE}\n\n## Power Supplies\n\n"
        '"We have kept every job," said Ada Quint, the operator\'s chief executive. '
        "[[1]](#source-1)"
    )
    path = _write(tmp_path, body)
    line = path.read_text().splitlines().index("## Power Supplies") + 1
    assert _hits(tmp_path, body, lint.HEADING) == [("no shared word", line)]


def test_a_heading_whose_word_appears_in_another_form_does_not(tmp_path):
    body = (
        "## Flooding at the slipway\n\nThe slipway floods at every spring tide, the council "
        "said. [[1]](#source-1)"
    )
    assert _hits(tmp_path, body, lint.HEADING) == []


# Cut at an abbreviation


def test_sentences_cut_at_an_abbreviation_count(tmp_path):
    body = (
        f"{LEDE}\n\nThe first ticket was sold to George H.W. [[1]](#source-1)\n\n"
        "Tolliver, who has sailed since 1970. [[1]](#source-1)\n\n"
        "and the quay was closed for an hour. [[2]](#source-2)\n\n"
        "The crossing was blessed by Rev. [[2]](#source-2)\n\n"
        "Islanders took the ferry to the U.S. [[1]](#source-1)\n\n"
        "Coast Guard said the route was safe. [[1]](#source-1)"
    )
    assert [t for t, _ in _hits(tmp_path, body, lint.ABBREVIATION_CUT)] == [
        "ends in George H.W.",
        "starts in lower case",
        "ends in Rev.",
        "ends in the U.S.",
    ]


def test_an_abbreviation_that_ends_a_sentence_is_not_a_cut(tmp_path):
    body = (
        f"{LEDE}\n\nIslanders took the ferry to the U.S. It was the first such trip. "
        "[[1]](#source-1)\n\nThe route is run by Skerne Lines Ltd. [[1]](#source-1)\n\n"
        "Ada Quint said the route was safe. [[2]](#source-2)\n\n"
        "eFerry tickets sold out within an hour. [[2]](#source-2)\n\n"
        "The quay was built before World War I. [[1]](#source-1)"
    )
    assert _hits(tmp_path, body, lint.ABBREVIATION_CUT) == []


# Page furniture


def test_page_furniture_counts_in_the_prose_and_the_title(tmp_path):
    body = (
        f"{LEDE}\n\nAdd Ada Quint as an interest to stay up to date on the latest news. "
        "[[1]](#source-1)\n\nImage caption The ferry leaves Dunmarrow at dawn. [[2]](#source-2)"
        "\n\nCLOSE Islanders wave off the first ferry. [[2]](#source-2)"
    )
    found = _hits(tmp_path, body, lint.FURNITURE_KIND, title="Follow us on Chirrup for updates")
    assert [t for t, _ in found] == [
        "Follow us on",
        "Add Ada Quint as an interest",
        "Image caption",
        "CLOSE ",
    ]


def test_news_with_the_same_words_is_not_furniture(tmp_path):
    body = (
        f"{LEDE}\n\nMore than 2,000 islanders sign up for the winter ferry pass each year. "
        "[[1]](#source-1)\n\nClose to 300 cars crossed on the first day. [[2]](#source-2)"
    )
    assert _hits(tmp_path, body, lint.FURNITURE_KIND) == []


# The site and the command


def _site_with_two_posts(site: Path) -> None:
    _write(site, f"{LEDE}\n\nHe said the sea was calm. [[1]](#source-1)", slug="first")
    _write(site, f"{LEDE}\n\nShe said it again on Friday. [[1]](#source-1)", slug="second")


def test_the_table_counts_hits_posts_and_rate(tmp_path):
    _site_with_two_posts(tmp_path)
    rows = lint.table(lint.lint_site(tmp_path, "test site"))
    assert rows[:4] == [
        "test site: 2 posts",
        "",
        "| kind | count | posts affected | per 100 posts |",
        "|---|---:|---:|---:|",
    ]
    assert rows[4] == "| dangling opener | 2 | 2 | 100.0 |"
    assert rows[5] == "| relative time | 1 | 1 | 50.0 |"
    assert rows[6] == "| summary = lede | 0 | 0 | 0.0 |"


def test_explain_lists_each_hit_with_its_post_and_line(tmp_path, capsys):
    _site_with_two_posts(tmp_path)
    assert lint.main([str(tmp_path), "--explain"]) == 0
    out = capsys.readouterr().out
    second = (tmp_path / "content" / "posts" / "2026" / "second.md").read_text().splitlines()
    line = second.index("She said it again on Friday. [[1]](#source-1)") + 1
    assert (
        f'content/posts/2026/second.md:{line}: relative time: "on Friday" in '
        '"She said it again on Friday."' in out.splitlines()
    )
    assert (
        "  content/posts/2026/second.md: dangling opener x1, relative time x1" in out.splitlines()
    )
    assert '  dangling opener: "he" x1, "she" x1' in out.splitlines()


def test_a_folder_without_posts_is_named_with_a_hint(tmp_path):
    with pytest.raises(SystemExit) as stop:
        lint.main([str(tmp_path)])
    assert str(stop.value) == (
        f"{tmp_path}: no content/posts folder; give a site folder (the one with aibot.yaml), "
        "e.g. examples/demo after `aibot run --demo`"
    )


def test_an_unreadable_post_is_listed_and_the_others_are_linted(tmp_path):
    _site_with_two_posts(tmp_path)
    broken = tmp_path / "content" / "posts" / "2026" / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    rows = lint.table(lint.lint_site(tmp_path, "test site"))
    assert rows[0] == "test site: 2 posts"
    assert rows[-1].startswith(f"unreadable post: {broken}:2: front matter:")


def test_nothing_to_lint_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        lint.main([])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "benchmarks/readability.py: error: give a SITE_DIR, --demo or --e2e"
    )


def test_a_failed_build_stops_with_its_command_and_output(tmp_path):
    command = [sys.executable, "-c", "import sys; sys.exit('no feeds could be read')"]
    with pytest.raises(SystemExit) as stop:
        lint.run_or_stop(command, cwd=tmp_path)
    assert str(stop.value) == f"{' '.join(command)} failed (exit 1):\nno feeds could be read\n"
