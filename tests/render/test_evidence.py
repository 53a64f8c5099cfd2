"""Evidence links in built posts: citations lead to the supporting sentence of their source (a
text fragment), the Sources list quotes what the post relied on; an edited paragraph, a malformed
entry or a post without evidence falls back as it should."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from aibot.models import Paragraph, Post
from aibot.posts.evidence import paragraph_key
from aibot.posts.files import save_post
from aibot.posts.frontmatter import load_post
from aibot.render.evidence import QUOTE_WORDS, body_with_evidence, quoted_briefly
from aibot.render.fragments import fragment_url
from aibot.render.markdown import markdown_to_html, sources_unindexed
from aibot.render.site import build_site
from tests.helpers.evidence import FARES, VOTE, cache_articles, ferry_post, write_cited_post
from tests.helpers.evidence import courier as courier_article
from tests.helpers.site import NOW, add_post, make_config

GAZETTE = "https://tollan-gazette.test/news/ferry-fares"
COURIER = "https://hill-courier.test/ferry-vote"


def _page(base: Path, post: Post) -> str:
    return (base / "site" / "posts" / f"{post.slug}.html").read_text(encoding="utf-8")


def _citations(page: str) -> list[tuple[str, str]]:
    """(label, href) of each citation in the post's text, in order."""
    found = re.findall(r'<sup class="cite"><a href="([^"]*)"[^>]*>\[(\d+)\]</a></sup>', page)
    return [(label, html.unescape(href)) for href, label in found]


def _quotes(page: str) -> dict[str, list[str]]:
    """Source number -> the sentences its <details> quotes."""
    found = {}
    for number, item in re.findall(r'<li><span id="source-(\d+)"></span>(.*?)</li>', page, re.S):
        block = re.search(r"<details><summary>[^<]+</summary><blockquote>(.*?)</blockquote>", item)
        if block:
            found[number] = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", block[1])]
    return found


def _build(base: Path) -> None:
    report = build_site(make_config(base), now=NOW)
    assert report.ok and not report.problems, report.problems


@pytest.fixture(scope="module")
def ferry_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Post]:
    """The ferry post's page, built without a cache."""
    base = tmp_path_factory.mktemp("evidence")
    post, _ = ferry_post(base, GAZETTE)
    _build(base)
    return _page(base, post), post


def test_each_citation_links_to_the_sentence_that_supports_its_paragraph(ferry_page) -> None:
    page, _ = ferry_page
    assert _citations(page) == [
        ("1", fragment_url(GAZETTE, [FARES])),
        ("1", fragment_url(GAZETTE, [VOTE])),
        ("2", COURIER + "#:~:text=The%20harbour%20council%20voted,fares%20on%20Tuesday%20night."),
    ]


def test_the_sources_list_quotes_what_the_post_relied_on_in_details(ferry_page) -> None:
    page, _ = ferry_page
    quotes = _quotes(page)
    fares_and_vote = (FARES + " " + VOTE).split()[:QUOTE_WORDS]
    assert " ".join(quotes["1"]) == " ".join(fares_and_vote) + "…"
    assert quotes["2"] == [
        "The harbour council voted seven to two for higher ferry fares on Tuesday night."
    ]


def test_the_markdown_file_keeps_its_citations_and_evidence_as_written(ferry_page) -> None:
    _, post = ferry_page
    saved = load_post(post.path)
    assert "[[1]](#source-1)" in saved.body and "text=" not in saved.body
    assert saved.meta["evidence"][paragraph_key(f"{FARES} [[1]](#source-1)")] == [
        {"url": GAZETTE, "sentences": [FARES]}
    ]


def test_an_edited_paragraph_keeps_its_citation_but_links_the_plain_url(tmp_path: Path) -> None:
    post, _ = ferry_post(tmp_path, GAZETTE)
    edited = "Fares on the island ferry go up by a fifth in April. [[1]](#source-1)"
    text = post.path.read_text(encoding="utf-8")
    post.path.write_text(text.replace(f"{FARES} [[1]](#source-1)", edited), encoding="utf-8")
    _build(tmp_path)
    page = _page(tmp_path, post)
    assert "go up by a fifth in April." in page
    assert _citations(page)[:2] == [("1", GAZETTE), ("1", fragment_url(GAZETTE, [VOTE]))]
    assert _quotes(page)["1"] == [VOTE]  # the edited paragraph's sentence is no longer quoted


def test_a_malformed_entry_links_the_plain_url(tmp_path: Path) -> None:
    post, _ = ferry_post(tmp_path, GAZETTE)
    post.meta["evidence"][paragraph_key(f"{FARES} [[1]](#source-1)")] = [
        {"url": GAZETTE, "sentences": "not a list"}
    ]
    save_post(post)
    _build(tmp_path)
    assert _citations(_page(tmp_path, post))[0] == ("1", GAZETTE)


