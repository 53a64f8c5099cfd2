"""The offline writer's story structure: a headline that covers the story, a summary that is not
the lede, the event first and in time order, headings that describe their own sections, and a
claim credited to the outlet that made it. The articles are invented for these tests."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import snowballstemmer

from aibot.cluster.stories import cluster
from aibot.collect.junk import is_furniture
from aibot.models import Article, Draft, Story
from aibot.support.text import STOPWORDS
from aibot.write.attribution import attributed, is_claim
from aibot.write.extractive import ExtractiveWriter
from aibot.write.headings import phrase_of
from aibot.write.headline import (
    HEADLINE_MAX_CHARS,
    fitted,
    frames_one_angle,
    main_clause,
    overlap,
    reads_as_headline,
)
from aibot.write.order import BACKGROUND, EVENT, OUTLOOK, QUOTE, REACTION, event_time, kind
from aibot.write.verify import verify

STEM = snowballstemmer.stemmer("english")

GAZETTE = (
    "A chemical tanker ran aground on the Saltmere sandbank near Brackwater early on Monday, "
    "spilling diesel into the estuary and closing the port to shipping.\n\n"
    "The tanker Corvina struck the bank at 4.20am as it left the harbour on a falling tide, the "
    "harbour master said.\n\n"
    "Crews had laid a floating boom around the vessel by 6am, but a sheen of diesel had already "
    "reached the mudflats at Gull Point.\n\n"
    "The spill could cost the mussel farms of the estuary more than $3m this season.\n\n"
    '"We have never seen diesel on these beds before," said Orla Penhallow, who runs the largest '
    'mussel farm on the estuary. "If it settles in the mud, we lose a whole year."\n\n'
    "The Saltmere sandbank has shifted twice since 1998, and pilots have long asked for the "
    "channel to be marked again."
)
POST = (
    "A tanker carrying diesel ran aground off Brackwater on Monday morning, and fuel leaked "
    "into the estuary.\n\n"
    "The Corvina was refloated on the afternoon high tide at about 3pm and towed to a berth "
    "inside the harbour.\n\n"
    "The coastguard said none of the 14 crew members was hurt in the grounding.\n\n"
    "Environmental officers took water samples at six sites along the estuary on Monday "
    "afternoon.\n\n"
    "Port director Ewan Castellane said the harbour would reopen to shipping on Tuesday once "
    "divers had checked the hull of the tanker."
)
RADIO = (
    "Diesel from a grounded tanker has reached the mudflats near Brackwater, where mussel "
    "farmers fear for their harvest.\n\n"
    "The Corvina, which ran aground on the Saltmere sandbank before dawn, was refloated at "
    "about 3pm.\n\n"
    "Councillor Idris Maelor welcomed the speed of the response but called for an inquiry into "
    "why the channel markers on the sandbank had not been moved.\n\n"
    "Harbour officials estimate that about 2,000 litres of diesel escaped from the tanker before "
    "the damaged tank was sealed."
)
SPILL = [
    ("The Fenmoor Gazette", "Why Brackwater wants its channel marked: the sandbank that moves",
     GAZETTE, "2026-03-09T07:30:00+00:00"),
    ("The Brackwater Post", "Tanker runs aground off Brackwater, spilling diesel into estuary",
     POST, "2026-03-09T10:00:00+00:00"),
    ("Estuary Radio", "Tanker aground at Brackwater: 5 things we know so far",
     RADIO, "2026-03-09T16:00:00+00:00"),
]  # fmt: skip


def _articles(rows) -> list[Article]:
    return [
        Article(
            url=f"https://outlet{n}.example/story-{n}",
            source=source,
            title=title,
            text=text,
            published=datetime.fromisoformat(when),
        )
        for n, (source, title, text, when) in enumerate(rows)
    ]


def _write(rows, **options) -> tuple[Draft, list[Article]]:
    articles = _articles(rows)
    story = Story("spill", [a.id for a in articles], "spill", articles[0].when, articles[-1].when)
    return ExtractiveWriter(**options).write(story, articles), articles


def _stems(text: str) -> set[str]:
    tokens = re.findall(r"[a-z0-9][a-z0-9'’.$%-]*[a-z0-9%]|[a-z0-9]", text.lower())
    return {STEM.stemWord(t) for t in tokens if t not in STOPWORDS}


def _demo_drafts(demo_articles) -> list[tuple[Draft, list[Article]]]:
    articles, _ = demo_articles
    by_id = {a.id: a for a in articles}
    out = []
    for story in cluster(articles):
        sources = [by_id[i] for i in story.article_ids]
        if len({a.source for a in sources}) >= 2:
            out.append((ExtractiveWriter().write(story, sources), sources))
    return out


# --- headline --------------------------------------------------------------------------------


def test_the_headline_is_the_central_source_headline_not_an_angle() -> None:
    draft, _ = _write(SPILL)
    # The Gazette's "Why …:" and the radio's "5 things" frame one angle each.
    assert draft.title == "Tanker runs aground off Brackwater, spilling diesel into estuary"


def test_with_only_angled_headlines_the_headline_is_the_lede_compressed() -> None:
    rows = [(s, t, x, w) for s, t, x, w in SPILL]
    rows[1] = (rows[1][0], "What we know about the Brackwater tanker?", rows[1][2], rows[1][3])
    draft, _ = _write(rows)
    lede = draft.sections[0].paragraphs[0].text
    assert draft.title != lede and len(draft.title) <= HEADLINE_MAX_CHARS
    assert lede.startswith(draft.title), (draft.title, lede)
    assert not frames_one_angle(draft.title)


def test_a_boilerplate_headline_is_never_chosen() -> None:
    furniture = "Add Brackwater Post as an interest to stay up to date on the latest news"
    assert is_furniture(furniture)
    rows = [(s, furniture if n else t, x, w) for n, (s, t, x, w) in enumerate(SPILL)]
    draft, _ = _write(rows)
    assert "interest" not in draft.title and len(draft.title) <= HEADLINE_MAX_CHARS


def test_a_long_headline_is_cut_before_a_preposition_or_left_out() -> None:
    long = (
        "Tanker carrying thousands of litres of diesel runs aground on the shifting Saltmere "
        "sandbank near Brackwater during a falling tide"
    )
    assert len(long) > HEADLINE_MAX_CHARS
    assert fitted(long) == "Tanker carrying thousands of litres of diesel runs aground"
    assert (
        fitted("Brackwaterharbourmasterandcoastguardjointstatementonthegroundingoftanker" * 2)
        is None
    )


def test_angles_are_recognised() -> None:
    for title in (
        "Why Quillon wants Arvex: two chips, one supplier",
        "Opinion: the estuary deserved better",
        "5 things we know about the spill",
        "Is the channel safe?",
        "Tanker aground: what it means for the mussel farms",
    ):
        assert frames_one_angle(title), title
    assert not frames_one_angle("Brackwater flood: hundreds spend night in rest centres")
    assert not frames_one_angle("Tanker runs aground off Brackwater")


def test_a_title_cut_short_or_page_furniture_is_no_headline() -> None:
    for title in (
        "BRACKWATER |",
        "Crews worked on the stranded tanker into the evening of",
        "CLOSE Diesel from a grounded tanker has reached the mudflats",
        "Breaking News Emails Get breaking news alerts and special reports",
        "In this Monday, March 9, 2026 file photo the tanker Corvina lies on the sandbank",
    ):
        assert not reads_as_headline(title), title
    assert reads_as_headline("Tanker runs aground off Brackwater")


def test_the_main_clause_leaves_out_an_opening_phrase() -> None:
    assert (
        main_clause(
            "Speaking at the harbour on Monday, the port director said divers would check the hull."
        )
        == "the port director said divers would check the hull"
    )
    assert main_clause("King Halvard, who opened the port in 1998, visited the estuary.") == (
        "King Halvard"
    )


def test_demo_headlines_fit_and_are_never_furniture(demo_articles) -> None:
    for draft, _ in _demo_drafts(demo_articles):
        assert 0 < len(draft.title) <= HEADLINE_MAX_CHARS, draft.title
        assert not is_furniture(draft.title) and not frames_one_angle(draft.title), draft.title


# --- lede and summary ------------------------------------------------------------------------


def test_the_summary_is_not_the_lede() -> None:
    draft, articles = _write(SPILL)
    lede = draft.sections[0].paragraphs[0].text
    assert draft.summary != lede
    assert overlap(draft.summary, lede) < 0.8
    assert verify(draft, articles).status == "passed", verify(draft, articles).notes


def test_demo_summaries_are_not_their_ledes(demo_articles) -> None:
    for draft, _ in _demo_drafts(demo_articles):
        lede = draft.sections[0].paragraphs[0].text
        assert draft.summary != lede and overlap(draft.summary, lede) < 0.8, draft.title


# --- order -----------------------------------------------------------------------------------


def test_events_come_first_and_in_the_order_they_happened() -> None:
    draft, _ = _write(SPILL, target_words=(200, 300))
    text = draft.text()
    lede = draft.sections[0].paragraphs[0].text
    assert text.startswith(lede) and "Monday" in lede
    at = {key: text.find(key) for key in ("4.20am", "by 6am", "about 3pm", "Monday afternoon")}
    present = [k for k in ("4.20am", "by 6am", "about 3pm", "Monday afternoon") if at[k] >= 0]
    assert len(present) >= 3, text
    assert [at[k] for k in present] == sorted(at[k] for k in present), text
    quote = text.find("We have never seen diesel")
    background = text.find("has shifted twice since 1998")
    if quote >= 0:
        assert quote > max(at[k] for k in present), text
    if background >= 0 and quote >= 0:
        assert background > quote, text


def test_sentence_kinds_and_times() -> None:
    monday = datetime.fromisoformat("2026-03-09T10:00:00+00:00")
    assert kind("The tanker struck the bank at 4.20am on a falling tide.") == EVENT
    assert kind('"We lose a whole year," said Orla Penhallow.') == QUOTE
    assert kind("Councillor Idris Maelor welcomed the speed of the response, he said.") == REACTION
    assert kind("The sandbank has shifted twice since 1998.") == BACKGROUND
    assert kind("The harbour is expected to reopen next Tuesday.") == OUTLOOK
    assert event_time("struck the bank at 4.20am", monday) == monday.replace(hour=4, minute=20)
    assert event_time("refloated at about 3pm", monday) == monday.replace(hour=15)
    assert event_time("samples taken on Monday afternoon", monday) == monday.replace(hour=15)
    assert event_time("winds on Saturday night", monday) == monday.replace(day=7, hour=22)
    assert event_time("the samples were taken", monday) is None


# --- headings --------------------------------------------------------------------------------


def _check_headings(draft: Draft) -> None:
    assert draft.sections[0].heading == ""  # the headline stands right above the lede
    headings = [s.heading for s in draft.sections[1:]]
    assert len(headings) == len(set(headings)), headings
    for section in draft.sections[1:]:
        size = len(section.heading.split())
        assert 3 <= size <= 8, section.heading
        body = _stems(" ".join(p.text for p in section.paragraphs))
        own = _stems(section.heading)
        assert own and own <= body, (section.heading, own - body)


def test_headings_describe_their_own_section() -> None:
    for target in ((200, 300), (250, 400)):
        _check_headings(_write(SPILL, target_words=target)[0])


def test_demo_headings_describe_their_own_sections(demo_articles) -> None:
    drafts = _demo_drafts(demo_articles)
    assert sum(len(d.sections) >= 2 for d, _ in drafts) >= len(drafts) // 2
    for draft, _ in drafts:
        _check_headings(draft)


def test_a_heading_is_a_phrase_never_a_bare_keyword() -> None:
    assert phrase_of("Power Supplies.") is None
    assert phrase_of("Storm Jessa hit the coast.") == "Storm Jessa hit the coast"
    assert phrase_of("The Saltmere Sandbank near Brackwater and Gull Point.") is None
    assert (
        phrase_of("About 900 people work at the plant on the Marram Road industrial estate.")
        == "About 900 people work at the plant"
    )
    assert phrase_of("The harbour master said the tanker struck the bank at 4.20am.") == (
        "Tanker struck the bank at 4.20am"
    )
    assert phrase_of('"We lose a whole year," said Orla Penhallow.') is None
    assert phrase_of("He expected a small pick-up in trade at the port.") is None


# --- attribution -----------------------------------------------------------------------------


def test_an_uncorroborated_claim_names_the_outlet_once() -> None:
    draft, articles = _write(SPILL, target_words=(250, 400))
    text = draft.text()
    claim = "The spill could cost the mussel farms of the estuary more than $3m this season"
    assert claim in text
    assert f"{claim}, The Fenmoor Gazette reported." in text
    for paragraph in (p for s in draft.sections for p in s.paragraphs):
        assert paragraph.text.count(" reported.") <= 1, paragraph.text
        # already attributed: not credited again
        assert not re.search(
            r"\b(?:said|estimate)\b[^.]*, the [A-Z]\w+ \w+ reported", paragraph.text
        )
    assert verify(draft, articles).status == "passed", verify(draft, articles).notes


@pytest.mark.parametrize(
    ("sentence", "claim"),
    [
        ("The spill could cost the farms $3m.", True),
        ("The harbour is expected to reopen on Tuesday.", True),
        ("Port director Ewan Castellane said the harbour would reopen.", False),
        ("Harbour officials estimate that 2,000 litres escaped.", False),
        ("According to the coastguard, the crew may be questioned.", False),
        ("The tanker was refloated at 3pm.", False),
        ("It will report its results in May.", False),
        ("The council declared that it would appeal.", False),
    ],
)
def test_claims_are_told_from_facts_and_from_attributed_sentences(sentence, claim) -> None:
    assert is_claim(sentence) is claim


def test_attribution_is_added_before_the_full_stop_and_not_to_quotations() -> None:
    assert (
        attributed("The spill could cost the farms $3m.", "The Fenmoor Gazette")
        == "The spill could cost the farms $3m, The Fenmoor Gazette reported."
    )
    assert attributed("Crews may stay for a week.", "Estuary Radio") == (
        "Crews may stay for a week, Estuary Radio reported."
    )
    assert attributed("Reviews of the plan may not be kind .", "Estuary Radio") == (
        "Reviews of the plan may not be kind, Estuary Radio reported."
    )
    assert attributed("The tanker was refloated at 3pm.", "Estuary Radio") == (
        "The tanker was refloated at 3pm."
    )
