"""The Writer protocol shared by the Claude and extractive writers, and the abilities a writer
may add to it.

`write` is all a writer needs. The write stage also uses these when a writer has them (the Claude
writer has all four): CountsTokens to check the cost cap before a call, ReportsUsage to hear of
every call for the cost ledger, Repairs for one attempt at fixing what the verifier flagged, and
Batches for the Message Batches API. Each is checked with isinstance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from aibot.models import Article, Draft, Story, Usage


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


@runtime_checkable
class CountsTokens(Protocol):
    def input_tokens(self, articles: Sequence[Article]) -> int:
        """At most how many input tokens a call about `articles` sends."""
        ...


@runtime_checkable
class ReportsUsage(Protocol):
    #: Called with each call's usage and its purpose ("write", "repair"); set by the write stage.
    on_usage: Callable[[Usage, str], None] | None


@runtime_checkable
class Repairs(Protocol):
    #: The model repairs are made with (their cost is estimated with its prices).
    small_model: str

    def repair(
        self, draft: Draft, problems: dict[tuple[int, int], list[str]], articles: Sequence[Article]
    ) -> Draft:
        """`draft` with the flagged paragraphs (section, paragraph -> notes) rewritten."""
        ...


@runtime_checkable
class Batches(Protocol):
    def request(self, articles: Sequence[Article]) -> dict[str, Any]:
        """The Messages API request that drafts a story about `articles`."""
        ...

    def draft_from_message(
        self, response: Any, articles: Sequence[Article], *, batch: bool = False
    ) -> Draft:
        """A draft from one answer to `request`; WriterError when it is unusable."""
        ...
