"""The editors' contract: slugs, `aibot check`, aliases, the Updates list, related posts with
reasons, `aibot diff`, and the parsed-post index."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot.models import Article, Draft, Paragraph, Post, Review, Section, Story
from aibot.posts.files import _first_sha256, draft_to_post, is_edited, load_posts, save_post
from aibot.posts.frontmatter import load_post, post_from_bytes, post_text
from aibot.posts.index import cached_posts
from aibot.posts.related import RelatedIndex
from aibot.posts.slugs import MAX_SLUG, RESERVED_SLUGS, is_slug, slugify
from tests.conftest import run_cli
from tests.helpers.e2e import add_feed, post_of_story, story_labels, story_of_page
from tests.helpers.editing import T0, edited_post, edited_site

PASSED = Review(status="passed")


# Slugs


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Москва: мэр ушёл в отставку", "moskva-mer-ushel-v-otstavku"),
        ("北京 大雨", "bei-jing-da-yu"),
        ("Zürich – Café “Olé”!", "zurich-cafe-ole"),
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con-story"),
        ("", "story"),
        ("😀 ✨", "story"),
    ],
)
def test_slugs_are_transliterated_ascii_and_safe(title: str, slug: str) -> None:
    assert slugify(title) == slug and is_slug(slug)


def test_a_long_headline_is_cut_on_a_word_boundary_and_a_taken_slug_gets_a_suffix() -> None:
    title = "Regional council approves the long-awaited harbour bridge " * 4
    slug = slugify(title)
    assert len(slug) <= MAX_SLUG and not slug.endswith("-")
    assert all(word in title.lower() for word in slug.split("-"))
    assert slugify(title, [slug]) == f"{slug}-2"
    assert slugify(title, [slug, f"{slug}-2"]) == f"{slug}-3"


def test_reserved_names_and_paths_are_never_slugs() -> None:
    assert not any(is_slug(s) for s in ["index", "tags", "404", "lpt1", "a/b", "..", "A-b", "a--b"])
    assert all(slugify(name) != name for name in RESERVED_SLUGS)


# aibot check


def test_check_warns_with_file_and_line_and_fails_only_on_errors(tmp_path: Path) -> None:
    config = edited_site(
        tmp_path,
        edited_post("one", "One", related=["two", "ghost"], tittle="typo"),
        edited_post("two", "Two", date=datetime(2099, 1, 1, tzinfo=UTC)),
    )
    result = run_cli("check", "-c", str(config))
    assert result.exit_code == 0, result.output
    one = tmp_path / "content" / "posts" / "2026" / "one.md"
    line = next(n for n, t in enumerate(one.read_text().splitlines(), 1) if t == "related:")
    assert f"warning: {one}:{line}: related: no post has the slug 'ghost'" in result.output
    assert "tittle: not a key AiBot knows" in result.output
    assert "date: in the future: published by the first build after 2099-01-01" in result.output
    assert "2 posts ok, 0 with errors, 3 warnings" in result.output
    (tmp_path / "content" / "posts" / "2026" / "bad.md").write_text("---\ntitle: [x\n---\n")
    failed = run_cli("check", "-c", str(config))
    assert failed.exit_code == 1 and re.search(r"error: .*bad\.md:\d+: front matter", failed.output)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("slug: Bad Slug", "slug: expected lowercase letters"),
        ("slug: index", "slug: expected lowercase letters"),
        ("date: next tuesday", "date: expected a date and time"),
        ("aliases: [../up]", "aliases: expected slugs"),
        ("related: {a: 1}", "related: expected a list of text"),
    ],
)
def test_wrong_front_matter_names_the_key_and_line(tmp_path: Path, line: str, message: str) -> None:
    key = line.split(":")[0]
    text = post_text(edited_post("fine", "Fine"))
    text = re.sub(rf"^{key}:.*$", line, text, count=1, flags=re.M)
    if not re.search(rf"^{key}:", text, re.M):
        text = text.replace("title:", f"{line}\ntitle:", 1)
    path = tmp_path / "p.md"
    path.write_text(text)
    posts, errors = load_posts(tmp_path)
    assert not posts and message in str(errors[0])
    expected = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(f"{key}:"))
    assert f"p.md:{expected}:" in str(errors[0])


# Aliases: an editor renames a post's slug


def test_an_old_slug_and_listed_aliases_redirect_to_the_post(tmp_path: Path) -> None:
    renamed = edited_post(
        "new-name", "Renamed", aliases=["older-name"], generator={"slug": "first-name"}
    )
    config = edited_site(tmp_path, renamed, edited_post("live", "Live", aliases=["live"]))
    assert run_cli("build", "-c", str(config)).exit_code == 0
    for old in ("first-name", "older-name"):
        page = (tmp_path / "site" / "posts" / f"{old}.html").read_text()
        assert 'content="0; url=../posts/new-name.html"' in page
        assert 'rel="canonical" href="https://example.org/posts/new-name.html"' in page
    live = (tmp_path / "site" / "posts" / "live.html").read_text()
    assert 'http-equiv="refresh"' not in live  # an alias never replaces a live post


# Stories that update in place


def _article(n: int, outlet: str, when: datetime) -> Article:
    return Article(
        f"https://{outlet.lower()}.example/{n}", outlet, f"Calder Bay strike ends ({n})",
        "Dockworkers in Calder Bay accepted a pay deal on Friday.", when,
    )  # fmt: skip


def _draft(articles: list[Article]) -> Draft:
    text = "Dockworkers in Calder Bay accepted a pay deal on Friday."
    return Draft(
        "Strike ends", "Strike ends.", [Section("Deal", [Paragraph(text, [articles[0].id])])]
    )


def test_an_update_keeps_slug_and_date_and_appends_a_dated_line_each_time() -> None:
    first = [_article(1, "Herald", T0), _article(2, "Ledger", T0)]
    story = Story("s1", [a.id for a in first], "Strike", T0, T0)
    post = draft_to_post(_draft(first), story, first, PASSED, author="AiBot", now=T0)
    assert "## Updates" not in post.body and "updated" not in post.meta
    second = [*first, _article(3, "Courier", T0 + timedelta(hours=5))]
    edited_title = draft_to_post(_draft(second), story, second, PASSED, author="AiBot",
                                 previous=post, now=T0 + timedelta(hours=6))  # fmt: skip
    assert edited_title.slug == post.slug and edited_title.date == post.date
    assert edited_title.meta["updated"] == T0 + timedelta(hours=5)
    assert edited_title.body.rstrip().endswith(
        "## Updates\n\n- 20 November 2026, 14:00 UTC: added [Courier](https://courier.example/3)."
    )
    third = [*second, _article(4, "Bulletin", T0 + timedelta(days=1))]
    again = draft_to_post(_draft(third), story, third, PASSED, author="AiBot",
                          previous=edited_title, now=T0 + timedelta(days=2))  # fmt: skip
    lines = re.findall(r"^- .*$", again.body.split("## Updates")[1], re.M)
    assert lines == [
        "- 20 November 2026, 14:00 UTC: added [Courier](https://courier.example/3).",
        "- 21 November 2026, 09:00 UTC: added [Bulletin](https://bulletin.example/4).",
    ]
    assert again.meta["generator"]["slug"] == post.slug


def test_an_updated_post_keeps_its_feed_entry_id_and_bumps_its_updated_time(
    demo_dir: Path,
) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    extra_feed = next((demo_dir / "sample" / "extra" / "feeds").glob("*.xml"))
    extra_page = next(p for p in story_labels(demo_dir) if p.startswith("extra/"))
    atom_before = (demo_dir / "site" / "atom.xml").read_text()
    add_feed(demo_dir, f"sample/extra/feeds/{extra_feed.name}", "Follow-up desk")
    assert "1 updated" in run_cli("run", "-c", config).output
    post = load_post(post_of_story(demo_dir, story_of_page(demo_dir, extra_page)))
    assert "## Updates" in post.body and "Follow-up desk" in post.body.split("## Updates")[1]
    atom = (demo_dir / "site" / "atom.xml").read_text()
    link = f'href="https://demo.aibot.example/posts/{post.slug}.html"'

    def entry(feed: str) -> str:
        return next(e for e in feed.split("<entry>")[1:] if link in e)

    before, after = entry(atom_before), entry(atom)
    entry_id = re.search(r"<id>(.*?)</id>", before)[1]
    assert re.search(r"<id>(.*?)</id>", after)[1] == entry_id
    assert f"<updated>{post.meta['updated']:%Y-%m-%dT%H:%M:%S}" in after
    old_time = re.search(r"<updated>(.*?)</updated>", before)[1]
    assert old_time < re.search(r"<updated>(.*?)</updated>", after)[1]


# Related posts


def test_related_posts_prefer_shared_names_and_tags_and_say_why() -> None:
    older = edited_post("port-strike", "Calder Bay port strike begins", tags=["labour"],
                  date=T0 - timedelta(days=9))  # fmt: skip
    other = edited_post("rates", "Reserve Board cuts the benchmark rate", tags=["economy"])
    newest = edited_post("port-deal", "Calder Bay dockworkers accept pay deal", tags=["labour"],
                   date=T0 + timedelta(days=1))  # fmt: skip
    index = RelatedIndex([older, other, newest])
    found = index.related(newest, 1)
    assert [r.slug for r in found] == ["port-strike"]
    assert found[0].reason == "also about Calder Bay"
    forward = index.related(older, 3, newer_only=True)
    assert [r.slug for r in forward][:1] == ["port-deal"]
    same = edited_post("port-deal-2", "Follow-up", generator={"story": "s9"})
    first = edited_post(
        "port-deal-1", "First", generator={"story": "s9"}, date=T0 - timedelta(days=1)
    )
    assert RelatedIndex([first, same]).reason(same, first) == "same story, earlier"


def test_an_empty_index_gives_reasons_from_the_posts_as_they_are_now() -> None:
    """The build asks an empty index for every card's reason and keeps each post's names; an
    edited post (the same object) is read again."""
    index = RelatedIndex([])
    older = edited_post("port-strike", "Calder Bay dockworkers strike", tags=["labour"])
    newer = edited_post("port-deal", "Calder Bay dockworkers accept pay deal", tags=["labour"])
    assert index.reason(newer, older) == "also about Calder Bay"
    assert index.reason(newer, older) == "also about Calder Bay"  # from what it kept
    older.meta["title"] = older.meta["summary"] = "Dockworkers strike at the port"
    older.body = "The dockworkers walked out. A paragraph."
    assert index.reason(newer, older) == "also about labour"


def test_the_build_links_old_posts_forward_to_newer_related_ones(demo_dir: Path) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    posts, _ = load_posts(demo_dir / "content" / "posts")
    oldest = min(posts, key=lambda p: p.date)
    assert oldest.meta["related"] == []  # written first: nothing earlier to link to
    page = (demo_dir / "site" / "posts" / f"{oldest.slug}.html").read_text()
    cards = re.findall(
        r'<h3><a href="\.\./posts/([a-z0-9-]+)\.html"', page.split('class="related"')[1]
    )
    reasons = re.findall(r'class="reason">([^<]+)<', page)
    assert len(cards) == 3 and len(reasons) == 3
    newer = {p.slug for p in posts if p.date > oldest.date}
    assert set(cards) & newer  # at least one link forward in time
    assert all(r.startswith(("also about", "same story", "similar story")) for r in reasons)


# aibot diff


def test_diff_shows_an_editors_change_against_what_the_pipeline_would_write(
    demo_dir: Path,
) -> None:
    config = str(demo_dir / "aibot.yaml")
    assert run_cli("run", "-c", config).exit_code == 0
    path = sorted((demo_dir / "content" / "posts").rglob("*.md"))[0]
    text = path.read_text()
    heading = re.search(r"^## .*$", text, re.M)[0]
    path.write_text(text.replace(heading, f"{heading}\n\nAn editor's sentence.", 1))
    result = run_cli("diff", "-c", config, path.stem)
    assert result.exit_code == 0, result.output
    assert "-An editor's sentence." in result.output
    assert f"--- {path} (now)" in result.output and f"+++ {path} (regenerated)" in result.output
    assert path.read_text().count("An editor's sentence.") == 1  # nothing written
    missing = run_cli("diff", "-c", config, "no-such-post")
    assert missing.exit_code == 1


# The parsed-post index


def test_the_index_reuses_unchanged_files_and_reparses_changed_ones(tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    for n in range(3):
        save_post(edited_post(f"p{n}", f"Post {n}"), posts_dir / f"p{n}.md")
    index = tmp_path / "index.json"
    calls: list[Path] = []

    def counting(data: bytes, path: Path) -> Post:
        calls.append(path)
        return post_from_bytes(data, path)

    paths = sorted(posts_dir.glob("*.md"))
    first = cached_posts(paths, index, counting)
    assert len(calls) == 3 and index.exists()
    calls.clear()
    again = cached_posts(paths, index, counting)
    assert calls == [] and [p.meta for p in again] == [p.meta for p in first]
    os.utime(paths[0], ns=(1, 1))  # touched, same bytes: hashed, not parsed
    paths[1].write_text(paths[1].read_text().replace("Post 1", "Post one"))
    result = cached_posts(paths, index, counting)
    assert calls == [paths[1]] and result[1].title == "Post one"
    assert isinstance(result[0].meta["date"], datetime) and result[0].meta["date"] == T0


def test_a_broken_index_is_ignored_and_a_broken_post_is_an_error_not_a_cache_entry(
    tmp_path: Path,
) -> None:
    posts_dir = tmp_path / "posts"
    save_post(edited_post("ok", "Fine"), posts_dir / "ok.md")
    (posts_dir / "bad.md").write_text("---\ntitle: [\n---\n")
    index = tmp_path / "index.json"
    index.write_text("{not json")
    for _ in range(2):
        posts, errors = load_posts(posts_dir, index=index)
        assert [p.slug for p in posts] == ["ok"] and len(errors) == 1
        assert re.search(r"bad\.md:\d+: front matter", str(errors[0]))


# What counts as an edit


@pytest.mark.parametrize(
    ("key", "value"),
    [("title", "New"), ("related", ["x"]), ("slug", "moved"), ("date", T0 + timedelta(days=1)),
     ("aliases", ["old"]), ("draft", True), ("tags", ["z"])],
)  # fmt: skip
def test_changing_any_editorial_field_is_an_edit(key: str, value: object) -> None:
    articles = [_article(1, "Herald", T0)]
    story = Story("s1", [a.id for a in articles], "Strike", T0, T0)
    post = draft_to_post(_draft(articles), story, articles, PASSED, author="AiBot", now=T0)
    assert not is_edited(post)
    post.meta[key] = value
    assert is_edited(post)


def test_a_post_hashed_before_slug_and_related_counted_is_still_unedited() -> None:
    post = edited_post("old-post", "Old post", generator={"story": "s1"})
    post.meta["generator"]["body_sha256"] = _first_sha256(post)
    assert not is_edited(post)
    post.body += "\nAn editor's line."
    assert is_edited(post)


def test_a_new_post_file_gets_the_umasks_mode_and_a_rewrite_keeps_the_editors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.md"
    old = os.umask(0o022)
    try:
        save_post(edited_post("p", "P"), path)
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o664)
        save_post(edited_post("p", "P again"), path)
        assert path.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_a_new_post_never_takes_a_slug_that_still_forwards_to_another(tmp_path: Path) -> None:
    from aibot.write.stage import _taken_slugs

    renamed = edited_post(
        "new-name", "Renamed", aliases=["older"], generator={"slug": "strike-ends"}
    )
    taken = _taken_slugs([renamed])
    assert taken == {"new-name", "older", "strike-ends"}
    assert slugify("Strike ends", taken) == "strike-ends-2"
