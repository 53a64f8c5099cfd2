"""Progress for long stages: a rich progress bar on a terminal, plain log lines elsewhere (CI)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[str, int, int], None]


@contextmanager
def progress_reporter(stream: TextIO | None = None) -> Iterator[Progress]:
    """Yield a `progress(stage, done, total)` callback suited to where output goes."""
    stream = stream or sys.stderr
    if stream.isatty() and not os.environ.get("CI"):
        from rich.progress import Progress as Bar

        with Bar(transient=True) as bar:
            tasks: dict[str, object] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"collect {stage}", total=total)
                bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

            yield update
        return

    last: dict[str, int] = {}

    def log(stage: str, done: int, total: int) -> None:
        # The end of each stage, and for long stages a line every tenth of the way.
        step = max(50, total // 10)
        if done == total or done - last.get(stage, 0) >= step:
            last[stage] = done
            print(f"collect {stage}: {done}/{total}", file=stream, flush=True)

    yield log
