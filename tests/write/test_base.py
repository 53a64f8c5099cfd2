"""A writer's optional abilities (aibot/write/base.py) and how the write stage tells them."""

from __future__ import annotations

from collections.abc import Sequence

import anthropic

from aibot.models import Article, Draft, Paragraph, Section, Story
from aibot.write.base import Batches, CountsTokens, Repairs, ReportsUsage, Writer
from aibot.write.claude import ClaudeWriter
from aibot.write.extractive import ExtractiveWriter

ABILITIES = (CountsTokens, ReportsUsage, Repairs, Batches)


class PlainWriter:
    """A writer with `write` alone, as a program embedding AiBot may bring."""

    name, model = "plain", ""

    def write(self, story: Story, articles: Sequence[Article]) -> Draft:
        return Draft(title=story.title, summary="", sections=[Section("", [Paragraph("x", [])])])


def test_the_claude_writer_has_every_ability() -> None:
    client = anthropic.Anthropic(api_key="test", base_url="http://127.0.0.1:9")
    writer = ClaudeWriter(client, "claude-test")
    assert [isinstance(writer, ability) for ability in (Writer, *ABILITIES)] == [True] * 5


def test_the_extractive_writer_and_a_plain_one_are_writers_without_abilities() -> None:
    for writer in (ExtractiveWriter(), PlainWriter()):
        assert isinstance(writer, Writer)
        assert [isinstance(writer, ability) for ability in ABILITIES] == [False] * 4


def test_half_an_ability_is_none() -> None:
    class RequestsOnly(PlainWriter):
        def request(self, articles: Sequence[Article]) -> dict[str, object]:
            return {}

    class RepairsWithoutSmallModel(PlainWriter):
        def repair(self, draft, problems, articles):  # noqa: ANN001, ANN201 - shape only
            return draft

    assert not isinstance(RequestsOnly(), Batches)
    assert not isinstance(RepairsWithoutSmallModel(), Repairs)
