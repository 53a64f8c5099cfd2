"""Common mistakes in aibot.yaml and in posts' front matter, as `aibot check` and `aibot run`
report them: the line where the mistake starts, and a hint for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFIG = "site:\n  title: Harbour Daily\nfeeds:\n  - url: https://wire.example.org/rss.xml\n"
GOOD = "---\ntitle: Ferry fares rise\nslug: ferry-fares-rise\ndate: 2026-03-10T09:00:00Z\n---\n"


def check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aibot", "check", "-c", str(folder / "aibot.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def site(tmp_path: Path, config: str = CONFIG, posts: dict[str, str] | None = None) -> Path:
    (tmp_path / "aibot.yaml").write_text(config, encoding="utf-8")
    folder = tmp_path / "content" / "posts" / "2026"
    folder.mkdir(parents=True)
    for name, text in (posts or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_front_matter_mistakes_are_placed_and_explained(tmp_path: Path) -> None:
    folder = site(tmp_path, posts={
        "a-colon.md": "---\ntitle: Harbour: the week ahead\nslug: a\ndate: 2026-03-10\n---\n",
        "b-quote.md": '---\ntitle: "Quay reopens\nslug: b\ndate: 2026-03-10\nsummary: "x"\n'
                      "tags: [port]\n---\nText.\n",
        "c-tab.md": "---\ntitle: Tabs\nslug: c\ndate: 2026-03-10\ntags:\n\t- port\n---\n",
        "d-no-opening.md": "title: No opening\nslug: d\ndate: 2026-03-10\n---\nText.\n",
        "e-no-closing.md": "---\ntitle: No closing\nslug: e\ndate: 2026-03-10\n\nText.\n",
        "f-no-slug.md": "---\ntitle: Bakery wins county prize\ndate: 2026-03-10\n---\nText.\n",
        "g-no-date.md": "---\ntitle: Undated\nslug: g\n---\nText.\n",
        "h-good.md": GOOD + "Text.\n",
    })  # fmt: skip
    done = check(tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f'error: {folder}/a-colon.md:2: front matter: ": " inside a value starts a new key '
        "(mapping values are not allowed in this context); put the value in quotes: "
        'title: "Harbour: the week ahead"',
        f"error: {folder}/b-quote.md:2: front matter: unclosed quote: the value starting with "
        '" on this line has no closing "',
        f"error: {folder}/c-tab.md:6: front matter: a tab in the indentation: YAML indents with "
        "spaces only",
        f"error: {folder}/d-no-opening.md:1: no front matter: the line '---' above the first key "
        "is missing; add it as line 1",
        f"error: {folder}/e-no-closing.md:6: front matter is not closed by a line '---'; add one "
        "above this line",
        f"error: {folder}/f-no-slug.md:2: slug: missing; every post needs one, its name in the "
        "site's links: slug: bakery-wins-county-prize",
        f"error: {folder}/g-no-date.md:2: date: missing; every post needs one: when it was first "
        "published, e.g. date: 2026-01-31T09:30:00Z",
        f"{tmp_path / 'aibot.yaml'}: ok, 1 feed; 1 post ok, 7 with errors, 0 warnings",
    ]


def test_an_unclosed_quote_in_the_settings_is_placed_where_it_opens(tmp_path: Path) -> None:
    lines = CONFIG.splitlines()
    lines[1] = '  title: "Harbour Daily'
    site(tmp_path, config="\n".join(lines) + "\n")
    done = check(tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        'error: aibot.yaml:2: invalid YAML: unclosed quote: the value starting with " on this '
        'line has no closing "\n'
    )


def test_a_misspelt_setting_gets_its_line_and_the_likely_one(tmp_path: Path) -> None:
    site(tmp_path, config=CONFIG + "cluster:\n  min_source: 3\n")
    done = check(tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "error: aibot.yaml:6: cluster.min_source: unknown key; did you mean min_sources?\n"
    )


def test_check_refuses_feed_urls_that_are_neither_web_addresses_nor_files(tmp_path: Path) -> None:
    site(tmp_path, config="feeds:\n  - url: feeds.example.net/1004/rss.xml\n")
    done = check(tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "error: aibot.yaml:2: feeds[0].url: expected an http(s) URL or the path of a feed file, "
        "got 'feeds.example.net/1004/rss.xml'; did you mean "
        "https://feeds.example.net/1004/rss.xml?\n"
    )


EMPTY = (
    "error: aibot.yaml: feeds: no feed is listed; add one, e.g. `feeds: [{url: "
    "https://news.example.org/rss.xml, name: Example News}]`, or import an OPML file with "
    "`aibot feeds import`\n"
)


def test_an_empty_feed_list_is_an_error_for_check_run_and_run_ci(tmp_path: Path) -> None:
    site(tmp_path, config="site:\n  title: Harbour Daily\nfeeds: []\n")
    for command in (["check"], ["run"], ["run", "--ci"]):
        done = subprocess.run(
            [sys.executable, "-m", "aibot", *command, "-c", str(tmp_path / "aibot.yaml")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert (done.returncode, done.stdout, done.stderr) == (2, "", EMPTY), command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aibot.yaml", "content"]  # nothing ran
