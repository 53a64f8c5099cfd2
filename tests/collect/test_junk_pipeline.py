"""Junk pages served over loopback HTTP never become news: dropped or kept as feed text, and
listed in the run report."""

from __future__ import annotations

import random
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import run_cli
from tests.helpers.collect import article_html, collected, rss, write_config

# An error page as sites serve them: the message, then teasers of other stories (long enough
# together to pass for an article by length alone).
ERROR_PAGE = (
    "<html><head><title>Page not found | Outlet Two</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><main><h1>Page not found</h1>"
    "<p>Sorry, the page you requested was not found.</p>"
    "<p>It may have been moved or deleted. Try searching our site or go back to the homepage."
    "</p><h2>Popular now</h2>"
    "<p>The Saltby rowing club won the regional cup for the third year running on Saturday, "
    "beating crews from four other towns in front of a crowd of several hundred.</p>"
    "<p>A bakery on Mill Street celebrated fifty years of oat and honey cookies with a street "
    "party, and the family that runs it thanked customers for their loyalty.</p>"
    "<p>The council set the date for the summer festival and said the quay would be closed to "
    "traffic for the whole weekend while the stages are built.</p></main></body></html>"
)


def test_an_error_page_served_with_200_makes_no_post_and_is_listed(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    title = "Harbour bridge reopens after repairs"
    httpserver.expect_request("/one.xml").respond_with_data(
        rss([(title, url("/one/bridge.html"), "The bridge reopened.")], title="Outlet One"),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/one/bridge.html").respond_with_data(
        article_html(title), content_type="text/html"
    )
    # The second outlet's page for the same story is an error page, with HTTP 200, and its
    # feed entry has no text of its own.
    httpserver.expect_request("/two.xml").respond_with_data(
        rss([(title, url("/two/bridge.html"), "")], title="Outlet Two"),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/two/bridge.html").respond_with_data(
        ERROR_PAGE, content_type="text/html"
    )
    feeds = [{"url": url("/one.xml"), "name": "Outlet One"},
             {"url": url("/two.xml"), "name": "Outlet Two"}]  # fmt: skip
    config_file = write_config(tmp_path, feeds)

    result = run_cli("run", "-c", str(config_file))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "articles  1 new, 0 seen, 0 failed, 0 partial (feed text only), 0 syndicated copies " \
           "merged, 1 not news (listed below)" in lines  # fmt: skip
    assert (
        f"not news: {url('/two/bridge.html')} (feed Outlet Two): error page: "
        "title “Page not found”; dropped"
    ) in lines
    assert not list((tmp_path / "content").rglob("*.md"))
    assert f"waiting: {title} — 1 independent outlet (Outlet One), needs 2" in lines

    # The next hourly run finds the same entries: the dropped page is neither fetched nor
    # listed again, only counted.
    pages_asked = len([r for r, _ in httpserver.log if r.path == "/two/bridge.html"])
    again = run_cli("run", "-c", str(config_file))

    assert again.exit_code == 0, again.output
    assert "articles  0 new, 1 seen, 0 failed, 0 partial (feed text only), 0 syndicated copies " \
           "merged, 1 passed over as in an earlier run (not news, or no text)" \
           in again.output.splitlines()  # fmt: skip
    assert "not news:" not in again.output
    assert len([r for r, _ in httpserver.log if r.path == "/two/bridge.html"]) == pages_asked


def test_an_error_page_with_a_usable_feed_summary_keeps_the_summary(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    summary = "The harbour bridge reopened to traffic on Monday after eight weeks of repairs."
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Harbour bridge reopens", url("/gone.html"), summary)]),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/gone.html").respond_with_data(ERROR_PAGE, content_type="text/html")
    report, articles = collected(write_config(tmp_path, [{"url": url("/feed.xml")}]))
    assert report.articles_junk == 1 and report.articles_partial == 1
    assert report.junk == [
        f"{url('/gone.html')} (feed Loopback News): error page: title “Page not found”; "
        "kept the feed's text"
    ]
    assert [(a.text, a.partial, a.extractor) for a in articles] == [(summary, True, "feed")]


def test_a_junk_feed_summary_is_not_kept_either(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = httpserver.url_for
    prompt = "Sign up for our daily newsletter and get the top stories delivered to your inbox."
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Harbour bridge reopens", url("/gone.html"), prompt)]),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/gone.html").respond_with_data(ERROR_PAGE, content_type="text/html")
    report, articles = collected(write_config(tmp_path, [{"url": url("/feed.xml")}]))
    assert articles == [] and report.articles_junk == 1 and report.articles_partial == 0
    assert report.junk == [
        f"{url('/gone.html')} (feed Loopback News): error page: title “Page not found”; dropped"
    ]


# A footer of three paragraphs that two outlets print under every story.
FOOTER = (
    "<p>The Harbour Network is a partnership of regional newsrooms funded by readers and the "
    "Lindqvist Foundation, and every story it publishes is free to read and to republish.</p>"
    "<p>Corrections and complaints about any story can be sent to the network's readers' editor,"
    " who answers every message within five working days and publishes a monthly summary.</p>"
    "<p>Photographs in network stories are taken by staff photographers unless a credit says "
    "otherwise, and may be licensed for personal use through the network's picture desk.</p>"
)


_PLACES = "Saltby Wrenmouth Eastmere Portmarsh Greyfell Ashby Corvale Northmoor".split()
_THINGS = (
    "budget",
    "survey",
    "timetable",
    "harvest",
    "ferry",
    "quay",
    "school",
    "bridge",
    "library",
    "reservoir",
    "market",
    "depot",
    "orchard",
    "station",
    "museum",
    "pier",
)
_DOINGS = (
    "was approved by councillors",
    "drew objections from residents",
    "will cost more than planned",
    "was delayed by the weather",
    "opened to the public",
    "needs repairs before winter",
    "was praised by inspectors",
    "will be reviewed in the spring",
)


def story_html(title: str, extra: str = "") -> str:
    """An article page with about 130 words of prose of its own, drawn by its title."""
    pick = random.Random(title).choice
    sentences = [
        f"In {pick(_PLACES)}, the {pick(_THINGS)} on {pick(_PLACES)} Road {pick(_DOINGS)}, and "
        f"the {pick(_THINGS)} near the {pick(_THINGS)} {pick(_DOINGS)}."
        for _ in range(7)
    ]
    paragraphs = "".join(f"<p>{title}. {' '.join(sentences[i : i + 2])}</p>" for i in (0, 2, 4))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}<p>{sentences[6]}</p>{extra}</article></body></html>")  # fmt: skip


