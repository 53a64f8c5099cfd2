"""run(): collect → cluster → write → build, with a RunReport.

Each stage is also a function of its own (the CLI's `collect`, `cluster`, `write`, `build`). No
single feed, page, story or post can stop a run: each failure becomes one line of the report.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from aibot.cluster.stage import cluster_stage
from aibot.collect.stage import collect_stage
from aibot.config import Config
from aibot.render.stage import build_stage
from aibot.report import RunReport
from aibot.store import Store, is_damaged, move_aside
from aibot.support.progress import Progress
from aibot.write.base import Writer
from aibot.write.stage import write_stage


def run(
    config: Config,
    *,
    writer: Writer | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """One full run; never raises for bad input, only for bugs and a broken environment.

    A cache found damaged midway (a page of the database unreadable) is moved aside and the run
    starts again on a fresh one: content/ is the truth, and every stage is idempotent."""
    now = now or datetime.now(UTC)
    try:
        return _run(config, writer, now, progress)
    except sqlite3.DatabaseError as exc:
        if not is_damaged(exc):
            raise
        damage = exc
    aside = move_aside(config.cache_file)
    report = _run(config, writer, now, progress)
    report.notes.append(f"the cache was damaged ({damage}) and was moved to {aside}")
    return report


def _run(
    config: Config, writer: Writer | None, now: datetime, progress: Progress | None
) -> RunReport:
    report = RunReport(started=now)
    with Store(config.cache_file) as store:
        if store.moved_aside:
            report.notes.append(f"the cache was unreadable and was moved to {store.moved_aside}")
        collect_stage(config, store, report, now=now, progress=progress)
        cluster_stage(config, store, report)
        write_stage(config, store, report, writer=writer, now=now)
        build_stage(config, report, now=now)
        store.log_run(now, report.to_dict())
    return report
