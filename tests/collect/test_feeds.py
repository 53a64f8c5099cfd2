"""parse_feed: RSS and Atom bytes into Articles with plain-text fields and UTC dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aibot.collect.feeds import parse_feed

FIXTURES = Path(__file__).parents[1] / "fixtures" / "unit" / "feeds"

FERRY_DESCRIPTION = (
    b"&lt;p&gt;The council &lt;em&gt;voted&lt;/em&gt; 7&amp;ndash;2 on Tuesday "
    b"to raise fares by &amp;pound;1.&lt;/p&gt;"
)
QUARRY_SUMMARY = (
    b"&lt;p&gt;The old quarry &lt;b&gt;reopens&lt;/b&gt; &amp;amp; hires twelve people.&lt;/p&gt;"
    b"&lt;script&gt;steal()&lt;/script&gt;"
)
QUARRY_CONTENT = (
    b"&lt;p&gt;The quarry will reopen in May.&lt;/p&gt;"
    b"&lt;p&gt;Twelve people will be hired, the mayor said.&lt;/p&gt;"
)

RSS = (
    b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Harbour &amp; Hill Gazette</title>
  <link>https://gazette.example.org/</link>
  <description>Local news from a town that does not exist.</description>
  <item>
    <title>Ferry &lt;b&gt;fares&lt;/b&gt; rise &amp;amp; timetable shrinks</title>
    <link>/news/ferry-fares.html</link>
    <description>%s</description>
    <pubDate>Tue, 03 Mar 2026 09:30:00 +0100</pubDate>
    <author>desk@gazette.example.org (Ada Quill)</author>
    <category>transport</category>
  </item>
  <item>
    <title>Lighthouse keeper retires after 40 years</title>
    <link>https://gazette.example.org/news/lighthouse.html?utm_source=rss#top</link>
    <description>A quiet farewell on the pier.</description>
    <pubDate>Wed, 04 Mar 2026 18:00:00 GMT</pubDate>
  </item>
</channel>
</rss>
"""
    % FERRY_DESCRIPTION
)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Quarry Valley &lt;Desk&gt;</title>
  <id>urn:example:quarry-desk</id>
  <updated>2026-03-05T08:00:00Z</updated>
  <entry>
    <title type="text">Mayor says &lt;script&gt;alert(1)&lt;/script&gt; is not a plan</title>
    <link rel="alternate" href="../pages/mayor.html"/>
    <id>urn:example:quarry-desk:1</id>
    <updated>2026-03-05T10:15:00+02:00</updated>
    <summary type="html">%s</summary>
    <content type="html">%s</content>
    <author><name>Bram Holt</name></author>
  </entry>
