"""The write stage with the Claude writer against the stub API: the demo end to end, the cost
ledger and cap, outages, per-story faults, Message Batches and the repair attempt."""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aibot.collect.stage import collect_stage
from aibot.config import load_config
from aibot.pipeline import RunReport, run
from aibot.posts.evidence import paragraph_evidence
from aibot.store import Store
from tests.conftest import DEMO, run_cli
from tests.conftest import anthropic_stub as stub
from tests.helpers.claude import POSTS_IN_DEMO, claude_posts, configure_claude


@pytest.fixture
def demo(demo_dir: Path, claude_api, monkeypatch: pytest.MonkeyPatch):
    """The demo folder, with a fake key and the client pointed at the stub."""
    api, url = claude_api
    monkeypatch.setenv("ANTHROPIC_API_KEY", "fake-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    return demo_dir, api


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo with its sample collected into the cache, once for the tests of the write stage
    below: (the folder, a copy of it as collected)."""
    base = tmp_path_factory.mktemp("claude-pipeline")
    folder = base / "demo"
    folder.mkdir()
    shutil.copy(DEMO / "aibot.yaml", folder / "aibot.yaml")
    shutil.copytree(DEMO / "sample", folder / "sample")
    config = load_config(folder / "aibot.yaml")
    with Store(config.cache_file) as store:
        report = RunReport(started=datetime.now(UTC))
        collect_stage(config, store, report)
        assert report.articles_new > 0 and not report.problems, report.problems
    return folder, shutil.copytree(folder, base / "as-collected")


@pytest.fixture
def site(collected: tuple[Path, Path], claude_api, monkeypatch: pytest.MonkeyPatch):
    """The collected demo as it was (in the same folder every time: the cache holds the sample's
    file URLs), with a fake key and the client pointed at the stub."""
    folder, as_collected = collected
    shutil.rmtree(folder)
    shutil.copytree(as_collected, folder)
    api, url = claude_api
    monkeypatch.setenv("ANTHROPIC_API_KEY", "fake-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    return folder, api


def _ledger(folder: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(folder / ".aibot" / "aibot.sqlite")
    db.row_factory = sqlite3.Row
    return db.execute("SELECT * FROM ledger ORDER BY id").fetchall()


def test_the_demo_with_a_fake_key_writes_cited_posts_and_a_cost_ledger(demo) -> None:
    folder, api = demo
    path = folder / "aibot.yaml"
    result = run_cli("run", "-c", str(path), "--writer", "claude")
    assert result.exit_code == 0, result.output
    assert f"posts     {POSTS_IN_DEMO} written" in result.output
    posts = claude_posts(folder)
    assert len(posts) == POSTS_IN_DEMO
    assert {p.meta["generator"]["writer"] for p in posts} == {"claude"}
    assert {p.meta["generator"]["model"] for p in posts} == {"claude-sonnet-5-5"}
    assert all(p.meta["review"]["status"] == "passed" for p in posts)
    assert all("[[1]](#source-1)" in p.body for p in posts)
    for post in posts:  # verify kept the source sentences behind the model's paragraphs
        urls = {s["url"] for s in post.meta["sources"]}
        cited = [b.strip() for b in post.body.split("\n\n") if "](#source-" in b]
        evidence = [e for b in cited for e in paragraph_evidence(post, b)]
        assert evidence and {e.url for e in evidence} <= urls, post.slug
    # The citations open the sources at the sentence behind the paragraph (evidence links).
    page_file = next((folder / "site" / "posts").glob("*.html"))
    page = page_file.read_text()
    shown = next(p for p in posts if p.slug == page_file.stem)
    first = html.escape(shown.meta["sources"][0]["url"])
    assert f'href="{first}#:~:text=' in page and 'id="source-1"' in page
    rows = _ledger(folder)
    assert len(rows) == len(api.requests) == POSTS_IN_DEMO
    assert sum(r["cache_read_tokens"] for r in rows) > 0  # the system prompt was cached
    report = run_cli("report", "-c", str(path))
    assert report.exit_code == 0
    assert "cost ledger" in report.output
    assert re.search(rf"all 1 run\s+{POSTS_IN_DEMO}\s", report.output)
    total = sum(r["cost"] for r in rows)
    assert f"{total:.4f}" in report.output and "model     9 calls" in report.output


def test_the_cost_cap_stops_writing_and_is_reported_not_a_crash(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder, max_cost_per_run=0.12))
    report = run(config)
    assert report.ok and 0 < report.posts_written < POSTS_IN_DEMO
    assert any("cost cap reached" in n for n in report.notes)
    assert report.posts_deferred == POSTS_IN_DEMO - report.posts_written
    assert sum(r["cost"] for r in _ledger(folder)) <= 0.12
    assert len(claude_posts(folder)) == report.posts_written


def test_an_outage_stops_after_three_failures_and_the_next_run_writes_everything(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder))
    api.script += [(529, stub.error_body("overloaded_error", "busy"))] * 3
    first = run(config)
    assert first.posts_written == 0 and len(api.requests) == 3
    assert any("stopped after 3 failures in a row" in p for p in first.problems)
    assert not (folder / "content" / "posts").exists() or not claude_posts(folder)
    second = run(config)
    assert second.posts_written == POSTS_IN_DEMO and not second.problems


def test_a_truncated_answer_fails_that_story_alone_and_it_is_written_next_run(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder))
    api.script.append((200, stub.message_body('{"headline": "Half', stop_reason="max_tokens")))
    first = run(config)
    assert first.posts_written == POSTS_IN_DEMO - 1
    assert [p for p in first.problems if "cut off at max_tokens" in p]
    assert len(_ledger(folder)) == POSTS_IN_DEMO  # the failed call is in the ledger too
    second = run(config)
    assert second.posts_written == 1 and len(claude_posts(folder)) == POSTS_IN_DEMO


def test_batch_mode_sends_one_batch_at_half_price(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder, batch=True, batch_poll_s=0.01))
    report = run(config)
    assert report.posts_written == POSTS_IN_DEMO and len(report.batches) == 1
    assert api.paths.count("POST /v1/messages/batches") == 1
    assert not [p for p in api.paths if p == "POST /v1/messages"]
    rows = _ledger(folder)
    assert len(rows) == POSTS_IN_DEMO and all(r["batch"] == 1 for r in rows)
    stories = {p.meta["generator"]["story"] for p in claude_posts(folder)}
    assert {r["story_id"] for r in rows} == stories  # custom_id matched each answer to its story


def test_an_unfinished_batch_is_collected_by_the_next_run_not_sent_again(site) -> None:
    folder, api = site
    api.batch_polls = 2
    config = load_config(configure_claude(folder, batch=True, batch_wait_s=0))
    first = run(config)
    assert first.posts_written == 0
    assert any("still being written" in n for n in first.notes)
    second = run(config)
    assert second.posts_written == POSTS_IN_DEMO
    assert api.paths.count("POST /v1/messages/batches") == 1
    third = run(config)
    assert third.posts_written == 0 and api.paths.count("POST /v1/messages/batches") == 1


def _with_invented_number(api: Any, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = stub.written_answer(request)
    paragraph = answer["sections"][0]["paragraphs"][0]
    paragraph["text"] += " Officials put the total at 987,654."
    return 200, api.message(request, answer)


def test_a_flagged_draft_gets_one_repair_by_the_small_model(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder, small_model="claude-haiku-test"))
    api.script.append(_with_invented_number)
    report = run(config)
    assert report.posts_written == POSTS_IN_DEMO and report.posts_repaired == 1
    assert report.posts_held == 0
    repairs = [r for r in _ledger(folder) if r["purpose"] == "repair"]
    assert [r["model"] for r in repairs] == ["claude-haiku-test"]
    assert not any("987,654" in p.body for p in claude_posts(folder))


def test_a_draft_still_flagged_is_held_as_a_draft_and_not_published(site) -> None:
    folder, api = site
    config = load_config(configure_claude(folder, repair=False))
    api.script.append(_with_invented_number)
    report = run(config)
    held = [p for p in claude_posts(folder) if p.meta["draft"]]
    assert report.posts_held == 1 and len(held) == 1
    assert held[0].meta["review"]["status"] == "flagged"
    assert "987,654" in json.dumps(held[0].meta["review"]["notes"])
    assert not (folder / "site" / "posts" / f"{held[0].slug}.html").exists()


def test_the_writer_option_overrides_the_configured_backend(site) -> None:
    folder, api = site
    path = configure_claude(folder)
    result = run_cli("run", "-c", str(path), "--writer", "extractive")
    assert result.exit_code == 0, result.output
    assert api.requests == [] and "(writer: extractive)" in result.output
    assert {p.meta["generator"]["writer"] for p in claude_posts(folder)} == {"extractive"}
