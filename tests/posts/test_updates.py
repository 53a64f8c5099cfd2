"""What an update added: `updates:` front matter, the linked Updates list, the line under the
byline and in feed entries, and posts from before `updates:` existed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import feedparser
import html5lib
from hypothesis import given, settings
from hypothesis import strategies as st

from aibot.models import Article, Draft, Paragraph, Post, Review, Section, Story
from aibot.posts.files import draft_to_post
from aibot.posts.frontmatter import load_post, post_from_bytes, post_text
from aibot.posts.updates import Update, is_web, latest_update, recorded_updates, update_html
from aibot.render.markdown import markdown_to_html
from aibot.render.site import build_site
from fuzz.invariants import executable_constructs
from tests.conftest import run_cli
from tests.helpers.pages import BODY, NOW, ferry_post, small_config

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PASSED = Review(status="passed")


def _article(url: str, outlet: str, when: datetime, text: str = "") -> Article:
    text = text or "Dockworkers in Calder Bay accepted a pay deal on Friday."
    return Article(url, outlet, "Calder Bay strike ends", text, when)


def _draft(articles: list[Article], changes: list[Paragraph] | None = None) -> Draft:
    paragraph = Paragraph("Dockworkers in Calder Bay accepted a pay deal on Friday.",
                          [articles[0].id])  # fmt: skip
    return Draft("Strike ends", "Strike ends.", [Section("Deal", [paragraph])],
                 changes=changes or [])  # fmt: skip


FIRST = [_article("https://herald.example/1", "Herald", T0),
         _article("https://ledger.example/2", "Ledger", T0)]  # fmt: skip
STORY = Story("s1", [a.id for a in FIRST], "Strike", T0, T0)


def _first_post() -> Post:
    return draft_to_post(_draft(FIRST), STORY, FIRST, PASSED, author="AiBot", now=T0)


def _updated(previous: Post, added: list[Article], changes: list[Paragraph] | None = None) -> Post:
    articles = [*FIRST, *added]
    return draft_to_post(_draft(articles, changes), STORY, articles, PASSED, author="AiBot",
                         previous=previous, now=T0 + timedelta(days=1))  # fmt: skip


def _updates_list(body: str) -> list[str]:
    return re.findall(r"^- .*$", body.split("## Updates")[1], re.M)


def _parse(path: Path) -> Element:
    return html5lib.parse(
        path.read_text(encoding="utf-8"), treebuilder="etree", namespaceHTMLElements=False
    )


def _text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _byline_update(page: Path) -> Element:
    (line,) = [p for p in _parse(page).iter("p") if "update" in (p.get("class") or "").split()]
    return line


# Recording an update


def test_an_update_records_what_it_added_and_the_updates_list_links_each_source() -> None:
    url = "https://pier.example/news/3?a=1&b=(2)"
    added = _article(url, "Pier *Post* [late]", T0 + timedelta(hours=5))
    post = _updated(_first_post(), [added])
    at = T0 + timedelta(hours=5)
    entry = {"at": at, "added": [{"outlet": "Pier *Post* [late]", "url": url}]}
    assert post.meta["updates"] == [entry]
    assert post.meta["updated"] == at
    assert _updates_list(post.body) == [
        r"- 20 November 2026, 14:00 UTC: added [Pier \*Post\* \[late\]]"
        r"(https://pier.example/news/3?a=1&b=%282%29)."
    ]
    html = markdown_to_html(post.body.split("## Updates")[1])
    (link,) = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False).iter("a")
    assert link.get("href") == "https://pier.example/news/3?a=1&b=%282%29"
    assert link.text == "Pier *Post* [late]"
    again = post_from_bytes(post_text(post).encode(), Path("p.md"))  # as the next run reads it
    assert recorded_updates(again) == recorded_updates(post)
    assert latest_update(again).added == (("Pier *Post* [late]", url),)


def test_an_update_notes_a_changed_figure_only_when_it_rests_on_a_source_it_adds() -> None:
    added = _article("https://bulletin.example/3", "Bulletin", T0 + timedelta(hours=5))
    changes = [
        Paragraph("The deal now covers 2,400 workers, up from 2,300.", [added.id]),
        Paragraph("Ships will berth on Saturday, not Sunday.", [FIRST[0].id]),  # old news
    ]
    post = _updated(_first_post(), [added], changes)
    assert post.meta["updates"][-1]["note"] == "The deal now covers 2,400 workers, up from 2,300."
    assert _updates_list(post.body) == [
        "- 20 November 2026, 14:00 UTC: added [Bulletin](https://bulletin.example/3). "
        "The deal now covers 2,400 workers, up from 2,300."
    ]
    without = _updated(_first_post(), [added], changes[1:])
    assert "note" not in without.meta["updates"][-1]


def test_without_updates_front_matter_the_linked_list_is_read_back_as_plain_lines() -> None:
    added = _article("https://pier.example/3", "Pier *Post* [late]", T0 + timedelta(hours=5))
    post = _updated(_first_post(), [added])
    del post.meta["updates"]  # an editor deleted it
    (update,) = recorded_updates(post)
    assert update == Update(T0 + timedelta(hours=5), (), "added Pier *Post* [late].")


def test_an_entry_an_editor_dated_with_a_day_only_reads_as_the_start_of_that_day() -> None:
    post = _first_post()
    post.meta["updates"] = [{"at": date(2026, 11, 21), "note": "Corrected the fare."}]
    assert latest_update(post) == Update(
        datetime(2026, 11, 21, tzinfo=UTC), (), "Corrected the fare."
    )


def test_each_update_adds_an_entry_and_keeps_those_before() -> None:
    second = _updated(_first_post(), [_article("https://a.example/3", "Courier", T0)])
    later = T0 + timedelta(hours=20)
    third = draft_to_post(
        _draft([*FIRST, *(a := [_article("https://a.example/3", "Courier", T0),
                                _article("https://b.example/4", "Bulletin", later)])]),
        STORY, [*FIRST, *a], PASSED, author="AiBot", previous=second, now=later,
    )  # fmt: skip
    assert [u["added"] for u in third.meta["updates"]] == [
        [{"outlet": "Courier", "url": "https://a.example/3"}],
        [{"outlet": "Bulletin", "url": "https://b.example/4"}],
    ]
    assert len(_updates_list(third.body)) == 2


def test_an_untrusted_url_an_editor_typed_is_named_but_never_linked() -> None:
    previous = _first_post()
    previous.meta["updates"] = [{
        "at": "2026-11-20T10:00:00Z",
        "added": [{"outlet": "<b>Evil</b>", "url": "javascript:alert(1)"},
                  {"outlet": "Data", "url": "data:text/html,<script>x</script>"}],
    }]  # fmt: skip
    post = _updated(previous, [_article("https://c.example/5", "Courier", T0)])
    first_line = _updates_list(post.body)[0]
    assert first_line == r"- 20 November 2026, 10:00 UTC: added \<b\>Evil\</b\> and Data."
    html = markdown_to_html(post.body)
    assert "javascript:" not in html and "data:" not in html and "<b>" not in html
    # the editor's entry is kept as written, the new one follows
    assert post.meta["updates"][0] == previous.meta["updates"][0]


# Pages and feeds


def test_the_page_shows_the_latest_update_under_the_byline_with_links(tmp_path: Path) -> None:
    ferry_post(
        tmp_path, "ferry-fares-rise",
        updated=datetime(2026, 3, 11, 15, 30, tzinfo=UTC),
        updates=[
            {"at": "2026-03-10T12:00:00Z", "added": [{"outlet": "Hill Courier",
                                                      "url": "https://c.test/first"}]},
            {"at": "2026-03-11T15:30:00Z",
             "added": [{"outlet": "Harbour Gazette", "url": "https://g.test/later"},
                       {"outlet": "<i>Evil</i>", "url": "javascript:alert(1)"}],
             "note": "The fare is now £5, up from £4."},
        ],
    )  # fmt: skip
    report = build_site(small_config(tmp_path), now=NOW)
    assert report.ok, report.problems
    line = _byline_update(tmp_path / "site" / "posts" / "ferry-fares-rise.html")
    assert _text(line) == (
        "Updated 11 March 2026, 15:30 UTC: added Harbour Gazette and <i>Evil</i>. "
        "The fare is now £5, up from £4."
    )
    assert [a.get("href") for a in line.iter("a")] == ["https://g.test/later"]
    assert [t.get("datetime") for t in line.iter("time")] == ["2026-03-11T15:30:00Z"]
    feed = feedparser.parse((tmp_path / "site" / "atom.xml").read_bytes())
    assert feed.bozo == 0
    (entry,) = feed.entries
    assert entry.summary == (
        "Fares rise by a fifth. Updated 11 March 2026, 15:30 UTC: added Harbour Gazette and "
        "<i>Evil</i>. The fare is now £5, up from £4."
    )
    content = entry.content[0].value
    assert (
        '<a href="https://g.test/later">Harbour Gazette</a> and &lt;i&gt;Evil&lt;/i&gt;' in content
    )
    assert "javascript:" not in content


def test_an_old_post_with_only_the_markdown_list_renders_and_keeps_its_lines(
    tmp_path: Path,
) -> None:
    legacy_line = "- 11 March 2026, 15:30 UTC: added 1 report(s) from Hill Courier, Pier Post."
    path = ferry_post(tmp_path, "ferry-fares-rise", body=f"{BODY}\n## Updates\n\n{legacy_line}\n",
                      updated=datetime(2026, 3, 11, 15, 30, tzinfo=UTC))  # fmt: skip
    report = build_site(small_config(tmp_path), now=NOW)
    assert report.ok, report.problems
    page = tmp_path / "site" / "posts" / "ferry-fares-rise.html"
    assert _text(_byline_update(page)) == (
        "Updated 11 March 2026, 15:30 UTC: added 1 report(s) from Hill Courier, Pier Post."
    )
    (body,) = [d for d in _parse(page).iter("div") if d.get("class") == "body"]
    (listed,) = body.findall("ul/li")
    assert _text(listed) == legacy_line[2:]
    # The next update writes the old line into `updates:` as it was and adds its own.
    old = load_post(path)
    story = Story("s9", [], "Ferry", T0, T0)
    sources = [_article(s["url"], s["outlet"], T0) for s in old.meta["sources"]]
    added = _article("https://quay.example/9", "Quay Times", T0 + timedelta(days=1))
    new = draft_to_post(_draft([*sources, added]), story, [*sources, added], PASSED,
                        author="Quill", previous=old, now=T0 + timedelta(days=2))  # fmt: skip
    assert new.meta["updates"][0] == {
        "at": datetime(2026, 3, 11, 15, 30, tzinfo=UTC),
        "note": "added 1 report(s) from Hill Courier, Pier Post.",
    }
    assert _updates_list(new.body) == [
        legacy_line,
        "- 21 November 2026, 09:00 UTC: added [Quay Times](https://quay.example/9).",
    ]


def test_check_names_the_line_of_an_updates_entry_it_cannot_read(tmp_path: Path) -> None:
    path = ferry_post(tmp_path, "ferry-fares-rise", updates=[{"at": "next week"}])
    config = tmp_path / "aibot.yaml"
    config.write_text('site: {title: Test}\nfeeds: [{url: "https://wire.example.org/rss.xml"}]\n')
    result = run_cli("check", "-c", str(config))
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if t == "updates:")
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {path}:{line}: updates: entry 1 is not {{at: <date and time>, added: "
        "[{outlet, url}], note: <text>}; left out"
    ) in result.output
    report = build_site(small_config(tmp_path), now=NOW)  # the post is still published
    assert report.ok and (tmp_path / "site" / "posts" / "ferry-fares-rise.html").is_file()


# Hostile text: an outlet's name, a URL and a note written by a feed, a page or a model

HOSTILE = (
    "[x](javascript:alert(1))", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "www.evil.example", "https://evil.example/x", "~~struck~~", "- ", "1. ", "---", "`", "*",
    "_", "](", ")", "[", "]", "\\", "&amp;", "<", ">", '"', "\n", "東京",
)  # fmt: skip
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=8).map(
    "".join
)
urls = st.sampled_from([
    "https://g.example/a", "https://h.example/a?x=<b>&y=(1)", "http://i.example/a b]c",
    "javascript:alert(1)", "data:text/html,<script>x</script>", "//evil.example/x", "x", "",
])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(outlet=hostile_text, url=urls, note=hostile_text)
def test_what_an_update_says_never_becomes_markup_or_a_link_but_to_its_source(
    outlet: str, url: str, note: str
) -> None:
    previous = _first_post()
    previous.meta["updates"] = [
        {"at": "2026-11-20T10:00:00Z", "added": [{"outlet": outlet, "url": url}], "note": note}
    ]
    post = _updated(previous, [_article("https://c.example/5", "Courier", T0)])
    hosts = {"c.example"} | ({urlsplit(url).hostname} if is_web(url) else set())
    listed = markdown_to_html(post.body.split("## Updates")[1])
    for html, allowed in ((listed, {"ul", "li", "a"}), (update_html(recorded_updates(post)[0]),
                                                       {"p", "strong", "a"})):  # fmt: skip
        assert not executable_constructs(html), html
        root = html5lib.parseFragment(
            html, container="div", treebuilder="etree", namespaceHTMLElements=False
        )
        for element in root.iter():
            if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
                continue
            assert element.tag in allowed, (element.tag, html)
            href = element.get("href")
            if element.tag == "a" and not (href or "").startswith("mailto:"):
                assert urlsplit(href).hostname in hosts, (href, html)
