"""The GitHub Actions workflows, checked here since no runner is reachable: actionlint on every
workflow, publish.yml's contract, and its scripts run against local git repositories with a
stand-in for the `gh` CLI that records its arguments."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
SCRIPTS = REPO / ".github" / "scripts"
PUBLISH = WORKFLOWS / "publish.yml"
# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`
PINNED = re.compile(
    r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)(/[\w./-]+)?@([0-9a-f]{40}) # (v\d+)\.\d+\.\d+$"
)


def _actionlint() -> str:
    """The actionlint binary of the test extra (beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: pip install -e '.[test]'"
    return found


def _lint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-oneline", *map(str, files)],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _workflow(path: Path = PUBLISH) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(job: str) -> list[dict[str, Any]]:
    return _workflow()["jobs"][job]["steps"]


def _step(job: str, uses_or_name: str) -> dict[str, Any]:
    matches = [
        s for s in _steps(job)
        if uses_or_name in str(s.get("uses", "")) or s.get("name") == uses_or_name
    ]  # fmt: skip
    assert len(matches) == 1, f"{job}: expected one step {uses_or_name!r}, found {len(matches)}"
    return matches[0]


# actionlint


def test_actionlint_passes_on_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"publish.yml", "ci.yml"}
    done = _lint(*files)
    assert done.returncode == 0 and not done.stdout, done.stdout + done.stderr


def test_actionlint_checks_each_action_s_inputs_by_its_version(tmp_path: Path) -> None:
    """Pinned to a SHA, an action's inputs are not checked: lint a copy that names the versions
    in the pins' comments instead, then a copy with a misspelt input, which must fail."""
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for path in WORKFLOWS.glob("*.yml"):
        text = re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(text, encoding="utf-8")
    assert "uses: actions/checkout@v" in (folder / "publish.yml").read_text()
    done = _lint(*sorted(folder.glob("*.yml")), cwd=tmp_path)
    assert done.returncode == 0 and not done.stdout, done.stdout + done.stderr

    broken = folder / "publish.yml"
    broken.write_text(broken.read_text().replace("path: site/", "paht: site/"), encoding="utf-8")
    failed = _lint(broken, cwd=tmp_path)
    assert failed.returncode == 1 and 'input "paht" is not defined' in failed.stdout


# publish.yml: the contract


def test_publish_runs_hourly_by_hand_and_on_pushes_to_content_or_templates() -> None:
    triggers = _workflow()[True]  # PyYAML reads the key `on` as True
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, *rest = cron.split()
    assert 0 <= int(minute) <= 59 and rest == ["*", "*", "*", "*"], cron  # every hour
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert inputs["writer"]["type"] == "choice"
    assert inputs["writer"]["options"] == ["auto", "claude", "extractive"]
    assert inputs["dry_run"] == {**inputs["dry_run"], "type": "boolean", "default": False}
    assert triggers["push"] == {"branches": ["main"], "paths": ["content/**", "templates/**"]}


def test_publish_runs_one_at_a_time_never_cancelling_a_run() -> None:
    concurrency = _workflow()["concurrency"]
    assert "${{" not in concurrency["group"]  # one group for every trigger
    assert concurrency["cancel-in-progress"] is False


