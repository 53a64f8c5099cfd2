"""Posts on disk: slugs, front matter round trips, edit detection, errors, Markdown rendering."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aibot.models import Article, Draft, Paragraph, Post, Review, Section, Story
from aibot.posts.files import (
    draft_to_post,
    is_edited,
    is_protected,
    load_posts,
    render_markdown,
    save_post,
)
from aibot.posts.frontmatter import FRONT_MATTER_KEYS, PostError, load_post
from aibot.posts.slugs import MAX_SLUG, slugify
from aibot.render.markdown import markdown_to_html
from aibot.support.files import write_atomically
from tests.helpers.posts import WHEN, make_articles, make_draft


def make_post(taken: tuple[str, ...] = ()) -> Post:
    articles = make_articles()
    draft = make_draft(articles)
    story = Story("story-1", [a.id for a in articles], draft.title, WHEN, WHEN)
    return draft_to_post(
        draft,
        story,
        articles,
        Review(status="passed"),
        author="AiBot",
        taken_slugs=taken,
        now=WHEN + timedelta(days=1),
    )


FRONT = """---
title: Bakery wins county prize
slug: bakery-wins-county-prize
date: 2026-03-02T08:00:00Z
summary: A small bakery on Mill Street took first place.
tags: [food, local]
---

The bakery on Mill Street won first prize.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def post_error(path: Path) -> PostError:
    with pytest.raises(PostError) as caught:
        load_post(path)
    return caught.value


# slugify


def test_slugify_transliterates_to_ascii():
    assert slugify("Zürich café reopens") == "zurich-cafe-reopens"


def test_slugify_is_lowercase_hyphenated_without_punctuation():
    assert slugify("  Storm hits coast: 3 towns flooded!  ") == "storm-hits-coast-3-towns-flooded"


def test_slugify_cuts_long_titles_on_a_word_boundary():
    words = [f"word{n}" for n in range(40)]
    slug = slugify(" ".join(words))
    assert len(slug) <= MAX_SLUG == 80
    assert len(slug) > 60
    assert all(part in words for part in slug.split("-"))
    assert "-".join(words).startswith(slug + "-")


def test_slugify_adds_numbered_suffixes_for_taken_slugs():
    assert slugify("Storm warning") == "storm-warning"
    assert slugify("Storm warning", taken={"storm-warning"}) == "storm-warning-2"
    assert slugify("Storm warning", taken=["storm-warning", "storm-warning-2"]) == (
        "storm-warning-3"
    )


def test_slugify_suffix_keeps_a_long_slug_within_the_limit():
    title = " ".join(["harbour"] * 30)
    base = slugify(title)
    assert len(slugify(title, taken={base})) <= MAX_SLUG


@pytest.mark.parametrize("title", ["index", "Tags", "page", "static", "404", "Sitemap"])
def test_slugify_changes_reserved_names(title):
    slug = slugify(title)
    assert slug != title.lower()
    assert slug.startswith(title.lower())


@pytest.mark.parametrize("title", ["../../etc/passwd", "a/b/../c", "..", "/", "../"])
def test_slugify_never_returns_a_path(title):
    slug = slugify(title)
    assert "/" not in slug
    assert ".." not in slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_slugify_of_a_title_without_letters_is_still_a_slug():
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slugify("!!! ???"))


# Saving and loading


def test_save_and_load_round_trip_keeps_unknown_keys_and_documented_order(tmp_path):
    meta = {
        "editor_note": "checked by the night desk",
        "tags": ["weather"],
        "draft": False,
        "summary": "Gales are expected overnight.",
        "date": datetime(2026, 3, 4, 21, 0, tzinfo=UTC),
        "slug": "gales-expected-overnight",
        "title": "Gales expected overnight",
        "custom": {"priority": 2},
    }
    path = save_post(
        Post(meta=dict(meta), body="Gales are expected.\n"), tmp_path / "2026" / "g.md"
    )
    loaded = load_post(path)
    assert loaded.meta["editor_note"] == "checked by the night desk"
    assert loaded.meta["custom"] == {"priority": 2}
    documented = [k for k in loaded.meta if k in FRONT_MATTER_KEYS]
    assert documented == [k for k in FRONT_MATTER_KEYS if k in meta]
    assert list(loaded.meta)[-2:] == ["editor_note", "custom"]
    assert loaded.body.strip() == "Gales are expected."
    assert loaded.title == "Gales expected overnight"
    assert loaded.date == datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    assert loaded.path == path