def test_a_post_without_evidence_renders_as_before(tmp_path: Path) -> None:
    body = (
        "Fares rise by a fifth in April. [[1]](#source-1)\n\n## Sources\n\n"
        '1. <span id="source-1"></span>Harbour Gazette: [Fares](https://g.test/fares)\n'
    )
    post = load_post(add_post(tmp_path, "fares-rise", "Fares rise", NOW, body))
    assert body_with_evidence(post) == body
    _build(tmp_path)
    shown = _page(tmp_path, post)
    assert str(sources_unindexed(markdown_to_html(body))) in shown
    assert '<a href="#source-1" aria-label="Source 1">[1]</a>' in shown
    assert "<details>" not in shown


def test_evidence_from_a_page_is_escaped(tmp_path: Path) -> None:
    said = 'The mayor wrote "<script>alert(1)</script>" & left the meeting early on Tuesday.'
    source = courier_article(COURIER)
    source.text = f"{said} Nothing else happened."
    post = write_cited_post(tmp_path, [source], Paragraph(said, [source.id]))
    _build(tmp_path)
    page = _page(tmp_path, post)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _quotes(page)["1"] == [said]
    assert _citations(page) == [("1", fragment_url(COURIER, [said]))]
    assert "wrote%20%22%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22,meeting" in _citations(page)[0][1]


def test_the_cached_text_makes_the_fragment_land_on_the_sentence(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    post, articles = ferry_post(tmp_path, GAZETTE)
    assert articles[0].text.count("Under the plan, fares on the") == 2
    cache_articles(config, articles)
    _build(tmp_path)
    unique = (
        GAZETTE
        + "#:~:text=Under%20the%20plan%2C%20fares%20on%20the%20island,rise%20by%20a%20tenth."
    )
    assert _citations(_page(tmp_path, post))[0] == ("1", unique)

    shutil.rmtree(config.paths.cache)  # the build works without it, with the default range
    _build(tmp_path)
    assert _citations(_page(tmp_path, post))[0] == ("1", fragment_url(GAZETTE, [FARES]))
    assert fragment_url(GAZETTE, [FARES]) != UNIQUE


UNIQUE = (
    GAZETTE + "#:~:text=Under%20the%20plan%2C%20fares%20on%20the%20island,rise%20by%20a%20tenth."
)


def test_a_page_is_built_again_when_the_cache_gains_its_sources_text(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    post, articles = ferry_post(tmp_path, GAZETTE)
    _build(tmp_path)
    assert _citations(_page(tmp_path, post))[0] == ("1", fragment_url(GAZETTE, [FARES]))
    cache_articles(config, articles)  # the post file is unchanged; the cache now has the text
    _build(tmp_path)
    assert _citations(_page(tmp_path, post))[0] == ("1", UNIQUE)


def test_render_workers_read_the_cache_themselves(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    post, articles = ferry_post(tmp_path, GAZETTE)
    cache_articles(config, articles)
    report = build_site(config, now=NOW, processes=2)  # forked workers render the pages
    assert report.ok and not report.problems, report.problems
    assert _citations(_page(tmp_path, post))[0] == ("1", UNIQUE)


def test_an_edit_built_incrementally_gives_what_a_cold_build_gives(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    post, articles = ferry_post(tmp_path, GAZETTE)
    cache_articles(config, articles)
    _build(tmp_path)
    text = post.path.read_text(encoding="utf-8")
    post.path.write_text(text.replace("absent through illness", "away"), encoding="utf-8")
    _build(tmp_path)
    incremental = _page(tmp_path, post)
    shutil.rmtree(tmp_path / "site")
    shutil.rmtree(config.paths.cache / "build")
    _build(tmp_path)
    assert _page(tmp_path, post) == incremental
    assert _citations(incremental)[:2] == [("1", UNIQUE), ("1", GAZETTE)]


def test_the_quotes_follow_a_sources_item_an_editor_wrapped() -> None:
    body = (
        "Fares rise by a fifth in April. [[1]](#source-1)\n\n## Sources\n\n"
        '1. <span id="source-1"></span>Harbour Gazette:\n   [Fares](https://g.test/fares)\n'
        '2. <span id="source-2"></span>Hill Courier: [Vote](https://c.test/vote)\n'
    )
    evidence = {"url": "https://g.test/fares", "sentences": ["Fares rise by a fifth."]}
    sources = [{"url": "https://g.test/fares"}, {"url": "https://c.test/vote"}]
    post = Post(
        meta={
            "sources": sources,
            "evidence": {
                paragraph_key("Fares rise by a fifth in April. [[1]](#source-1)"): [evidence]
            },
        },
        body=body,
    )
    shown = markdown_to_html(body_with_evidence(post))
    assert _quotes(shown) == {"1": ["Fares rise by a fifth."]}
    assert '<a href="https://g.test/fares" rel="noopener noreferrer">Fares</a>\n<details>' in shown


def test_quotes_are_cut_at_a_word_with_an_ellipsis() -> None:
    sentences = ["One two three four.", "Five six seven eight nine ten."]
    assert quoted_briefly(sentences, limit=6) == ["One two three four.", "Five six…"]
    assert quoted_briefly(sentences, limit=4) == ["One two three four."]
    assert quoted_briefly(sentences) == sentences
