"""Changed figures a writer reports: kept only when the sources they cite support them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aibot.models import Article, Draft, Paragraph, Section
from aibot.write.changes import drop_unsupported_changes
from aibot.write.extractive import ExtractiveWriter
from tests.conftest import anthropic_stub as stub
from tests.conftest import run_cli
from tests.helpers.claude import claude_posts, configure_claude
from tests.helpers.e2e import add_feed

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


# Through the write stage: the demo with the Claude writer against the stub Messages API


@pytest.fixture
def claude_demo(demo_dir: Path, claude_api, monkeypatch: pytest.MonkeyPatch):
    api, url = claude_api
    monkeypatch.setenv("ANTHROPIC_API_KEY", "fake-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    return configure_claude(demo_dir), api


def _answer_with_changes(api: Any, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The stub's answer from the sources, plus two changed figures citing every source: one
    the sources give, one they do not."""
    answer = stub.written_answer(request)
    labels = re.findall(r'<source id="(S\d+)"', request["messages"][0]["content"])
    answer["changes"] = [
        {"text": "The coastal defence fund has grown to $13.4 billion, up from $12.5 billion.",
         "sources": labels},
        {"text": "The coastal defence fund has grown to $15 billion.", "sources": labels},
    ]  # fmt: skip
    return 200, api.message(request, answer)


def test_an_update_notes_the_grounded_change_the_writer_reports_and_drops_the_other(
    claude_demo: tuple[Path, Any],
) -> None:
    config, api = claude_demo
    assert run_cli("run", "-c", str(config)).exit_code == 0
    add_feed(config.parent, "sample/extra/feeds/harbour-herald-update.xml", "Follow-up desk")
    api.script.append(_answer_with_changes)
    result = run_cli("run", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    (post,) = [p for p in claude_posts(config.parent) if p.meta.get("updates")]
    (update,) = post.meta["updates"]
    assert update["note"] == (
        "The coastal defence fund has grown to $13.4 billion, up from $12.5 billion."
    )
    assert [a["outlet"] for a in update["added"]] == ["Follow-up desk"]
    assert (
        f"note: story {post.story_id}: change 2 left out (number(s) not in the cited sources: "
        "15 billion): The coastal defence fund has grown to $15 billion.\n"
    ) in result.output
    assert "$15 billion" not in post.body
