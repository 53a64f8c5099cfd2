"""The `aibot` command: help, exit codes, and errors that name the file and key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aibot import __version__
from tests.conftest import run_cli

COMMANDS = ["run", "collect", "cluster", "write", "build", "serve", "check", "report"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "--config" in result.output and "--demo" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    assert run_cli("run", "--no-such-option").exit_code == 2


def test_missing_config_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = run_cli("run", "-c", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: no such configuration file" in result.output


def test_invalid_config_exits_2_with_key_path(tmp_path: Path) -> None:
    config = tmp_path / "aibot.yaml"
    config.write_text("feeds:\n  - url: a.xml\n  - url: b.xml\n  - url: 42\n")
    result = run_cli("check", "-c", str(config))
    assert result.exit_code == 2
    assert "aibot.yaml:4: feeds[2].url: expected a URL, got 42" in result.output


def test_check_lists_broken_posts_with_file_and_line(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    clean = run_cli("check", "-c", config)
    assert clean.exit_code == 0
    assert "0 with errors" in clean.output
    post = sorted((demo_dir / "content" / "posts").rglob("*.md"))[0]
    lines = post.read_text().splitlines()
    slug_line = next(i for i, line in enumerate(lines, start=1) if line.startswith("slug:"))
    lines[slug_line - 1] = "slug: Not A Slug/../x"
    post.write_text("\n".join(lines) + "\n")
    broken = run_cli("check", "-c", config)
    assert broken.exit_code == 1
    assert f"{post}:{slug_line}: slug:" in broken.output


def test_check_warns_when_a_model_in_use_is_retiring(tmp_path: Path, monkeypatch) -> None:
    import anthropic._data as data

    config = tmp_path / "aibot.yaml"
    config.write_text(
        "feeds:\n  - url: https://example.com/rss.xml\nwriter:\n  model: claude-old-1\n"
    )
    monkeypatch.setattr(data, "DEPRECATED_MODELS", {"claude-old-1": "June 1st, 2027"})
    result = run_cli("check", "-c", str(config))
    assert result.exit_code == 0
    assert (
        "warning: writer.model: claude-old-1 retires on June 1st, 2027 (the anthropic SDK's "
        'deprecation table); choose a newer model before then (docs/costs.md, "Which model")'
    ) in result.output
    assert "writer.small_model" not in result.output
    monkeypatch.setattr(data, "DEPRECATED_MODELS", {})
    assert "retires" not in run_cli("check", "-c", str(config)).output


def test_stages_run_one_by_one(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    collected = run_cli("collect", "-c", config)
    assert collected.exit_code == 0, collected.output
    assert "7 ok, 0 failed" in collected.output
    clustered = run_cli("cluster", "-c", config)
    assert clustered.exit_code == 0
    assert " new" in clustered.output
    written = run_cli("write", "-c", config)
    assert written.exit_code == 0, written.output
    posts = list((demo_dir / "content" / "posts").rglob("*.md"))
    assert posts
    built = run_cli("build", "-c", config)
    assert built.exit_code == 0, built.output
    assert f"built {len(posts)} posts" in built.output
    report = run_cli("report", "-c", config)
    assert report.exit_code == 1  # stages alone log no run
    assert run_cli("run", "-c", config).exit_code == 0
    assert '"posts_written": 0' in run_cli("report", "-c", config, "--json").output
    assert "posts     0 written" in run_cli("report", "-c", config).output


def test_run_json_report(demo_dir: Path) -> None:
    result = run_cli("run", "-c", str(demo_dir / "aibot.yaml"), "--json")
    assert result.exit_code == 0
    assert '"feeds_ok": 7' in result.output
    assert '"ok": true' in result.output


def test_build_json_report(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    posts = list((demo_dir / "content" / "posts").rglob("*.md"))
    first = json.loads(run_cli("build", "-c", config, "--json").output)
    assert (first["ok"], first["posts"], first["unchanged"]) == (True, len(posts), False)
    assert first["pages"] == first["rendered"] > len(posts)
    assert first["output"] == str(demo_dir / "site")
    again = json.loads(run_cli("build", "-c", config, "--json").output)
    assert (again["ok"], again["unchanged"], again["problems"]) == (True, True, [])


def _program(tmp_path: Path, *args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """`aibot ARGS` as the installed program runs it (aibot.cli.console), with `before` run
    first in the same interpreter."""
    code = f"import sys\n{before}\nsys.argv = ['aibot', *sys.argv[1:]]\n"
    code += "from aibot.cli import console\nconsole()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True
    )


def test_the_program_flushes_its_output_and_keeps_the_exit_code(tmp_path: Path) -> None:
    done = _program(tmp_path, "build", "-c", "nope.yaml")
    assert done.returncode == 2
    assert "nope.yaml: no such configuration file" in done.stderr
    built = _program(tmp_path, "--version")
    assert (built.returncode, built.stdout) == (0, "aibot, version " + __version__ + "\n")


def test_the_program_builds_a_site_and_reports_it(demo_dir: Path) -> None:
    done = _program(demo_dir, "build", "-c", "aibot.yaml", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["pages"] == report["rendered"] > 0
    assert (demo_dir / "site" / "index.html").is_file()


def test_the_program_runs_the_exit_handlers_before_it_leaves(tmp_path: Path) -> None:
    register = "import atexit\natexit.register(lambda: print('handler ran', flush=True))"
    done = _program(tmp_path, "--version", before=register)
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["aibot, version " + __version__, "handler ran"]


def test_the_program_waits_for_a_thread_still_working(tmp_path: Path) -> None:
    # A thread (not a daemon) that finishes only when told to, after the command has returned:
    # Python's own exit waits for it, and so must the program's.
    start = (
        "import threading, aibot.cli\n"
        "def late():\n"
        "    sys.stdin.readline()\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=late).start()\n"
        "command = aibot.cli.main\n"
        "def main():\n"
        "    try:\n"
        "        command()\n"
        "    finally:\n"
        "        print('command returned', flush=True)\n"
        "aibot.cli.main = main\n"
    )
    code = f"import sys\n{start}\nsys.argv = ['aibot', '--version']\n"
    code += "from aibot.cli import console\nconsole()\n"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stdout.readline() == "aibot, version " + __version__ + "\n"
    assert process.stdout.readline() == "command returned\n"
    process.stdin.write("go\n")
    process.stdin.close()
    assert process.stdout.read() == "thread finished\n"
    assert process.wait(timeout=60) == 0