</feed>
""" % (QUARRY_SUMMARY, QUARRY_CONTENT)


def test_rss_titles_and_summaries_are_plain_text():
    feed = parse_feed(RSS, "https://gazette.example.org/feed.xml")
    assert feed.version == "rss20"
    assert feed.title == "Harbour & Hill Gazette"
    first = feed.entries[0]
    assert first.title == "Ferry fares rise & timetable shrinks"
    assert first.summary == "The council voted 7\u20132 on Tuesday to raise fares by \u00a31."
    assert "<" not in first.summary
    assert first.source == "Harbour & Hill Gazette"
    assert first.tags == ["transport"]


def test_rss_relative_link_is_resolved_against_the_feed_url():
    feed = parse_feed(RSS, "https://gazette.example.org/feeds/main.xml")
    assert feed.entries[0].url == "https://gazette.example.org/news/ferry-fares.html"


def test_rss_canonical_url_drops_tracking_and_fragment():
    feed = parse_feed(RSS, "https://gazette.example.org/feed.xml")
    second = feed.entries[1]
    assert second.canonical_url == "https://gazette.example.org/news/lighthouse.html"


def test_rss_dates_become_aware_utc_datetimes():
    feed = parse_feed(RSS, "https://gazette.example.org/feed.xml")
    first, second = feed.entries
    assert first.published == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert first.published.utcoffset() == timedelta(0)
    assert second.published == datetime(2026, 3, 4, 18, 0, tzinfo=UTC)


def test_atom_entry_fields_are_plain_text():
    feed = parse_feed(ATOM, "https://quarry.example.net/feeds/atom.xml")
    assert feed.version == "atom10"
    assert feed.title == "Quarry Valley <Desk>"
    (entry,) = feed.entries
    assert entry.summary == "The old quarry reopens & hires twelve people."
    assert "steal" not in entry.summary
    assert entry.text == (
        "The quarry will reopen in May.\n\nTwelve people will be hired, the mayor said."
    )
    assert entry.authors == ["Bram Holt"]
    assert entry.published == datetime(2026, 3, 5, 8, 15, tzinfo=UTC)
    assert entry.published.tzinfo is not None


def test_text_plain_title_with_script_is_kept_as_literal_text():
    feed = parse_feed(ATOM, "https://quarry.example.net/feeds/atom.xml")
    # the characters are kept, not removed as a tag nor run: it is just text
    assert feed.entries[0].title == "Mayor says <script>alert(1)</script> is not a plan"


def test_atom_relative_link_is_resolved_against_an_http_feed_url():
    feed = parse_feed(ATOM, "https://quarry.example.net/feeds/atom.xml")
    assert feed.entries[0].url == "https://quarry.example.net/pages/mayor.html"


def test_relative_link_is_resolved_against_a_file_feed_url():
    atom = ATOM.replace(b"../pages/mayor.html", b"../pages/b.html")
    feed = parse_feed(atom, "file:///x/feeds/a.xml")
    entry = feed.entries[0]
    assert entry.url == "file:///x/pages/b.html"
    assert entry.canonical_url == "file:///x/pages/b.html"
    assert entry.feed_url == "file:///x/feeds/a.xml"


def test_future_date_is_clamped_to_now_or_earlier():
    rss = RSS.replace(b"Wed, 04 Mar 2026 18:00:00 GMT", b"Fri, 04 Mar 2061 18:00:00 GMT")
    before = datetime.now(UTC)
    feed = parse_feed(rss, "https://gazette.example.org/feed.xml")
    after = datetime.now(UTC)
    published = feed.entries[1].published
    assert published is not None
    assert published <= after
    assert published >= before - timedelta(seconds=5)


def test_line_breaks_inside_html_summary_are_spaces_not_paragraphs():
    rss = RSS.replace(
        b"7&amp;ndash;2 on Tuesday to raise",
        b"7&amp;ndash;2 on\n      Tuesday to raise",
    )
    feed = parse_feed(rss, "https://gazette.example.org/feed.xml")
    # a newline in HTML source is white space: the summary is still one paragraph
    assert feed.entries[0].summary == (
        "The council voted 7\u20132 on Tuesday to raise fares by \u00a31."
    )


def test_entry_without_date_has_no_published_time():
    rss = RSS.replace(b"<pubDate>Wed, 04 Mar 2026 18:00:00 GMT</pubDate>", b"")
    feed = parse_feed(rss, "https://gazette.example.org/feed.xml")
    assert feed.entries[1].published is None


def test_entry_without_link_is_skipped_with_a_problem():
    rss = RSS.replace(b"<link>/news/ferry-fares.html</link>", b"")
    feed = parse_feed(rss, "https://gazette.example.org/feed.xml")
    assert [e.title for e in feed.entries] == ["Lighthouse keeper retires after 40 years"]
    assert len(feed.problems) == 1
    assert "no usable link" in feed.problems[0]


def test_javascript_link_in_an_entry_is_not_kept():
    rss = RSS.replace(b"<link>/news/ferry-fares.html</link>", b"<link>javascript:alert(1)</link>")
    feed = parse_feed(rss, "https://gazette.example.org/feed.xml")
    assert all(not e.url.startswith("javascript:") for e in feed.entries)
    assert len(feed.entries) == 1


def test_html_page_gives_no_entries_and_a_problem():
    page = (
        b"<!doctype html><html><head><title>Welcome</title></head><body><p>Hello</p></body></html>"
    )
    feed = parse_feed(page, "https://gazette.example.org/")
    assert feed.entries == []
    assert feed.version == ""
    assert len(feed.problems) == 1
    assert "not an RSS or Atom feed" in feed.problems[0]


@pytest.mark.parametrize("data", [b"", b"   \n  "])
def test_empty_bytes_give_no_entries_and_a_problem(data):
    feed = parse_feed(data, "https://gazette.example.org/feed.xml")
    assert feed.entries == []
    assert feed.version == ""
    assert len(feed.problems) == 1
    assert feed.problems[0].startswith("empty document")


def test_malformed_but_recoverable_xml_keeps_entries_and_lists_a_problem():
    broken = b"""<rss version="2.0"><channel><title>Mill Street Bulletin</title>
