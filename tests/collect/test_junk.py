"""Junk never becomes news: furniture lines, junk pages and shared boilerplate, on a corpus
written for these tests (tests/fixtures/junk/), item by item."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aibot.collect.junk import (
    KINDS,
    is_furniture,
    junk_kind,
    junk_reason,
    without_furniture,
    without_widget,
)
from aibot.collect.shared import boilerplate_copy, paragraph_hash, shared_paragraphs
from aibot.models import Article

CORPUS = Path(__file__).parents[1] / "fixtures" / "junk"


def _lines(name: str) -> list[str]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _pages(name: str) -> list[dict[str, str]]:
    return yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))


FURNITURE = _lines("furniture.txt")
NEWS_SENTENCES = _lines("news_sentences.txt")
JUNK_PAGES = _pages("junk_pages.yaml")
NEWS_PAGES = _pages("news_pages.yaml")


def test_the_corpus_has_the_size_the_issue_asks_for() -> None:
    assert len(FURNITURE) >= 60 and len(NEWS_SENTENCES) >= 60
    assert len(JUNK_PAGES) >= 40 and len(NEWS_PAGES) >= 40
    assert {page["kind"] for page in JUNK_PAGES} == set(KINDS)


@pytest.mark.parametrize("line", FURNITURE)
def test_a_furniture_line_is_furniture(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize("sentence", NEWS_SENTENCES)
def test_a_news_sentence_that_looks_like_furniture_is_not(sentence: str) -> None:
    assert not is_furniture(sentence)
    assert without_furniture(sentence) == sentence


@pytest.mark.parametrize("page", JUNK_PAGES, ids=lambda p: f"{p['kind']}:{p['text'][:30]}")
def test_a_junk_page_is_junk_of_its_kind(page: dict[str, str]) -> None:
    reason = junk_reason(page["text"], page["title"])
    assert reason is not None
    assert reason.split(":")[0] == page["kind"]


@pytest.mark.parametrize("page", NEWS_PAGES, ids=lambda p: p["title"][:40])
def test_a_news_page_is_not_junk(page: dict[str, str]) -> None:
    assert junk_reason(page["text"], page["title"]) is None
    assert without_furniture(page["text"]) == page["text"]


def test_the_reason_names_the_kind_and_quotes_the_page() -> None:
    reason = junk_reason("Sorry, the page you requested was not found.", "The Harbour Gazette")
    assert reason == "error page: “Sorry, the page you requested was not found.”"
    long = (
        "Starting in 1996, Alexa Internet has been donating their crawl data to the Internet "
        "Archive."
    )
    assert junk_reason(long) == (
        "archive notice: “Starting in 1996, Alexa Internet has been donating their…”"
    )
    assert junk_reason("A short text.", "Page not found | Valley Courier") == (
        "error page: title “Page not found | Valley Courier”"
    )


def test_an_error_title_over_a_long_article_is_not_enough() -> None:
    body = " ".join(f"The harbour board met for the {n}th time on dredging." for n in range(20))
    assert junk_reason(body, "404") is None


def test_one_junk_sentence_in_a_long_article_leaves_it_news() -> None:
    news = [
        f"Ferry crews in Saltby worked through night {n} to clear the slipway." for n in range(8)
    ]
    prompt = "Sign up for our daily newsletter to get the day's top stories in your inbox."
    body = "\n".join([*news, prompt])
    assert junk_reason(body, "Slipway cleared") is None
    assert "newsletter" not in without_furniture(body)


def test_without_furniture_takes_lines_and_sentences_and_keeps_the_rest() -> None:
    text = (
        "The council approved the budget on Monday. Read more: Council budget explained\n\n"
        "Image caption The mayor at the vote\n\n"
        "Council tax will rise by 4.9 percent. More than 2,000 people signed up to speak.\n\n"
        "Advertisement\n\n"
        "Add Ines Valcourt as an interest to stay up to date with the latest Ines Valcourt news."
    )
    assert without_furniture(text) == (
        "The council approved the budget on Monday.\n\n"
        "Council tax will rise by 4.9 percent. More than 2,000 people signed up to speak."
    )


def test_a_galleries_controls_and_title_go_and_the_news_run_into_them_stays() -> None:
    widget = (
        "1 of 10 Full Screen Autoplay Close Skip Ad × The moment the Saltmarsh Star ran aground"
    )
    news = "Coastguard crews towed the ferry back to Brackwater, said harbour master Ines Valcourt."
    assert without_widget(f"{widget} View Photos {news}") == news
    assert without_widget(f"{widget} View Photos") == ""
    assert without_furniture(f"The pier shut. {widget} View Photos {news}") == (
        f"The pier shut. {news}"
    )
    # Near misses: controls' words at the start of news, and no gallery control among them.
    for sentence in ("Close to 300 cars were towed.", "Next Previous Close the gate, he said."):
        assert without_widget(sentence) == sentence


def test_a_label_run_into_the_text_goes_and_the_news_after_it_stays() -> None:
    assert without_widget("Story highlights The ferry ran aground off Saltmere") == (
        "The ferry ran aground off Saltmere"
    )
    assert without_widget("EMBED More News Videos Crowds gathered outside the courthouse.") == (
        "Crowds gathered outside the courthouse."
    )
    assert without_widget("Story highlights of the season included a late winner.") == (
        "Story highlights of the season included a late winner."
    )
    text = (
        "Media playback is unsupported on your device Media caption Orla Brennick reports\n"
        "Breaking News Emails Get breaking news alerts and special reports.\n"
        "Story highlights The ferry ran aground off Saltmere on the night before the vote\n"
        "Coastguard crews towed the ferry back to Brackwater on Sunday."
    )
    assert without_furniture(text) == (
        "The ferry ran aground off Saltmere on the night before the vote\n"
        "Coastguard crews towed the ferry back to Brackwater on Sunday."
    )


def test_junk_kind_needs_the_reader_addressed() -> None:
    assert junk_kind("We use cookies to improve your experience.") == "consent wall"
    assert junk_kind("The regulator fined the retailer over its cookie banners.") is None
    assert junk_kind("You always have the option to delete your Tweet location history.") == (
        "social widget"
    )
    assert junk_kind("The company deleted location history from old posts in 2019.") is None
    assert junk_kind("Get the latest headlines delivered to your inbox.") == "newsletter prompt"
    assert junk_kind("The newsletter has 40,000 readers.") is None


def test_added_in_the_passive_names_no_speaker() -> None:
    notice = "Flowing in every day, these data are added to the Wayback Machine after an embargo."
    assert junk_kind(notice) == "archive notice"
    assert junk_kind("Crawls are added to the Wayback Machine, the curator added.") is None


def test_a_sentence_naming_its_speaker_is_never_junk() -> None:
    assert not is_furniture("Sign up now, the minister said, before the scheme closes.")
    assert not is_furniture("We can't find the missing hikers, the ranger said.")


# --- shared text: syndication or boilerplate ---------------------------------------------

NOTICE = (
    "The Harbour Network is a partnership of regional newsrooms funded by readers and the "
    "Lindqvist Foundation, and every story it publishes is free to read and to republish."
)
WIRE = (
    "Engineers reopened the Old Mill canal lock on Tuesday after six weeks of repairs to its "
    "storm-damaged gates, the waterways authority said. Boats queued at both ends of the lock."
)


def _article(source: str, title: str, text: str) -> Article:
    return Article(url=f"https://{source}.example/{abs(hash(title))}", source=source,
                   title=title, text=text)  # fmt: skip


def test_a_wire_story_under_two_headlines_is_syndication() -> None:
    one = _article("one", "Canal lock reopens", WIRE)
    two = _article("two", "Storm-damaged gates repaired as Old Mill lock opens again", WIRE)
    assert not boilerplate_copy(two, one)


def test_the_same_text_under_unrelated_headlines_is_boilerplate() -> None:
    one = _article("one", "Ferry fares to rise in spring", NOTICE)
    two = _article("two", "Senator resigns over expenses", NOTICE)
    assert boilerplate_copy(two, one)
    same_outlet = _article("one", "Senator resigns over expenses", NOTICE)
    assert not boilerplate_copy(same_outlet, one)


def test_a_paragraph_under_three_unrelated_headlines_from_two_outlets_is_boilerplate() -> None:
    digest = paragraph_hash(NOTICE)
    seen = {digest: [("a1", "One", "Ferry fares to rise in spring"),
                     ("a2", "Two", "Senator resigns over expenses")]}  # fmt: skip
    assert shared_paragraphs(seen, "Two", "Vineyard harvest begins early") == {digest}
    # Two headlines are not yet enough, nor three on one outlet.
    assert shared_paragraphs(seen, "One", "Senator resigns over expenses") == set()
    alone = {digest: [("a1", "One", "Ferry fares to rise"), ("a2", "One", "Senator resigns")]}
    assert shared_paragraphs(alone, "One", "Vineyard harvest begins early") == set()


def test_a_quotation_several_outlets_carry_about_one_event_is_not_boilerplate() -> None:
    quote = paragraph_hash('"We will rebuild the gates before winter," the authority said.')
    seen = {quote: [("a1", "One", "Canal lock reopens after storm repairs"),
                    ("a2", "Two", "Old Mill canal lock reopens")]}  # fmt: skip
    assert shared_paragraphs(seen, "Three", "Boats return as canal lock reopens") == set()


# --- the offline writer never picks furniture -----------------------------------------------

STORIES = Path(__file__).parents[1] / "fixtures" / "summarize_stories.json"


def test_the_extractive_writer_never_picks_furniture_as_headline_lede_or_paragraph() -> None:
    import json

    from aibot.models import Story
    from aibot.support.text import sentences
    from aibot.write.extractive import ExtractiveWriter

    raw = json.loads(STORIES.read_text(encoding="utf-8"))["flood"]
    # Furniture that speaks of the story, placed where the writer looks first.
    furniture = [
        "Add Mill Street flood as an interest to stay up to date with the latest Mill Street "
        "flood news, video, and analysis from Vale Evening News.",
        "Image caption A burst water main flooded more than 40 homes on Mill Street in Ashby Vale.",
        "Sign up for our Ashby Vale newsletter to get every Mill Street update in your inbox.",
    ]
    articles = [
        Article(
            url=r["url"],
            source=r["source"],
            # One outlet's headline is a web-archive notice.
            title=(
                "Starting in 1996, Alexa Internet has been donating their crawl data to the "
                "Internet Archive"
                if n == 0
                else r["title"]
            ),
            text="\n\n".join([*furniture, r["text"]]),
        )
        for n, r in enumerate(raw)
    ]
    story = Story("flood", [a.id for a in articles], "flood", articles[0].when, articles[0].when)
    draft = ExtractiveWriter().write(story, articles)
    assert "Alexa" not in draft.title and not is_furniture(draft.title)
    assert not is_furniture(draft.summary)
    chosen = [s for section in draft.sections for p in section.paragraphs
              for s in sentences(p.text)]  # fmt: skip
    assert chosen and not any(is_furniture(s) for s in chosen)
    assert not any(f[:40] in draft.text() for f in furniture)


def test_one_junk_phrase_inside_a_paragraph_takes_only_its_sentence() -> None:
    paragraph = (
        "The council published the minutes on Monday. Starting in 1996, Alexa Internet has been "
        "donating their crawl data to the Internet Archive. Councillors will vote in March."
    )
    assert without_furniture(paragraph) == (
        "The council published the minutes on Monday. Councillors will vote in March."
    )
    caption = "Image caption The mayor opened the bridge. She cut the ribbon."
    assert without_furniture(f"{caption}\nThe bridge cost 2 million pounds.") == (
        "The bridge cost 2 million pounds."
    )


@pytest.mark.parametrize(
    "line", ["A" * 5000, "Aa " * 2000, "A." * 2500, ". " * 2500, '"' * 3000, "Getty " * 1000]
)
def test_a_hostile_headline_is_judged_in_linear_time(line: str) -> None:
    """Feeds are untrusted: a pattern that backtracks on a long run of capitals (a credit line's
    up to five names, once with an optional separator) would stall the whole run."""
    import threading

    verdicts: list[bool] = []
    worker = threading.Thread(target=lambda: verdicts.append(is_furniture(line)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert verdicts, "is_furniture did not finish in 20 s"
