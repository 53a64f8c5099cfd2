"""Two stories found to be one (Story.absorbed): the cache marks the absorbed story merged, the
run report lists the merge, and the site keeps one post, the other's address forwarding to it;
a post an editor changed is never removed or rewritten."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

import aibot.cluster.stage
import aibot.pipeline
from aibot.cluster.stage import cluster_stage
from aibot.config import Config, load_config
from aibot.models import Article, Story
from aibot.posts.files import load_posts, save_post, seal
from aibot.posts.frontmatter import load_post
from aibot.report import RunReport
from aibot.store import _SCHEMA, SCHEMA_VERSION, Store
from aibot.write.extractive import ExtractiveWriter
from aibot.write.stage import write_stage
from tests.conftest import run_cli
from tests.helpers.claude import POSTS_IN_DEMO, configure_claude
from tests.helpers.claude import claude_posts as _claude_posts
from tests.helpers.e2e import story_labels
from tests.helpers.editing import edited_post, edited_site

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


# The cache


def _article(n: int, outlet: str, hours: float, text: str = "") -> Article:
    return Article(
        url=f"https://{outlet.lower()}.example/news/{n}",
        source=outlet,
        title=f"Lowmere bridge report {n}",
        text=text or f"Report {n} on the Lowmere swing bridge from {outlet}.",
        published=T0 + timedelta(hours=hours),
    )


def _story(story_id: str, articles: list[Article], **extra: object) -> Story:
    return Story(
        story_id,
        [a.id for a in articles],
        f"Story {story_id}",
        min(a.when for a in articles),
        max(a.when for a in articles),
        **extra,
    )


def test_an_absorbed_story_is_marked_merged_and_its_articles_move(tmp_path: Path) -> None:
    first = [_article(1, "Herald", 0), _article(2, "Ledger", 1)]
    second = [_article(3, "Courier", 2), _article(4, "Bulletin", 3)]
    with Store(tmp_path / "cache.sqlite") as store:
        for article in first + second:
            store.add_article(article)
        store.save_stories([
            _story("a", first, centroid={"bridge": 1.0}),
            _story("b", second, post_slug="b-post", centroid={"boats": 1.0}),
        ])  # fmt: skip
        store.save_stories([_story("a", first + second, absorbed=["b"])])

        assert [s.id for s in store.all_stories()] == ["a"]
        assert [s.id for s in store.live_stories(since=T0)] == ["a"]
        assert store.story("a").article_ids == [a.id for a in first + second]
        assert store.story("b").id == "a"  # a merged story's id leads to the one that took it
        (absorbed,) = store.merged_stories()["a"]
        assert (absorbed.id, absorbed.title, absorbed.post_slug) == ("b", "Story b", "b-post")
        assert absorbed.article_ids == []
        centroids = store.db.execute("SELECT story_id FROM centroids").fetchall()
        assert [r["story_id"] for r in centroids] == ["a"]


def test_stories_merged_into_a_story_that_is_merged_in_turn_follow_it(tmp_path: Path) -> None:
    a, b, c = [_article(1, "Herald", 0)], [_article(2, "Ledger", 1)], [_article(3, "Courier", 2)]
    with Store(tmp_path / "cache.sqlite") as store:
        for article in a + b + c:
            store.add_article(article)
        store.save_stories([_story("a", a), _story("b", b), _story("c", c)])
        store.save_stories([_story("b", b + c, absorbed=["c"])])
        store.save_stories([_story("a", a + b + c, absorbed=["b"])])

        assert [s.id for s in store.all_stories()] == ["a"]
        assert [s.id for s in store.merged_stories()["a"]] == ["b", "c"]
        assert store.story("c").id == "a"


def test_a_cache_made_before_merges_gets_the_column_and_keeps_its_stories(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA.replace("    merged_into TEXT", "    unused TEXT"))
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    db.execute("INSERT INTO stories VALUES ('old', 'An old story', ?, ?, 'old-post', NULL)",
               (T0.isoformat(), T0.isoformat()))  # fmt: skip
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.moved_aside is None
        (story,) = store.all_stories()
        assert (story.id, story.post_slug) == ("old", "old-post")


# The cluster stage


def _config(tmp_path: Path) -> Config:
    config_file = tmp_path / "aibot.yaml"
    config_file.write_text(
        "site: {title: Lowmere Today}\n"
        "cluster: {embeddings: 'off', min_sources: 2}\n"
        "writer: {backend: extractive}\n"
    )
    return load_config(config_file)


def _two_stories_and_a_newcomer(
    config: Config, *, post_slug: str | None = None, title: str = "Boats pass the bridge"
) -> tuple[list[Article], list[Article], Article]:
    """Stories "a" (with the post `post_slug`) and "b" saved, and a fifth article stored."""
    first = [_article(1, "Herald", 0), _article(2, "Ledger", 1)]
    second = [_article(3, "Courier", 2), _article(4, "Bulletin", 3)]
    newcomer = _article(5, "Gazette", 4)
    with Store(config.cache_file) as store:
        for article in first + second + [newcomer]:
            store.add_article(article)
        store.save_stories([
            _story("a", first, post_slug=post_slug),
            replace(_story("b", second), title=title),
        ])  # fmt: skip
    return first, second, newcomer


def test_the_cluster_stage_counts_each_merge_and_names_both_stories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    first, second, newcomer = _two_stories_and_a_newcomer(config, post_slug="bridge-reopens")
    with Store(config.cache_file) as store:
        merged = replace(
            _story("a", first + second + [newcomer], post_slug="bridge-reopens"),
            title="Bridge reopens",
            absorbed=["b"],
        )
        monkeypatch.setattr(aibot.cluster.stage, "cluster", lambda *args, **kwargs: [merged])
        report = RunReport(started=T0)
        changed = cluster_stage(config, store, report)
        assert [s.id for s in changed] == ["a"]
        assert [s.id for s in store.all_stories()] == ["a"]
    assert (report.stories_merged, report.stories_grown, report.stories_new) == (1, 1, 0)
    lines = report.lines()
    assert (
        'merged: story "Boats pass the bridge" (no post) is part of "Bridge reopens" '
        "(post bridge-reopens)"
    ) in lines
    assert lines[2].endswith(", 1 merged into another (clustering: TF-IDF)")
    assert RunReport.from_dict(report.to_dict()).merges == report.merges


def test_aibot_cluster_names_each_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path)
    first, second, newcomer = _two_stories_and_a_newcomer(config, title="Boats")
    merged = replace(
        _story("a", first + second + [newcomer]), title="Bridge reopens", absorbed=["b"]
    )
    monkeypatch.setattr(aibot.cluster.stage, "cluster", lambda *args, **kwargs: [merged])

    result = run_cli("cluster", "-c", str(tmp_path / "aibot.yaml"))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "stories   1 in all: 0 new, 1 with new sources, 1 merged into another (clustering: TF-IDF)",
        'merged: story "Boats" (no post) is part of "Bridge reopens" (no post)',
    ]


# The write stage

LOWMERE = [
    ("Herald", 0, "The Lowmere swing bridge reopened to traffic on Monday after eight months of "
     "repairs. Engineers replaced the bridge's main bearing and repainted its steel deck. The "
     "county council said the work cost 4.2 million pounds. Drivers had faced a detour of twelve "
     "miles while the crossing was shut."),
    ("Ledger", 2, "Traders in Lowmere welcomed the reopening of the swing bridge on Monday. Shop "
     "owner Tamsin Rook said trade had fallen by a third during the closure. The county council "
     "confirmed the repairs cost 4.2 million pounds. The bridge carries about nine thousand "
     "vehicles a day."),
    ("Courier", 3, "Boats queued on the River Lowe as the Lowmere swing bridge opened for river "
     "traffic for the first time since March. Harbour master Idris Vane said fourteen vessels "
     "passed through in the first hour. The bridge swings open twice an hour in summer. "
     "Engineers replaced the main bearing during the repairs."),
    ("Bulletin", 5, "Commuters crossed the Lowmere swing bridge on Monday evening for the first "
     "time in eight months. The bus operator Greyline restored its route 6 service across the "
     "river. Council leader Maren Holt said the repairs cost 4.2 million pounds. The detour of "
     "twelve miles is no longer needed."),
]  # fmt: skip
NOW = T0 + timedelta(days=1)


def _two_posts(tmp_path: Path) -> tuple[Config, Store, list[Article], dict[str, Path]]:
    """Two stories of one event, each with a post written by the write stage: {story: file}."""
    config = _config(tmp_path)
    articles = [_article(n, o, h, t) for n, (o, h, t) in enumerate(LOWMERE, 1)]
    store = Store(config.cache_file)
    for article in articles:
        store.add_article(article)
    store.save_stories([_story("a", articles[:2]), _story("b", articles[2:])])
    report = RunReport(started=NOW)
    write_stage(config, store, report, writer=ExtractiveWriter(), now=NOW)
    assert report.posts_written == 2, report.lines()
    posts, _ = load_posts(config.posts_dir)
    return config, store, articles, {p.story_id: p.path for p in posts}


def _merge_and_write(config: Config, store: Store, articles: list[Article]) -> RunReport:
    store.save_stories([_story("a", articles, absorbed=["b"])])
    report = RunReport(started=NOW)
    write_stage(config, store, report, writer=ExtractiveWriter(), now=NOW + timedelta(hours=1))
    return report


def test_two_posts_of_one_story_become_the_older_one_with_the_other_as_an_alias(
    tmp_path: Path,
) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    older, newer = load_post(files["a"]), load_post(files["b"])
    assert older.date < newer.date
    report = _merge_and_write(config, store, articles)
    store.close()

    assert not files["b"].exists()
    (post,) = load_posts(config.posts_dir)[0]
    assert post.path == files["a"] and post.slug == older.slug
    assert post.meta["aliases"] == [newer.slug]
    assert post.source_urls == {a.canonical_url for a in articles}
    assert post.story_id == "a" and post.meta["date"] == older.date
    assert (
        "added [Courier](https://courier.example/news/3) and "
        "[Bulletin](https://bulletin.example/news/4)."
    ) in post.body
    assert (report.posts_merged, report.posts_updated, report.posts_written) == (1, 1, 0)
    assert (
        f"post {newer.slug} merged into {older.slug} (same story): its address forwards there, "
        f"{files['b']} removed"
    ) in report.notes
    assert "1 merged into another" in report.lines()[3]


@pytest.mark.parametrize("how", ["edited by hand", "locked"])
def test_an_absorbed_post_an_editor_changed_is_kept_byte_for_byte_and_reported(
    tmp_path: Path, how: str
) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    newer = files["b"]
    text = newer.read_text()
    if how == "locked":
        text = text.replace("\ndraft: false\n", "\ndraft: false\nlocked: true\n", 1)
    else:
        text = text.replace("\n## ", "\nAn editor's paragraph.\n\n## ", 1)
    newer.write_text(text)
    before = newer.read_bytes()
    report = _merge_and_write(config, store, articles)
    store.close()

    assert newer.read_bytes() == before
    older, kept = load_post(files["a"]), load_post(newer)
    assert kept.slug not in (older.meta.get("aliases") or [])
    assert older.source_urls == {a.canonical_url for a in articles}  # updated as usual
    assert (report.posts_merged, report.posts_kept, report.posts_updated) == (0, 1, 1)
    assert (
        f"story a: posts {kept.slug} and {older.slug} tell one story (stories merged); post "
        f"{kept.slug} was {how} and is kept as it is; merge it by hand: move what you want into "
        f"{older.slug}, list {kept.slug} under its aliases: and delete {newer}"
    ) in report.notes


def test_when_the_older_post_is_edited_the_newer_one_tells_the_story(tmp_path: Path) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    older = files["a"]
    older.write_text(older.read_text().replace("\n## ", "\nAn editor's paragraph.\n\n## ", 1))
    before = older.read_bytes()
    report = _merge_and_write(config, store, articles)
    store.close()

    assert older.read_bytes() == before
    newer = load_post(files["b"])
    assert newer.source_urls == {a.canonical_url for a in articles}
    assert newer.story_id == "a" and not newer.meta.get("aliases")
    assert (report.posts_merged, report.posts_kept, report.posts_updated) == (0, 1, 1)
    assert any(n.startswith("story a: posts ") and "merge it by hand" in n for n in report.notes)


def test_when_every_post_is_edited_none_is_touched_and_each_is_reported(tmp_path: Path) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    for path in files.values():
        path.write_text(path.read_text().replace("\n## ", "\nAn editor's paragraph.\n\n## ", 1))
    before = {story: path.read_bytes() for story, path in files.items()}
    report = _merge_and_write(config, store, articles)
    store.close()

    assert {story: path.read_bytes() for story, path in files.items()} == before
    assert (report.posts_merged, report.posts_kept, report.posts_updated) == (0, 2, 0)
    notes = [n for n in report.notes if n.startswith("story a: posts ")]
    assert len(notes) == 2 and all(
        n.endswith("merge it by hand: keep one post, list the others' slugs under its aliases: "
                   "and delete their files") for n in notes
    )  # fmt: skip


def test_a_published_post_takes_in_a_held_draft_of_its_story(tmp_path: Path) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    held = load_post(files["a"])  # the older post, as if the grounding check had held it
    held.meta["draft"] = True
    seal(held)
    save_post(held)
    report = _merge_and_write(config, store, articles)
    store.close()

    assert not files["a"].exists()
    (post,) = load_posts(config.posts_dir)[0]
    assert post.path == files["b"] and post.meta["aliases"] == [held.slug]
    assert report.posts_merged == 1


def test_an_absorbed_story_without_a_post_only_adds_its_sources(tmp_path: Path) -> None:
    config = _config(tmp_path)
    articles = [_article(n, o, h, t) for n, (o, h, t) in enumerate(LOWMERE, 1)]
    with Store(config.cache_file) as store:
        for article in articles:
            store.add_article(article)
        store.save_stories([_story("a", articles[:2]), _story("b", articles[2:3])])
        write_stage(config, store, RunReport(started=NOW), writer=ExtractiveWriter(), now=NOW)
        report = _merge_and_write(config, store, articles[:3])
    (post,) = load_posts(config.posts_dir)[0]
    assert post.source_urls == {a.canonical_url for a in articles[:3]}
    assert not post.meta.get("aliases")
    assert (report.posts_merged, report.posts_updated, report.notes) == (0, 1, [])


def test_a_merge_cut_short_before_the_file_went_is_finished_by_the_next_run(
    tmp_path: Path,
) -> None:
    config, store, articles, files = _two_posts(tmp_path)
    retired = files["b"].read_bytes()
    _merge_and_write(config, store, articles)
    survivor = files["a"].read_bytes()
    files["b"].write_bytes(retired)  # as if the run had stopped before removing it

    report = RunReport(started=NOW)
    write_stage(config, store, report, writer=ExtractiveWriter(), now=NOW + timedelta(hours=2))
    store.close()
    assert not files["b"].exists()
    assert files["a"].read_bytes() == survivor
    assert (report.posts_merged, report.posts_updated, report.posts_unchanged) == (1, 0, 1)


# The build: old addresses and related links


def test_a_related_link_to_a_merged_post_leads_to_the_post_that_took_it(tmp_path: Path) -> None:
    # Three posts closer to the ferry post than the bridge post is: without its `related:`
    # entry, the build's fill-up would not pick the bridge post.
    ferries = [
        edited_post(
            f"ferry-{n}", f"Ferry timetable {n}", f"Ferry timetable {n} changes.", tags=["ferries"]
        )
        for n in (1, 2, 3)
    ]
    config = edited_site(
        tmp_path,
        edited_post("bridge-reopens", "Bridge reopens", aliases=["boats-pass-the-bridge"]),
        edited_post(
            "ferry-fares", "Ferry fares rise", tags=["ferries"], related=["boats-pass-the-bridge"]
        ),
        *ferries,
    )
    checked = run_cli("check", "-c", str(config))
    assert checked.exit_code == 0 and "0 warnings" in checked.output, checked.output
    assert run_cli("build", "-c", str(config)).exit_code == 0
    page = (tmp_path / "site" / "posts" / "ferry-fares.html").read_text()
    assert 'href="../posts/bridge-reopens.html"' in page
    assert "boats-pass-the-bridge.html" not in page


# The whole pipeline, on the demo: one story written as two posts, then found to be one

STRIKE_LATER = ("northgate-times", "metro-bulletin")  # the strike's two later outlets


def _demo_without(demo: Path, outlet: str) -> list[dict]:
    config_file = demo / "aibot.yaml"
    raw = yaml.safe_load(config_file.read_text())
    every = raw["feeds"]
    raw["feeds"] = [f for f in every if Path(f["url"]).stem != outlet]
    config_file.write_text(yaml.safe_dump(raw, sort_keys=False))
    return every


def _fragmenting_cluster(monkeypatch: pytest.MonkeyPatch, demo: Path) -> dict[str, str]:
    """Run 1's clustering: the port strike as two stories (its first two outlets, its later
    two), without kept centroids; run 2's: the later one absorbed by the first (as the real
    clustering does once it compares them again; this makes sure of it). Returns {fragment:
    story id}."""
    real = aibot.cluster.stage.cluster
    pages = [p for p, story in story_labels(demo).items() if story == "port-strike"]
    later = {(demo / "sample" / p).resolve().as_uri() for p in pages if p.split("/")[1]
             in STRIKE_LATER}  # fmt: skip
    ids: dict[str, str] = {}

    def fragmenting(pool, stories, settings, **kwargs):
        out = real(pool, stories, settings, **kwargs)
        later_ids = {a.id for a in pool if a.url in later}
        by_id = {s.id: s for s in out}
        if "first" not in ids:
            (strike,) = [s for s in out if later_ids & set(s.article_ids)]
            assert len(strike.article_ids) == 4
            first = [i for i in strike.article_ids if i not in later_ids]
            second = [i for i in strike.article_ids if i in later_ids]
            ids.update(first=strike.id, later=second[0], title=strike.title)
            when = {a.id: a.when for a in pool}
            split = [
                replace(strike, article_ids=first, centroid=None,
                        last_seen=max(when[i] for i in first)),
                replace(strike, id=second[0], article_ids=second, centroid=None,
                        first_seen=min(when[i] for i in second),
                        title="Port strike: later reports"),
            ]  # fmt: skip
            return [s for s in out if s is not strike] + split
        if ids["later"] in by_id:
            first, second = by_id[ids["first"]], by_id[ids["later"]]
            one = replace(first, article_ids=first.article_ids + second.article_ids,
                          last_seen=max(first.last_seen, second.last_seen), centroid=None,
                          absorbed=[second.id])  # fmt: skip
            return [one if s is first else s for s in out if s is not second]
        return out

    monkeypatch.setattr(aibot.cluster.stage, "cluster", fragmenting)
    return ids


def _two_strike_posts(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, Path, dict[str, str]]:
    """Run 1 (without one outlet, so that run 2 has new articles): two strike posts. Returns
    (config file, the first fragment's post, the later fragment's post, the fragments' ids)."""
    every = _demo_without(demo, "valley-courier")
    ids = _fragmenting_cluster(monkeypatch, demo)
    config_file = demo / "aibot.yaml"
    first = run_cli("run", "-c", str(config_file))
    assert first.exit_code == 0, first.output
    raw = yaml.safe_load(config_file.read_text())
    raw["feeds"] = every
    config_file.write_text(yaml.safe_dump(raw, sort_keys=False))
    posts, _ = load_posts(demo / "content" / "posts")
    files = {p.story_id: p.path for p in posts}
    return config_file, files[ids["first"]], files[ids["later"]], ids


def test_two_posts_found_to_be_one_story_leave_one_post_and_a_forwarding_page(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file, first, later, ids = _two_strike_posts(demo_dir, monkeypatch)
    first_post, later_post = load_post(first), load_post(later)
    assert first_post.date < later_post.date

    result = run_cli("run", "-c", str(config_file))
    assert result.exit_code == 0, result.output
    assert not later.exists()
    merged = load_post(first)
    assert merged.slug == first_post.slug and merged.meta["aliases"] == [later_post.slug]
    assert merged.source_urls == first_post.source_urls | later_post.source_urls
    assert len(merged.source_urls) == 4
    assert (
        f'merged: story "Port strike: later reports" (post {later_post.slug}) is part of '
        f'"{ids["title"][:70]}" (post {first_post.slug})'
    ) in result.output.splitlines()
    assert (
        f"note: post {later_post.slug} merged into {first_post.slug} (same story): its address "
        f"forwards there, {later} removed"
    ) in result.output
    assert ", 1 merged into another" in result.output

    assert run_cli("build", "-c", str(config_file)).exit_code == 0
    site = demo_dir / "site" / "posts"
    forward = (site / f"{later_post.slug}.html").read_text()
    assert f'content="0; url=../posts/{first_post.slug}.html"' in forward
    assert f"{later_post.slug}.html" not in (site / f"{first_post.slug}.html").read_text()


def test_an_absorbed_post_edited_by_hand_survives_the_merge_untouched(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file, first, later, _ids = _two_strike_posts(demo_dir, monkeypatch)
    later.write_text(later.read_text().replace("\n## ", "\nA paragraph by an editor.\n\n## ", 1))
    before = later.read_bytes()
    later_slug = load_post(later).slug

    result = run_cli("run", "-c", str(config_file))
    assert result.exit_code == 0, result.output
    assert later.read_bytes() == before
    first_post = load_post(first)
    assert later_slug not in (first_post.meta.get("aliases") or [])
    assert (
        f"note: story {first_post.story_id}: posts {later_slug} and {first_post.slug} tell one "
        f"story (stories merged); post {later_slug} was edited by hand and is kept as it is; "
        f"merge it by hand: move what you want into {first_post.slug}, list {later_slug} under "
        f"its aliases: and delete {later}"
    ) in result.output
    assert run_cli("build", "-c", str(config_file)).exit_code == 0
    page = (demo_dir / "site" / "posts" / f"{later_slug}.html").read_text()
    assert "A paragraph by an editor." in page


def test_a_batch_answer_for_a_story_merged_meanwhile_is_not_saved(
    demo_dir: Path, claude_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, url = claude_api
    monkeypatch.setenv("ANTHROPIC_API_KEY", "fake-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    api.batch_polls = 2  # each batch ends in the run after the one that sent it
    config = load_config(configure_claude(demo_dir, batch=True, batch_wait_s=0))
    assert aibot.pipeline.run(config).posts_written == 0
    with Store(config.cache_file) as store:
        ((_batch, requests),) = store.open_batches()
        first, second = (store.story(i) for i in list(requests)[:2])
        whole = first.article_ids + second.article_ids
        store.save_stories([replace(first, article_ids=whole, absorbed=[second.id])])
        urls = {i: a.canonical_url for i in whole for a in store.articles([i])}

    collected = aibot.pipeline.run(config)
    posts = {p.story_id: p for p in _claude_posts(demo_dir)}
    assert collected.posts_written == POSTS_IN_DEMO - 1 == len(posts)
    assert collected.posts_updated == 0  # the absorbed story's answer was dropped
    assert second.id not in posts
    assert posts[first.id].source_urls == {urls[i] for i in first.article_ids}

    updated = aibot.pipeline.run(config)  # the survivor's update, sent by the run before
    assert updated.posts_updated == 1
    post = {p.story_id: p for p in _claude_posts(demo_dir)}[first.id]
    assert post.source_urls == set(urls.values())
