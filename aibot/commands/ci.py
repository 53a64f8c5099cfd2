"""`aibot run --ci`: what the scheduled GitHub Actions run needs besides the run itself.

.github/workflows/publish.yml commits and deploys only what this module allows. It decides
whether a run is degraded (too few feeds answered, or the writer failed on every story it tried:
then nothing is published and the live site stays as it was), lists the feeds broken for a day
(the workflow keeps one GitHub issue about them), and writes the job summary
($GITHUB_STEP_SUMMARY, Markdown), the step outputs ($GITHUB_OUTPUT) and the JSON run report that
the workflow keeps as an artifact.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aibot.config import Config
from aibot.report import RunReport
from aibot.store import Store
from aibot.support.plural import counted

# `aibot run --ci` exit codes besides 0 (publish) and 1 (the run failed, e.g. the build).
DEGRADED_EXIT = 3
BROKEN_AFTER = timedelta(hours=24)
DRAFTS_BRANCH = "aibot/drafts"


@dataclass(frozen=True)
class BrokenFeed:
    """A configured feed that has failed every run for at least BROKEN_AFTER."""

    name: str
    url: str
    failing_since: str
    failures: int
    last_error: str


@dataclass(frozen=True)
class Verdict:
    """What the workflow may do with a run."""

    degraded: bool
    reason: str  # one line; empty when not degraded
    feeds_answered: int
    feeds_asked: int
    min_feed_success: float
    review: bool
    writer_note: str  # why the writer is not the one configured, if it is not
    broken_feeds: list[BrokenFeed] = field(default_factory=list)

    def publishable(self, report: RunReport) -> bool:
        return report.ok and not self.degraded


def assess(
    config: Config, report: RunReport, broken: list[BrokenFeed], *, has_key: bool
) -> Verdict:
    """Judge a finished run by `publish.min_feed_success` and the writer's failures."""
    answered = report.feeds_ok + report.feeds_waiting  # a server asking us to wait is up
    asked = answered + report.feeds_failed
    reasons = []
    if asked and answered / asked < config.publish.min_feed_success:
        reasons.append(
            f"only {answered} of {asked} feeds answered ({answered / asked:.0%}; "
            f"publish.min_feed_success is {config.publish.min_feed_success:.0%})"
        )
    if report.posts_failed and not (report.posts_written or report.posts_updated):
        reasons.append(
            f"the {report.writer} writer failed on every story it tried ({report.posts_failed})"
        )
    return Verdict(
        degraded=bool(reasons),
        reason="; ".join(reasons),
        feeds_answered=answered,
        feeds_asked=asked,
        min_feed_success=config.publish.min_feed_success,
        review=config.publish.review,
        writer_note=writer_note(config, report, has_key=has_key),
        broken_feeds=broken,
    )


def writer_note(config: Config, report: RunReport, *, has_key: bool) -> str:
    """Say so when the offline writer stood in for Claude because the key is missing."""
    if report.writer == "extractive" and config.writer.backend != "extractive" and not has_key:
        return (
            "ANTHROPIC_API_KEY is not set, so the extractive (offline) writer writes the posts. "
            "Add the repository secret ANTHROPIC_API_KEY to write with Claude."
        )
    return ""


def broken_feeds(config: Config, store: Store, now: datetime) -> list[BrokenFeed]:
    """The configured feeds failing without a break for BROKEN_AFTER or longer."""
    broken = []
    for feed in config.feeds:
        state = store.feed_state(feed.url)
        if not state.failures or not state.failing_since:
            continue
        since = datetime.fromisoformat(state.failing_since)
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        if now - since < BROKEN_AFTER:
            continue
        error = (state.last_error or "").split(" ", 1)[-1]  # the stored error starts with a time
        broken.append(
            BrokenFeed(feed.name or feed.url, feed.url, since.isoformat(), state.failures, error)
        )
    return broken


