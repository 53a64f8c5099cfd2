"""Which passages of long sources the model reads: leads first, then what is new, within budget."""

from __future__ import annotations

from datetime import UTC, datetime

from aibot.models import Article
from aibot.write.passages import GAP, select_passages, tokens

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
REPEAT = "Officials said the harbour strike in Calder Bay was over after talks on Friday."


def _article(n: int, paragraphs: list[str]) -> Article:
    return Article(
        f"https://x.example/{n}", f"Outlet {n}", f"Title {n}", "\n\n".join(paragraphs), WHEN
    )


def test_sources_that_fit_are_passed_whole() -> None:
    articles = [_article(1, ["Short lead.", "Second paragraph."]), _article(2, ["Another."])]
    assert select_passages(articles, 2_000) == [a.text for a in articles]


def test_over_budget_each_lead_is_kept_and_a_late_unique_fact_beats_repetition() -> None:
    one = [f"Lead one: the Calder Bay strike ended on Friday after {n} days." for n in (11,)]
    one += [REPEAT] * 40 + ["The port authority put the cost of the strike at £48m."]
    two = ["Lead two: dockworkers voted to accept the pay offer."] + [REPEAT] * 40
    chosen = select_passages([_article(1, one), _article(2, two)], 400)
    assert sum(tokens(t) for t in chosen) <= 400
    assert chosen[0].startswith("Lead one") and chosen[1].startswith("Lead two")
    assert "£48m" in chosen[0]
    assert chosen[0].count(REPEAT) + chosen[1].count(REPEAT) <= 2
    assert GAP in chosen[0] and GAP in chosen[1]


def test_passages_keep_their_order_within_a_source() -> None:
    paragraphs = [f"Paragraph {n} says the vote count was {1000 + n} to {n}." for n in range(60)]
    (text,) = select_passages([_article(1, paragraphs)], 300)
    numbers = [int(p.split()[1]) for p in text.split("\n\n") if p != GAP]
    assert numbers == sorted(numbers) and numbers[0] == 0 and len(numbers) < 60


def test_one_huge_paragraph_is_cut_at_sentence_ends() -> None:
    huge = " ".join(f"Sentence {n} reports figure {n * 7}." for n in range(2_000))
    (text,) = select_passages([_article(1, [huge])], 500)
    assert tokens(text) <= 500
    assert all(p == GAP or p.endswith(".") for p in text.split("\n\n"))
