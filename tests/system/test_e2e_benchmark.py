"""The helpers of benchmarks/e2e_news.py on tiny invented data (the benchmark itself is not run
here): outlets and times, headlines, the served pages and feeds, posts mapped back to stories."""

from __future__ import annotations

import random
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot.collect.feeds import parse_feed
from aibot.models import Article, Draft, Paragraph, Post, Section
from aibot.posts.files import render_markdown, save_post
from tests.conftest import script_module

e2e = script_module("benchmarks/e2e_news.py")
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _document(story: str, outlet: int, hour: float, text: str, path: str) -> object:
    return e2e.Document(
        story=story,
        text=text,
        outlet=outlet,
        published=START + timedelta(hours=hour),
        path=path,
        headline=e2e.headline(text),
        byline="Tamsin Oakridge",
    )


def test_a_storys_documents_go_to_different_outlets() -> None:
    sizes = [2, 5, 12, 3, 1]
    outlets = e2e.assign_outlets(sizes, 12, random.Random(3))
    assert [len(o) for o in outlets] == sizes
    assert all(len(set(o)) == len(o) for o in outlets)
    assert all(0 <= k < 12 for o in outlets for k in o)
    assert outlets == e2e.assign_outlets(sizes, 12, random.Random(3))


def test_a_story_larger_than_the_outlets_is_refused() -> None:
    with pytest.raises(ValueError, match="a story has 13 documents but there are 12 outlets"):
        e2e.assign_outlets([2, 13], 12, random.Random(1))


def test_publication_times_stay_in_the_window_and_start_with_the_first_document() -> None:
    times = e2e.publication_times([1, 4, 9] * 20, START, random.Random(5), hours=40)
    end = START + timedelta(hours=40)
    for story in times:
        assert all(START <= t <= end for t in story)
        assert story[0] == min(story)
    firsts = [story[0] for story in times]
    assert max(firsts) - min(firsts) > timedelta(hours=20)  # spread, not bunched


def test_headline_is_the_first_real_sentence_cut_to_twelve_words() -> None:
    text = (
        "Photo: Brannock Pier at dawn\n\n"
        "1 of 4. Harbour pilots in the town of Brannock voted on Tuesday to end a strike that "
        "kept ferries in port for nine days. The vote was close."
    )
    assert e2e.headline(text) == "Harbour pilots in the town of Brannock voted on Tuesday to end"
    assert e2e.headline("Short one.") == "Short one."


def test_the_server_shows_items_published_by_its_clock_and_escapes_the_page() -> None:
    first = "Kelda Vossberg opened the new Brannock ferry terminal on Monday."
    hostile = "Ferries leave <b>every hour</b> from the pier & the quay."
    documents = [
        _document("s1", 0, 1, f"{first}\n\n{hostile}", "/a/news/1.html"),
        _document(
            "s2", 0, 5, "Rain delayed the Tollerby\x08 marathon by two hours.", "/a/news/2.html"
        ),
        _document("s2", 1, 6, "The Tollerby marathon started late after rain.", "/b/news/3.html"),
    ]
    server = e2e.NewsServer(documents, clock=START + timedelta(hours=5))
    with server.serving():
        feed_bytes = urllib.request.urlopen(server.feed_url(0)).read()
        page = urllib.request.urlopen(server.base + "a/news/1.html").read().decode()
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(server.base + "a/news/9.html")
    assert b"\x08" not in feed_bytes  # not allowed in XML 1.0
    feed = parse_feed(feed_bytes, server.feed_url(0))
    assert not feed.problems
    # Newest first, and the item published after the clock (hour 6, outlet 1's) is not listed.
    assert [e.url for e in feed.entries] == [
        server.base + p for p in ("a/news/2.html", "a/news/1.html")
    ]
    assert [e.published for e in feed.entries] == [d.published for d in documents[1::-1]]
    assert feed.entries[1].title == first
    assert f"<h1>{first}</h1>" in page
    assert f"<p>{first}</p>" in page
    assert (
        "<p>Ferries leave &lt;b&gt;every hour&lt;/b&gt; from the pier &amp; the quay.</p>" in page
    )
    assert '<meta property="article:published_time" content="2026-03-02T07:00:00Z">' in page