def test_publish_permissions_are_the_least_each_job_needs() -> None:
    """Nothing at the top; contents, pages and id-token write where the posts are pushed and the
    site deployed; issues and pull requests only in the two small jobs that call `gh`."""
    workflow = _workflow()
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["run"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["feed-health"]["permissions"] == {"contents": "read", "issues": "write"}
    assert jobs["drafts-pr"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    everything = {(k, v) for job in jobs.values() for k, v in job["permissions"].items()}
    assert {k for k, v in everything if v == "write"} == {
        "contents", "pages", "id-token", "issues", "pull-requests",
    }  # fmt: skip


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version() -> None:
    shas: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" not in line:
                continue
            match = PINNED.match(line)
            assert match, f"{path.name}: not pinned to a SHA with a # vX.Y.Z comment: {line}"
            shas.setdefault(match[1], set()).add(match[3])
    assert all(len(found) == 1 for found in shas.values()), shas  # one version per action
    assert set(shas) == {
        "actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-artifact",
        "actions/upload-pages-artifact", "actions/deploy-pages",
    }  # fmt: skip


def test_publish_run_job_steps_in_order() -> None:
    steps = _steps("run")
    order = [
        "actions/checkout@", "actions/setup-python@", "Install AiBot", "actions/cache/restore@",
        "Bring in the drafts under review (review mode)", "Run AiBot",
        "Build the site (push to content/ or templates/)", "actions/cache/save@",
        "actions/upload-artifact@", "Commit the posts", "actions/upload-pages-artifact@",
        "Note a dry run", "Fail when nothing could be published",
    ]  # fmt: skip
    found = [next(i for i, s in enumerate(steps) if key in str(s.get("uses", s.get("name"))))
             for key in order]  # fmt: skip
    assert found == sorted(found) and len(steps) == len(order)
    assert _step("run", "actions/setup-python@")["with"]["cache"] == "pip"
    assert _step("run", "actions/cache/restore@")["with"]["path"] == ".aibot"
    assert _step("run", "actions/cache/restore@")["with"]["restore-keys"] == "aibot-"


def test_publish_calls_aibot_run_ci_with_the_secret_and_the_writer_input() -> None:
    step = _step("run", "Run AiBot")
    assert step["run"].startswith("aibot run --ci ")
    assert '${WRITER:+--writer "$WRITER"}' in step["run"]
    assert step["env"]["WRITER"] == "${{ inputs.writer }}"
    assert step["env"]["ANTHROPIC_API_KEY"] == "${{ secrets.ANTHROPIC_API_KEY }}"
    assert step["if"] == "github.event_name != 'push'"
    # Its failure (exit 3 when degraded) must not skip the steps that keep the cache and the
    # report; the last step fails the job instead.
    assert step["continue-on-error"] is True
    fail = _step("run", "Fail when nothing could be published")
    assert fail["if"] == "steps.run.outcome == 'failure'" and "exit 1" in fail["run"]
    assert _step("run", "actions/cache/save@")["if"].startswith("always()")
    assert _step("run", "actions/upload-artifact@")["if"].startswith("always()")


def test_a_degraded_or_dry_run_commits_and_deploys_nothing() -> None:
    commit = _step("run", "Commit the posts")
    assert commit["if"] == "steps.run.outcome == 'success' && !inputs.dry_run"
    assert commit["run"] == "bash .github/scripts/publish-content.sh commit"
    assert commit["env"]["REVIEW"] == "${{ steps.run.outputs.review }}"
    pages = _step("run", "actions/upload-pages-artifact@")
    condition = " ".join(pages["if"].split())
    assert condition == (
        "!inputs.dry_run && (github.event_name == 'push' || "
        "(steps.run.outcome == 'success' && steps.run.outputs.review == 'false'))"
    )
    assert pages["with"] == {"path": "site/"}
    run = _workflow()["jobs"]["run"]
    assert run["outputs"]["deploy"] == "${{ steps.pages.outcome == 'success' }}"
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "run" and deploy["if"] == "needs.run.outputs.deploy == 'true'"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_pushes_build_without_collecting() -> None:
    build = _step("run", "Build the site (push to content/ or templates/)")
    assert build["if"] == "github.event_name == 'push'"
    assert build["run"].splitlines()[0] == "aibot build"


def test_feed_health_and_drafts_jobs_run_the_scripts() -> None:
    jobs = _workflow()["jobs"]
    health = jobs["feed-health"]
    assert health["if"].startswith("always()")  # a degraded run is when feeds break
    script = health["steps"][-1]
    assert script["run"] == "python3 .github/scripts/feed_issue.py"
    assert script["env"]["BROKEN_FEEDS"] == "${{ needs.run.outputs.broken_feeds }}"
    assert script["env"]["GH_TOKEN"] == "${{ github.token }}"
    drafts = jobs["drafts-pr"]
    assert drafts["if"] == "needs.run.outputs.drafts_pushed == 'true'"
    assert drafts["steps"][-1]["run"] == "bash .github/scripts/publish-content.sh pr"


def test_ci_runs_the_readme_test_command_on_python_3_11_and_3_13() -> None:
    ci = _workflow(WORKFLOWS / "ci.yml")
    assert set(ci[True]) == {"push", "pull_request", "schedule"}
    job = ci["jobs"]["test"]
    assert job["if"] == "github.event_name != 'schedule'"
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    assert job["steps"][-1] == {"name": "Run the tests (.ci/run)", "run": "bash .ci/run"}
    assert ci["permissions"] == {"contents": "read"}
    assert "pytest" in (REPO / ".ci" / "run").read_text()


def test_ci_runs_the_tests_with_the_newest_releases_daily_and_on_every_push() -> None:
    ci = _workflow(WORKFLOWS / "ci.yml")
    (cron,) = [entry["cron"] for entry in ci[True]["schedule"]]
    minute, hour, *rest = cron.split()
    assert 0 <= int(minute) <= 59 and 0 <= int(hour) <= 23 and rest == ["*", "*", "*"], cron
    job = ci["jobs"]["newest"]
    assert job["if"] == "github.event_name != 'pull_request'"  # schedule and push
    assert job["steps"][-1]["run"] == "bash .ci/run"
    assert job["steps"][-1]["env"] == {"AIBOT_NEWEST": "1"}
    assert "cache" not in job["steps"][1]["with"]  # nothing kept from an earlier install


def test_the_workflows_install_the_locked_dependencies_then_aibot_without_them() -> None:
    install = _step("run", "Install AiBot")["run"].splitlines()
    assert install == [
        "python -m pip install -U pip",
        "python -m pip install --require-hashes -r requirements-lock.txt",
        "python -m pip install --no-deps -r requirements.txt",
        "python -m pip check",
    ]
    ci_run = (REPO / ".ci" / "run").read_text().splitlines()
    locked = ci_run.index(
        "    python -m pip install -q --require-hashes -r requirements-test-lock.txt"
    )
    assert ci_run[locked + 1] == "    python -m pip install -q --no-deps -e ."
    assert 'if [ "${AIBOT_NEWEST:-}" = 1 ]; then' in ci_run[:locked]


def test_dependabot_proposes_pip_and_actions_updates_weekly() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"pip", "github-actions"}
    for update in updates.values():
        assert update["directory"] == "/" and update["schedule"] == {"interval": "weekly"}


# The scripts, against local repositories


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def fake_gh(tmp_path: Path) -> Path:
    """A `gh` that records each call (one JSON list per line) and answers `issue list` and
    `pr list` from FAKE_GH_ISSUES and FAKE_GH_OPEN_PRS."""
    folder = tmp_path / "bin"
    folder.mkdir()
    gh = folder / "gh"
    gh.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['FAKE_GH_LOG'], 'a') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1:3] == ['issue', 'list']:\n"
        "    print(os.environ.get('FAKE_GH_ISSUES', '[]'))\n"
        "if sys.argv[1:3] == ['pr', 'list']:\n"
        "    print(os.environ.get('FAKE_GH_OPEN_PRS', '0'))\n"
    )
    gh.chmod(0o755)
    return folder


