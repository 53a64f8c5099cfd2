"""Big and odd input through the real collector and pipeline, served on 127.0.0.1: a 50 MB feed,
a 10,000-entry feed, a 1 MB headline, articles in Arabic and Chinese, emoji and zero-width
characters in headlines, dates in 1970 and 2100, a feed with no dates.

The tests that time a run print its seconds and peak memory (pytest -s).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import html5lib
import pytest
import yaml

from aibot.config import load_config
from aibot.posts.frontmatter import load_post
from aibot.store import Store
from tests.conftest import run_cli

NOW = datetime.now(UTC).replace(microsecond=0)
MB = 1_000_000


def rss(items: list[dict[str, Any]], title: str = "Odd News") -> str:
    """An RSS 2.0 feed; each item: title, link, and optional text, date (datetime or None)."""
    body = []
    for item in items:
        date = item.get("date", NOW - timedelta(hours=1))
        when = f"<pubDate>{date:%a, %d %b %Y %H:%M:%S +0000}</pubDate>" if date else ""
        text = item.get("text", "")
        body.append(
            f"<item><title>{html.escape(item['title'])}</title><link>{item['link']}</link>"
            f"<guid>{item['link']}</guid>{when}"
            f"<description>{html.escape(text)}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{html.escape(title)}</title><link>http://odd.example/</link>{''.join(body)}"
        "</channel></rss>"
    )


def page(title: str, paragraphs: list[str], lang: str = "en", published: str = "") -> str:
    when = f"<meta property='article:published_time' content='{published}'>" if published else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>{when}</head><body><article>"
        f"<h1>{html.escape(title)}</h1>{body}</article></body></html>"
    )


def prose(topic: str, n: int = 8) -> list[str]:
    """Made-up English paragraphs about `topic` (well over the 80 words of a stub)."""
    return [
        f"The council said the {topic} would be reviewed again in week {i + 2}, after residents "
        f"raised questions about the cost and the timetable of the {topic} at a public meeting."
        for i in range(n)
    ]


def configure(folder: Path, feeds: list[dict[str, Any]], **collect: Any) -> Path:
    config = {
        "site": {"title": "Odd Input Times", "base_url": "https://odd.example/", "language": "en"},
        "feeds": feeds,
        "collect": {"max_age_hours": 0, "allow_private_hosts": True, "timeout_s": 10, **collect},
        "cluster": {"min_sources": 2, "embeddings": "off"},
        "writer": {"backend": "extractive"},
    }
    path = folder / "aibot.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run(config: Path) -> str:
    result = run_cli("run", "-c", str(config))
    assert result.exit_code == 0, result.output
    return result.output


def posts_of(folder: Path) -> list[Any]:
    return [load_post(p) for p in sorted((folder / "content" / "posts").rglob("*.md"))]


@pytest.fixture
def served(tmp_path: Path, file_server) -> Iterator[tuple[Path, str]]:
    """A folder on a loopback HTTP server, and the folder the site is made in."""
    folder = tmp_path / "served"
    folder.mkdir()
    yield folder, file_server(folder)


# Runs a command as its own child and writes that child's peak RSS (KB) to a file. Linux counts
# into a process's peak the memory of the process it was forked from (kept across exec), so a
# command forked straight from a test process that has grown (an earlier test loaded the
# sentence model) would report that size; forked from this small launcher, it reports its own.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _measured(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; returns it, its wall time in s and its peak memory in MB."""
    started = time.monotonic()
    peak_file = cwd / f".peak-{os.getpid()}-{time.monotonic_ns()}"
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(peak_file), *argv],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    peak_kb = int(peak_file.read_text())
    peak_file.unlink()
    done.args = argv
    return done, seconds, peak_kb / 1024


# A 50 MB feed