def test_saved_front_matter_is_in_documented_key_order(tmp_path):
    post = Post(
        meta={"tags": ["x"], "slug": "order-test", "title": "Order test", "date": WHEN},
        body="Body.",
    )
    text = save_post(post, tmp_path / "o.md").read_text(encoding="utf-8")
    positions = [text.index(f"\n{key}:") for key in ("title", "slug", "date", "tags")]
    assert positions == sorted(positions)


def test_strings_that_look_like_other_types_survive_a_round_trip(tmp_path):
    post = Post(
        meta={
            "title": "Breaking: no",
            "slug": "breaking-no",
            "date": WHEN,
            "summary": "2026-03-14",
            "tags": ["no", "yes", "1.5"],
        },
        body="Body.",
    )
    loaded = load_post(save_post(post, tmp_path / "b.md"))
    assert loaded.title == "Breaking: no"
    assert loaded.meta["summary"] == "2026-03-14"
    assert loaded.tags == ["no", "yes", "1.5"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-03-14T09:30:00Z", datetime(2026, 3, 14, 9, 30, tzinfo=UTC)),
        ("2026-03-14T09:30:00+02:00", datetime(2026, 3, 14, 7, 30, tzinfo=UTC)),
        ("'2026-03-14T09:30:00-05:00'", datetime(2026, 3, 14, 14, 30, tzinfo=UTC)),
        ("2026-03-14", datetime(2026, 3, 14, 0, 0, tzinfo=UTC)),
        ("2026-03-14 09:30:00", datetime(2026, 3, 14, 9, 30, tzinfo=UTC)),
    ],
)
def test_dates_load_as_aware_utc_datetimes(tmp_path, written, expected):
    path = write(tmp_path / "d.md", FRONT.replace("2026-03-02T08:00:00Z", written))
    loaded = load_post(path)
    assert loaded.date == expected
    assert loaded.date.utcoffset() == timedelta(0)
    assert isinstance(loaded.meta["date"], datetime)


def test_saved_dates_are_written_in_utc_with_z(tmp_path):
    moment = datetime(2026, 3, 14, 13, 30, tzinfo=timezone(timedelta(hours=2)))
    post = Post(meta={"title": "T", "slug": "t", "date": moment}, body="B")
    text = save_post(post, tmp_path / "t.md").read_text(encoding="utf-8")
    assert "2026-03-14T11:30:00Z" in text


# The editors' contract


def test_generated_post_is_not_edited():
    post = make_post()
    assert is_edited(post) is False
    assert is_protected(post) is False


def test_generated_post_is_not_edited_after_a_save_and_load(tmp_path):
    post = make_post()
    loaded = load_post(save_post(post, tmp_path / "2026" / f"{post.slug}.md"))
    assert is_edited(loaded) is False


def test_changing_the_body_marks_a_post_edited():
    post = make_post()
    post.body = post.body.replace("Fares rise in April.", "Fares rise in May.")
    assert is_edited(post) is True
    assert is_protected(post) is True


def test_changing_the_title_marks_a_post_edited():
    post = make_post()
    post.meta["title"] = "Ferry fares rise sharply"
    assert is_edited(post) is True


def test_changing_tags_marks_a_post_edited():
    post = make_post()
    post.meta["tags"] = ["transport"]
    assert is_edited(post) is True


def test_locked_post_is_protected_but_not_edited():
    post = make_post()
    post.meta["locked"] = True
    assert is_edited(post) is False
    assert is_protected(post) is True


def test_post_without_generator_counts_as_edited():
    post = Post(meta={"title": "Hand written", "slug": "hand-written", "date": WHEN}, body="Hi")
    assert is_edited(post) is True


def test_draft_to_post_fills_the_documented_keys():
    post = make_post()
    articles = make_articles()
    assert post.slug == "ferry-fares-will-rise-in-april"
    assert post.meta["draft"] is False
    assert post.meta["review"] == {"status": "passed", "notes": []}
    assert post.tags == ["transport", "council"]
    assert [s["url"] for s in post.meta["sources"]] == [a.canonical_url for a in articles]
    assert post.date == articles[1].published
    assert post.meta["generator"]["writer"] == "extractive"
    assert post.story_id == "story-1"