<item><title>Bakery wins prize</title><link>https://mill.example.org/1</link></item>
<item><title>Bridge closes &nbsp; for repairs</title><link>https://mill.example.org/2</link></item>
"""
    feed = parse_feed(broken, "https://mill.example.org/feed.xml")
    assert [e.url for e in feed.entries] == [
        "https://mill.example.org/1",
        "https://mill.example.org/2",
    ]
    assert feed.entries[0].title == "Bakery wins prize"
    assert len(feed.problems) == 1
    assert feed.problems[0].startswith("feed has errors")


def test_str_document_raises_type_error():
    with pytest.raises(TypeError):
        parse_feed(RSS.decode("utf-8"), "https://gazette.example.org/feed.xml")  # type: ignore[arg-type]


def test_headers_are_accepted_in_any_case():
    feed = parse_feed(RSS, "https://gazette.example.org/feed.xml", {"Content-Type": "text/xml"})
    assert feed.version == "rss20"
    assert len(feed.entries) == 2


def test_entry_ids_are_stable_for_the_same_link():
    one = parse_feed(RSS, "https://gazette.example.org/feed.xml")
    two = parse_feed(RSS, "https://gazette.example.org/feed.xml")
    assert [e.id for e in one.entries] == [e.id for e in two.entries]
    assert one.entries[0].id != one.entries[1].id


# feedparser's own well-formed samples (see fixtures/unit/feeds/README.md)

FEEDPARSER_SAMPLES = {
    "rss_channel_title_lt.xml": ("rss091u", []),
    "rss_item_guid.xml": ("rss20", ["http://guid.example.com/"]),
    "rss_rss_version_094.xml": ("rss094", []),
    "rss_item_description_naked_markup.xml": ("rss20", []),
    "atom10_entry_link_alternate_map_link_3.xml": (
        "atom10",
        ["http://www.example.com/alternate"],
    ),
    "atom10_entry_title_type_empty-no-crash.xml": ("atom10", []),
    "atom_entry_id.xml": ("atom03", ["http://example.com/"]),
    "rdf_rdf_item_link.xml": ("rss10", ["http://example.com/1"]),
}


@pytest.mark.parametrize("name", sorted(FEEDPARSER_SAMPLES))
def test_feedparser_wellformed_samples_parse_with_a_version(name):
    version, urls = FEEDPARSER_SAMPLES[name]
    feed = parse_feed((FIXTURES / name).read_bytes(), "http://example.com/feed.xml")
    assert feed.version == version
    assert [e.url for e in feed.entries] == urls
    assert not any(p.startswith(("feed has errors", "not an RSS")) for p in feed.problems)


def test_feedparser_sample_title_entity_is_decoded():
    feed = parse_feed((FIXTURES / "rss_channel_title_lt.xml").read_bytes(), "http://e.test/f")
    assert feed.title == "1 < 2"


def test_every_fixture_file_is_covered():
    assert sorted(p.name for p in FIXTURES.glob("*.xml")) == sorted(FEEDPARSER_SAMPLES)