def test_a_50_mb_feed_is_refused_at_the_size_cap_in_bounded_time_and_memory(
    served, tmp_path: Path
) -> None:
    folder, base = served
    item = rss([{"title": "Filler", "link": "http://odd.example/x", "text": "x" * 400}])
    one = item[item.index("<item>") : item.index("</item>") + 7]
    with (folder / "big.xml").open("w", encoding="utf-8") as big:
        big.write(rss([])[: -len("</channel></rss>")])
        while big.tell() < 50 * MB:
            big.write(one * 1000)
        big.write("</channel></rss>")
    size = (folder / "big.xml").stat().st_size
    (tmp_path / "local").mkdir()
    os.link(folder / "big.xml", tmp_path / "local" / "big.xml")
    (folder / "small.xml").write_text(rss([{"title": "Ferry fares rise", "link": base + "a.html"}]))
    (folder / "a.html").write_text(page("Ferry fares rise", prose("ferry fares")))
    config = configure(tmp_path, [
        {"url": base + "big.xml", "name": "Big over HTTP"},
        {"url": "local/big.xml", "name": "Big on disk"},
        {"url": base + "small.xml", "name": "Small"},
    ])  # fmt: skip
    argv = [sys.executable, "-m", "aibot", "collect", "-c", str(config)]
    done, seconds, peak = _measured(argv, tmp_path)
    print(f"\n50 MB feed ({size:,} bytes): refused in {seconds:.1f} s, peak memory {peak:.0f} MB")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name in ("Big over HTTP", "Big on disk"):
        line = next(line for line in lines if line.startswith(f"problem: feed {name}"))
        assert "larger than 5000000 bytes" in line, line
    assert "feeds     1 ok, 2 failed" in done.stdout
    assert "articles  1 new" in done.stdout
    assert seconds < 60
    assert peak < 400  # the body is cut off at 5 MB, never read whole


# A 10,000-entry feed


