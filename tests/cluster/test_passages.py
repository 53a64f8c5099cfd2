"""Two full texts that share a passage (a quotation, an agency's paragraph) are one story, even
when the rest of their words are far apart; furniture they share is not a passage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aibot.cluster.stories import PASSAGE_WORDS, cluster, passages
from aibot.config import ClusterConfig
from aibot.models import Article

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
QUOTE = (
    '"We cannot keep pouring money into a terminal that loses forty thousand pounds every '
    'single week of the year," council leader Maren Holt told the chamber.'
)
COUNCIL = (
    "Saltmere's harbour council voted on Monday to shut the town's ferry terminal by the end "
    "of the summer, ending a crossing that has run since the war. Councillors backed the plan "
    "by nine votes to four after a two-hour debate in the old customs house. The vote follows "
    "a review of the harbour's accounts that found repair bills mounting on the slipway and "
    "the waiting hall."
)
UNION = (
    "Dockworkers at Saltmere said they would strike if the ferry closure goes ahead, and their "
    "union called the decision a betrayal of island families who rely on the morning boat for "
    "school, hospital visits and shopping. Organisers plan a march along the quay and a "
    "petition to the regional assembly, arguing that a bridge or subsidy was never properly "
    "costed by officials."
)
# Other news of the same days, so that the words of the two reports weigh as they would in a
# live pool rather than in a pool of two.
OTHER = [
    (
        "Grain prices climb after dry spring",
        "Wheat and barley prices rose for a third week as farmers across the plains reported "
        "a dry spring and thin early growth. Traders said stocks held in silos were lower than "
        "a year ago, and millers warned that bread could cost more by the autumn if rain does "
        "not arrive soon across the region's fields.",
    ),
    (
        "Museum reopens its painted hall",
        "The city museum reopened its painted hall after four years of restoration, showing "
        "ceiling panels that had been hidden under soot and varnish. Conservators cleaned each "
        "panel by hand and found signatures of two painters whose names had been lost, the "
        "curator explained to visitors on the first morning.",
    ),
    (
        "Rovers sign young striker from Kelham",
        "Portmarsh Rovers signed a nineteen-year-old striker from Kelham on a three-year "
        "contract, beating two larger clubs to his signature. The forward scored fourteen "
        "goals in the second division last season and will join the squad for the pre-season "
        "tour of the northern coast next month, the club's manager confirmed.",
    ),
    (
        "Night trains return to the valley line",
        "Night trains will run again on the valley line from April after the rail operator "
        "found drivers for late shifts. Sleeper carriages refurbished last winter will serve "
        "the route three nights a week, and fares will match daytime tickets for the first "
        "month, according to the timetable published on the operator's website.",
    ),
]


def _article(outlet: str, title: str, text: str, hours: float) -> Article:
    return Article(
        f"https://{outlet}.example/{abs(hash(title))}",
        outlet,
        title,
        text,
        T0 + timedelta(hours=hours),
    )


def _background() -> list[Article]:
    return [_article(f"wire{n}", title, text, n * 0.5) for n, (title, text) in enumerate(OTHER)]


def _together(stories, first: Article, second: Article) -> bool:
    return any({first.id, second.id} <= set(s.article_ids) for s in stories)


def test_two_reports_sharing_a_quotation_are_one_story() -> None:
    council = _article("harbournews", "Council votes to close Saltmere ferry terminal", "", 1)
    union = _article("islandpost", "Dockworkers threaten strike over Saltmere closure", "", 3)
    apart = [
        _article(council.source, council.title, COUNCIL, 1),
        _article(union.source, union.title, UNION, 3),
    ]
    quoting = [
        _article(council.source, council.title, f"{COUNCIL} {QUOTE}", 1),
        _article(union.source, union.title, f"{UNION} {QUOTE}", 3),
    ]
    # Without the quotation the two reports are too far apart to join; with it they are one.
    assert not _together(cluster(_background() + apart), *apart)
    assert _together(cluster(_background() + quoting), *quoting)


def test_a_shared_quotation_joins_fragments_from_different_runs() -> None:
    council = _article("harbournews", "Council votes to close Saltmere ferry terminal", "", 1)
    first = _article(council.source, council.title, f"{COUNCIL} {QUOTE}", 1)
    later = _article("islandpost", "Strike threat over Saltmere closure", f"{UNION} {QUOTE}", 30)
    earlier = cluster(_background() + [first])
    stories = cluster(_background() + [first, later], earlier)
    assert _together(stories, first, later)


def test_furniture_two_pages_share_is_not_a_passage() -> None:
    furniture = (
        "Sign up for our daily newsletter to get the latest headlines from the coast "
        "delivered to your inbox every single morning."
    )
    council_title = "Council votes to close Saltmere ferry terminal"
    union_title = "Dockworkers threaten strike over Saltmere closure"
    council = _article("harbournews", council_title, f"{COUNCIL}\n{furniture}", 1)
    union = _article("islandpost", union_title, f"{UNION}\n{furniture}", 3)
    assert not passages(council.text) & passages(union.text)
    assert not _together(cluster(_background() + [council, union]), council, union)


def test_a_passage_is_a_run_of_passage_words_with_a_name() -> None:
    words = "the board met Maren Holt in the customs house to hear what the dockers said".split()
    run = " ".join(words[:PASSAGE_WORDS])
    shorter = " ".join(words[: PASSAGE_WORDS - 1])
    assert passages(f"First, {run}. Then more.") & passages(f"Later, {run}, and so on.")
    assert not passages(f"First, {shorter}. Then more.") & passages(f"Later: {shorter}; and so.")
    # A turn of phrase or a template that reports of different events share is not a passage;
    # with a name in it, it is.
    phrase = "spoke on condition of anonymity because they were not authorised to discuss the talks"
    assert not passages(f"Two officials {phrase}.") & passages(f"Aides {phrase}.")
    named = phrase.replace("the talks", "the Saltmere talks")
    assert passages(f"Two officials {named}.") & passages(f"Aides {named}.")
    template = "would be reviewed again in week 2, after residents raised questions about the cost"
    assert not passages(f"The bridge {template}.") & passages(f"The ferry {template}.")


def test_headlines_never_join_by_passage() -> None:
    # A passage is looked for only between full texts: short feed summaries that happen to
    # repeat a slogan are judged by their words as before.
    slogan = "keep the morning boat running for every family on the island this year and next"
    one = _article("harbournews", "Saltmere ferry vote", f"Council meets. {slogan}", 1)
    two = _article("islandpost", "Rovers sign striker", f"Football news. {slogan}", 2)
    settings = ClusterConfig()
    assert not _together(cluster(_background() + [one, two], (), settings), one, two)


def test_two_stories_from_earlier_runs_merge_once_a_report_links_them_by_a_passage() -> None:
    council = _article("harbournews", "Council votes to close Saltmere ferry terminal", COUNCIL, 1)
    union = _article(
        "islandpost", "Dockworkers vow to save Saltmere ferry terminal", f"{UNION} {QUOTE}", 3
    )
    earlier = cluster(_background() + [council, union])
    assert not _together(earlier, council, union)
    # A third outlet's report reads like the council's and quotes what the union's quoted.
    linking = _article("coastfm", "Saltmere ferry terminal to close", f"{COUNCIL} {QUOTE}", 5)
    stories = cluster(_background() + [council, union, linking], earlier)
    merged = next(s for s in stories if council.id in s.article_ids)
    assert {union.id, linking.id} <= set(merged.article_ids)
    union_story = next(s for s in earlier if union.id in s.article_ids)
    assert union_story.id in merged.absorbed
