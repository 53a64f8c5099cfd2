"""A post written from two made-up sources, with the evidence verify records, for the tests of
evidence links (tests/render/test_evidence.py, tests/system/test_evidence_links.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aibot.collect.extract import extract
from aibot.config import Config
from aibot.models import Article, Draft, Paragraph, Post, Section, Story
from aibot.posts.files import draft_to_post, save_post
from aibot.store import Store
from aibot.write.verify import verify
from tests.conftest import REPO
from tests.helpers.site import NOW

# A long page (the supporting sentence is below the fold) where an earlier sentence starts
# with the same six words as the one a post cites.
GAZETTE_PAGE = REPO / "tests" / "fixtures" / "evidence" / "gazette-ferry.html"
FARES = (
    "Under the plan, fares on the island ferry will rise by a fifth from the first of April, "
    "while season tickets for islanders will rise by a tenth."
)
VOTE = (
    "After the debate, the harbour council voted seven to two in favour of the plan, with one "
    "member absent through illness."
)
COURIER_TEXT = (
    "Hill Courier readers on the island will pay more to cross. "
    "The harbour council voted seven to two for higher ferry fares on Tuesday night. "
    "The operator, Kestle & Daughters, will publish a new timetable next week."
)


def gazette(url: str) -> Article:
    """The Gazette's page at `url`, its text extracted as the collect stage does."""
    page = extract(GAZETTE_PAGE.read_text(encoding="utf-8"), url)
    return Article(
        url,
        "Tollan Harbour Gazette",
        "Island ferry fares to rise as council backs harbour plan",
        page.text,
        NOW - timedelta(days=2),
    )


def courier(url: str = "https://hill-courier.test/ferry-vote") -> Article:
    return Article(
        url, "Hill Courier", "Council backs dearer ferry", COURIER_TEXT, NOW - timedelta(days=1)
    )


def write_cited_post(base: Path, articles: list[Article], *paragraphs: Paragraph) -> Post:
    """The post the pipeline would write for `paragraphs` from `articles` (verified, with its
    evidence), saved under `base`/content/posts."""
    draft = Draft(
        "Island ferry fares rise by a fifth",
        "The harbour council backed dearer crossings.",
        [Section("", list(paragraphs))],
        tags=["Transport"],
        writer="extractive",
    )
    review = verify(draft, articles)
    assert review.status == "passed", review.notes
    story = Story("story-ferry", [a.id for a in articles], draft.title, NOW, NOW)
    post = draft_to_post(draft, story, articles, review, author="Quill", now=NOW)
    save_post(post, base / "content" / "posts" / f"{post.date:%Y}" / f"{post.slug}.md")
    return post


def ferry_post(base: Path, gazette_url: str) -> tuple[Post, list[Article]]:
    """A post citing the Gazette (at `gazette_url`) for the fares and the Courier for the vote."""
    articles = [gazette(gazette_url), courier()]
    post = write_cited_post(
        base,
        articles,
        Paragraph(FARES, [articles[0].id]),
        Paragraph(VOTE, [articles[0].id, articles[1].id]),
    )
    return post, articles


def cache_articles(config: Config, articles: list[Article]) -> None:
    """Put `articles` in the site's cache, as the collect stage leaves them."""
    with Store(config.cache_file) as store:
        for article in articles:
            store.add_article(article)