def _gh_calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _env(tmp_path: Path, fake_gh: Path | None = None, **extra: str) -> dict[str, str]:
    """A clean environment: the venv's Python (for aibot.config) and git; no GitHub variables."""
    path = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    if fake_gh is not None:
        path.insert(0, str(fake_gh))
    env = {
        "PATH": os.pathsep.join(path), "HOME": str(tmp_path), "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1", "FAKE_GH_LOG": str(tmp_path / "gh.log"),
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
    }  # fmt: skip
    return {**env, **extra}


def _script(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / "publish-content.sh"), *args],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _post(workdir: Path, name: str, text: str = "---\ntitle: x\n---\nBody.\n") -> Path:
    path = workdir / "content" / "posts" / "2026" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository standing for GitHub, holding main with a config and one post."""
    seed = tmp_path / "seed"
    seed.mkdir()
    _git(seed, "init", "-q", "-b", "main")
    (seed / "aibot.yaml").write_text("feeds: []\n")
    _post(seed, "old.md")
    _git(seed, "add", ".")
    _git(seed, "-c", "user.name=Editor", "-c", "user.email=e@example.org", "commit", "-qm", "seed")
    bare = tmp_path / "origin.git"
    _git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def _clone(origin: Path, where: Path, *options: str) -> Path:
    _git(where.parent, "clone", "-q", *options, origin.as_uri(), str(where))
    return where


def _files_of(origin: Path, ref: str) -> set[str]:
    return set(_git(origin, "ls-tree", "-r", "--name-only", ref).splitlines())


def test_commit_pushes_only_markdown_under_content(origin: Path, tmp_path: Path) -> None:
    work = _clone(origin, tmp_path / "work", "--depth", "1")  # as actions/checkout does
    _post(work, "new.md")
    (work / "content" / "posts" / "2026" / "notes.txt").write_text("not a post")
    for other in ("site/index.html", ".aibot/aibot.sqlite", ".aibot/run-report.json"):
        (work / other).parent.mkdir(parents=True, exist_ok=True)
        (work / other).write_text("built or cached")
    (work / "aibot.yaml").write_text("feeds: [changed]\n")
    env = _env(tmp_path, COMMIT_MESSAGE="AiBot: 1 new post\n\nRun: abc", REVIEW="false")
    done = _script(work, env, "commit")
    assert done.returncode == 0, done.stderr
    assert "pushed" in done.stdout
    changed = _git(origin, "diff", "--name-only", "main~1", "main").splitlines()
    assert changed == ["content/posts/2026/new.md"]
    assert _git(origin, "log", "-1", "--format=%an|%ae|%s", "main") == (
        "github-actions[bot]|41898282+github-actions[bot]@users.noreply.github.com|"
        "AiBot: 1 new post"
    )


def test_commit_replays_on_an_editor_s_push_made_during_the_run(
    origin: Path, tmp_path: Path
) -> None:
    work = _clone(origin, tmp_path / "work", "--depth", "1")
    editor = _clone(origin, tmp_path / "editor")
    _post(editor, "old.md", "---\ntitle: fixed\n---\nFixed.\n")
    _git(editor, "-c", "user.name=Ed", "-c", "user.email=e@x", "commit", "-qam", "fix")
    _git(editor, "push", "-q", "origin", "main")
    _post(work, "new.md")
    done = _script(work, _env(tmp_path, COMMIT_MESSAGE="AiBot: 1", REVIEW="false"), "commit")
    assert done.returncode == 0, done.stderr
    assert "refused" in done.stdout
    assert _git(origin, "log", "--format=%s", "main").splitlines() == ["AiBot: 1", "fix", "seed"]


def test_commit_without_changed_posts_commits_nothing(origin: Path, tmp_path: Path) -> None:
    work = _clone(origin, tmp_path / "work")
    (work / "site").mkdir()
    (work / "site" / "index.html").write_text("built")
    before = _git(origin, "rev-parse", "main")
    done = _script(work, _env(tmp_path, COMMIT_MESSAGE="AiBot: none", REVIEW="false"), "commit")
    assert done.returncode == 0, done.stderr
    assert "nothing to commit" in done.stdout
    assert _git(origin, "rev-parse", "main") == before


def _review_config(work: Path) -> None:
    (work / "aibot.yaml").write_text("publish:\n  review: true\n")


def test_review_mode_pushes_the_drafts_branch_not_main(origin: Path, tmp_path: Path) -> None:
    work = _clone(origin, tmp_path / "work", "--depth", "1")
    main_before = _git(origin, "rev-parse", "main")
    _post(work, "new.md")
    env = _env(tmp_path, COMMIT_MESSAGE="AiBot: 1 new post", REVIEW="true")
    done = _script(work, env, "commit")
    assert done.returncode == 0, done.stderr
    assert _git(origin, "rev-parse", "main") == main_before
    assert _git(origin, "rev-parse", "aibot/drafts~1") == main_before  # main + the new content
    assert _files_of(origin, "aibot/drafts") == _files_of(origin, "main") | {
        "content/posts/2026/new.md"
    }
    assert (tmp_path / "github-output").read_text() == "drafts_pushed=true\n"


def test_review_mode_updates_the_drafts_in_place(origin: Path, tmp_path: Path) -> None:
    """The next run starts from main, brings in the drafts under review (so they are not written
    again), keeps an editor's later fix on main, and force-updates the one branch."""
    first = _clone(origin, tmp_path / "first")
    _review_config(first)
    _git(first, "-c", "user.name=E", "-c", "user.email=e@x", "commit", "-qam", "review on")
    _git(first, "push", "-q", "origin", "main")
    _post(first, "draft-a.md", "draft A\n")
    _post(first, "old.md", "the pipeline's update of old\n")
    env = _env(tmp_path, COMMIT_MESSAGE="AiBot: drafts", REVIEW="true")
    assert _script(first, env, "commit").returncode == 0
    # Meanwhile an editor fixes old.md on main.
    editor = _clone(origin, tmp_path / "editor")
    _post(editor, "old.md", "the editor's fix\n")
    _git(editor, "-c", "user.name=E", "-c", "user.email=e@x", "commit", "-qam", "fix old")
    _git(editor, "push", "-q", "origin", "main")

    second = _clone(origin, tmp_path / "second", "--depth", "1")
    prepared = _script(second, env, "prepare")
    assert prepared.returncode == 0, prepared.stderr
    assert "brought in 1 file(s)" in prepared.stdout
    posts = second / "content" / "posts" / "2026"
    assert (posts / "draft-a.md").read_text() == "draft A\n"
    assert (posts / "old.md").read_text() == "the editor's fix\n"
    _post(second, "draft-b.md", "draft B\n")
    assert _script(second, env, "commit").returncode == 0
    assert _git(origin, "rev-parse", "aibot/drafts~1") == _git(origin, "rev-parse", "main")
    assert _git(origin, "show", "aibot/drafts:content/posts/2026/draft-a.md") == "draft A"
    assert _git(origin, "show", "aibot/drafts:content/posts/2026/old.md") == "the editor's fix"

    # A third run with nothing new leaves the branch (and so the pull request) alone.
    third = _clone(origin, tmp_path / "third", "--depth", "1")
    assert _script(third, env, "prepare").returncode == 0
    again = _script(third, env, "commit")
    assert again.returncode == 0 and "already holds these posts" in again.stdout


