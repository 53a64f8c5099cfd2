"""RunReport: what one run did, printed after `aibot run` and kept in the cache's run log."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aibot.support.plural import counted

if TYPE_CHECKING:
    from aibot.models import Usage

# Waiting stories listed in the printed report; --json lists them all.
WAITING_SHOWN = 5


@dataclass
class RunReport:
    started: datetime
    # Names this run's rows in the cost ledger.
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    writer: str = ""
    clustering: str = ""  # the similarity signals the cluster stage used
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_waiting: int = 0
    articles_new: int = 0
    articles_seen: int = 0
    articles_failed: int = 0
    articles_partial: int = 0
    articles_syndicated: int = 0
    # Pages that were not news (error pages, consent walls, shared boilerplate, …): dropped, or
    # kept as their feed's text; each in `junk`: "<url> (feed <name>): <reason>; <outcome>".
    articles_junk: int = 0
    articles_passed_over: int = 0  # dropped as not news or textless in an earlier run
    junk: list[str] = field(default_factory=list)
    stories: int = 0
    stories_new: int = 0
    stories_grown: int = 0
    stories_waiting: int = 0
    stories_merged: int = 0  # earlier stories found to be part of another one (absorbed)
    # One per story merged: {story, title, slug, into, into_title, into_slug} (slugs of the
    # stories' posts, None when a story had none).
    merges: list[dict[str, Any]] = field(default_factory=list)
    # Why each waiting story has no post yet: {story, title, outlets, needed}.
    waiting: list[dict[str, Any]] = field(default_factory=list)
    posts_written: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    posts_kept: int = 0  # edited or locked by an editor: not rewritten
    posts_held: int = 0  # failed verification: saved as drafts for review
    posts_deferred: int = 0  # over writer.max_posts_per_run or the cost cap: next run
    posts_repaired: int = 0  # flagged, then cleared by the writer's one repair attempt
    posts_failed: int = 0  # stories the writer was asked for and failed on: tried again next run
    posts_merged: int = 0  # retired into another post of their story: their slugs forward there
    # Model calls this run, from the cost ledger.
    calls: int = 0
    tokens_input: int = 0  # not read from the prompt cache (written to it or not)
    tokens_cached: int = 0  # read from the prompt cache
    tokens_output: int = 0
    cost_usd: float = 0.0
    cost_cap_usd: float | None = None
    batches: list[str] = field(default_factory=list)  # Message Batch ids sent or collected
    build_pages: int = 0
    build_seconds: float = 0.0
    build_ok: bool = True
    build_scheduled: int = 0
    build_next_scheduled: str = ""  # ISO time
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, line: str) -> None:
        if line not in self.problems:
            self.problems.append(line)

    @property
    def ok(self) -> bool:
        """False when the run could not do its job: the build failed or no feed answered."""
        no_feed = self.feeds_ok == 0 and self.feeds_failed > 0
        return self.build_ok and not no_feed

    def _passed_over_part(self) -> str:
        if not self.articles_passed_over:
            return ""
        return (
            f", {self.articles_passed_over} passed over as in an earlier run (not news, or no text)"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["ok"] = self.ok
        return data

    def lines(self) -> list[str]:
        out = [
            f"feeds     {self.feeds_ok} ok, {self.feeds_failed} failed, "
            f"{self.feeds_waiting} asked us to wait",
            f"articles  {self.articles_new} new, {self.articles_seen} seen, "
            f"{self.articles_failed} failed, {self.articles_partial} partial (feed text only), "
            f"{counted(self.articles_syndicated, 'syndicated copy', 'syndicated copies')} merged"
            f"{f', {self.articles_junk} not news (listed below)' if self.articles_junk else ''}"
            f"{self._passed_over_part()}",
            f"stories   {self.stories} in all: {self.stories_new} new, {self.stories_grown} with "
            f"new sources, {self.stories_waiting} waiting for more sources"
            f"{f', {self.stories_merged} merged into another' if self.stories_merged else ''}"
            f"{f' (clustering: {self.clustering})' if self.clustering else ''}",
            f"posts     {self.posts_written} written, {self.posts_updated} updated, "
            f"{self.posts_unchanged} unchanged, {self.posts_kept} kept (edited or locked), "
            f"{self.posts_held} held for review, {self.posts_deferred} deferred"
            f"{f', {self.posts_failed} failed' if self.posts_failed else ''}"
            f"{f', {self.posts_merged} merged into another' if self.posts_merged else ''}"
            f"{f' (writer: {self.writer})' if self.writer else ''}",
            *self._cost_lines(),
            f"build     {counted(self.build_pages, 'page')} in {self.build_seconds:.2f} s"
            f"{self._scheduled_part()}"
            f"{'' if self.build_ok else ' FAILED, previous site kept'}",
        ]
        out += [_merge_line(merge) for merge in self.merges]
        for wait in self.waiting[:WAITING_SHOWN]:
            outlets = ", ".join(wait["outlets"])
            independent = counted(wait["independent"], "independent outlet")
            out.append(f"waiting: {wait['title'][:70]} — {independent} ({outlets}), "
                       f"needs {wait['needed']}")  # fmt: skip
        if len(self.waiting) > WAITING_SHOWN:
            out.append(f"waiting: … and {len(self.waiting) - WAITING_SHOWN} more (see --json)")
        out += [f"not news: {line}" for line in self.junk]
        out += [f"note: {n}" for n in self.notes]
        out += [f"problem: {p}" for p in self.problems]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        """A report as `to_dict` stored it (keys of other versions are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["started"] = datetime.fromisoformat(str(data["started"]))
        return cls(**values)

    def _scheduled_part(self) -> str:
        if not self.build_scheduled:
            return ""
        first = (
            datetime.fromisoformat(self.build_next_scheduled) if self.build_next_scheduled else None
        )
        return f", {scheduled(self.build_scheduled, first)}"

    def _cost_lines(self) -> list[str]:
        if not self.calls:
            return []
        cap = f" of the ${self.cost_cap_usd:.2f} cap" if self.cost_cap_usd else ""
        return [
            f"model     {counted(self.calls, 'call')}: {self.tokens_input:,} input tokens, "
            f"{self.tokens_cached:,} read from cache, {self.tokens_output:,} output tokens, "
            f"${self.cost_usd:.4f}{cap}"
        ]

    def count_call(self, usage: Usage, cost: float) -> None:
        self.calls += 1
        self.tokens_input += usage.input_tokens + usage.cache_creation_input_tokens
        self.tokens_cached += usage.cache_read_input_tokens
        self.tokens_output += usage.output_tokens
        self.cost_usd += cost


def _merge_line(merge: dict[str, Any]) -> str:
    def story(title: str, slug: str | None) -> str:
        return f'"{title[:70]}" ({f"post {slug}" if slug else "no post"})'

    return (
        f"merged: story {story(merge['title'], merge['slug'])} is part of "
        f"{story(merge['into_title'], merge['into_slug'])}"
    )


def scheduled(count: int, first: datetime | None) -> str:
    """`2 scheduled (next: 2026-12-24 09:00 UTC)`: posts a build left out for their date."""
    when = f" (next: {first.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" if first else ""
    return f"{count} scheduled{when}"
