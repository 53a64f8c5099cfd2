"""The offline writer on the demo sample: grounded, cited, readable drafts."""

from __future__ import annotations

import re
from collections import defaultdict

from aibot.cluster import cluster
from aibot.text import sentences
from aibot.write.extractive import ExtractiveWriter, clean_headline
from aibot.write.verify import verify


def _stories(demo_articles):
    articles, _ = demo_articles
    by_id = {a.id: a for a in articles}
    return [(s, [by_id[i] for i in s.article_ids]) for s in cluster(articles)]


def test_every_draft_cites_only_its_own_sources_and_passes_verification(demo_articles) -> None:
    for story, sources in _stories(demo_articles):
        draft = ExtractiveWriter().write(story, sources)
        ids = {a.id for a in sources}
        assert draft.sections, story.title
        for section in draft.sections:
            assert section.heading
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
        assert draft.title in {clean_headline(a.title, a.source) for a in sources}
        assert draft.summary == draft.sections[0].paragraphs[0].text.split(". ")[0] + "." or (
            draft.sections[0].paragraphs[0].text.startswith(draft.summary)
        )


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