def test_prepare_does_nothing_unless_review_mode_is_on(origin: Path, tmp_path: Path) -> None:
    work = _clone(origin, tmp_path / "work")
    done = _script(work, _env(tmp_path), "prepare")
    assert done.returncode == 0 and "review mode is off" in done.stdout


def test_pr_opens_one_pull_request_then_leaves_it_to_the_pushes(
    tmp_path: Path, fake_gh: Path
) -> None:
    env = _env(tmp_path, fake_gh, BRANCH="main", FAKE_GH_OPEN_PRS="0")
    assert _script(tmp_path, env, "pr").returncode == 0
    calls = _gh_calls(tmp_path / "gh.log")
    assert calls[0][:2] == ["pr", "list"] and "aibot/drafts" in calls[0]
    assert calls[1][:2] == ["pr", "create"]
    assert calls[1][calls[1].index("--head") + 1] == "aibot/drafts"
    assert calls[1][calls[1].index("--base") + 1] == "main"

    (tmp_path / "gh.log").unlink()
    env["FAKE_GH_OPEN_PRS"] = "1"
    done = _script(tmp_path, env, "pr")
    assert done.returncode == 0 and "is open" in done.stdout
    assert [c[:2] for c in _gh_calls(tmp_path / "gh.log")] == [["pr", "list"]]


