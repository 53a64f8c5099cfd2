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
def test_the_runnable_commands_of(doc: Path, tmp_path: Path, user_cache: Path) -> None:
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
        # The wheel `aibot init` builds of this checkout: built by the run's first init only.
        "XDG_CACHE_HOME": str(user_cache),
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


# Pages for readers: what they say must hold on any machine, for anyone.
READER_PAGES = [
    REPO / "README.md",
    *DOCS,
    REPO / "benchmarks" / "README.md",
    REPO / "fuzz" / "README.md",
]
NARRATION = ("this machine", "this session", "written by a helper", "throwaway", "../shared")
# A path of one checkout or home folder; "/usr/bin/chromium" or a URL's path is not one.
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:work|home|Users|root)/")
BENCHMARKS_README = REPO / "benchmarks" / "README.md"


def _found_in(pages: list[Path], pattern: re.Pattern[str], root: Path = REPO) -> list[str]:
    """`file:line: match` for every match of `pattern` in `pages`, files named from `root`."""
    return [
        f"{page.relative_to(root)}:{number}: {match.group(0)}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        for match in pattern.finditer(line)
    ]


def test_reader_pages_carry_no_narration_of_a_machine_or_of_the_work() -> None:
    narration = re.compile("|".join(map(re.escape, NARRATION)), re.I)
    assert _found_in(READER_PAGES, narration) == []
    assert _found_in(READER_PAGES, MACHINE_PATH) == []


def test_the_narration_check_finds_each_phrase_and_a_checkout_path(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Measured on This Machine.\nSee ../shared/data.\nrun /home/ann/aibot/x, not /usr/bin/x\n"
        "<https://example.org/home/>\n",
        encoding="utf-8",
    )
    narration = re.compile("|".join(map(re.escape, NARRATION)), re.I)
    assert _found_in([page], narration, tmp_path) == [
        "page.md:1: This Machine",
        "page.md:2: ../shared",
    ]
    assert _found_in([page], MACHINE_PATH, tmp_path) == ["page.md:3: /home/"]


def _benchmark_scripts() -> list[str]:
    """The benchmarks/*.py that run as scripts (the others are modules they import)."""
    return sorted(
        path.name for path in (REPO / "benchmarks").glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    )  # fmt: skip


def test_every_benchmark_script_is_in_the_benchmarks_readme_with_its_command() -> None:
    scripts = _benchmark_scripts()
    assert len(scripts) >= 13
    text = BENCHMARKS_README.read_text(encoding="utf-8")
    assert [name for name in scripts if f"python benchmarks/{name}" not in text] == []


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """The ids of a page's headings (a repeated heading's id gets -1, -2, … as on GitHub)."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", page.read_text(encoding="utf-8"), re.M):
        anchor = github_anchor(heading)
        anchors.add(f"{anchor}-{seen[anchor]}" if anchor in seen else anchor)
        seen[anchor] = seen.get(anchor, 0) + 1
    return anchors


def test_github_anchor_of_a_heading_with_code_and_punctuation() -> None:
    assert github_anchor("Story clustering (`cluster_quality.py`, `devsets.py`)") == (
        "story-clustering-cluster_qualitypy-devsetspy"
    )


def test_readme_figures_are_a_summary_whose_rows_lead_to_benchmarks_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Measured figures", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    assert 8 <= len(rows) <= 12
    anchors = _anchors(BENCHMARKS_README)
    for row in rows:
        links = re.findall(r"\]\(benchmarks/README\.md#([\w-]+)\)", row)
        assert links and set(links) <= anchors, row
        for script in re.findall(r"python (benchmarks/\w+\.py)", row):
            assert (REPO / script).is_file(), row


def test_links_within_the_benchmarks_readme_lead_to_its_headings() -> None:
    text = BENCHMARKS_README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(#([\w-]+)\)", text)
    assert len(links) >= 12
    assert sorted(set(links) - _anchors(BENCHMARKS_README)) == []


def test_links_from_readme_and_docs_into_the_benchmarks_readme_lead_to_its_headings() -> None:
    anchors = _anchors(BENCHMARKS_README)
    links = {
        f"{page.relative_to(REPO)}: {anchor}"
        for page in [REPO / "README.md", *DOCS]
        for anchor in re.findall(r"benchmarks/README\.md#([\w-]+)", page.read_text("utf-8"))
    }
    assert len(links) >= 12
    assert sorted(link for link in links if link.split(": ")[1] not in anchors) == []
