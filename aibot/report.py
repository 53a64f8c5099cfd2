"""RunReport: what one run did, printed after `aibot run` and kept in the cache's run log."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aibot.write.cost import Usage

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
    junk: list[str] = field(default_factory=list)
    stories: int = 0
    stories_new: int = 0
    stories_grown: int = 0
    stories_waiting: int = 0
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
            f"{self.articles_syndicated} syndicated copies merged"
            f"{f', {self.articles_junk} not news (listed below)' if self.articles_junk else ''}",
            f"stories   {self.stories} in all: {self.stories_new} new, {self.stories_grown} with "
            f"new sources, {self.stories_waiting} waiting for more sources"
            f"{f' (clustering: {self.clustering})' if self.clustering else ''}",
            f"posts     {self.posts_written} written, {self.posts_updated} updated, "
            f"{self.posts_unchanged} unchanged, {self.posts_kept} kept (edited or locked), "
            f"{self.posts_held} held for review, {self.posts_deferred} deferred"
            f"{f', {self.posts_failed} failed' if self.posts_failed else ''}"
            f"{f' (writer: {self.writer})' if self.writer else ''}",
            *self._cost_lines(),
            f"build     {self.build_pages} pages in {self.build_seconds:.2f} s"
            f"{'' if self.build_ok else ' FAILED, previous site kept'}",
        ]
        for wait in self.waiting[:WAITING_SHOWN]:
            outlets = ", ".join(wait["outlets"])
            out.append(f"waiting: {wait['title'][:70]} — {wait['independent']} independent "
                       f"outlet(s) ({outlets}), needs {wait['needed']}")  # fmt: skip
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

    def _cost_lines(self) -> list[str]:
        if not self.calls:
            return []
        cap = f" of the ${self.cost_cap_usd:.2f} cap" if self.cost_cap_usd else ""
        return [
            f"model     {self.calls} call(s): {self.tokens_input:,} input tokens, "
            f"{self.tokens_cached:,} read from cache, {self.tokens_output:,} output tokens, "
            f"${self.cost_usd:.4f}{cap}"
        ]

    def count_call(self, usage: Usage, cost: float) -> None:
        self.calls += 1
        self.tokens_input += usage.input_tokens + usage.cache_creation_input_tokens
        self.tokens_cached += usage.cache_read_input_tokens
        self.tokens_output += usage.output_tokens
        self.cost_usd += cost
