"""Hostile files: story titles from strangers' feeds, and posts in content/ edited by hand.

The promises:
- Paths: titles, slugs, tags and aliases with `../`, absolute paths, NUL, very long names,
  Windows-reserved names (CON, NUL, COM1, AUX, trailing dots and spaces) and mixed Unicode never
  put a file outside `content/` and `site/`, nor give a file a name that Windows refuses; a slug
  the build refuses is an error naming the file, the line and the field, and the rest builds.
- YAML front matter: alias bombs, deep nesting, huge values, non-UTF-8 bytes, characters YAML
  forbids and unsafe tags give a clear error for that file (file and line) in bounded time and
  memory (`aibot build` in a process of its own, its time and peak RSS measured), and the rest
  of the site is published; a byte-order mark and Windows or old-Mac line endings read as the
  same post.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from aibot.collect.stage import clip_title
from aibot.config import load_config
from aibot.posts.files import is_edited, seal
from aibot.posts.frontmatter import load_post, post_text
from aibot.render.site import build_site
from tests.conftest import DEMO, tree_digest
from tests.helpers.serve import CONFIG
from tests.helpers.site import add_post, write_site

TIMEOUT = 120  # seconds before a test gives up on a command
SECONDS = 20.0  # the bound a hostile file's build must stay within (the clean one takes ~1 s)
PEAK_MB = 400  # ... and its peak memory (the clean one: ~90 MB)
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$", re.IGNORECASE)
GOOD_PAGE = Path("site") / "posts" / "ferry-fares-rise-in-april.html"


def _env() -> dict[str, str]:
    return {**os.environ, "ANTHROPIC_API_KEY": ""}


# Runs `python -m aibot ...` as its own child and writes that child's peak RSS (KB) to a file.
# Linux counts into the peak of a process the memory of the process it was forked from (kept
# across exec), so a command forked straight from a test process that has grown (an earlier
# test loaded the sentence model) would report that size; forked from this small launcher, it
# reports its own.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "aibot", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_measured(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """Run `python -m aibot ARGS`: (exit code, output, seconds, peak RSS in MB of the process)."""
    started = time.monotonic()
    log = cwd / "aibot-output.txt"
    peak_file = cwd / "aibot-peak.txt"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(peak_file), *args], cwd=cwd, env=_env(),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = started + TIMEOUT
    while True:  # poll with a deadline: wait4 gives the exit status and the peak memory
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)  # the launcher and the aibot it forked
            os.wait4(process.pid, 0)
            pytest.fail(f"aibot {' '.join(args)} ran past {TIMEOUT} s")
        time.sleep(0.01)  # the polling interval
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text()
    log.unlink()
    peak_kb = int(peak_file.read_text())
    peak_file.unlink()
    return process.returncode, output, time.monotonic() - started, peak_kb / 1024


# Hostile front matter: each case, a file, and where its error must point


def _post(front: str, body: str = "## Body\n\nA line of text.\n") -> bytes:
    return f"---\n{front}---\n\n{body}".encode()


GOOD = "title: Hostile\nslug: hostile\ndate: 2026-03-11T09:00:00Z\n"
MARKER = Path("/tmp") / f"aibot-hostile-{uuid.uuid4().hex}"  # an unsafe tag would create it

HOSTILE_YAML: dict[str, tuple[bytes, str]] = {
    # name: (the file's bytes, "line: message" the error must hold)
    "alias bomb (billion laughs)": (
        _post(
            "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
                for i in range(8)
            )
            + GOOD
        ),
        ":3: front matter: aliases (*name) are not allowed",
    ),
    "10,000 nested lists": (
        _post(GOOD + "extra: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ":5: front matter: exceeded maximum nesting depth",
    ),
    "900 nested mappings (within the parser's limit)": (
        _post(GOOD + "extra: " + "{a: " * 900 + "1" + "}" * 900 + "\n"),
        ":5: front matter: nested more than 32 levels deep",
    ),
    "600 levels of indentation": (
        _post(GOOD + "extra:\n" + "".join("  " * (i + 1) + "-\n" for i in range(600))),
        ":37: front matter: nested more than 32 levels deep",
    ),
    "a 20 MB title": (
        _post("title: " + "x" * 20_000_000 + "\nslug: hostile\ndate: 2026-03-11T09:00:00Z\n"),
        ": more than 4,194,304 bytes: not read",
    ),
    "a million keys": (
        _post(GOOD + "".join(f"k{i}: {i}\n" for i in range(1_000_000))),
        ": more than 4,194,304 bytes: not read",
    ),
    "a 600 KB list": (
        _post(GOOD + "extra: [" + "1," * 300_000 + "1]\n"),
        ":2: front matter is more than 524,288 bytes: not read",
    ),
    "a 20 MB body": (_post(GOOD, "word " * 4_000_000), ": more than 4,194,304 bytes: not read"),
    "20,000 tags": (
        _post(GOOD + "tags: [" + ", ".join(f"t{i}" for i in range(20_000)) + "]\n"),
        ":5: tags: at most 50 (each makes pages), got 20,000",
    ),
    "20,000 aliases": (
        _post(GOOD + "aliases: [" + ", ".join(f"old-{i}" for i in range(20_000)) + "]\n"),
        ":5: aliases: at most 50 (each makes pages), got 20,000",
    ),
    "a Latin-1 byte in the front matter": (
        _post(GOOD.replace("Hostile", "Café")).replace("é".encode(), b"\xe9"),
        ":2: not UTF-8 text (invalid continuation byte)",
    ),
    "a Latin-1 byte in the body": (
        _post(GOOD, "## Body\n\nOne.\n\nTwo, café.\n").replace("é".encode(), b"\xe9"),
        ":11: not UTF-8 text (invalid continuation byte)",
    ),
    "UTF-16": (_post(GOOD).decode().encode("utf-16"), ":1: not UTF-8 text (invalid start byte)"),
    "a NUL character": (
        _post(GOOD + "summary: a\x00b\n"),
        ":5: front matter: unacceptable character '\\x00': control characters are not allowed",
    ),
    "an escape sequence": (
        _post(GOOD + "summary: \x1b[31mred\n"),
        ":5: front matter: unacceptable character '\\x1b'",
    ),
    "a python tag": (
        _post(GOOD + f"x: !!python/object/apply:os.system ['touch {MARKER}']\n"),
        ":5: front matter: could not determine a constructor for the tag",
    ),
    "front matter never closed": (
        _post("title: Open\nslug: hostile\n" + "k: v\n" * 50_000, "").replace(b"---\n\n", b""),
        ":1: front matter is not closed by a line '---'",
    ),
}


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """Four posts of a harbour town (test_build's), their site config, and no site yet."""
    folder = tmp_path / "site-folder"
    folder.mkdir()
    write_site(folder)
    (folder / "aibot.yaml").write_text(CONFIG, encoding="utf-8")
    return folder


def test_the_clean_site_builds_within_the_bounds(small_site: Path) -> None:
    """The baseline the hostile cases are held to."""
    code, output, seconds, peak = _run_measured(["build", "-c", "aibot.yaml"], small_site)
    assert code == 0, output
    print(f"\nclean build: {seconds:.2f} s, peak {peak:.0f} MB")
    assert seconds < SECONDS and peak < PEAK_MB
    assert (small_site / GOOD_PAGE).is_file()


@pytest.mark.parametrize("case", HOSTILE_YAML)
def test_a_hostile_front_matter_is_one_clear_error_in_bounded_time_and_memory(
    small_site: Path, case: str
) -> None:
    data, where = HOSTILE_YAML[case]
    hostile = small_site / "content" / "posts" / "2026" / "hostile.md"
    hostile.write_bytes(data)
    code, output, seconds, peak = _run_measured(["build", "-c", "aibot.yaml"], small_site)
    print(f"\n{case}: {len(data):,} bytes, {seconds:.2f} s, peak {peak:.0f} MB")
    problems = [line for line in output.splitlines() if line.startswith("problem:")]
    assert code == 1, output[-2000:]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"problem: post {hostile}"), problems
    assert where in problems[0], problems[0][:500]
    assert len(problems[0]) < 600, "the message quotes too much of the file"
    assert seconds < SECONDS, f"{case}: {seconds:.1f} s"
    assert peak < PEAK_MB, f"{case}: peak {peak:.0f} MB"
    assert (small_site / GOOD_PAGE).is_file(), "the good posts were not published"
    assert not (small_site / "site" / "posts" / "hostile.html").exists()
    assert not MARKER.exists(), "a YAML tag ran a command"