def test_post_prose_is_the_drafts_text_without_headings_citations_or_sources() -> None:
    articles = [
        Article(url=f"https://outlet{k}.example/pier", source=f"Outlet {k}", title="Pier",
                text="Pilots voted.", published=START)
        for k in (1, 2)
    ]  # fmt: skip
    draft = Draft(
        title="Pier",
        summary="Ferries return.",
        sections=[
            Section(
                "The vote",
                [
                    Paragraph(
                        "1. Pilots voted [narrowly] to end the *strike*.",
                        [articles[0].id, articles[1].id],
                    )
                ],
            ),
            Section(
                "What next",
                [Paragraph("Ferries sail again from www.brannock.example.", [articles[1].id])],
            ),
        ],
        disagreements=["Outlet 1 says nine days, Outlet 2 says ten."],
    )
    body = render_markdown(draft, articles)
    assert e2e.post_prose(body) == draft.text()


def test_posts_map_back_to_stories_and_the_figures_follow(tmp_path: Path) -> None:
    base = "http://127.0.0.1:9/"
    archive = "Starting in 1996, Alexa Internet has been donating their crawl data."
    documents = [
        _document("s1", 0, 1, "Pilots in Brannock voted to end the strike today.", "/a/1.html"),
        _document("s1", 1, 2, "The Brannock pilots' strike ended after a vote.", "/b/2.html"),
        _document("s2", 2, 3, "Rain delayed the Tollerby marathon by two hours.", "/c/3.html"),
        _document("s2", 3, 4, archive, "/d/4.html"),
        _document("s3", 0, 5, "A comet was seen over Easthollow on Friday night.", "/a/5.html"),
        _document("s3", 2, 6, "Easthollow skywatchers saw a bright comet.", "/c/6.html"),
    ]
    story_of_url = {base.rstrip("/") + d.path: d.story for d in documents}

    def post(slug: str, paths: list[str]) -> None:
        sources = [{"id": p, "outlet": "x", "url": base.rstrip("/") + p} for p in paths]
        meta = {"title": slug, "slug": slug, "date": START, "sources": sources}
        save_post(Post(meta, "## A\n\nPilots voted. [[1]](#source-1)\n"), tmp_path / f"{slug}.md")

    post("strike", ["/a/1.html", "/b/2.html"])
    post("strike-again", ["/b/2.html", "/a/1.html", "/c/3.html"])  # mostly s1, not pure
    post("marathon", ["/c/3.html", "/d/4.html"])  # draws on junk
    (tmp_path / "broken.md").write_text("no front matter\n")
    views, unreadable = e2e.post_views(tmp_path, story_of_url)
    assert sorted(v.story for v in views) == ["s1", "s1", "s2"]
    assert [v.prose for v in views] == ["Pilots voted."] * 3
    assert len(unreadable) == 1 and "broken.md" in unreadable[0]
    junk = {d.path for d in documents if e2e.is_junk(d.text)}
    assert junk == {"/d/4.html"}
    figures = e2e.story_figures(views, documents, junk, base)
    assert figures.posts == 3
    assert figures.one_story == pytest.approx(200 / 3)
    assert figures.stories_with_post == pytest.approx(200 / 3)  # s1 and s2 of three
    assert figures.clean_stories_with_post == pytest.approx(50.0)  # s1 of s1, s3 (s2: junk)
    assert figures.split_stories == pytest.approx(100 / 3)  # s1 shown twice
    assert figures.junk_posts == 1
    grouping = {base.rstrip("/") + "/a/5.html": "x1", base.rstrip("/") + "/c/6.html": "x2"}
    lines = e2e.explanation(views, documents, junk, base, grouping)
    assert "  strike-again.md: s1 x2, s2 x1" in lines
    assert "  marathon.md: 1 of 2 sources junk; stories ['s2']" in lines
    assert "  s1: strike-again.md, strike.md" in lines  # posts are read in path order
    assert lines[-1] == "  s3: 2 (0), 2, 2"  # two documents, both collected, in two stories


def test_a_long_article_carrying_one_widget_line_is_not_junk() -> None:
    widget = "Add Kelda Vossberg as an interest to stay up to date."
    assert e2e.junk_marker(widget) == "interest widget"
    assert e2e.is_junk(widget)
    article = widget + "\n" + "The ferry terminal opened on time. " * 40
    assert e2e.junk_marker(article) == "interest widget"
    assert not e2e.is_junk(article)
