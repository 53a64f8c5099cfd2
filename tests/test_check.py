"""`aibot check` as a user runs it: what it says about the posts AiBot wrote itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _aibot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", *args],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_check_after_the_demo_run_gives_no_warning(tmp_path: Path) -> None:
    env = {"AIBOT_DEMO_DIR": str(tmp_path / "demo")}
    ran = _aibot("run", "--demo", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    posts = list((tmp_path / "demo" / "content" / "posts").rglob("*.md"))
    assert any("\nlanguage: en\n" in p.read_text() for p in posts)  # the key AiBot writes

    checked = _aibot("check", "--demo", cwd=tmp_path, env=env)
    config = tmp_path / "demo" / "aibot.yaml"
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout == (
        f"{config}: ok, 7 feeds; {len(posts)} posts ok, 0 with errors, 0 warning(s)\n"
    )