@pytest.mark.parametrize(
    "encoding", ["BOM", "CRLF (Windows)", "CR (old Mac)", "BOM and CRLF", "CRLF in the body only"]
)
def test_a_post_saved_with_a_bom_or_other_line_endings_is_the_same_post(
    small_site: Path, encoding: str
) -> None:
    """Not an edit (the pipeline may still update it) and the same page once built."""
    path = next((small_site / "content" / "posts").rglob("ferry-fares-rise-in-april.md"))
    post = load_post(path)
    seal(post)  # as the pipeline writes it
    path.write_text(post_text(post), encoding="utf-8")
    config = load_config(small_site / "aibot.yaml")
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert build_site(config, now=now).ok
    page = (small_site / GOOD_PAGE).read_bytes()
    data = path.read_bytes()
    front, body = data.split(b"\n---\n", 1)
    changed = {
        "BOM": b"\xef\xbb\xbf" + data,
        "CRLF (Windows)": data.replace(b"\n", b"\r\n"),
        "CR (old Mac)": data.replace(b"\n", b"\r"),
        "BOM and CRLF": b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
        "CRLF in the body only": front + b"\n---\n" + body.replace(b"\n", b"\r\n"),
    }[encoding]
    assert changed != data
    path.write_bytes(changed)
    again = load_post(path)
    assert again.meta == post.meta and again.body == post.body.strip() + "\n"
    assert not is_edited(again), f"a post saved with {encoding} counts as edited"
    report = build_site(config, now=now)
    assert report.ok and not report.problems, report.problems
    assert (small_site / GOOD_PAGE).read_bytes() == page