# The feed health issue

BROKEN = [{
    "name": "Example News", "url": "https://news.example/rss", "failures": 30,
    "failing_since": "2026-11-24T05:00:00+00:00", "last_error": "HTTP 500 | server error",
}]  # fmt: skip


def _feed_issue(tmp_path: Path, fake_gh: Path, broken: list[dict], issues: list[dict]) -> None:
    env = _env(
        tmp_path, fake_gh, BROKEN_FEEDS=json.dumps(broken), FAKE_GH_ISSUES=json.dumps(issues)
    )
    env["RUN_URL"] = "https://github.example/run/1"
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "feed_issue.py")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_broken_feed_opens_one_labelled_issue(tmp_path: Path, fake_gh: Path) -> None:
    _feed_issue(tmp_path, fake_gh, BROKEN, issues=[])
    listed, label, created = _gh_calls(tmp_path / "gh.log")
    assert listed[:2] == ["issue", "list"] and "aibot-feed-health" in listed
    assert label[:3] == ["label", "create", "aibot-feed-health"]
    assert created[:2] == ["issue", "create"]
    body = created[created.index("--body") + 1]
    assert "[Example News](https://news.example/rss)" in body
    assert "| 2026-11-24 05:00 | 30 | HTTP 500 \\| server error |" in body


def test_the_open_issue_is_edited_not_opened_again(tmp_path: Path, fake_gh: Path) -> None:
    _feed_issue(tmp_path, fake_gh, BROKEN, issues=[{"number": 7, "body": "old list"}])
    calls = _gh_calls(tmp_path / "gh.log")
    assert [c[:3] for c in calls[1:]] == [["issue", "edit", "7"]]


def test_the_issue_is_closed_when_every_feed_answers(tmp_path: Path, fake_gh: Path) -> None:
    _feed_issue(tmp_path, fake_gh, [], issues=[{"number": 7, "body": "old list"}])
    calls = _gh_calls(tmp_path / "gh.log")
    assert [c[:3] for c in calls[1:]] == [["issue", "close", "7"]]
    assert "Every feed answers again" in calls[1][calls[1].index("--comment") + 1]


def test_no_broken_feed_and_no_issue_changes_nothing(tmp_path: Path, fake_gh: Path) -> None:
    _feed_issue(tmp_path, fake_gh, [], issues=[])
    assert [c[:2] for c in _gh_calls(tmp_path / "gh.log")] == [["issue", "list"]]