def test_draft_to_post_avoids_taken_slugs():
    assert make_post(taken=("ferry-fares-will-rise-in-april",)).slug == (
        "ferry-fares-will-rise-in-april-2"
    )


def test_flagged_review_makes_a_draft_post():
    articles = make_articles()
    draft = make_draft(articles)
    story = Story("s", [a.id for a in articles], draft.title, WHEN, WHEN)
    post = draft_to_post(
        draft, story, articles, Review("flagged", ["a number"]), author="AiBot", now=WHEN
    )
    assert post.is_draft is True
    assert post.meta["review"]["notes"] == ["a number"]


# Errors


def test_broken_yaml_error_names_the_file_and_line_of_the_bad_line(tmp_path):
    text = (
        "---\n"  # 1
        "title: Bakery wins county prize\n"  # 2
        "slug: bakery-wins-county-prize\n"  # 3
        "date: 2026-03-02T08:00:00Z\n"  # 4
        "summary: Judges said: best loaf\n"  # 5  <- "a: b: c" is invalid
        "tags: [food]\n"  # 6
        "---\n"
        "Body.\n"
    )
    path = write(tmp_path / "broken.md", text)
    error = post_error(path)
    assert error.line == 5
    assert str(error).startswith(f"{path}:5: ")


def test_unclosed_flow_list_error_points_into_the_front_matter(tmp_path):
    text = "---\ntitle: T\nslug: t\ntags: [food, local\ndate: 2026-03-02\n---\nBody.\n"
    error = post_error(write(tmp_path / "list.md", text))
    assert error.line is not None
    assert 4 <= error.line <= 6
    assert str(error).startswith(f"{tmp_path / 'list.md'}:{error.line}: ")


def test_missing_front_matter_is_reported(tmp_path):
    error = post_error(write(tmp_path / "plain.md", "# Just a heading\n\nNo front matter.\n"))
    assert "front matter" in str(error)
    assert error.line == 1


def test_unclosed_front_matter_is_reported(tmp_path):
    error = post_error(write(tmp_path / "open.md", "---\ntitle: T\nslug: t\n"))
    assert "front matter" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        ("slug: bakery-wins-county-prize", "slug: Bakery Wins!", "slug", 3),
        ("slug: bakery-wins-county-prize", "slug: ../../etc/passwd", "slug", 3),
        ("date: 2026-03-02T08:00:00Z", "date: last tuesday", "date", 4),
        ("date: 2026-03-02T08:00:00Z", "date: 42", "date", 4),
        ("tags: [food, local]", "tags: [food, local]\ndraft: sometimes", "draft", 7),
        ("tags: [food, local]", "tags: food", "tags", 6),
        ("title: Bakery wins county prize", "title: ''", "title", 2),
        ("tags: [food, local]", "tags: [food]\nlocked: 'yes'", "locked", 7),
    ],
)
def test_invalid_value_error_names_the_key_and_its_line(tmp_path, old, new, key, line):
    path = write(tmp_path / "bad.md", FRONT.replace(old, new))
    error = post_error(path)
    assert error.message.startswith(f"{key}: ")
    assert error.line == line
    assert str(error).startswith(f"{path}:{line}: {key}: ")


def test_missing_date_is_reported(tmp_path):
    error = post_error(
        write(tmp_path / "nodate.md", FRONT.replace("date: 2026-03-02T08:00:00Z\n", ""))
    )
    assert error.message.startswith("date: ")


def test_load_posts_returns_good_posts_and_the_errors(tmp_path):
    posts_dir = tmp_path / "posts"
    write(posts_dir / "2026" / "a-good.md", FRONT)
    write(posts_dir / "2026" / "b-broken.md", "---\ntitle: [unclosed\n---\nBody\n")
    write(
        posts_dir / "2025" / "older.md",
        FRONT.replace("bakery-wins-county-prize", "older-story"),
    )
    posts, errors = load_posts(posts_dir)
    assert sorted(p.slug for p in posts) == ["bakery-wins-county-prize", "older-story"]
    assert len(errors) == 1
    assert errors[0].path.name == "b-broken.md"