def test_yaml_nesting_is_capped_without_the_c_parser_too() -> None:
    """Where PyYAML runs without libyaml, deep nesting is the same clear error (its pure-Python
    composer would otherwise raise RecursionError)."""
    script = (
        "import yaml; del yaml.CSafeLoader, yaml.CSafeDumper\n"
        "from aibot.support.yamlio import YamlError, load_yaml, _Loader\n"
        "assert _Loader.__mro__[1] is yaml.SafeLoader\n"
        "for depth in (33, 10_000):\n"
        "    try:\n"
        "        load_yaml('a: ' + '[' * depth + ']' * depth)\n"
        "    except YamlError as exc:\n"
        "        print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    assert done.stdout.splitlines() == ["nested more than 32 levels deep"] * 2, done.stdout


# Paths


def _assert_safe_tree(root: Path, inside: Path) -> None:
    """Every file and folder under `root` is inside `inside` (links included) and has a name
    every system accepts: not Windows-reserved, no trailing dot or space, no character Windows
    refuses, at most 255 bytes."""
    for path in [root, *root.rglob("*")]:
        real = path.resolve()
        assert real == inside.resolve() or real.is_relative_to(inside.resolve()), path
        name = path.name
        assert not WINDOWS_RESERVED.match(name.split(".")[0]), f"Windows-reserved: {path}"
        assert not name.endswith((".", " ")), f"trailing dot or space: {path}"
        assert not re.search(r'[<>:"\\|?*\x00-\x1f]', name), f"a character Windows refuses: {path}"
        assert len(name.encode("utf-8")) <= 255, f"too long: {path}"


def _only_where_expected(sandbox: Path, folder: Path, before: set[str]) -> None:
    """Nothing new in the sandbox but under the site's content/, site/ and cache."""
    made = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*")} - before
    allowed = [str((folder / d).relative_to(sandbox)) for d in ("content", "site", ".aibot")]
    stray = sorted(p for p in made if not any(p == a or p.startswith(a + os.sep) for a in allowed))
    assert not stray, f"files made outside content/, site/ and the cache: {stray[:10]}"


ESCAPE = f"aibot-escape-{uuid.uuid4().hex}"
HOSTILE_TITLES = [
    f"../../../../../../../../../../tmp/{ESCAPE}",
    "/etc/passwd",
    "C:\\Windows\\System32\\config\\SAM",
    "CON",
    "nul.txt",
    "COM0",
    "LPT9. ",
    "AUX . . .",
    "A" * 5000,
    "ＣＯＮ",  # fullwidth letters
    "Москва 東京 🙂 \u202eevil\u202c, mixed",
    "index",
    ". .. ...",
    "tags/../../escape",
    "%2e%2e%2f%2e%2e%2fescape",
]
HOSTILE_TAGS = [
    "../../etc", "/abs/path", "CON", "com0", "Nul.", "東京", "..", "tags/../..", "%2e%2e%2f",
    "a" * 3000, "aux ", "LPT¹",
]  # fmt: skip


@pytest.fixture
def hostile_feed_site(tmp_path: Path) -> tuple[Path, Path]:
    """A site whose one (trusted) feed carries a story per hostile title, each a page of the
    demo's sample, with hostile categories; (sandbox, site folder) with the folder nested deep
    inside the sandbox, so a `../` that climbed out would still land in the sandbox."""
    sandbox = tmp_path / "sandbox"
    folder = sandbox / "a" / "b" / "c" / "site-folder"
    (folder / "sample" / "feeds").mkdir(parents=True)
    shutil.copytree(DEMO / "sample" / "pages", folder / "sample" / "pages")
    labels = json.loads((DEMO / "sample" / "labels.json").read_text())
    one_per_story: dict[str, str] = {}
    for page, story in sorted(labels.items()):
        if not page.startswith("extra/"):
            one_per_story.setdefault(story, page)
    pages = sorted(one_per_story.values())
    assert len(pages) >= len(HOSTILE_TITLES)
    items = []
    for n, (title, page) in enumerate(zip(HOSTILE_TITLES, pages, strict=False)):
        when = format_datetime(datetime(2026, 11, 20, 8, n, tzinfo=UTC))
        categories = "".join(
            f"<category>{escape(HOSTILE_TAGS[(n + k) % len(HOSTILE_TAGS)])}</category>"
            for k in range(3)
        )
        items.append(
            f"<item><title>{escape(title)}</title><link>../{page}</link>"
            f"<guid isPermaLink='false'>hostile-{n}</guid><pubDate>{when}</pubDate>"
            f"{categories}<description>A story.</description></item>"
        )
    (folder / "sample" / "feeds" / "hostile.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        f"<title>Hostile Wire</title><link>https://hostile.example/</link>{''.join(items)}"
        "</channel></rss>",
        encoding="utf-8",
    )
    raw = yaml.safe_load((DEMO / "aibot.yaml").read_text())
    raw["feeds"] = [
        {"url": "sample/feeds/hostile.xml", "name": "Hostile Wire", "trusted_single_source": True}
    ]
    raw["cluster"]["embeddings"] = "off"
    (folder / "aibot.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return sandbox, folder


def test_hostile_story_titles_and_categories_make_only_safe_paths(
    hostile_feed_site: tuple[Path, Path],
) -> None:
    sandbox, folder = hostile_feed_site
    before = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*")}
    code, output, _seconds, _peak = _run_measured(
        ["run", "-c", str(folder / "aibot.yaml")], sandbox
    )
    assert code == 0, output
    posts = sorted((folder / "content" / "posts").rglob("*.md"))
    assert len(posts) == len(HOSTILE_TITLES), output  # one post per story: none lost
    for path in posts:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.md", path.name), path.name
        assert len(path.stem) <= 80 and re.fullmatch(r"\d{4}", path.parent.name)
    loaded = [load_post(p) for p in posts]
    titles = {p.title for p in loaded} | {s["title"] for p in loaded for s in p.meta["sources"]}
    # Kept as text, not paths (a headline over MAX_TITLE cut the way the collector cuts it): in
    # the sources list, and as the post's headline where one reads as a headline at all.
    assert {clip_title(" ".join(t.split())) for t in HOSTILE_TITLES} <= titles
    for root in ("content", "site"):
        _assert_safe_tree(folder / root, folder / root)
    _only_where_expected(sandbox, folder, before)
    assert not list(Path("/tmp").glob(f"{ESCAPE}*")), "a title made a file outside the site"
    tag_pages = {p.stem for p in (folder / "site" / "tags").glob("*.html")}
    assert len(tag_pages) >= len(HOSTILE_TAGS) - 2, tag_pages  # two tags read as one at most


EDITOR_SLUGS = {
    # name: the slug line as an editor wrote it
    "parent folders": 'slug: "../../../../etc/passwd-x"',
    "an absolute path": f'slug: "/tmp/{ESCAPE}"',
    "a Windows path": 'slug: "C:\\\\Windows\\\\x"',
    "CON": "slug: con",
    "COM0": "slug: com0",
    "LPT1": "slug: lpt1",
    "NUL": "slug: nul",
    "a trailing dot": 'slug: "report."',
    "a trailing space": 'slug: "report "',
    "a NUL inside": 'slug: "re\\0port"',
    "81 characters": f"slug: {'a' * 81}",
    "10,000 characters": f"slug: {'a' * 10_000}",
    "Unicode": "slug: tōkyō-東京",
    "capitals": "slug: Report",
    "the site's own page": "slug: index",
    "a number": "slug: 12",
    "a list": "slug: [a, b]",
}


def test_hostile_slugs_set_by_an_editor_are_refused_by_name_and_the_rest_builds(
    small_site: Path,
) -> None:
    posts = small_site / "content" / "posts" / "2026"
    for n, (name, line) in enumerate(EDITOR_SLUGS.items()):
        text = f"---\ntitle: Hostile {n}\n{line}\ndate: 2026-03-11T09:00:00Z\n---\n\nBody {name}.\n"
        (posts / f"hostile-{n}.md").write_text(text, encoding="utf-8")
    sandbox = small_site.parent
    before = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*")}
    code, output, _seconds, _peak = _run_measured(["build", "-c", "aibot.yaml"], small_site)
    assert code == 1, output
    problems = [line for line in output.splitlines() if line.startswith("problem:")]
    for n, name in enumerate(EDITOR_SLUGS):
        mine = [p for p in problems if f"{posts / f'hostile-{n}.md'}:3: slug: expected" in p]
        assert len(mine) == 1, f"{name}: {problems}"
    assert len(problems) == len(EDITOR_SLUGS), problems
    assert (small_site / GOOD_PAGE).is_file()
    assert not list((small_site / "site").rglob("*hostile*")), "a refused post was published"
    _assert_safe_tree(small_site / "site", small_site / "site")
    _only_where_expected(sandbox, small_site, before)
    assert not list(Path("/tmp").glob(f"{ESCAPE}*"))


def test_hostile_tags_aliases_and_links_set_by_an_editor_make_only_safe_paths(
    small_site: Path,
) -> None:
    """The post is published; what could name a file is made safe or ignored."""
    when = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    add_post(
        small_site, "harbour-wall-repaired", "Harbour wall repaired", when,
        "## Done\n\nThe wall is whole again.\n", tags=HOSTILE_TAGS,
        related=["../../etc/passwd", "/abs", "con", "harbour-wall-repaired"],
        image="../../../../etc/passwd",
        generator={"slug": f"../../../tmp/{ESCAPE}", "story": "s1"},
    )  # fmt: skip
    add_post(
        small_site, "quay-lights-fixed", "Quay lights fixed", when,
        "## Done\n\nThe lights are on.\n", image="/etc/passwd", generator={"slug": "con"},
    )  # fmt: skip
    add_post(
        small_site, "pier-reopens", "Pier reopens", when, "## Open\n\nThe pier is open.\n",
        aliases=["../escape"],
    )  # fmt: skip
    sandbox = small_site.parent
    before = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*")}
    code, output, _seconds, _peak = _run_measured(["build", "-c", "aibot.yaml"], small_site)
    problems = [line for line in output.splitlines() if line.startswith("problem:")]
    assert code == 1 and len(problems) == 1, output
    assert "pier-reopens.md:" in problems[0] and ": aliases: expected slugs" in problems[0]
    site = small_site / "site"
    assert (site / "posts" / "harbour-wall-repaired.html").is_file()
    assert (site / "posts" / "quay-lights-fixed.html").is_file()
    _assert_safe_tree(site, site)
    _only_where_expected(sandbox, small_site, before)
    assert not list(Path("/tmp").glob(f"{ESCAPE}*"))
    tags = {p.stem for p in (site / "tags").glob("*.html")} - {"index"}
    assert {"con-story", "com0-story", "nul-story", "aux-story", "lpt1-story"} <= tags, tags
    assert len(tree_digest(site)) > 10
    _links_stay_inside(site)


def _links_stay_inside(site: Path) -> None:
    """Every relative src= and href= of every page points inside the site."""
    for page in site.rglob("*.html"):
        for url in re.findall(r'(?:src|href)="([^"]*)"', page.read_text(encoding="utf-8")):
            if re.match(r"^([a-z][a-z0-9+.-]*:|//|#)", url, re.I):
                continue  # another site, or a place on this page
            path = url.split("#")[0].split("?")[0]
            base = site if path.startswith("/") else page.parent  # "/x": from the site's root
            target = os.path.normpath(base / path.lstrip("/"))
            assert Path(target).is_relative_to(site), f"{page.name} links out of the site: {url}"


def test_every_slug_the_pipeline_makes_is_one_it_can_read_back() -> None:
    """The hundredth story with the same long headline: its suffix must not push the slug over
    80 characters (such a post could not be read back, and so would be written again)."""
    from aibot.posts.slugs import is_slug, slugify

    for title in ("a" * 5000, "word " * 40, "Ferry fares rise again " * 10):
        taken: list[str] = []
        for _ in range(120):
            slug = slugify(title, taken)
            assert is_slug(slug) and slug not in taken, slug
            taken.append(slug)
