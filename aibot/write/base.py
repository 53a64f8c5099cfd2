"""The Writer protocol shared by the Claude and extractive writers.

`write` is all a writer needs. The write stage also uses these when a writer has them (the Claude
writer does): `input_tokens(articles)` to check the cost cap before a call, `on_usage` to hear of
every call for the cost ledger, `repair(draft, problems, articles)` for one attempt at fixing what
the verifier flagged, and `request(articles)` + `draft_from_message(message, articles, batch=)`
for the Message Batches API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from aibot.models import Article, Draft, Story


class WriterError(Exception):
    """A writer could not produce a draft for one story; the story is tried again next run."""


class ServiceError(WriterError):
    """The model service failed after the client's own retries (overloaded, down, timing out).

    `fatal` when no later story of the run can succeed either (a refused key, an unknown model).
    """

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@runtime_checkable
class Writer(Protocol):
    #: Recorded in the post's front matter as generator.writer.
    name: str
    #: The model used, or "" for writers without one.
    model: str

    def write(self, story: Story, articles: Sequence[Article]) -> Draft:
        """A draft about `story` drawn only from `articles`; raise WriterError on failure."""
        ...