def test_load_posts_reports_duplicate_slugs(tmp_path):
    posts_dir = tmp_path / "posts"
    write(posts_dir / "2026" / "first.md", FRONT)
    write(posts_dir / "2026" / "second.md", FRONT)
    posts, errors = load_posts(posts_dir)
    assert [p.slug for p in posts] == ["bakery-wins-county-prize"]
    assert len(errors) == 1
    assert "bakery-wins-county-prize" in str(errors[0])
    assert "already used" in str(errors[0])


def test_duplicate_slug_error_points_at_the_slug_line(tmp_path):
    posts_dir = tmp_path / "posts"
    text = (
        "---\n"
        "title: Bakery wins county prize\n"
        "date: 2026-03-02T08:00:00Z\n"
        "summary: A small bakery took first place.\n"
        "slug: bakery-wins-county-prize\n"  # line 5
        "---\n"
        "Body.\n"
    )
    write(posts_dir / "2026" / "first.md", text)
    second = write(posts_dir / "2026" / "second.md", text)
    _, errors = load_posts(posts_dir)
    assert len(errors) == 1
    assert errors[0].path == second
    assert errors[0].line == 5


def test_post_saved_with_a_byte_order_mark_loads(tmp_path):
    # Some editors (Windows Notepad) start UTF-8 files with a byte order mark.
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + FRONT.encode("utf-8"))
    assert load_post(path).slug == "bakery-wins-county-prize"


def test_load_posts_of_a_missing_folder_is_empty(tmp_path):
    assert load_posts(tmp_path / "nothing") == ([], [])


# Atomic writes


def test_write_atomically_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "deep" / "post.md"
    write_atomically(target, "first version\n")
    write_atomically(target, "second version\n")
    assert target.read_text(encoding="utf-8") == "second version\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["post.md"]


def test_write_atomically_keeps_unicode(tmp_path):
    target = tmp_path / "u.md"
    write_atomically(target, "Zürich — café\n")
    assert target.read_bytes() == "Zürich — café\n".encode()


# Markdown


def test_render_markdown_has_headings_citations_and_a_sources_list():
    articles = make_articles()
    body = render_markdown(make_draft(articles), articles)
    assert "## What changes" in body
    assert "## The vote" in body
    assert "Fares rise in April. [[1]](#source-1)" in body
    assert "[[2]](#source-2) [[1]](#source-1)" in body
    sources = body[body.index("## Sources") :]
    assert body.rstrip().endswith(sources.rstrip())
    assert '1. <span id="source-1"></span>Harbour Gazette: ' in sources
    assert "(https://harbour.example.org/news/ferry)" in sources
    assert "utm_source" not in body
    assert '2. <span id="source-2"></span>Hill Courier: ' in sources
    assert "(https://hill.example.net/ferry-story)" in sources


def test_render_markdown_escapes_html_and_links_from_sources():
    evil = Article(
        "https://evil.example.com/a",
        "Bad <b>Outlet</b>",
        "<img src=x onerror=alert(1)>",
        "text",
        WHEN,
    )
    draft = Draft(
        title="T",
        summary="S",
        sections=[
            Section(
                "Heading [x](javascript:alert(1))",
                [
                    Paragraph(
                        "See [x](javascript:alert(1)) and <script>alert(2)</script>.", [evil.id]
                    )
                ],
            )
        ],
    )
    body = render_markdown(draft, [evil])
    assert "\\<img src=x onerror=alert(1)\\>" in body
    assert "\\[x\\](javascript:alert(1))" in body
    assert "<img" not in body.replace("\\<img", "")
    assert "<script>" not in body.replace("\\<script>", "")
    html = markdown_to_html(body)
    assert "<img" not in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "onerror=alert(1)" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")


def test_render_markdown_does_not_link_non_web_source_urls():
    odd = Article("javascript:alert(1)", "Odd Outlet", "Odd page", "text", WHEN)
    draft = Draft("T", "S", [Section("H", [Paragraph("A.", [odd.id])])])
    body = render_markdown(draft, [odd])
    assert "](javascript" not in body
    assert "Odd Outlet: Odd page" in body


def test_render_markdown_escapes_a_leading_number_that_would_start_a_list():
    article = make_articles()[0]
    draft = Draft("T", "S", [Section("H", [Paragraph("2026. A year of change.", [article.id])])])
    html = markdown_to_html(render_markdown(draft, [article]))
    assert "<ol" not in html.split("Sources")[0]