def test_a_footer_on_unrelated_stories_of_two_outlets_is_taken_out(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    stories = {"one": ["Orchard plan approved", "Glacier survey begins"],
               "two": ["Railway timetable changes", "Vineyard harvest starts early",
                       "Lighthouse keeper retires"]}  # fmt: skip
    for outlet, titles in stories.items():
        items = [(t, url(f"/{outlet}/{n}.html"), t + ".") for n, t in enumerate(titles)]
        httpserver.expect_request(f"/{outlet}.xml").respond_with_data(
            rss(items, title=f"Outlet {outlet}"), content_type="application/rss+xml"
        )
        for n, title in enumerate(titles):
            page = story_html(title, extra=FOOTER)
            if title.startswith("Lighthouse"):  # nothing but the footer under its headline
                page = f"<html><body><article><h1>{title}</h1>{FOOTER}</article></body></html>"
            httpserver.expect_request(f"/{outlet}/{n}.html").respond_with_data(
                page, content_type="text/html"
            )
    feeds = [{"url": url(f"/{o}.xml"), "name": f"Outlet {o}"} for o in stories]
    report, articles = collected(write_config(tmp_path, feeds))
    assert report.articles_new == 5, report
    assert report.junk == [
        f"{url('/two/2.html')} (feed Outlet two): shared boilerplate: little is left once the "
        "paragraphs other outlets print under unrelated headlines are taken out; kept the "
        "feed's text"
    ]
    for article in articles:
        assert "Harbour Network" not in article.text and "picture desk" not in article.text
        if article.title.startswith("Lighthouse"):
            assert article.partial and article.text == "Lighthouse keeper retires."
        else:
            assert f"{article.title}. In " in article.text  # its own prose stays


def test_one_text_under_unrelated_headlines_of_two_outlets_is_not_syndication(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    # A long maintenance notice that two outlets served in place of two different stories.
    notice = "".join(
        f"<p>Our publishing system is being moved to a new provider in stage {n}, and some "
        f"pages may show older versions of their content until the move is complete.</p>"
        for n in range(8)
    )
    page = f"<html><head><title>Notice</title></head><body><article>{notice}</article></body>"
    for outlet, title in (("one", "Ferry fares to rise in spring"),
                          ("two", "Senator resigns over expenses")):  # fmt: skip
        httpserver.expect_request(f"/{outlet}.xml").respond_with_data(
            rss([(title, url(f"/{outlet}/story.html"), f"{title}, the outlet reports.")]),
            content_type="application/rss+xml",
        )
        httpserver.expect_request(f"/{outlet}/story.html").respond_with_data(
            page, content_type="text/html"
        )
    feeds = [{"url": url("/one.xml"), "name": "Outlet One"},
             {"url": url("/two.xml"), "name": "Outlet Two"}]  # fmt: skip
    report, articles = collected(write_config(tmp_path, feeds))
    assert report.articles_syndicated == 0 and report.articles_junk == 2
    assert sorted(report.junk) == sorted([
        f"{url('/two/story.html')} (feed Outlet Two): shared boilerplate: the same text as "
        "Outlet One's “Ferry fares to rise in spring”; kept the feed's text",
        f"{url('/one/story.html')} (feed Outlet One): shared boilerplate: the same text as "
        "Outlet Two's “Senator resigns over expenses”; kept the feed's text",
    ])  # fmt: skip
    texts = {a.source: (a.text, a.partial) for a in articles}
    assert texts == {
        "Outlet One": ("Ferry fares to rise in spring, the outlet reports.", True),
        "Outlet Two": ("Senator resigns over expenses, the outlet reports.", True),
    }


def test_aibot_collect_lists_the_pages_that_are_not_news(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Harbour bridge reopens", url("/gone.html"), "")]),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/gone.html").respond_with_data(
        ERROR_PAGE.replace("Page not found | Outlet Two", "Outlet Two"), content_type="text/html"
    )
    result = run_cli("collect", "-c", str(write_config(tmp_path, [{"url": url("/feed.xml")}])))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"not news: {url('/gone.html')} (feed Loopback News): error page: “Page not found”; dropped"
    )


WIDGET_PAGE = (
    "<html><head><title>Tweets</title></head><body><main>"
    "<p>Tweet with a location</p><p>You can add location information to your Tweets, such as "
    "your city or precise location, from the web and via third-party applications. You always "
    "have the option to delete your Tweet location history.</p></main></body></html>"
)


def test_a_widget_page_whose_feed_repeats_the_widget_is_dropped_not_kept_as_feed_text(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """Two outlets serve the same social widget: the feed's text, once its junk sentences are
    stripped, leaves a fragment ("You always have the…") that must not pass for news."""
    url = httpserver.url_for
    title = "You can add location information to your Tweets, such as your city"
    description = (
        "Tweet with a location You can add location information to your Tweets, such as your "
        "city or precise location, from the web and via third-party applications. You always "
        "have the…"
    )
    feeds = []
    for outlet in ("one", "two"):
        httpserver.expect_request(f"/{outlet}.xml").respond_with_data(
            rss([(title, url(f"/{outlet}/tweets.html"), description)], title=outlet),
            content_type="application/rss+xml",
        )
        httpserver.expect_request(f"/{outlet}/tweets.html").respond_with_data(
            WIDGET_PAGE, content_type="text/html"
        )
        feeds.append({"url": url(f"/{outlet}.xml"), "name": outlet})
    report, articles = collected(write_config(tmp_path, feeds))
    assert articles == []
    assert report.articles_junk == 2
    assert all(line.endswith("; dropped") for line in report.junk), report.junk
