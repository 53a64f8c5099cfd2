#!/usr/bin/env python3
"""Keep one GitHub issue about the feeds broken for 24 hours or more, with the `gh` CLI.

Called by .github/workflows/publish.yml after each scheduled run; needs only the standard library.
BROKEN_FEEDS is `aibot run --ci`'s step output `broken_feeds`: a JSON list of
{name, url, failing_since, failures, last_error}. With broken feeds, the open issue labelled
LABEL is edited to list them (or opened when there is none); with none, that issue is closed.
GH_TOKEN and GH_REPO tell gh which repository to use; RUN_URL, if set, is linked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

LABEL = "aibot-feed-health"
TITLE = "AiBot: feeds broken for 24 hours or more"


def plan(
    broken: list[dict[str, Any]], open_issues: list[dict[str, Any]], run_url: str
) -> list[list[str]]:
    """The gh commands (argument lists) that bring the issue in line with `broken`."""
    issue = min(open_issues, key=lambda i: i["number"]) if open_issues else None
    if not broken:
        if issue is None:
            return []
        comment = "Every feed answers again" + (f" ({run_url})." if run_url else ".")
        return [["issue", "close", str(issue["number"]), "--comment", comment]]
    body = issue_body(broken, run_url)
    if issue is None:
        return [
            ["label", "create", LABEL, "--force", "--color", "d93f0b",
             "--description", "Feeds AiBot could not read for a day"],
            ["issue", "create", "--title", TITLE, "--label", LABEL, "--body", body],
        ]  # fmt: skip
    if issue.get("body") == body:
        return []
    return [["issue", "edit", str(issue["number"]), "--body", body]]


def issue_body(broken: list[dict[str, Any]], run_url: str) -> str:
    lines = [
        "These feeds have failed on every scheduled run for 24 hours or more. Check the address "
        "(the outlet may have moved or dropped the feed) and fix or remove it in `aibot.yaml`; "
        "`aibot feeds` shows every feed's health. This issue is updated by each run and closed "
        "when every feed answers again.",
        "",
        "| feed | failing since (UTC) | runs | last error |",
        "|---|---|---:|---|",
    ]
    for feed in broken:
        cells = [
            f"[{feed['name']}]({feed['url']})",
            str(feed["failing_since"])[:16].replace("T", " "),
            str(feed["failures"]),
            str(feed["last_error"]) or "-",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if run_url:
        lines += ["", f"Last checked by {run_url}"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], check=True, capture_output=True, text=True)
    return done.stdout


def main() -> int:
    broken = json.loads(os.environ.get("BROKEN_FEEDS") or "[]")
    run_url = os.environ.get("RUN_URL", "")
    listed = gh("issue", "list", "--label", LABEL, "--state", "open",
                "--json", "number,body", "--limit", "20")  # fmt: skip
    open_issues = json.loads(listed or "[]")
    commands = plan(broken, open_issues, run_url)
    for command in commands:
        print("gh " + " ".join(command[:3]), flush=True)
        gh(*command)
    if not commands:
        print("feed health issue: nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
