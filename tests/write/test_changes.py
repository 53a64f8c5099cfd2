"""Changed figures a writer reports: kept only when the sources they cite support them."""

from __future__ import annotations

from datetime import UTC, datetime

from aibot.models import Article, Draft, Paragraph, Section
from aibot.write.changes import drop_unsupported_changes
from aibot.write.extractive import ExtractiveWriter

WHEN = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
EARLIER = Article("https://quay.example/accord", "Quay Times", "Ocean accord signed",
                  "The accord was signed by 41 governments on Sunday.", WHEN)  # fmt: skip
LATER = Article("https://pier.example/accord", "Pier Post", "Two more sign ocean accord",
                "Two more countries signed, bringing the number of signatories to 43.",
                WHEN)  # fmt: skip


def _draft(*changes: Paragraph) -> Draft:
    lede = Paragraph("The accord was signed by 41 governments on Sunday.", [EARLIER.id])
    return Draft("Accord grows", "Two more sign.", [Section("", [lede])], changes=list(changes))


def test_a_change_whose_figures_are_in_its_sources_is_kept() -> None:
    kept = Paragraph("Signatories rose from 41 governments to 43.", [EARLIER.id, LATER.id])
    draft = _draft(kept)
    assert drop_unsupported_changes(draft, [EARLIER, LATER]) == []
    assert draft.changes == [kept]


def test_a_change_with_a_figure_no_source_gives_or_no_source_at_all_is_dropped() -> None:
    invented = Paragraph("The number of signatories rose from 41 to 45.", [LATER.id])
    uncited = Paragraph("The number of signatories rose from 41 to 43.", [])
    kept = Paragraph("Signatories now number 43.", [LATER.id])
    draft = _draft(invented, uncited, kept)
    notes = drop_unsupported_changes(draft, [EARLIER, LATER])
    assert draft.changes == [kept]
    assert len(notes) == 2
    assert notes[0].startswith("change 1 left out (") and "45" in notes[0]
    assert notes[1] == (
        "change 2 left out (cites no source): The number of signatories rose from 41 to 43."
    )


def test_the_extractive_writer_reports_no_changed_figure() -> None:
    # It copies sentences; which numbers of two reports are the same claim it could only guess.
    draft = ExtractiveWriter().write(None, [EARLIER, LATER])  # type: ignore[arg-type]
    assert draft.changes == []
