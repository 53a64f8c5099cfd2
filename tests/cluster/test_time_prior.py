"""With embeddings, a full text's bar grows with the span of the story it would join: the morning
after, a report joins; days after the story began, a report close in words starts a story of its
own (most often the same people's next event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.cluster.stories import cluster
from aibot.models import Article

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPENING = (
    "Mayor Ida Vance opened the Kestrel Bridge in Port Alder on Monday, three years after work "
    "began and 40 million over budget. Crowds walked across the span before it opened to "
    "traffic at noon, and the mayor thanked engineers who rebuilt the river piers after the "
    "floods of the first winter. Businesses in Fernhill, on the far bank, said they hoped the "
    "crossing would bring customers who had stayed away during the long closure of the ferry."
)
FOLLOW_UP = (
    "Mayor Ida Vance said the Kestrel Bridge in Port Alder would get a second footpath after "
    "crowds on the span forced stewards to close it for an hour. Engineers who built the river "
    "piers said the bridge could carry a wider path, and businesses in Fernhill welcomed the "
    "plan, saying the crossing had brought customers back after the long closure of the ferry."
)
# Stand-ins for sentence embeddings: the follow-up means much the same as the opening (cosine
# 0.7, as related reports of one event score with the packaged model).
OPENING_MEANING = [1.0, 0.0, 0.0]
FOLLOW_UP_MEANING = [0.7, 0.714, 0.0]


def _article(outlet: str, title: str, text: str, hours: float) -> Article:
    return Article(
        f"https://{outlet}.example/{hours}", outlet, title, text, T0 + timedelta(hours=hours)
    )


def _stories_after(hours: float) -> tuple[list, Article, Article]:
    first = _article("portalderpost", "Mayor Vance opens Kestrel Bridge", OPENING, 0)
    second = _article("rivernews", "Kestrel Bridge opens to crowds", OPENING, 1)
    later = _article("fernhillfm", "Kestrel Bridge to get second footpath", FOLLOW_UP, hours)
    articles = [first, second, later]
    meanings = {first.id: OPENING_MEANING, second.id: OPENING_MEANING, later.id: FOLLOW_UP_MEANING}
    earlier = cluster([first, second], embeddings=meanings)
    return cluster(articles, earlier, embeddings=meanings), first, later


def _together(stories, one: Article, other: Article) -> bool:
    return any({one.id, other.id} <= set(s.article_ids) for s in stories)


def test_a_report_the_morning_after_joins_the_story() -> None:
    stories, first, later = _stories_after(20)
    assert _together(stories, first, later)


def test_a_report_close_in_words_days_after_the_story_began_starts_its_own() -> None:
    stories, first, later = _stories_after(60)
    assert not _together(stories, first, later)
