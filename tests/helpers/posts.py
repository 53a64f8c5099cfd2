"""Articles and drafts made up for tests of post files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.models import Article, Draft, Paragraph, Section

WHEN = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def make_articles() -> list[Article]:
    return [
        Article(
            "https://harbour.example.org/news/ferry?utm_source=rss",
            "Harbour Gazette",
            "Ferry fares to rise in spring",
            "The island ferry will cost 2,300 pence more per season. Fares rise in April.",
            WHEN,
            canonical_url="https://harbour.example.org/news/ferry",
        ),
        Article(
            "https://hill.example.net/ferry-story",
            "Hill Courier",
            "Council backs ferry price rise",
            "Councillors voted 7-2 for the rise. The operator welcomed the vote.",
            WHEN + timedelta(hours=2),
        ),
    ]


def make_draft(articles: list[Article]) -> Draft:
    first, second = articles
    return Draft(
        title="Ferry fares will rise in April",
        summary="The island ferry gets dearer after a council vote.",
        sections=[
            Section(
                "What changes",
                [Paragraph("Fares rise in April.", [first.id])],
            ),
            Section(
                "The vote",
                [Paragraph("Councillors voted 7-2 for the rise.", [second.id, first.id])],
            ),
        ],
        tags=["transport", "council"],
        writer="extractive",
    )
