"""The commands shown in docs/ work: every fenced block marked `runnable` (```sh runnable,
```python runnable) is run, in order, one script per page, in an empty folder — as a reader
following the page would type them. Shell blocks that cannot run here (they need the internet,
GitHub or an API key, or run until stopped) are marked `manual`: those are checked by bash for
syntax, and each `aibot` command in them must name a real command and real options. An unmarked
shell block fails."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from aibot.cli import main
from tests.conftest import REPO

DOCS = sorted((REPO / "docs").glob("*.md"))
# A fence may be indented (inside a list item); its body is dedented.
FENCE = re.compile(r"^([ \t]*)```(\w*)[ \t]*([\w-]*)[ \t]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
SHELL = {"sh", "bash", "shell", "console"}


def blocks(doc: Path) -> list[tuple[str, str, str]]:
    """(language, tag, body) of every fenced block."""
    found = FENCE.finditer(doc.read_text(encoding="utf-8"))
    return [(language, tag, textwrap.dedent(body)) for _, language, tag, body in
            (m.groups() for m in found)]  # fmt: skip


def script(doc: Path) -> str:
    """The page's runnable blocks as one bash script; Python blocks run by this Python."""
    parts = ["set -euo pipefail"]
    for language, tag, body in blocks(doc):
        if tag != "runnable":
            continue
        if language == "python":
            parts.append(f"python - <<'AIBOT_DOCS_PY'\n{body}AIBOT_DOCS_PY")
        else:
            parts.append(body)
    return "\n".join(parts) + "\n"


def test_every_shell_block_is_runnable_or_marked_manual() -> None:
    unmarked = [
        f"{doc.name}: {body.splitlines()[0]}"
        for doc in DOCS
        for language, tag, body in blocks(doc)
        if language in SHELL and tag not in ("runnable", "manual")
    ]
    assert not unmarked
    runnable = [doc.name for doc in DOCS if "runnable" in {tag for _, tag, _ in blocks(doc)}]
    assert {"getting-started.md", "editing-posts.md", "theming.md"} <= set(runnable)


@pytest.mark.parametrize(
    "doc",
    [doc for doc in DOCS if any(tag == "runnable" for _, tag, _ in blocks(doc))],
    ids=lambda doc: doc.name,
)
def test_the_runnable_commands_of(doc: Path, tmp_path: Path) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AIBOT_", "ANTHROPIC_", "GITHUB_"))
    }  # fmt: skip
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "HOME": str(home),
        "AIBOT_DEMO_DIR": str(tmp_path / "demo"),  # the demo runs here, not in the checkout
    }
    done = subprocess.run(
        ["bash", "-c", script(doc)], cwd=work, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{doc.name}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


def _unknown_in(command_line: str) -> list[str]:
    """What an `aibot …` command names that the CLI does not have: a command or an option."""
    words = shlex.split(command_line, comments=True)[1:]
    command: click.Command = main
    unknown = []
    for word in words:
        if word.startswith("-"):
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            known |= {"--help", "-h", "--version"}
            if word.split("=")[0] not in known:
                unknown.append(f"{command.name} {word}")
        elif isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
        elif isinstance(command, click.Group):
            unknown.append(f"aibot {word}")
            break
    return unknown


def test_the_manual_blocks_are_valid_bash_and_name_real_commands_and_options() -> None:
    checked = 0
    for doc in DOCS:
        for language, tag, body in blocks(doc):
            if language not in SHELL or tag != "manual":
                continue
            syntax = subprocess.run(["bash", "-n"], input=body, capture_output=True, text=True)
            assert syntax.returncode == 0, f"{doc.name}: {syntax.stderr}"
            for line in body.splitlines():
                for part in re.split(r"&&|\|\||;|\|", line):
                    part = re.sub(r"^\s*(\w+=\S+\s+)*", "", part)  # VAR=value before a command
                    if part.startswith("aibot "):
                        assert not _unknown_in(part), f"{doc.name}: {part.strip()}"
                        checked += 1
    assert checked >= 5


def test_no_file_keeps_merge_conflict_markers():
    """A merge left half-resolved shows its markers on the published README or breaks code."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
    found = []
    for name in filter(None, tracked.stdout.decode().split("\0")):
        path = REPO / name
        if path.suffix not in {".md", ".py", ".yaml", ".yml", ".toml", ".html", ".txt", ".cfg"}:
            continue
        if path.is_file() and marker.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(name)
    assert found == []