def finish(
    config: Config,
    report: RunReport,
    *,
    report_file: Path,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[Verdict, int]:
    """Judge the run, write the JSON report and, where the environment names them, the job
    summary and the step outputs. Return the verdict and the exit code."""
    env = os.environ if env is None else env
    now = now or datetime.now(UTC)
    with Store(config.cache_file) as store:
        broken = broken_feeds(config, store, now)
    verdict = assess(config, report, broken, has_key=bool(env.get("ANTHROPIC_API_KEY")))
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(
        json.dumps(report_json(report, verdict), indent=2, default=str) + "\n", encoding="utf-8"
    )
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(summary_markdown(report, verdict))
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as outputs:
            outputs.write(output_lines(report, verdict, report_file))
    if verdict.degraded:
        return verdict, DEGRADED_EXIT
    return verdict, 0 if report.ok else 1


def report_json(report: RunReport, verdict: Verdict) -> dict[str, Any]:
    """The run report (as `aibot run --json` prints it) with the verdict under `ci`."""
    return {**report.to_dict(), "ci": {**asdict(verdict), "publish": verdict.publishable(report)}}


def commit_message(report: RunReport) -> str:
    """A subject naming what changed, then the run in a few lines."""
    changes = [counted(report.posts_written, "new post")] if report.posts_written else []
    if report.posts_updated:
        changes.append(f"{report.posts_updated} updated")
    subject = "AiBot: " + (", ".join(changes) or "no post changed")
    body = [
        f"Feeds: {report.feeds_ok} ok, {report.feeds_failed} failed.",
        f"Articles: {report.articles_new} new. Stories: {report.stories} in all, "
        f"{report.stories_waiting} waiting for a second outlet.",
        f"Writer: {report.writer}; {counted(report.posts_held, 'post')} held for review; "
        f"{counted(report.calls, 'model call')}, ${report.cost_usd:.4f}.",
        f"Run: {report.run_id}",
    ]
    return "\n".join([subject, "", *body])


def summary_markdown(report: RunReport, verdict: Verdict) -> str:
    """The job summary: the verdict first, then the run report as a table."""
    lines = []
    if verdict.degraded:
        lines += [
            "## AiBot run degraded: nothing published",
            "",
            f"> **Degraded:** {verdict.reason}. Nothing is committed or deployed; the live site "
            "stays as it was.",
        ]
    elif not report.ok:
        lines += ["## AiBot run failed: nothing published", "", "> See the problems below."]
    else:
        changed = report.posts_written + report.posts_updated
        where = f"a pull request (branch `{DRAFTS_BRANCH}`)" if verdict.review else "the site"
        lines += [f"## AiBot run: {counted(changed, 'post')} for {where}"]
    if verdict.writer_note:
        lines += ["", f"> **Writer:** {verdict.writer_note}"]
    share = f" ({verdict.feeds_answered / verdict.feeds_asked:.0%})" if verdict.feeds_asked else ""
    cost = (
        f"{counted(report.calls, 'call')}: {report.tokens_input:,} input tokens, "
        f"{report.tokens_cached:,} read from cache, {report.tokens_output:,} output tokens, "
        f"${report.cost_usd:.4f}"
    )
    rows = [
        ("Feeds", f"{report.feeds_ok} ok, {report.feeds_failed} failed, "
                  f"{report.feeds_waiting} asked us to wait{share}"),
        ("Articles", f"{report.articles_new} new, {report.articles_seen} seen, "
                     f"{report.articles_failed} failed"),
        ("Stories", f"{report.stories} in all: {report.stories_new} new, {report.stories_grown} "
                    f"with new sources, {report.stories_waiting} waiting for a second outlet"),
        ("Posts", f"{report.posts_written} written, {report.posts_updated} updated, "
                  f"{report.posts_held} held for review, {report.posts_failed} failed, "
                  f"{report.posts_deferred} deferred"),
        ("Writer", report.writer or "none"),
        ("Model", cost),
        ("Build", f"{report.build_pages} pages in {report.build_seconds:.2f} s"
                  f"{'' if report.build_ok else ', FAILED'}"),
    ]  # fmt: skip
    lines += ["", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if verdict.broken_feeds:
        lines += ["", f"### Feeds broken for {BROKEN_AFTER.total_seconds() / 3600:.0f} hours"]
        lines += [
            f"- {_cell(f.name)} ({_cell(f.url)}): failing since {f.failing_since[:16]}Z, "
            f"{f.failures} runs; {_cell(f.last_error)}"
            for f in verdict.broken_feeds
        ]
    for title, items in (("Problems", report.problems), ("Notes", report.notes)):
        if items:
            lines += ["", f"### {title} ({len(items)})", "", *_fenced(items)]
    return "\n".join(lines) + "\n"


def output_lines(report: RunReport, verdict: Verdict, report_file: Path) -> str:
    """The step outputs, in $GITHUB_OUTPUT's syntax."""
    values = {
        "publish": _flag(verdict.publishable(report)),
        "degraded": _flag(verdict.degraded),
        "reason": verdict.reason,
        "posts_changed": str(report.posts_written + report.posts_updated),
        "review": _flag(verdict.review),
        "writer": report.writer,
        "broken_feeds": json.dumps([asdict(f) for f in verdict.broken_feeds]),
        "report_file": str(report_file),
        "commit_message": commit_message(report),
    }
    return "".join(_output(name, value) for name, value in values.items())


def workflow_error(message: str) -> str:
    """A GitHub Actions `::error` command: the line becomes an annotation on the run's page."""
    for char, code in (("%", "%25"), ("\r", "%0D"), ("\n", "%0A")):
        message = message.replace(char, code)
    return f"::error title=AiBot published nothing::{message}"


def _output(name: str, value: str) -> str:
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4().hex}"  # random: it cannot occur in the value
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _cell(text: str) -> str:
    """Text for a Markdown table cell or list item: no line breaks, pipes or raw HTML."""
    text = " ".join(text.split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _fenced(items: list[str]) -> list[str]:
    """Lines of text in a fenced block longer than any run of backticks inside them."""
    longest = max((len(run) for item in items for run in re.findall(r"`+", item)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *(" ".join(item.split()) for item in items), fence]
