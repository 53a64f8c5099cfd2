"""The build stage of a run: build_site, its figures and problems copied into the run report."""

from __future__ import annotations

from datetime import datetime

from aibot.config import Config
from aibot.render import BuildReport, build_site
from aibot.report import RunReport


def build_stage(config: Config, report: RunReport, *, now: datetime | None = None) -> BuildReport:
    result = build_site(config, now=now)
    report.build_pages = result.pages
    report.build_seconds = result.seconds
    report.build_ok = result.ok
    report.build_scheduled = result.scheduled
    report.build_next_scheduled = result.next_scheduled.isoformat() if result.next_scheduled else ""
    for line in result.problems:
        report.problem(line)
    return result
