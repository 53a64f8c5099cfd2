"""The offline writer on the demo sample and on invented fixture stories: grounded, cited,
readable drafts - a lede, sections under headings drawn from their content, no repeats, no
dangling pronouns, whole quotations, the length asked for."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot.cluster.stories import cluster
from aibot.models import Article, Draft, Story
from aibot.support.text import sentences, words
from aibot.write.extractive import (
    ExtractiveWriter,
    _density,
    _novelty,
    _Unit,
    clean_headline,
    news_sources,
    scored_units,
    units_of,
)
from aibot.write.headline import headline
from aibot.write.standalone import resolve_time
from aibot.write.verify import verify

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summarize_stories.json"
# The labels the writer used before headings were drawn from the content.
FIXED_HEADINGS = {"what happened", "what they said", "key details", "background"}
FULL_DATE = re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [A-Z][a-z]+")
PART_OF_DAY = re.compile(r"\bthe (?:morning|afternoon|evening|night) of [A-Z]")
LEANING = re.compile(r"^[\"“]?(He|She|They|It|His|Her|Their|This|These|Those|But|And)\b")


def _stories(demo_articles):
    articles, _ = demo_articles
    by_id = {a.id: a for a in articles}
    return [(s, [by_id[i] for i in s.article_ids]) for s in cluster(articles)]


def _multi_source(demo_articles):
    return [(s, a) for s, a in _stories(demo_articles) if len({x.source for x in a}) >= 2]


def _fixture(key: str) -> tuple[Story, list[Article]]:
    raw = json.loads(FIXTURE.read_text())[key]
    articles = [
        Article(
            url=r["url"],
            source=r["source"],
            title=r["title"],
            text=r["text"],
            published=datetime.fromisoformat(r["published"]),
        )
        for r in raw
    ]
    story = Story(key, [a.id for a in articles], key, articles[0].when, articles[-1].when)
    return story, articles


def _posted_words(article: Article) -> int:
    """Words of the article with its relative time words resolved in full."""
    said = [s for line in article.text.split("\n") for s in sentences(line)]
    return sum(len((resolve_time(s, article.published, "UTC").text or s).split()) for s in said)


def _size(draft: Draft) -> int:
    return len(draft.text().split())


def _days_added(draft: Draft) -> int:
    """Words that days given in full add to a draft beyond the words counted while picking."""
    text = draft.text()
    return 2 * len(FULL_DATE.findall(text)) + 2 * len(PART_OF_DAY.findall(text))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _paragraph_sentences(draft: Draft):
    for section in draft.sections:
        for paragraph in section.paragraphs:
            yield section, paragraph, sentences(paragraph.text)


def _source_position(sentence: str, article: Article) -> int:
    """Index of the article's sentence that `sentence` was made from: the one sharing most of
    its words (a posted sentence may have its time words resolved or its outlet named)."""
    own = [set(words(s)) for line in article.text.split("\n") for s in sentences(line)]
    mine = set(words(sentence))
    alike = [len(mine & s) / (len(mine | s) or 1) for s in own]  # Jaccard: a copy scores 1
    best = max(range(len(own)), key=alike.__getitem__)
    assert alike[best] >= 0.6, sentence
    return best


def _all_drafts(demo_articles, **options):
    pairs = _multi_source(demo_articles) + [_fixture("flood"), _fixture("library")]
    return [(ExtractiveWriter(**options).write(s, a), a) for s, a in pairs]


# --- the existing contract -----------------------------------------------------------------


def test_every_draft_cites_only_its_own_sources_and_passes_verification(demo_articles) -> None:
    for story, sources in _stories(demo_articles):
        draft = ExtractiveWriter().write(story, sources)
        ids = {a.id for a in sources}
        assert draft.sections, story.title
        for section in draft.sections:
            assert section.heading or section is draft.sections[0]
            for paragraph in section.paragraphs:
                assert paragraph.sources and set(paragraph.sources) <= ids
        assert verify(draft, sources).status == "passed", verify(draft, sources).notes


def test_multi_source_drafts_draw_on_several_outlets_within_budget(demo_articles) -> None:
    multi = [(s, a) for s, a in _stories(demo_articles) if len({x.source for x in a}) >= 3]
    assert multi
    for story, sources in multi:
        draft = ExtractiveWriter(word_budget=300).write(story, sources)
        assert len(set(draft.source_ids())) >= 2, story.title
        assert 150 <= len(draft.text().split()) <= 360
        assert 0 < len(draft.title) <= 90
        assert draft.summary != draft.sections[0].paragraphs[0].text


def test_no_sentence_is_repeated_and_none_dangles(demo_articles) -> None:
    for story, sources in _stories(demo_articles):
        draft = ExtractiveWriter().write(story, sources)
        chosen = [x for p in draft.text().split("\n\n") for x in sentences(p)]
        assert len(chosen) == len(set(chosen))
        for paragraph in (p for s in draft.sections for p in s.paragraphs):
            assert not re.match(r"(He|She|They|It|But|And)\b", paragraph.text), paragraph.text


def test_tags_come_from_the_feeds(demo_articles) -> None:
    feed_tags = defaultdict(set)
    for story, sources in _stories(demo_articles):
        draft = ExtractiveWriter().write(story, sources)
        for article in sources:
            feed_tags[story.id].update(article.tags)
        assert draft.tags and set(draft.tags) <= feed_tags[story.id]


def test_clean_headline_drops_the_outlet_suffix() -> None:
    assert clean_headline("Port reopens - The Ledger Daily", "The Ledger Daily") == "Port reopens"
    assert clean_headline("Port reopens | Ledger", "Ledger") == "Port reopens"
    assert clean_headline("Port reopens: what next", "Ledger") == "Port reopens: what next"
    # A label run into the headline goes with the rest of the page's furniture.
    assert clean_headline("Story highlights The port reopens at dawn", "Ledger") == (
        "The port reopens at dawn"
    )


def test_a_caption_behind_a_players_label_never_becomes_the_headline() -> None:
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    caption = (
        "Media playback is unsupported on your device Media caption Tomas Brel: Saltmere "
        "council votes to close the ferry terminal"
    )
    text = (
        "Saltmere's harbour council voted on Monday to close the ferry terminal, ending a crossing "
        "that islanders have used for school, hospital visits and shopping since the war."
    )
    sources = [
        Article("https://a.example/1", "Harbour News", caption, text, when),
        Article("https://b.example/2", "Island Post", "", text, when + timedelta(hours=1)),
    ]
    centroid = {"saltmer": 1.0, "ferri": 1.0, "council": 1.0}
    # The only source headline is a caption: the lede's main clause stands in.
    chosen = headline(sources, centroid, text)
    assert chosen.startswith("Saltmere's harbour council voted on Monday to close the ferry")


# --- a news story: lede, headline, headings --------------------------------------------------


def test_the_lede_opens_the_draft_alone_and_is_an_opening_sentence(demo_articles) -> None:
    for draft, sources in _all_drafts(demo_articles):
        first = draft.sections[0].paragraphs[0]
        assert draft.summary != first.text
        (article,) = [a for a in sources if a.id in first.sources]
        opening = [s for line in article.text.split("\n") for s in sentences(line.strip())][:2]
        # as the source wrote it, its relative time words resolved ("today" -> "on Friday …")
        resolved = [resolve_time(s, article.published, "UTC").text for s in opening]
        assert first.text in resolved, first.text


def test_the_headline_is_a_source_title_without_its_outlet() -> None:
    story, sources = _fixture("flood")
    draft = ExtractiveWriter().write(story, sources)
    assert draft.title in {clean_headline(a.title, a.source) for a in sources}
    assert not any(a.source in draft.title for a in sources)
    assert not re.search(r"\s[-|]\s", draft.title)


def test_headings_are_drawn_from_their_section(demo_articles) -> None:
    for draft, _ in _all_drafts(demo_articles):
        headings = [s.heading for s in draft.sections[1:]]
        assert len(headings) == len(set(headings)), headings
        assert draft.sections[0].heading == ""
        for section in draft.sections[1:]:
            assert 3 <= len(section.heading.split()) <= 8, section.heading
            assert section.heading.lower() not in FIXED_HEADINGS
            body = set(words(" ".join(p.text for p in section.paragraphs)))
            own = set(words(section.heading))
            assert own and own <= body, (section.heading, own - body)


def test_headings_differ_between_stories(demo_articles) -> None:
    drafts = [d for d, _ in _all_drafts(demo_articles)]
    every = [s.heading for d in drafts for s in d.sections[1:]]
    assert every
    assert len(set(every)) >= 0.9 * len(every), every


def test_long_drafts_are_split_into_sub_topics(demo_articles) -> None:
    drafts = [d for d, _ in _all_drafts(demo_articles)]
    # A sub-topic whose sentences give no heading (quotations, bare noun phrases) carries on
    # the section before it.
    assert sum(len(d.sections) >= 2 for d in drafts) >= 0.5 * len(drafts)
    for draft in drafts:
        assert all(s.paragraphs for s in draft.sections)


# --- length --------------------------------------------------------------------------------


def test_word_count_is_within_the_default_target_when_sources_are_long(demo_articles) -> None:
    for story, sources in _multi_source(demo_articles) + [_fixture("flood")]:
        assert sum(len(a.text.split()) for a in sources) > 500
        size = _size(ExtractiveWriter().write(story, sources))
        assert 250 <= size <= 400, (story.title, size)


def test_short_sources_give_a_short_draft_below_the_maximum() -> None:
    for key in ("short", "library"):
        story, sources = _fixture(key)
        draft = ExtractiveWriter().write(story, sources)
        assert 0 < _size(draft) <= min(400, sum(_posted_words(a) for a in sources))
        assert verify(draft, sources).status == "passed"


def test_target_words_setting_is_respected(demo_articles) -> None:
    for story, sources in _multi_source(demo_articles) + [_fixture("flood")]:
        # A day given in full ("on Tuesday 24 November") has two words more than the "on
        # Tuesday" counted when sentences are picked, and a part of a day ("on Friday night" ->
        # "on the night of Friday 20 November") two more again.
        short = ExtractiveWriter(target_words=(100, 150)).write(story, sources)
        default = _size(ExtractiveWriter().write(story, sources))
        assert 100 <= _size(short) <= 150 + _days_added(short), (story.title, _size(short))
        assert _size(short) < default, (story.title, _size(short), default)
        draft = ExtractiveWriter(target_words=200).write(story, sources)
        assert 200 <= _size(draft) <= 220 + _days_added(draft)


def test_a_tight_target_is_reached_though_some_picked_sentences_do_not_stand_alone(
    demo_articles,
) -> None:
    """Making each sentence stand alone drops some words after the picking (a repeat, a
    reference to nothing kept): the picking goes on until the lower bound is reached. Before
    it did, three of these drafts stopped at 291-299 words."""
    for story, sources in _multi_source(demo_articles) + [_fixture("flood")]:
        assert sum(len(a.text.split()) for a in sources) > 500
        draft = ExtractiveWriter(target_words=(300, 330)).write(story, sources)
        assert 300 <= _size(draft) <= 330 + _days_added(draft), (story.title, _size(draft))


def test_what_a_unit_adds_does_not_depend_on_the_order_of_its_concepts() -> None:
    """A set of words is read in the order of their hashes, which change from one process to
    the next: summed in that order, two units' values differed in the last bit from one run to
    another, and a near tie between them went one way or the other (one story, two posts)."""
    article = Article("https://a.example/1", "A", "Title", "Text.", datetime(2026, 3, 2))
    weights = {"a": 0.1, "b": 0.2, "c": 0.3}
    units = [
        _Unit("Text.", article, 0, 1, size=5, concepts=order)  # type: ignore[arg-type]
        for order in itertools.permutations("abc")
    ]
    assert len({_density(u, weights, set()) for u in units}) == 1
    assert len({_novelty(u, weights, {"z"}) for u in units}) == 1


def test_target_words_accepts_the_old_name_and_rejects_nonsense() -> None:
    assert ExtractiveWriter().target_words == (250, 400)
    assert ExtractiveWriter(word_budget=300).target_words == (300, 330)
    assert ExtractiveWriter(target_words=[120, 180]).target_words == (120, 180)
    for wrong in ((300, 200), (0, 100), (1, 2, 3)):
        with pytest.raises(ValueError, match="target_words"):
            ExtractiveWriter(target_words=wrong)


# --- grounding: quotations, pronouns, repeats, order -----------------------------------------


def test_quotations_are_whole_and_cite_the_outlet_that_reported_them(demo_articles) -> None:
    for draft, sources in _all_drafts(demo_articles):
        by_id = {a.id: a for a in sources}
        for _, paragraph, _ in _paragraph_sentences(draft):
            text = paragraph.text
            assert text.count('"') % 2 == 0 and text.count("“") == text.count("”"), text
            cited = [_flat(by_id[i].text) for i in paragraph.sources]
            for quote in re.findall(r"[\"“]([^\"”]+)[\"”]", text):
                assert any(quote in source for source in cited), quote


def test_a_quotation_running_over_two_sentences_is_never_cut() -> None:
    story, sources = _fixture("flood")
    whole = 'from the break. "The whole of Mill Street was a river by midnight."'
    texts = [
        ExtractiveWriter(target_words=target).write(story, sources).text()
        for target in ((100, 150), (250, 400), (400, 600))
    ]
    assert any(whole in text for text in texts)
    for text in texts:
        assert text.count("a river by midnight") == text.count(whole)


def test_no_sentence_leans_on_one_the_draft_does_not_give(demo_articles) -> None:
    for draft, sources in _all_drafts(demo_articles, target_words=(250, 600)):
        by_id = {a.id: a for a in sources}
        for _, paragraph, found in _paragraph_sentences(draft):
            (article,) = [by_id[i] for i in paragraph.sources]
            for before, sentence in zip([None, *found], found, strict=False):
                if LEANING.match(sentence):
                    assert before is not None, sentence
                    at = _source_position(sentence, article)
                    assert _source_position(before, article) == at - 1, sentence


def test_two_outlets_saying_the_same_thing_appear_once() -> None:
    story, sources = _fixture("flood")
    # The Riverside Post and the Vale Evening News open with nearly the same sentence.
    for target in ((100, 150), (250, 400), (400, 600)):
        text = ExtractiveWriter(target_words=target).write(story, sources).text()
        assert text.count("forcing families to leave as water rose above their front steps") == 1


def test_a_figure_already_given_is_not_given_again() -> None:
    when = datetime.fromisoformat("2026-03-05T06:00:00+00:00")
    valley = Article(
        "https://valley.example/wrenby",
        "Valley Courier",
        "Wrenby evacuated as river bursts its banks",
        "About 1,200 homes in Wrenby were evacuated overnight after the River Tamm burst its "
        "banks during heavy rain, the county council said.\n\n"
        "Firefighters used boats to reach residents on Mill Row and Ferry Lane, where the "
        "water was waist-deep by 2am.\n\n"
        "The river peaked at 4.9 metres on the gauge at Bridge Street, a new record.\n\n"
        "Rail services between Wrenby and Ashcombe were suspended because water covered the "
        "line near the station.",
        when,
    )
    metro = Article(
        "https://metro.example/wrenby-flood",
        "Metro Bulletin",
        "Wrenby flood: hundreds spend night in rest centres",
        "Rest centres opened at the leisure centre and St Aidan's church hall as the town "
        "emptied overnight.\n\n"
        "More than 1,100 homes were evacuated as water poured through the town centre and "
        "into streets that had never flooded before.\n\n"
        "Volunteers handed out hot meals and blankets until the early hours of the morning.\n\n"
        "Southern Power Networks said 4,000 homes in the valley were without electricity "
        "after a substation was switched off as a precaution.",
        when.replace(hour=8),
    )
    story = Story("wrenby", [valley.id, metro.id], "Wrenby", when, when)
    text = ExtractiveWriter(target_words=(80, 150)).write(story, [valley, metro]).text()
    assert ("About 1,200 homes" in text) + ("More than 1,100 homes" in text) == 1, text


def test_a_story_without_usable_sentences_still_gets_a_grounded_draft() -> None:
    stub = Article(
        "https://stub.example/a",
        "Stub News",
        "Council meets on Monday",
        "",
        datetime.fromisoformat("2026-03-06T09:00:00+00:00"),
    )
    story = Story("stub", [stub.id], "Council meets", stub.when, stub.when)
    draft = ExtractiveWriter().write(story, [stub])
    assert draft.text() == "Council meets on Monday"
    assert draft.sections[0].heading == ""
    assert draft.sections[0].paragraphs[0].sources == [stub.id]
    assert verify(draft, [stub]).status == "passed"


# --- salience ------------------------------------------------------------------------------

EARLY_FARES = "The ferry fares rise by ten percent in May, the harbour board confirmed."
LATE_FARES = "In May the harbour board confirmed the ferry fares rise by ten percent."
ASIDES = [
    "Port Kellan has run a ferry to the Skerrow islands since the winter of 1911.",
    "Gulls nest every spring on the roof of the old customs shed by the quay.",
    "A new café opened on Quay Street in a former net loft last summer.",
    "Local divers found a brass bell from a sunk trawler near the breakwater.",
    "Tourists queue for crab sandwiches at the kiosk beside the lifeboat station.",
    "Schoolchildren painted a mural of seals along the wall of the fish market.",
    "An amateur choir sings sea shanties at the Anchor Inn on Friday nights.",
    "Storm damage closed the northern slipway for three weeks in February.",
    "Retired skipper Morna Gallick still mends nets outside her cottage each morning.",
    "Visitors can climb the lighthouse stairs for a view of the whole bay.",
    "Volunteers cleared plastic from the shingle beach during a weekend in April.",
    "Kellan Rovers play their home matches on a pitch beside the boatyard.",
    "The town museum keeps a model of every vessel built in the yard.",
    "Wild orchids flower on the cliff path above the harbour in early June.",
    "A weekly farmers market fills the car park by the station on Saturdays.",
    "Otters are sometimes seen at dusk among the rocks below the old pier.",
    "Fishermen land mackerel, pollock and lobster at the harbour most days.",
    "The annual regatta draws sailing crews from across the western coast.",
    "A bus links the ferry terminal with the county town every hour.",
    "Seaweed harvesting returned to the northern shore after a gap of forty years.",
    "Heritage walks start at the clock tower and end at the lifeboat house.",
    "Painters set up their easels on the harbour wall when the tide is out.",
]


def _harbour_article(source: str, sentences_: list[str]) -> Article:
    when = datetime.fromisoformat("2026-04-02T09:00:00+00:00")
    return Article(f"https://{source.lower().replace(' ', '')}.example/fares", source,
                   "Ferry fares to rise", "\n\n".join(sentences_), when)  # fmt: skip


def _unit(units, text: str, article: Article):
    return next(u for u in units if u.text == text and u.article is article)


def test_a_fact_told_early_in_its_article_outweighs_the_same_words_told_late() -> None:
    text = [*ASIDES[:6], EARLY_FARES, *ASIDES[6:15], LATE_FARES, *ASIDES[15:18]]
    article = _harbour_article("Skerrow Gazette", text)
    units, _ = scored_units([article])
    early, late = _unit(units, EARLY_FARES, article), _unit(units, LATE_FARES, article)
    assert early.centrality == pytest.approx(late.centrality)  # the same words
    assert early.prior > late.prior and early.prior != pytest.approx(late.prior)


def test_position_counts_relative_to_the_length_of_its_article() -> None:
    # The same sentence, seventh in both: near the end of a short article, in the first third
    # of a long one.
    short = _harbour_article("Skerrow Gazette", [*ASIDES[:6], EARLY_FARES, ASIDES[6]])
    long = _harbour_article("Bay Herald", [*ASIDES[7:13], EARLY_FARES, *ASIDES[13:]])
    units, _ = scored_units([short, long])
    in_short, in_long = _unit(units, EARLY_FARES, short), _unit(units, EARLY_FARES, long)
    assert in_short.centrality == pytest.approx(in_long.centrality)
    assert in_long.prior > in_short.prior and in_long.prior != pytest.approx(in_short.prior)


def test_a_gallerys_controls_never_reach_a_unit() -> None:
    text = (
        "1 of 12 Full Screen Autoplay Close Skip Ad × The Saltmarsh Star aground View Photos "
        "Coastguard crews towed the Saltmarsh Star back to Brackwater harbour on Sunday night."
    )
    article = Article("https://fenmoor.example/star", "The Fenmoor Gazette", "Ferry towed", text,
                      datetime.fromisoformat("2026-11-23T08:20:00+00:00"))  # fmt: skip
    assert [u.text for u in units_of(article)] == [
        "Coastguard crews towed the Saltmarsh Star back to Brackwater harbour on Sunday night."
    ]


def _page(url: str, title: str, text: str, hour: int = 8) -> Article:
    when = datetime.fromisoformat(f"2026-11-23T{hour:02d}:20:00+00:00")
    return Article(url, url.split("/")[2], title, text, when)


FERRY = (
    "Coastguard crews towed the ferry Saltmarsh Star back to Brackwater harbour on Sunday night "
    "after its engine failed in a gale. All 212 passengers were taken off by lifeboat before "
    "midnight, the harbour master said. The operator said the ship would stay in dock for "
    "repairs to its main engine until the end of the month. Services to the islands will run "
    "on the smaller Marram Queen from Tuesday, with two crossings a day instead of four. "
    "Passengers booked on cancelled sailings can move to another day or claim a refund, the "
    "operator said."
)


def test_a_junk_page_among_the_sources_gives_the_draft_nothing() -> None:
    ferry = _page("https://fenmoor.example/ferry", "Ferry towed back to Brackwater", FERRY)
    archive = _page(
        "https://ledger.example/ferry",
        "Ferry towed back",
        "These crawls are part of an effort to archive pages as they are created and archive "
        "the pages that they refer to. Flowing in every day, these data are added to the "
        "Wayback Machine after an embargo period.",
        hour=9,
    )
    assert news_sources([ferry, archive]) == [ferry]
    assert news_sources([archive]) == [archive]  # all junk: the story still gets a draft
    story = Story("s1", [ferry.id, archive.id], "Ferry", ferry.when, archive.when)
    draft = ExtractiveWriter().write(story, [ferry, archive])
    text = " ".join(p.text for s in draft.sections for p in s.paragraphs)
    assert "Saltmarsh Star" in text
    assert "Wayback" not in text and "crawls" not in text
    assert {c for s in draft.sections for p in s.paragraphs for c in p.sources} == {ferry.id}


def test_junk_lines_and_teasers_cut_short_never_reach_a_unit() -> None:
    text = (
        "Coastguard crews towed the ferry Saltmarsh Star back to Brackwater harbour on Sunday. "
        "You can add location information to your Tweets, such as your city or precise "
        "location, from the web and via third-party applications.\n"
        "Harbour master says the ferry will not sail to the islands again before..."
    )
    units = [u.text for u in units_of(_page("https://fenmoor.example/f", "Ferry", text))]
    assert units == [
        "Coastguard crews towed the ferry Saltmarsh Star back to Brackwater harbour on Sunday."
    ]


def test_an_outlets_name_in_brackets_before_the_lede_is_dropped() -> None:
    text = "(CNN) Coastguard crews towed the ferry Saltmarsh Star back to Brackwater on Sunday."
    assert [u.text for u in units_of(_page("https://cnn.example/f", "Ferry", text))] == [
        "Coastguard crews towed the ferry Saltmarsh Star back to Brackwater on Sunday."
    ]
    kept = "(Updated) crews towed the ferry Saltmarsh Star back to Brackwater on Sunday night."
    assert [u.text for u in units_of(_page("https://cnn.example/g", "Ferry", kept))] == [kept]
