"""The changed figures a writer reports, kept only when the grounding check supports them.

A writer may report, in `Draft.changes`, figures that changed between its sources' reports ("The
toll rose from 12 to 15."), each citing the sources of the new figure. The Claude writer does when
the model finds one; the extractive writer reports none: it copies sentences and could only guess
which two numbers of different sources are the same claim, and a wrong "changed from" line would
tell readers of a change that did not happen. An update of a post notes a change only when it
cites a source that update adds (aibot.posts.files).

Each change is checked like a paragraph (aibot.write.verify): every number, date, amount and
quotation must be in the sources it cites, and it must cite at least one. A change that fails is
dropped, never published.
"""

from __future__ import annotations

from collections.abc import Sequence

from aibot.models import Article, Draft, Section
from aibot.write.verify import paragraph_problems


def drop_unsupported_changes(
    draft: Draft, articles: Sequence[Article], *, timezone: str = "UTC"
) -> list[str]:
    """Remove from `draft.changes` those the sources do not support; return a note for each."""
    if not draft.changes:
        return []
    check = Draft(draft.title, draft.summary, [Section("", list(draft.changes))])
    problems = paragraph_problems(check, articles, timezone=timezone)
    notes = [
        f"change {n + 1} left out ({'; '.join(problems[(0, n)])}): {change.text[:80]}"
        for n, change in enumerate(draft.changes)
        if (0, n) in problems
    ]
    draft.changes = [c for n, c in enumerate(draft.changes) if (0, n) not in problems]
    return notes
