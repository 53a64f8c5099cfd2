"""The Writer protocol shared by the Claude and extractive writers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from aibot.models import Article, Draft, Story


class WriterError(Exception):
    """A writer could not produce a draft for one story; the story is tried again next run."""


@runtime_checkable
class Writer(Protocol):
    #: Recorded in the post's front matter as generator.writer.
    name: str
    #: The model used, or "" for writers without one.
    model: str

    def write(self, story: Story, articles: Sequence[Article]) -> Draft:
        """A draft about `story` drawn only from `articles`; raise WriterError on failure."""
        ...
