"""`aibot run --ci` as .github/workflows/publish.yml calls it, and aibot.commands.ci behind it: the
degraded decision, the feeds broken for a day, the job summary, the step outputs, the report."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer

from aibot.collect.stage import collect
from aibot.commands.ci import (
    DEGRADED_EXIT,
    BrokenFeed,
    assess,
    broken_feeds,
    finish,
    output_lines,
    summary_markdown,
)
from aibot.config import ConfigError, config_from_mapping, load_config
from aibot.pipeline import run
from aibot.report import RunReport
from aibot.store import FeedState, Store
from aibot.write.base import WriterError
from tests.conftest import DEMO, REPO
from tests.conftest import anthropic_stub as stub

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def github_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT read the way the runner reads it: `name=value` lines and
    `name<<DELIMITER` … `DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise AssertionError(f"{name}: delimiter {delimiter} never closes")
            values[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _demo_copy(folder: Path, **changes: Any) -> Path:
    """The demo (config + sample) in `folder`, embeddings off for speed, with `changes` merged
    into its configuration sections; returns the config file."""
    folder.mkdir(parents=True)
    shutil.copytree(DEMO / "sample", folder / "sample")
    raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
    raw["cluster"]["embeddings"] = "off"
    for section, values in changes.items():
        raw[section] = values if section == "feeds" else {**raw.get(section, {}), **values}
    (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder / "aibot.yaml"


def _run_ci(config: Path, tmp: Path, *args: str, **env: str) -> tuple[Any, str, dict[str, str]]:
    """`aibot run --ci` in a fresh process the way the workflow runs it: GITHUB_STEP_SUMMARY and
    GITHUB_OUTPUT point at files, no API key unless given. Returns (process, summary, outputs)."""
    summary, outputs = tmp / "step-summary.md", tmp / "github-output"
    summary.write_text("")
    outputs.write_text("")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ANTHROPIC_"))}
    clean.update(GITHUB_ACTIONS="true", CI="true", GITHUB_STEP_SUMMARY=str(summary))
    clean.update(GITHUB_OUTPUT=str(outputs), **env)
    aibot = Path(sys.executable).parent / "aibot"
    done = subprocess.run(
        [str(aibot), "run", "--ci", "-c", str(config), "--report-file", str(tmp / "report.json"),
         *args],
        capture_output=True, text=True, env=clean, timeout=300, check=False,
    )  # fmt: skip
    return done, summary.read_text(), github_outputs(outputs.read_text())


@pytest.fixture(scope="module")
def normal_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, str, dict[str, str]]:
    """The demo run once as the scheduled workflow runs it (writer input auto, no secret)."""
    tmp = tmp_path_factory.mktemp("ci-normal")
    config = _demo_copy(tmp / "demo")
    done, summary, outputs = _run_ci(config, tmp, "--writer", "auto")
    return tmp, done, summary, outputs


# `aibot run --ci` in a fresh process


def test_a_normal_run_exits_0_and_may_be_published(normal_run) -> None:
    tmp, done, summary, outputs = normal_run
    assert done.returncode == 0, done.stdout + done.stderr
    posts = list((tmp / "demo" / "content" / "posts").rglob("*.md"))
    assert posts
    assert outputs["publish"] == "true" and outputs["degraded"] == "false"
    assert outputs["reason"] == ""
    assert outputs["posts_changed"] == str(len(posts))
    assert outputs["review"] == "false" and outputs["writer"] == "extractive"
    assert json.loads(outputs["broken_feeds"]) == []
    subject, blank, *body = outputs["commit_message"].splitlines()
    assert len(posts) > 1  # the demo writes several
    assert subject == f"AiBot: {len(posts)} new posts" and blank == "" and body
    assert "::error" not in done.stdout


def test_the_summary_reports_the_run_and_the_missing_secret(normal_run) -> None:
    tmp, done, summary, outputs = normal_run
    assert int(outputs["posts_changed"]) > 1
    assert summary.startswith(f"## AiBot run: {outputs['posts_changed']} posts for the site\n")
    assert "| Feeds | 7 ok, 0 failed, 0 asked us to wait (100%) |" in summary
    assert f"| Posts | {outputs['posts_changed']} written, 0 updated, 0 held for review" in summary
    assert "| Model | 0 calls: 0 input tokens" in summary
    assert "ANTHROPIC_API_KEY is not set, so the extractive (offline) writer writes" in summary
    assert "note: ANTHROPIC_API_KEY is not set" in done.stdout


def test_the_json_report_is_written_for_the_artifact(normal_run) -> None:
    tmp, done, summary, outputs = normal_run
    report = json.loads((tmp / "report.json").read_text())
    assert report["posts_written"] == int(outputs["posts_changed"])
    assert report["feeds_ok"] == 7 and report["writer"] == "extractive"
    assert report["ci"]["publish"] is True and report["ci"]["degraded"] is False
    assert report["ci"]["feeds_answered"] == report["ci"]["feeds_asked"] == 7
    assert outputs["report_file"] == str(tmp / "report.json")


def test_a_run_with_most_feeds_failing_is_degraded(tmp_path: Path, httpserver: HTTPServer) -> None:
    """Five of the seven feeds answer 500 and have done so for a day: exit 3, nothing may be
    published, and the five are listed as broken for the feed health issue."""
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=500)
    raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
    down = [httpserver.url_for(f"/feed.xml?{n}") for n in range(5)]
    feeds = raw["feeds"][:2] + [
        {**f, "url": u} for f, u in zip(raw["feeds"][2:], down, strict=True)
    ]
    config = _demo_copy(tmp_path / "demo", feeds=feeds,
                        collect={"allow_private_hosts": True, "timeout_s": 5})  # fmt: skip
    loaded = load_config(config)
    day_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    with Store(loaded.cache_file) as store:  # the five have failed for 25 hours
        for feed in loaded.feeds[2:]:
            store.save_feed_state(FeedState(feed.url, failures=24, failing_since=day_ago))

    done, summary, outputs = _run_ci(config, tmp_path)

    assert done.returncode == DEGRADED_EXIT == 3, done.stdout + done.stderr
    reason = "only 2 of 7 feeds answered (29%; publish.min_feed_success is 50%)"
    assert outputs["degraded"] == "true" and outputs["publish"] == "false"
    assert outputs["reason"] == reason
    assert f"degraded: {reason}; nothing may be published" in done.stdout
    escaped = reason.replace("%", "%25")  # the runner turns %25 back into %
    assert f"::error title=AiBot published nothing::degraded run: {escaped}\n" in done.stdout
    assert summary.startswith("## AiBot run degraded: nothing published\n")
    assert f"> **Degraded:** {reason}. Nothing is committed or deployed" in summary
    broken = json.loads(outputs["broken_feeds"])
    assert [b["url"] for b in broken] == [f.url for f in loaded.feeds[2:]]
    assert all(b["failing_since"] == day_ago and b["failures"] == 25 for b in broken)
    assert "### Feeds broken for 24 hours" in summary
    assert json.loads((tmp_path / "report.json").read_text())["ci"]["degraded"] is True


@pytest.fixture(scope="module")
def unwritten_demo(normal_run, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    """A copy of the demo without its posts, run once in-process with a writer that fails on
    every story: (folder, that run's report). Its cache then holds every article."""
    folder = tmp_path_factory.mktemp("ci-unwritten") / "demo"
    shutil.copytree(normal_run[0] / "demo", folder)
    shutil.rmtree(folder / "content")  # so every ready story wants a post again
    return folder, run(load_config(folder / "aibot.yaml"), writer=_Refusing())


class _Refusing:
    name = "refusing"
    model = ""

    def write(self, story, articles):
        raise WriterError("no")


def test_every_story_the_writer_fails_on_is_counted(normal_run, unwritten_demo) -> None:
    folder, report = unwritten_demo
    ready = int(normal_run[3]["posts_changed"])
    assert (report.posts_failed, report.posts_written) == (ready, 0)
    assert f"{ready} failed (writer: refusing)" in report.lines()[3]
    assert assess(load_config(folder / "aibot.yaml"), report, [], has_key=False).degraded


def test_a_run_whose_writer_fails_on_every_story_is_degraded(
    unwritten_demo, tmp_path: Path, claude_api
) -> None:
    """A refused key: the first story fails and writing stops. Nothing may be published."""
    api, url = claude_api
    api.script.append((401, stub.error_body("authentication_error", "invalid x-api-key")))
    folder, _ = unwritten_demo

    done, summary, outputs = _run_ci(
        folder / "aibot.yaml", tmp_path, "--writer", "claude",
        ANTHROPIC_API_KEY="fake-key", ANTHROPIC_BASE_URL=url,
    )  # fmt: skip

    assert done.returncode == 3, done.stdout + done.stderr
    assert len(api.requests) == 1
    assert outputs["degraded"] == "true" and outputs["writer"] == "claude"
    assert outputs["reason"] == "the claude writer failed on every story it tried (1)"
    assert "| Posts | 0 written, 0 updated, 0 held for review, 1 failed" in summary
    assert "ANTHROPIC_API_KEY" not in summary  # the key was set: no note about it
    assert not (folder / "content" / "posts").exists() or not any(
        (folder / "content" / "posts").rglob("*.md")
    )


# The verdict


def _report(**counts: Any) -> RunReport:
    return RunReport(started=NOW, writer="extractive", **counts)


def _config(**publish: Any):
    return config_from_mapping({"publish": publish} if publish else {}, base_dir=Path("/tmp"))


@pytest.mark.parametrize(
    ("counts", "degraded"),
    [
        ({"feeds_ok": 4, "feeds_failed": 3}, False),
        ({"feeds_ok": 3, "feeds_failed": 3}, False),  # exactly half answered
        ({"feeds_ok": 3, "feeds_failed": 4}, True),
        ({"feeds_ok": 0, "feeds_failed": 7}, True),
        ({"feeds_ok": 1, "feeds_waiting": 3, "feeds_failed": 3}, False),  # waiting servers are up
        ({}, False),  # no feed configured: nothing to judge
    ],
)
def test_too_few_feeds_answering_degrades_a_run(counts: dict[str, int], degraded: bool) -> None:
    verdict = assess(_config(), _report(**counts), [], has_key=False)
    assert verdict.degraded is degraded
    assert ("feeds answered" in verdict.reason) is degraded


def test_min_feed_success_is_the_threshold() -> None:
    counts = {"feeds_ok": 8, "feeds_failed": 2}
    assert not assess(_config(min_feed_success=0.8), _report(**counts), [], has_key=False).degraded
    strict = assess(_config(min_feed_success=0.9), _report(**counts), [], has_key=False)
    assert strict.degraded
    assert strict.reason == "only 8 of 10 feeds answered (80%; publish.min_feed_success is 90%)"


@pytest.mark.parametrize(
    ("counts", "degraded"),
    [
        ({"posts_failed": 3}, True),
        ({"posts_failed": 3, "posts_written": 1}, False),
        ({"posts_failed": 2, "posts_updated": 1}, False),
        ({}, False),  # nothing to write is not a failure
    ],
)
def test_a_writer_failing_on_every_story_degrades_a_run(counts: dict, degraded: bool) -> None:
    report = _report(feeds_ok=7, **counts)
    assert assess(_config(), report, [], has_key=True).degraded is degraded


def test_the_missing_key_is_named_only_when_it_made_the_difference() -> None:
    report = _report(feeds_ok=1)
    assert (
        "ANTHROPIC_API_KEY is not set" in assess(_config(), report, [], has_key=False).writer_note
    )
    assert assess(_config(), report, [], has_key=True).writer_note == ""
    chosen = config_from_mapping({"writer": {"backend": "extractive"}}, base_dir=Path("/tmp"))
    assert assess(chosen, report, [], has_key=False).writer_note == ""
    # `--writer claude` without the secret: the write stage falls back to the extractive writer.
    asked = config_from_mapping({"writer": {"backend": "claude"}}, base_dir=Path("/tmp"))
    assert "ANTHROPIC_API_KEY is not set" in assess(asked, report, [], has_key=False).writer_note


def test_a_failed_build_exits_1_without_being_degraded(tmp_path: Path) -> None:
    config = config_from_mapping({"paths": {"cache": str(tmp_path / "cache")}}, base_dir=tmp_path)
    report = _report(feeds_ok=3, build_ok=False)
    verdict, code = finish(config, report, report_file=tmp_path / "r.json", env={}, now=NOW)
    assert (verdict.degraded, code) == (False, 1)
    assert json.loads((tmp_path / "r.json").read_text())["ci"]["publish"] is False


# Feeds broken for a day


def _store_config(tmp_path: Path, urls: list[str]):
    return config_from_mapping(
        {"feeds": [{"url": u, "name": u.rsplit("/", 1)[-1]} for u in urls],
         "paths": {"cache": str(tmp_path / "cache")}},
        base_dir=tmp_path,
    )  # fmt: skip


def test_a_feed_is_broken_after_24_hours_of_failures(tmp_path: Path) -> None:
    urls = [f"https://news.example/{n}" for n in ("day", "hours", "fine", "unlisted")]
    config = _store_config(tmp_path, urls[:3])
    with Store(config.cache_file) as store:
        for url, hours, failures in ((urls[0], 24, 12), (urls[1], 23, 11), (urls[2], 48, 0),
                                     (urls[3], 48, 40)):  # fmt: skip
            since = (NOW - timedelta(hours=hours)).isoformat() if failures else None
            store.save_feed_state(
                FeedState(url, failures=failures, failing_since=since, last_error="t HTTP 404")
            )
        broken = broken_feeds(config, store, NOW)
    assert broken == [
        BrokenFeed("day", urls[0], (NOW - timedelta(hours=24)).isoformat(), 12, "HTTP 404")
    ]


def test_collect_remembers_when_a_feed_started_failing(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Over real HTTP: the first failure's time is kept through later failures and cleared by
    an answer."""
    answers = iter([("down", 500), ("down", 503), ("<rss version='2.0'><channel/></rss>", 200)])
    httpserver.expect_request("/rss").respond_with_handler(
        lambda _request: _response(*next(answers))
    )
    config = config_from_mapping(
        {"feeds": [{"url": httpserver.url_for("/rss"), "name": "Flaky"}],
         "collect": {"allow_private_hosts": True, "timeout_s": 5},
         "paths": {"cache": str(tmp_path / "cache")}},
        base_dir=tmp_path,
    )  # fmt: skip
    seen = []
    with Store(config.cache_file) as store:
        for hours in (0, 25, 26):
            collect(config, store, now=NOW + timedelta(hours=hours))
            state = store.feed_state(config.feeds[0].url)
            seen.append((state.failures, state.failing_since))
            if hours == 25:
                assert [b.name for b in broken_feeds(config, store, NOW + timedelta(hours=25))] == [
                    "Flaky"
                ]
    assert seen == [(1, NOW.isoformat()), (2, NOW.isoformat()), (0, None)]


def _response(body: str, status: int):
    from werkzeug import Response

    return Response(body, status=status, content_type="application/rss+xml")


def test_a_cache_made_before_failing_since_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "aibot.sqlite"
    with Store(path):
        pass
    db = sqlite3.connect(path)  # the feeds table as it was, with one row
    db.executescript(
        "DROP TABLE feeds; CREATE TABLE feeds (url TEXT PRIMARY KEY, etag TEXT, last_modified "
        "TEXT, last_success TEXT, last_error TEXT, failures INTEGER NOT NULL DEFAULT 0, "
        "retry_after TEXT); INSERT INTO feeds VALUES ('https://a.example/', NULL, NULL, NULL, "
        "'t err', 3, NULL);"
    )
    db.close()
    with Store(path) as store:
        assert store.moved_aside is None
        assert store.feed_state("https://a.example/").failures == 3
        store.save_feed_state(FeedState("https://a.example/", failures=4, failing_since="x"))
        assert store.feed_state("https://a.example/").failing_since == "x"


# Summary and outputs


def test_outputs_follow_github_s_syntax_for_multiline_values(tmp_path: Path) -> None:
    report = _report(feeds_ok=2, feeds_failed=5, posts_written=1, run_id="r1")
    verdict = assess(_config(), report, [], has_key=False)
    text = output_lines(report, verdict, tmp_path / "r.json")
    values = github_outputs(text)
    assert values["degraded"] == "true" and values["publish"] == "false"
    assert values["commit_message"].splitlines()[0] == "AiBot: 1 new post"
    assert values["commit_message"].splitlines()[-1] == "Run: r1"
    assert "commit_message<<ghadelimiter_" in text
    single = [line for line in text.splitlines() if line.startswith("reason")]
    assert single == [f"reason={verdict.reason}"]


def test_untrusted_text_cannot_break_the_summary() -> None:
    report = _report(feeds_ok=1, feeds_failed=0)
    report.problems = ["feed <img src=x onerror=alert(1)> | bad ```fence```", "two\nlines"]
    feed = BrokenFeed("A | B <b>", "https://x.example/", NOW.isoformat(), 30, "HTTP 500\n| x")
    summary = summary_markdown(report, assess(_config(), report, [feed], has_key=True))
    table = [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line]
    assert all(line.replace("\\|", "").count("|") == 3 for line in table)
    assert "- A \\| B &lt;b&gt; (https://x.example/)" in summary
    assert "HTTP 500 \\| x" in summary
    assert (
        "````text\nfeed <img src=x onerror=alert(1)> | bad ```fence```\ntwo lines\n````" in summary
    )


# Configuration


def test_publish_settings_default_and_are_validated(tmp_path: Path) -> None:
    config = load_config(DEMO / "aibot.yaml")
    assert (config.publish.min_feed_success, config.publish.review) == (0.5, False)
    assert load_config(REPO / "aibot.yaml").publish.review is False  # publish directly
    for text, error in [
        ("publish:\n  min_feed_success: 1.5\n",
         "aibot.yaml:2: publish.min_feed_success: expected a share between 0 and 1"),
        ("publish:\n  review: sometimes\n",
         "aibot.yaml:2: publish.review: expected true or false, got 'sometimes'"),
        ("publish:\n  reveiw: true\n",
         "aibot.yaml:2: publish.reveiw: unknown key; did you mean review?"),
    ]:  # fmt: skip
        path = tmp_path / "aibot.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert str(caught.value).startswith(error)