class _SlowFeed(BaseHTTPRequestHandler):
    """A one-item feed, answered after a second."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        time.sleep(1)
        link = f"http://127.0.0.1:{self.server.server_address[1]}/notices{self.path}.html"
        body = rss([{"title": f"Slow feed {self.path}", "link": link}]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def slow_feeds() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowFeed)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_10000_entry_feed_is_cut_to_its_newest_entries_in_bounded_time(
    served, tmp_path: Path, slow_feeds: str
) -> None:
    """The newest 500 entries are read; parsing all 10,000 (seconds of CPU) does not hold up
    the other feeds, whose answers take a second to come (it made one of them time out)."""
    from aibot.collect.stage import MAX_ENTRIES_PER_FEED

    folder, base = served
    entries = [
        {"title": f"Harbour notice number {n}", "link": f"{base}notices/{n}.html",
         "date": NOW - timedelta(minutes=n), "text": f"Notice {n} about the harbour tides."}
        for n in range(10_000)
    ]  # fmt: skip
    (folder / "many.xml").write_text(rss(entries, "Notices"), encoding="utf-8")
    # The pages are off limits (robots.txt), so each kept entry stands on its feed text: the
    # test times the feed, not 500 page extractions.
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /notices/\n")
    slow = [{"url": f"{slow_feeds}{n}", "name": f"Slow {n}"} for n in range(3)]
    config = configure(tmp_path, [{"url": base + "many.xml", "name": "Notices"}, *slow],
                       timeout_s=3, respect_robots=True)  # fmt: skip
    started = time.monotonic()
    output = run(config)
    seconds = time.monotonic() - started
    size = (folder / "many.xml").stat().st_size
    print(f"\n10,000-entry feed ({size:,} bytes): run in {seconds:.1f} s")
    assert f"feed Notices: 10000 entries, the newest {MAX_ENTRIES_PER_FEED} read" in output
    assert "feeds     4 ok, 0 failed" in output  # the slow feeds did not time out
    with Store(load_config(config).cache_file) as store:
        kept = [r["url"] for r in store.db.execute("SELECT url FROM articles")]
    notices = sorted(u for u in kept if u.startswith(base))
    assert notices == sorted(e["link"] for e in entries[:MAX_ENTRIES_PER_FEED])
    assert seconds < 180


# A 1 MB headline


def test_a_1_mb_headline_is_clipped_and_no_page_blows_up(served, tmp_path: Path) -> None:
    folder, base = served
    huge = "Ferry fares rise " + " ".join(f"word{n}" for n in range(150_000))
    assert len(huge) > MB
    for n, title in enumerate([huge, "Ferry fares rise in Calder Bay"]):
        (folder / f"a{n}.html").write_text(page(title, prose("ferry fares")))
        (folder / f"f{n}.xml").write_text(rss([{"title": title, "link": f"{base}a{n}.html"}]))
    config = configure(tmp_path, [
        {"url": f"{base}f{n}.xml", "name": f"Outlet {n}", "trusted_single_source": True}
        for n in range(2)
    ])  # fmt: skip
    started = time.monotonic()
    run(config)
    seconds = time.monotonic() - started
    posts = posts_of(tmp_path)
    titles = [p.title for p in posts] + [s["title"] for p in posts for s in p.meta["sources"]]
    assert titles and all(len(t) <= 300 for t in titles), [len(t) for t in titles]
    # Clipped where it is shown (the sources list); a clipped run of words is no post headline.
    assert any(t.startswith("Ferry fares rise word0 word1") and t.endswith("…") for t in titles)
    assert not any(p.title.startswith("Ferry fares rise word0") for p in posts)
    site = tmp_path / "site"
    made = [p for p in site.rglob("*.*") if p.suffix in (".html", ".xml", ".json")
            and "pagefind" not in p.parts]  # fmt: skip
    biggest = max(made, key=lambda p: p.stat().st_size)
    print(f"\n1 MB headline: run in {seconds:.1f} s, largest output {biggest.name} "
          f"{biggest.stat().st_size:,} bytes")  # fmt: skip
    assert biggest.stat().st_size < 200_000
    assert seconds < 60


# Arabic and Chinese


ARABIC = [
    ("صحيفة الميناء", "افتتاح جسر جديد للمشاة فوق نهر المدينة", [
        "افتتحت بلدية المدينة يوم الثلاثاء جسرا جديدا للمشاة فوق النهر بعد عامين من أعمال "
        "البناء. ويبلغ طول الجسر مئة وعشرين مترا، وقد كلف المشروع نحو أربعة ملايين دينار.",
        "وقال رئيس البلدية إن الجسر سيخدم آلاف السكان الذين يعبرون النهر كل يوم للوصول إلى "
        "المدارس والأسواق. وأضاف أن الإضاءة الليلية للجسر ستعمل بالطاقة الشمسية.",
        "ورحب تجار السوق القديم بالمشروع، وقالوا إن حركة الزبائن زادت منذ صباح الافتتاح. لكن "
        "عددا من السكان طالبوا بإضافة ممر للدراجات في المرحلة القادمة.",
        "وتنوي البلدية أن تبدأ في الربيع المقبل تجديد الضفة الشرقية للنهر، بما في ذلك حديقة "
        "عامة ومقاعد جديدة وممرات مظللة للمشي على طول الماء.",
    ]),
    ("أخبار الوادي", "جسر المشاة الجديد يربط ضفتي النهر", [
        "فتح جسر المشاة الجديد فوق نهر المدينة أبوابه أمام السكان يوم الثلاثاء، بعد أعمال "
        "استمرت عامين. ويمتد الجسر على طول مئة وعشرين مترا بتكلفة بلغت أربعة ملايين دينار.",
        "وأوضح رئيس البلدية في حفل الافتتاح أن آلاف الطلاب والعمال سيستخدمون الجسر يوميا. "
        "وأشار إلى أن مصابيح الجسر تعمل بألواح شمسية مثبتة على جانبيه.",
        "وقال أصحاب المحلات في السوق القديم إنهم يأملون أن يجلب الجسر زبائن جددا من الضفة "
        "الأخرى. وطالب راكبو الدراجات بممر خاص بهم في أقرب وقت ممكن.",
        "وستعلن البلدية في الأسابيع القادمة تفاصيل خطة تجديد الضفة الشرقية، التي تشمل حديقة "
        "عامة ومقاعد وأشجارا جديدة على امتداد النهر.",
    ]),
]  # fmt: skip
CHINESE = [
    ("海港日报", "城河新人行桥周二正式开放", [
        "市政府周二宣布，横跨城河的新人行桥正式向市民开放。这座桥全长一百二十米，建设工期约两年，"
        "总投资约四百万元。",
        "市长在开放仪式上表示，每天有数千名居民需要过河上学和购物，新桥将大大缩短他们的路程。"
        "桥上的夜间照明全部使用太阳能供电。",
        "老市场的商户对新桥表示欢迎，他们说开放当天上午的客流已经明显增加。不过也有居民希望"
        "下一阶段能够增加自行车道。",
        "市政府计划明年春天开始改造城河东岸，包括新建一座公园、增设座椅和沿河散步道。",
    ]),
    ("山谷新闻", "新人行桥连接城河两岸", [
        "经过两年施工，横跨城河的新人行桥于周二开放。大桥长一百二十米，造价约四百万元。",
        "市长说，新桥每天将为数千名学生和上班族提供便利。桥两侧安装了太阳能板，为桥上的路灯"
        "供电。",
        "老市场的店主们希望新桥能从对岸带来更多顾客。骑自行车的市民则呼吁尽快修建专用车道。",
        "市政府将在未来几周公布城河东岸改造计划的细节，其中包括公园、座椅和沿河种植的新树。",
    ]),
]  # fmt: skip


def test_arabic_and_chinese_articles_make_pages_with_their_lang_and_dir(
    served, tmp_path: Path
) -> None:
    """Each report is its own post (one outlet is enough: the feeds are trusted), read from its
    page (a Chinese text has no spaces: it is not taken for a stub of few words), and marked
    with its language — and, for Arabic, its direction — wherever it is shown."""
    folder, base = served
    feeds = []
    for n, (outlet, title, paragraphs) in enumerate(ARABIC + CHINESE):
        lang = "ar" if n < 2 else "zh"
        (folder / f"p{n}.html").write_text(page(title, paragraphs, lang), encoding="utf-8")
        (folder / f"f{n}.xml").write_text(
            rss([{"title": title, "link": f"{base}p{n}.html"}], outlet), encoding="utf-8"
        )
        feeds.append({"url": f"{base}f{n}.xml", "trusted_single_source": True})
    output = run(configure(tmp_path, feeds))
    assert "articles  4 new, 0 seen, 0 failed, 0 partial" in output  # whole pages, not stubs
    posts = posts_of(tmp_path)
    assert sorted(p.meta.get("language") for p in posts) == ["ar", "ar", "zh", "zh"]
    site = tmp_path / "site"
    front = (site / "index.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(front)  # valid: raises on any parse error
    for post in posts:
        language = post.meta["language"]
        marks = f' lang="{language}"' + (' dir="rtl"' if language == "ar" else "")
        text = (site / "posts" / f"{post.slug}.html").read_text(encoding="utf-8")
        html5lib.HTMLParser(strict=True).parse(text)
        assert f'<article class="post" data-pagefind-body{marks}>' in text
        assert '<html lang="en">' in text  # the site's own words stay English
        assert html.escape(post.title, quote=False) in text
        card = re.search(rf'<article class="(?:card|lead)"([^>]*)>(?:(?!</article>).)*'
                         rf'href="posts/{post.slug}\.html"', front, re.S)  # fmt: skip
        assert card and card.group(1) == marks, post.slug


# Emoji and zero-width characters in headlines


ODD_TITLES = {  # headline: what the article is about
    "🚢 Ferry fares 🎉 rise in Calder Bay": "ticket prices at the Calder Bay ferry terminal",
    "Fer\u200bry tim\u2060etable chan\ufeffges for the winter": "winter crossings to Gull Island",
    "🚢🎉🔥": "fireworks display above the Westhaven marina",
    "Harbour \u200b\u200b\u200b lights 👨\u200d👩\u200d👧 return": "lamps at Kestrel Point",
}


def test_emoji_and_zero_width_headlines_give_stable_slugs(served, tmp_path: Path) -> None:
    folder, base = served
    for n, (title, topic) in enumerate(ODD_TITLES.items()):
        (folder / f"p{n}.html").write_text(page(title, prose(topic)))
        (folder / f"f{n}.xml").write_text(rss([{"title": title, "link": f"{base}p{n}.html"}]))
    config = configure(tmp_path, [
        {"url": f"{base}f{n}.xml", "name": f"Outlet {n}", "trusted_single_source": True}
        for n in range(len(ODD_TITLES))
    ])  # fmt: skip
    run(config)
    first = {p.slug: p.title for p in posts_of(tmp_path)}
    assert len(first) == len(ODD_TITLES), first
    for slug, title in first.items():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug), slug
        assert not re.search("[\u200b\u2060\ufeff]", title), repr(title)
    assert "ferry-timetable-changes-for-the-winter" in first  # not "fer-ry-tim-etable"
    assert "Ferry timetable changes for the winter" in first.values()
    run(config)  # again: the same posts, the same slugs
    assert {p.slug: p.title for p in posts_of(tmp_path)} == first


# Dates


DATED = {
    "epoch": [
        "Edwin Tremayne climbed the spiral stairs of the Kestrel Point lighthouse for the last "
        "time on Wednesday, after thirty-one years of keeping its lamp alight.",
        "He trimmed wicks, wound the clockwork and logged every passing trawler in pencil. His "
        "logbooks fill four shelves in the keeper's cottage.",
        "Fishermen gathered on the jetty with lanterns to wave him off. His daughter said he "
        "plans to grow tomatoes and finally learn to swim.",
        "The lamp will be run by an automatic timer from next month, the lighthouse board said.",
    ],
    "future": [
        "Trams began running on the new eastern extension of the city line on Saturday, "
        "linking the railway station with the university campus and the hospital.",
        "The four kilometre extension has six stops. Students queued before dawn to ride the "
        "first car, and the transport authority handed out commemorative tickets.",
        "Shopkeepers along Victoria Road said the building works had hurt trade for two years "
        "but hoped the trams would bring new customers.",
        "Services will run every seven minutes at peak times, the authority said.",
    ],
    "undated": [
        "Apple growers in the Vale of Brennock picked a record crop this autumn, the growers' "
        "cooperative reported, thanks to a warm spring and no late frost.",
        "Cider presses have been working through the night. The cooperative hired forty extra "
        "pickers, many of them students on their holidays.",
        "Prices at the wholesale market fell as crates piled up, and some growers left "
        "windfalls for the pigs.",
        "A new cold store near the railway halt will open next year, the cooperative said.",
    ],
}


def test_dates_in_1970_and_2100_and_no_dates(served, tmp_path: Path) -> None:
    folder, base = served
    cases = {
        "epoch": ("Lighthouse keeper retires after long career", datetime(1970, 1, 1, tzinfo=UTC)),
        "future": ("Tram extension opens to the public", datetime(2100, 1, 1, tzinfo=UTC)),
        "undated": ("Orchard harvest breaks records", None),
    }
    for name, (title, date) in cases.items():
        (folder / f"{name}.html").write_text(page(title, DATED[name]))
        (folder / f"{name}.xml").write_text(
            rss([{"title": title, "link": f"{base}{name}.html", "date": date}])
        )
    config = configure(tmp_path, [
        {"url": f"{base}{name}.xml", "name": name.title(), "trusted_single_source": True}
        for name in cases
    ])  # fmt: skip
    before = datetime.now(UTC).replace(microsecond=0)
    run(config)
    after = datetime.now(UTC) + timedelta(seconds=1)
    posts = {p.title: p for p in posts_of(tmp_path)}
    assert set(posts) == {title for title, _ in cases.values()}  # none dropped
    site = tmp_path / "site"
    # 1970: kept as it is, everywhere.
    epoch = posts[cases["epoch"][0]]
    assert epoch.date == datetime(1970, 1, 1, tzinfo=UTC)
    page_text = (site / "posts" / f"{epoch.slug}.html").read_text()
    assert "1 January 1970" in page_text and 'datetime="1970-01-01T00:00:00Z"' in page_text
    assert (site / "archive" / "1970" / "01.html").is_file()
    assert "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>" in (site / "rss.xml").read_text()
    assert "1970-01-01T00:00:00Z" in (site / "atom.xml").read_text()
    # 2100 and no date: a source cannot be published after it was fetched, so both are dated
    # when they were fetched, and published now.
    for name in ("future", "undated"):
        post = posts[cases[name][0]]
        assert before <= post.date <= after, (name, post.date)
        assert (site / "posts" / f"{post.slug}.html").is_file()
    # An editor's post dated 2100 is scheduled: not on the site until then.
    scheduled = tmp_path / "content" / "posts" / "2100" / "a-post-for-the-next-century.md"
    scheduled.parent.mkdir(parents=True)
    scheduled.write_text(
        "---\ntitle: A post for the next century\nslug: a-post-for-the-next-century\n"
        "date: 2100-01-01T00:00:00Z\n---\n\nNot yet.\n", encoding="utf-8"
    )  # fmt: skip
    result = run_cli("build", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert not (site / "posts" / "a-post-for-the-next-century.html").exists()
    assert "a-post-for-the-next-century" not in (site / "atom.xml").read_text()
    assert "a-post-for-the-next-century" not in (site / "sitemap.xml").read_text()


# Pathological sentences: the writer and the grounding check read a bounded context around each
# time word, name and number, so a page of one repeated phrase costs linear time.


@pytest.mark.parametrize(
    "phrase",
    ["On Monday ", "said Tuesday ", "three days ", "Minister Ada Lund said ", "4.2 billion "],
)
def test_a_page_of_one_repeated_phrase_is_written_and_checked_in_linear_time(phrase: str) -> None:
    from aibot.models import Article, Story
    from aibot.write.extractive import ExtractiveWriter
    from aibot.write.verify import verify

    published = datetime(2026, 11, 23, 8, tzinfo=UTC)
    text = phrase * (60_000 // len(phrase))
    sources = [
        Article("https://a.example/1", "Outlet A", "Ferry sails again",
                text + "ago. The ferry sailed from Brackwater again on Monday.", published),
        Article("https://b.example/1", "Outlet B", "Ferry sails again",
                text[:5000] + " It sailed.", published),
    ]  # fmt: skip
    story = Story("s", [a.id for a in sources], "Ferry sails again", published, published)
    started = time.process_time()
    verify(ExtractiveWriter().write(story, sources), sources)
    # Reading all the text before each of the thousands of phrases took over 15 s of CPU time.
    assert time.process_time() - started < 20
