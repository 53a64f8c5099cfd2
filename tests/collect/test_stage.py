"""Collection against a fault-injecting loopback server: nothing fatal, everything reported."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import feeds_over_http, run_cli
from tests.helpers.collect import NOW, article_html, collected, rss, write_config


class _Stall(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.server.release.wait(timeout=30)  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stalling_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stall)
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join()


def test_every_fault_is_one_line_and_the_good_feed_still_lands(
    httpserver: HTTPServer, tmp_path: Path, stalling_url: str
) -> None:
    url = httpserver.url_for
    httpserver.expect_request("/good.xml").respond_with_data(
        rss([("Orchard plan approved", url("/a1.html"), "The orchard plan was approved.")]),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/a1.html").respond_with_data(
        article_html("Orchard plan approved"), content_type="text/html"
    )
    httpserver.expect_request("/gone.xml").respond_with_data("", status=410)
    httpserver.expect_request("/missing.xml").respond_with_data("", status=404)
    httpserver.expect_request("/error.xml").respond_with_data("", status=500)
    httpserver.expect_request("/html.xml").respond_with_data(
        "<html><body><p>Not a feed</p></body></html>", content_type="text/html"
    )
    httpserver.expect_request("/broken.xml").respond_with_data(
        "<rss version='2.0'><channel><title>x</title><item><title>y</title>",
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/huge.xml").respond_with_data(b"x" * 200_000)
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000)
    httpserver.expect_request("/bomb.xml").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    httpserver.expect_request("/loop.xml").respond_with_data(
        "", status=302, headers={"Location": url("/loop.xml")}
    )
    feeds = [
        {"url": url(f"/{name}.xml"), "name": name.title()}
        for name in ("good", "gone", "missing", "error", "html", "broken", "huge", "bomb", "loop")
    ] + [{"url": stalling_url, "name": "Stall"}]
    config_file = write_config(tmp_path, feeds, max_bytes=100_000, timeout_s=0.5)
    report, articles = collected(config_file)

    assert [a.title for a in articles] == ["Orchard plan approved"]
    assert report.feeds_ok == 2  # good, and broken (kept what parsed)
    lines = {name: [p for p in report.problems if f"feed {name}" in p]
             for name in ("Gone", "Missing", "Error", "Html", "Broken", "Huge", "Bomb", "Loop",
                          "Stall")}  # fmt: skip
    assert all(len(found) == 1 for found in lines.values()), lines
    assert "HTTP 410" in lines["Gone"][0]
    assert "HTTP 404" in lines["Missing"][0]
    assert "HTTP 500" in lines["Error"][0]
    assert "not an RSS or Atom feed" in lines["Html"][0]
    assert "feed has errors" in lines["Broken"][0]
    assert "larger than 100000 bytes" in lines["Huge"][0]
    assert "larger than 100000 bytes" in lines["Bomb"][0]
    assert "redirects" in lines["Loop"][0]
    assert "timed out" in lines["Stall"][0]


def test_conditional_get_makes_a_304_cost_nothing(httpserver: HTTPServer, tmp_path: Path) -> None:
    seen_headers: list[dict[str, str]] = []
    feed = rss([("Glacier survey", httpserver.url_for("/g.html"), "A survey.")])

    def answer(request: Request) -> Response:
        seen_headers.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(feed, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(answer)
    httpserver.expect_request("/g.html").respond_with_data(article_html("Glacier survey"),
                                                           content_type="text/html")  # fmt: skip
    config_file = write_config(tmp_path, [{"url": httpserver.url_for("/feed.xml")}])
    first, _ = collected(config_file)
    second, _ = collected(config_file)
    assert first.articles_new == 1
    assert second.feeds_ok == 1 and second.articles_new == 0 and second.articles_seen == 0
    assert seen_headers[1]["If-None-Match"] == '"v1"'
    assert seen_headers[0]["User-Agent"].startswith("AiBot/")
    assert "loopback.example" in seen_headers[0]["User-Agent"]


def test_retry_after_skips_the_feed_until_the_time_it_names(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/busy.xml").respond_with_data(
        "", status=503, headers={"Retry-After": "3600"}
    )
    config_file = write_config(tmp_path, [{"url": httpserver.url_for("/busy.xml"), "name": "B"}])
    first, _ = collected(config_file)
    assert first.feeds_waiting == 1 and first.feeds_failed == 0
    assert "retry after 3600 s" in first.problems[0]
    requests_so_far = len(httpserver.log)
    soon, _ = collected(config_file, NOW + timedelta(minutes=30))
    assert len(httpserver.log) == requests_so_far  # not asked again before the hour is up
    assert "asked to wait until" in soon.problems[0]
    collected(config_file, NOW + timedelta(hours=2))
    assert len(httpserver.log) == requests_so_far + 1


def test_a_feed_failing_n_runs_in_a_row_is_broken_and_shown_by_aibot_feeds(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/down.xml").respond_with_data("", status=500)
    httpserver.expect_request("/up.xml").respond_with_data(rss([]), content_type="text/xml")
    feeds = [{"url": httpserver.url_for("/down.xml"), "name": "Down Daily"},
             {"url": httpserver.url_for("/up.xml"), "name": "Up Daily"}]  # fmt: skip
    config_file = write_config(tmp_path, feeds, broken_after=3)
    reports = [collected(config_file, NOW + timedelta(hours=h))[0] for h in range(3)]
    assert "broken" not in reports[1].problems[0]
    assert "broken: failed 3 runs in a row" in reports[2].problems[0]
    table = run_cli("feeds", "-c", str(config_file))
    assert table.exit_code == 1
    down = next(line for line in table.output.splitlines() if line.startswith("Down Daily"))
    assert " 3 " in down and "HTTP 500" in down
    up = next(line for line in table.output.splitlines() if line.startswith("Up Daily"))
    assert " 0 " in up and "never" not in up


def test_private_links_in_a_feed_are_not_followed_when_not_allowed(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/secret.html").respond_with_data(article_html("Secret"))
    feed = tmp_path / "local.xml"
    feed.write_text(rss([
        ("Loopback link", httpserver.url_for("/secret.html"), "Tries the loopback address."),
        ("Metadata link", "http://169.254.169.254/latest/meta-data/", "Tries cloud metadata."),
    ]))  # fmt: skip
    config_file = write_config(tmp_path, [{"url": "local.xml", "name": "Local"}],
                               allow_private_hosts=False)  # fmt: skip
    report, articles = collected(config_file)
    assert len(httpserver.log) == 0
    assert report.articles_failed == 2 and not articles
    assert sum("127.0.0.1" in p and "allow_private_hosts" in p for p in report.problems) == 1
    assert sum("169.254.169.254" in p and "refused" in p for p in report.problems) == 1


def test_robots_txt_is_honoured_for_pages(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = httpserver.url_for
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    httpserver.expect_request("/feed.xml").respond_with_data(rss([
        ("Open page", url("/open.html"), "An open page."),
        ("Private page", url("/private/p.html"), "The feed's own summary of the private page."),
    ]), content_type="application/rss+xml")  # fmt: skip
    httpserver.expect_request("/open.html").respond_with_data(article_html("Open page"),
                                                              content_type="text/html")  # fmt: skip
    config_file = write_config(tmp_path, [{"url": url("/feed.xml")}])
    report, articles = collected(config_file)
    paths = [request.path for request, _ in httpserver.log]
    assert "/private/p.html" not in paths
    assert paths.count("/robots.txt") == 1
    private = next(a for a in articles if a.title == "Private page")
    assert private.partial and private.extractor == "feed"
    assert private.text == "The feed's own summary of the private page."
    assert not next(a for a in articles if a.title == "Open page").partial
    again = tmp_path / "again"
    again.mkdir()
    collected(write_config(again, [{"url": url("/feed.xml")}], respect_robots=False))
    assert "/private/p.html" in [request.path for request, _ in httpserver.log]


def test_a_paywall_stub_falls_back_to_the_feed_text(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = httpserver.url_for
    summary = "Quarry owners agreed to a new dust limit after months of complaints from residents."
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Quarry dust limit agreed", url("/paywalled.html"), summary)]),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/paywalled.html").respond_with_data(
        "<html><body><article><h1>Quarry dust limit agreed</h1><p>Quarry owners agreed to a "
        "new dust limit.</p><p>Subscribe to continue reading this article.</p></article>"
        "</body></html>",
        content_type="text/html",
    )
    config_file = write_config(tmp_path, [{"url": url("/feed.xml")}])
    report, articles = collected(config_file)
    assert report.articles_partial == 1
    assert articles[0].partial and articles[0].text == summary


def test_syndicated_copies_are_kept_once_with_every_outlet(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    page = article_html("Canal lock repaired")
    for outlet in ("one", "two"):
        httpserver.expect_request(f"/{outlet}.xml").respond_with_data(
            rss([("Canal lock repaired", url(f"/{outlet}/canal.html"), "The lock reopened.")]),
            content_type="application/rss+xml",
        )
        httpserver.expect_request(f"/{outlet}/canal.html").respond_with_data(
            page.replace("Footer text", f"Copyright {outlet}"), content_type="text/html"
        )
    feeds = [{"url": url("/one.xml"), "name": "Outlet One"},
             {"url": url("/two.xml"), "name": "Outlet Two"}]  # fmt: skip
    config_file = write_config(tmp_path, feeds)
    report, articles = collected(config_file)
    assert report.articles_new == 1 and report.articles_syndicated == 1
    assert len(articles) == 1
    assert articles[0].outlets == ["Outlet One", "Outlet Two"]
    again, _ = collected(config_file)
    assert again.articles_new == 0 and again.articles_syndicated == 0


def test_a_run_with_30_percent_of_feeds_failing_still_writes_and_builds(
    demo_dir: Path, file_server
) -> None:
    base = file_server(demo_dir / "sample")
    dead = [{"url": base + f"feeds/dead-{n}.xml", "name": f"Dead {n}"} for n in range(3)]
    config_file = feeds_over_http(demo_dir, base, True, dead)
    result = run_cli("run", "-c", str(config_file))
    assert result.exit_code == 0, result.output
    assert "7 ok, 3 failed" in result.output
    assert sum(line.startswith("problem: feed Dead") for line in result.output.splitlines()) == 3
    posts = list((demo_dir / "content" / "posts").rglob("*.md"))
    assert len(posts) >= 8
    for post in posts:
        assert (demo_dir / "site" / "posts" / f"{post.stem}.html").is_file()


def test_feed_charsets_wrong_or_missing_still_give_the_right_text(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = httpserver.url_for
    latin = (
        "<?xml version='1.0' encoding='iso-8859-1'?><rss version='2.0'><channel>"
        "<title>Caf\u00e9 Gazette</title><item><title>Caf\u00e9 reopens in Z\u00fcrich</title>"
        f"<link>{url('/cafe.html')}</link><description>Cr\u00e8me br\u00fbl\u00e9e.</description>"
        "</item></channel></rss>"
    ).encode("iso-8859-1")
    # Declared as UTF-8 by the server although the bytes are Latin-1.
    httpserver.expect_request("/wrong.xml").respond_with_data(
        latin, content_type="application/rss+xml; charset=utf-8"
    )
    httpserver.expect_request("/none.xml").respond_with_data(latin, content_type="text/xml")
    page = article_html("Caf\u00e9 reopens in Z\u00fcrich").replace(
        "<head>", "<head><meta charset='iso-8859-1'>"
    )
    httpserver.expect_request("/cafe.html").respond_with_data(
        page.encode("iso-8859-1"), content_type="text/html"
    )
    for name in ("wrong", "none"):
        folder = tmp_path / name
        folder.mkdir()
        report, articles = collected(write_config(folder, [{"url": url(f"/{name}.xml")}]))
        assert report.feeds_ok == 1, report.problems
        assert [a.title for a in articles] == ["Caf\u00e9 reopens in Z\u00fcrich"]
        assert articles[0].summary == "Cr\u00e8me br\u00fbl\u00e9e."
        assert "Z\u00fcrich" in articles[0].text or "district" in articles[0].text
        assert "\ufffd" not in articles[0].text


def test_entry_and_page_dates_are_never_in_the_future(httpserver: HTTPServer, tmp_path: Path):
    url = httpserver.url_for
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Vineyard harvest", url("/v.html"), "The harvest began.")]).replace(
            "Tue, 24 Nov 2026", "Fri, 24 Nov 2028"
        ),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/v.html").respond_with_data(
        article_html("Vineyard harvest").replace("2026-11-24T08", "2029-01-01T08"),
        content_type="text/html",
    )
    _, articles = collected(write_config(tmp_path, [{"url": url("/feed.xml")}]))
    assert articles[0].published is not None
    assert articles[0].published <= datetime.now(UTC)


def test_a_page_date_in_the_future_is_clamped(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = httpserver.url_for
    undated = rss([("Lighthouse relit", url("/l.html"), "The lamp is back.")]).replace(
        "<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>", ""
    )
    httpserver.expect_request("/feed.xml").respond_with_data(undated, content_type="text/xml")
    httpserver.expect_request("/l.html").respond_with_data(
        article_html("Lighthouse relit").replace("2026-11-24T08", "2029-01-01T08"),
        content_type="text/html",
    )
    _, articles = collected(write_config(tmp_path, [{"url": url("/feed.xml")}]), NOW)
    assert articles[0].published == NOW


def test_brotli_and_gzip_bodies_are_decoded(httpserver: HTTPServer, tmp_path: Path) -> None:
    import brotli

    url = httpserver.url_for
    feed = rss([("Railway timetable", url("/r.html"), "New trains.")]).encode()
    httpserver.expect_request("/br.xml").respond_with_data(
        brotli.compress(feed), headers={"Content-Encoding": "br"}, content_type="text/xml"
    )
    httpserver.expect_request("/gz.xml").respond_with_data(
        gzip.compress(feed), headers={"Content-Encoding": "gzip"}, content_type="text/xml"
    )
    httpserver.expect_request("/r.html").respond_with_data(
        gzip.compress(article_html("Railway timetable").encode()),
        headers={"Content-Encoding": "gzip"},
        content_type="text/html",
    )
    feeds = [{"url": url("/br.xml"), "name": "Br"}, {"url": url("/gz.xml"), "name": "Gz"}]
    report, articles = collected(write_config(tmp_path, feeds))
    assert report.feeds_ok == 2 and not report.problems
    assert [a.title for a in articles] == ["Railway timetable"]
    assert "railway timetable plan" in articles[0].text
    accepted = httpserver.log[0][0].headers["Accept-Encoding"]
    assert "br" in accepted and "gzip" in accepted


def test_entries_older_than_max_age_are_ignored(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = httpserver.url_for
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([("Old news", url("/old.html"), "Yesterday's.")]), content_type="text/xml"
    )
    config_file = write_config(tmp_path, [{"url": url("/feed.xml")}], max_age_hours=2)
    report, articles = collected(config_file, NOW)  # the entry is 4 hours old
    assert articles == [] and report.articles_new == 0
    assert [request.path for request, _ in httpserver.log] == ["/feed.xml"]
