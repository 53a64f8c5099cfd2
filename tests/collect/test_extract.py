"""Full-text extraction: newspaper4k and trafilatura combined, metadata, and stub detection.

The pages under tests/fixtures/extract/ are fictional and written for these tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import aibot.collect.extract as extract_module
from aibot.collect.extract import (
    COMBINED,
    EXTRACTORS,
    NEWSPAPER,
    TRAFILATURA,
    combine,
    extract,
    stub_reason,
    tidy,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "extract"
FETCHED = "https://ledger.example/news/2026/03/04/floating-solar-farm-approved?utm_source=rss"

# One sentence from each body paragraph of article.html.
ARTICLE_BODY = [
    "Riverton's borough council on Tuesday night approved a floating solar farm",
    "The 12-megawatt array will cover roughly a fifth of the reservoir's surface",
    "Councillors voted seven to two in favour after a four-hour meeting",
    '"This is the cheapest clean power we can build',
    "Opponents, led by the Millbrook Anglers' Association, argued",
    "The council's planning officer said the approved layout already keeps every mooring",
    "Construction is expected to start in September and to take about eight months.",
    "Riverton would be the third town in the region to put solar panels on drinking water",
]
# Navigation, ads, standfirst, sharing, tags, related links, comments, newsletter, footer.
ARTICLE_BOILERPLATE = [
    "Puzzles",
    "Advertisement",
    "Bargain sofas",
    "Vellum Fibre",
    "The council voted 7-2",
    "Image: Riverton Borough Council",
    "Share on Facebook",
    "Tags:",
    "Related stories",
    "Anglers march on town hall",
    "Kelham's floating panels beat forecasts",
    "About time. My kids",
    "Shameful decision",
    "Leave a comment",
    "Morning Briefing",
    "Sign up for our free newsletter",
    "Copyright",
    "Privacy policy",
]
PIER_BODY = [
    "Harbour officials in Port Aldous said on Friday that the old grain pier will close",
    "The pier, built in 1911, carries a popular promenade and two cafés.",
    "Harbour master Ines Lindqvist said the closure would last about fourteen weeks.",
    "The work will cost about 2.3 million crowns",
    "Fishermen who land their catch at the pier's outer steps will be moved",
    "Engineers will use tropical hardwood piles with a steel sleeve at the waterline",
]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article() -> extract_module.Article:
    return extract(fixture("article.html"), FETCHED)


# --- a normal article ------------------------------------------------------------------------


def test_article_text_is_the_body_without_boilerplate(article) -> None:
    for sentence in ARTICLE_BODY:
        assert sentence in article.text
    for junk in ARTICLE_BOILERPLATE:
        assert junk not in article.text, junk
    assert not article.text.startswith("Riverton approves")  # the headline is the title
    assert article.text.count("\n\n") == len(ARTICLE_BODY) - 1  # one paragraph each
    assert article.extractor in EXTRACTORS


def test_article_metadata(article) -> None:
    assert article.title == "Riverton approves floating solar farm on Millbrook Reservoir"
    assert article.authors == ["Maria Okafor"]
    assert article.source == "The Riverton Ledger"
    assert article.language == "en"
    assert article.image == "https://ledger.example/media/reservoir-solar-1200.jpg"
    assert article.canonical_url == "https://ledger.example/news/floating-solar-farm-approved"
    # The page says 09:15 at +01:00; the date in the URL alone would have lost the time.
    assert article.published is not None and article.published.tzinfo is not None
    assert article.published == datetime(2026, 3, 4, 8, 15, tzinfo=UTC)


def test_canonical_falls_back_to_og_url_then_to_the_fetched_url() -> None:
    page = fixture("article.html")
    without_canonical = "\n".join(
        line for line in page.splitlines() if 'rel="canonical"' not in line
    )
    found = extract(without_canonical, FETCHED)
    assert found.canonical_url == (
        "https://ledger.example/news/2026/03/04/floating-solar-farm-approved"
    )
    without_either = "\n".join(
        line for line in without_canonical.splitlines() if 'property="og:url"' not in line
    )
    fetched = extract(without_either, FETCHED)
    assert (
        fetched.canonical_url
        == "https://ledger.example/news/2026/03/04/floating-solar-farm-approved"
    )


def test_bytes_in_any_declared_charset_are_decoded() -> None:
    page = fixture("article.html")
    as_utf8 = extract(page.encode("utf-8"), FETCHED)
    assert as_utf8.text == extract(page, FETCHED).text
    latin = page.replace('charset="utf-8"', 'charset="iso-8859-1"').replace(
        "Riverton's borough council", "Riverton's café-loving borough council"
    )
    decoded = extract(latin.encode("iso-8859-1", errors="replace"), FETCHED)
    assert "Riverton's café-loving borough council" in decoded.text


# --- the chooser -----------------------------------------------------------------------------


def test_chooser_takes_trafilatura_when_newspaper_takes_the_teaser_column() -> None:
    page = fixture("div_article_with_teasers.html")
    url = "https://herald.example/local/2026/05/pier-closure"
    # The premise: newspaper4k alone returns the "More news" column, not the article.
    alone, error = extract_module._run_newspaper(page, url)
    assert error is None
    assert "Council delays vote" in alone.text
    assert not any(sentence in alone.text for sentence in PIER_BODY)

    found = extract(page, url)
    assert found.extractor == TRAFILATURA
    for sentence in PIER_BODY:
        assert sentence in found.text
    for teaser in ("More news", "Council delays vote", "Cod prices fall", "Read more"):
        assert teaser not in found.text
    assert found.title == "Port Aldous closes grain pier for repairs"
    assert found.published == datetime(2026, 5, 15, 14, 40, tzinfo=UTC)


def test_disagreement_goes_to_the_text_with_the_description_and_fewer_links() -> None:
    article = "Ferry fares rise by a tenth from June. The operator blames fuel prices and wages."
    links = "Weather today\nLottery results\nTraffic cameras\nLetters to the editor"
    context = extract_module._Context(
        description="Ferry fares rise by a tenth from June as fuel prices bite.",
        anchors={"weather": ["weather today"], "lottery": ["lottery results"],
                 "traffic": ["traffic cameras"], "letters": ["letters to the editor"]},
    )  # fmt: skip
    assert combine(article, links, context) == (article, NEWSPAPER)
    assert combine(links, article, context) == (article, TRAFILATURA)


def test_merge_keeps_what_both_found_and_body_text_only_one_found() -> None:
    body = [
        "The harbour board met on Monday and agreed to dredge the inner basin this autumn.",
        "Dredging will take six weeks and cost about 400,000 crowns, the board said.",
        "Ferries will use the outer berth while the work goes on.",
    ]
    missed = (
        "Newspaper missed this paragraph, which sits between two others and is long enough "
        "and plain enough to be part of the body of the article."
    )
    np_only = "This sentence only newspaper found, between the first and second paragraphs."
    tf = "\n".join(
        [
            "Harbour to dredge inner basin",  # the headline
            body[0],
            missed,
            body[1],
            body[2],
            "Sign up for our newsletter",
            "Most read: Ferry fares rise again",
        ]
    )
    np = "\n\n".join([body[0], np_only, body[1], body[2]])
    context = extract_module._Context(
        headlines=["harbour to dredge inner basin the harbour times"],
        anchors={"ferry": ["ferry fares rise again"]},
    )
    text, name = combine(np, tf, context)
    assert text.split("\n\n") == [body[0], np_only, missed, body[1], body[2]]
    assert name == COMBINED


def test_merge_prefers_newspapers_version_when_trafilatura_dropped_a_link() -> None:
    full = "The league said on Monday that it will fine the quarterback for his role in the fight."
    cut = "The league said on Monday that for his role in the fight."
    rest = "His team said it would not appeal and that the player regretted the incident deeply."
    text, name = combine(f"{full}\n\n{rest}", f"{cut}\n{rest}")
    assert text == f"{full}\n\n{rest}"
    assert name == NEWSPAPER


def test_one_empty_text_gives_the_other() -> None:
    assert combine("", "A text.") == ("A text.", TRAFILATURA)
    assert combine("A text.", "") == ("A text.", NEWSPAPER)


def test_tidy_turns_tables_and_lists_into_plain_text() -> None:
    raw = "Results:\n| Pos. | Driver | Points |\n|---|---|---|\n| 1 | Kyle Busch | 5040 |\n- Done"
    assert tidy(raw) == "Results:\nPos. Driver Points\n1 Kyle Busch 5040\nDone"


def test_newspaper_crash_leaves_text_and_metadata_to_trafilatura(monkeypatch) -> None:
    newspaper = extract_module._newspaper()

    def crash(self):
        raise ImportError("no tokenizer for this language")

    monkeypatch.setattr(newspaper.Article, "parse", crash)
    found = extract(fixture("div_article_with_teasers.html"), "https://herald.example/pier")
    assert found.extractor == TRAFILATURA
    assert all(sentence in found.text for sentence in PIER_BODY)
    assert found.title == "Port Aldous closes grain pier for repairs"  # trafilatura's metadata
    assert found.published == datetime(2026, 5, 15, tzinfo=UTC)  # trafilatura knows the day
    assert found.authors == ["Jonas Berg"]


def test_japanese_page_is_extracted() -> None:
    # newspaper4k needs an optional tokenizer for Japanese and crashes without it.
    paragraphs = [
        "港町アルダスの市役所は金曜日、古い穀物桟橋を来月から一般に閉鎖すると発表した。",
        "桟橋は千九百十一年に建設され、遊歩道と二軒のカフェがある。冬の嵐の後の調査で、木の杭の多くが弱っていることが分かった。",
        "工事は約十四週間かかる見込みで、費用は港の維持積立金から支払われる。カフェには売り上げの補償が支払われる。",
        "漁師たちは工事の間、東の岸壁で水揚げをすることになる。組合は移動を受け入れたが、再開の日付をはっきりさせるよう求めた。",
    ]
    page = (
        '<html lang="ja"><head><meta charset="utf-8"><title>桟橋を修理のため閉鎖</title></head>'
        "<body><nav><a href='/'>ホーム</a></nav><article><h1>桟橋を修理のため閉鎖</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    found = extract(page, "https://herald.example/ja/pier")
    assert found.extractor in EXTRACTORS
    for paragraph in paragraphs:
        assert paragraph in found.text


def test_extract_uses_no_network(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("extract tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    found = extract(fixture("article.html"), FETCHED)
    assert ARTICLE_BODY[0] in found.text


def test_extract_prints_nothing_even_on_bad_pages(tmp_path: Path) -> None:
    script = (
        "from aibot.collect.extract import extract\n"
        "import sys\n"
        f"extract(open({str(FIXTURES / 'article.html')!r}, encoding='utf-8').read(), 'https://a.example/x')\n"
        "extract('<html><body></body></html>', 'https://a.example/empty')\n"
        "extract(b'\\x00\\xff not html at all <<<', 'https://a.example/junk')\n"
        "extract('<html><body><p>Too short.</p></body></html>', 'https://a.example/short')\n"
        "print('done')\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert done.stderr == ""


# --- stubs -----------------------------------------------------------------------------------


def test_paywall_teaser_is_a_stub() -> None:
    page = fixture("paywall.html")
    found = extract(page, "https://meridian.example/business/kestrel-deal")
    assert "Kestrel Airways walked into a borrowed meeting room" in found.text
    reason = stub_reason(found.text, page)
    assert reason is not None and reason.startswith("paywall marker:")
    assert "subscribe to continue reading" in reason


def test_cookie_wall_is_a_stub() -> None:
    page = fixture("cookie_wall.html")
    found = extract(page, "https://northgate.example/news/story")
    reason = stub_reason(found.text, page)
    assert reason is not None and reason.startswith("cookie wall:")


def test_a_normal_article_is_not_a_stub(article) -> None:
    # Its page has a "Subscribe" link, a newsletter box and a "Cookie settings" link.
    assert stub_reason(article.text, fixture("article.html")) is None


def test_short_text_without_markers_is_a_stub() -> None:
    assert stub_reason("Police closed the bridge on Friday.", "<p>Police closed…</p>") == (
        "under 80 words"
    )


def test_stub_reason_reads_the_text_and_the_page() -> None:
    teaser = " ".join(["The council met on Tuesday to discuss the harbour budget."] * 15)  # 150
    assert stub_reason(teaser, "<html><body><p>x</p></body></html>") is None
    not_free = '<script type="application/ld+json">{"isAccessibleForFree": "False"}</script>'
    assert stub_reason(teaser, not_free) == "paywall marker: isAccessibleForFree is false"
    in_page = "<div class='gate'><h2>Subscribe to continue reading</h2></div>"
    assert stub_reason(teaser, in_page) == "paywall marker: subscribe to continue reading"
    in_script = "<script>var gate = 'Subscribe to continue reading';</script>"
    assert stub_reason(teaser, in_script) is None  # not shown to the reader
    # A long article with a leftover box, or a sentence about cookies, is the article.
    long_text = " ".join(["The harbour board agreed to dredge the inner basin."] * 60)  # 540
    assert stub_reason(long_text + " Subscribe to continue reading.", in_page) is None
    assert stub_reason(teaser + " The site says: we use cookies.", "") is None


# --- the fast path and the thorough mode -------------------------------------------------------


def _long_clean_page() -> str:
    paragraphs = "".join(
        f"<p>The ferry operator said sailing number {n} between Port Aldous and the outer "
        f"islands would run to its winter timetable, with the first boat leaving at seven and "
        f"the last returning before dusk, while repairs to the north quay continue.</p>"
        for n in range(14)
    )
    return (
        "<html lang='en'><head><title>Winter ferry timetable begins</title>"
        "<meta property='og:title' content='Winter ferry timetable begins'>"
        "<meta property='article:published_time' content='2026-11-20T07:00:00+00:00'>"
        "<meta name='author' content='Ola Brandt'>"
        "<link rel='canonical' href='https://ferry.example/news/winter-timetable'></head>"
        "<body><nav><a href='/'>Home</a></nav><article><h1>Winter ferry timetable begins</h1>"
        f"{paragraphs}</article><footer>Ferry News</footer></body></html>"
    )


def test_a_long_clean_text_takes_the_fast_path_with_full_metadata() -> None:
    fast = extract(_long_clean_page(), "https://ferry.example/news/winter-timetable?utm_source=x")
    assert fast.extractor == "trafilatura"
    assert fast.text.count("\n\n") == 13 and "Home" not in fast.text
    assert fast.title == "Winter ferry timetable begins"
    assert fast.canonical_url == "https://ferry.example/news/winter-timetable"
    assert fast.published == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def test_thorough_mode_runs_both_extractors_and_agrees_on_a_clean_page(monkeypatch) -> None:
    calls: list[str] = []
    real = extract_module._run_newspaper

    def spy(html: str, url: str):
        calls.append(url)
        return real(html, url)

    monkeypatch.setattr(extract_module, "_run_newspaper", spy)
    fast = extract(_long_clean_page(), "https://ferry.example/a")
    assert calls == []  # the fast path reads newspaper4k's metadata only
    thorough = extract(_long_clean_page(), "https://ferry.example/a", thorough=True)
    assert calls == ["https://ferry.example/a"]
    assert thorough.text == fast.text
    assert thorough.published == fast.published and thorough.title == fast.title
