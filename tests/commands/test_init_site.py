"""`aibot init`: a new site's layout, its commented aibot.yaml, no overwriting, no questions
without a terminal; the repository itself is a site of the same layout; the demo an installed
AiBot unpacks from its package data."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from aibot import cli
from aibot.commands.config_docs import field_docs
from aibot.commands.init_site import STARTER_FEEDS, site_files
from aibot.config import Config, config_sections, load_config
from aibot.support import bundled
from tests.conftest import DEMO, REPO, run_cli

LAYOUT = [
    "aibot.yaml", "requirements.txt", "requirements-lock.txt", ".gitignore", ".ci/run",
    "templates/README.md", ".github/workflows/publish.yml", ".github/workflows/ci.yml",
    ".github/scripts/publish-content.sh", ".github/scripts/feed_issue.py",
]  # fmt: skip
# Run from a checkout, AiBot builds a wheel of itself for the site (aibot/commands/site_install.py).
VENDORED = "vendor/aibot-0.1.0-py3-none-any.whl"

OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="Local">
    <outline text="Tidewater Gazette" xmlUrl="https://tidewater.example/rss"/>
    <outline text="Fenmoor Echo" xmlUrl="https://fenmoor.example/feed.xml"/>
  </outline>
  <outline text="Business"><outline text="Gazette" xmlUrl="https://tidewater.example/rss"/></outline>
</body></opml>
"""


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_init_writes_the_layout_and_a_valid_config(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    result = run_cli("init", str(site))  # the test runner's stdin is no terminal: no questions
    assert result.exit_code == 0, result.output
    assert _files(site) == {*LAYOUT, VENDORED}
    assert (site / "content" / "posts").is_dir() and not any((site / "templates").glob("*.html"))
    for script in (".ci/run", ".github/scripts/publish-content.sh"):
        assert os.access(site / script, os.X_OK), script
    assert (site / ".gitignore").read_text().splitlines()[1:] == ["site/", ".aibot/"]
    config = load_config(site / "aibot.yaml", environ={})
    assert config.site.title == "My News" and config.site.base_url == "https://example.org/"
    assert config.feeds == STARTER_FEEDS and len(config.feeds) >= 5
    assert (site / "requirements.txt").read_text().splitlines()[-1] == f"./{VENDORED}"
    modules = {f"aibot/{p.relative_to(REPO / 'aibot').as_posix()}"
               for p in (REPO / "aibot").rglob("*.py")}  # fmt: skip
    assert modules <= set(zipfile.ZipFile(site / VENDORED).namelist())
    assert f"cd {site}" in result.output and "aibot run --demo" in result.output


def test_the_config_sets_what_was_chosen_and_shows_every_default_commented_out(
    tmp_path: Path,
) -> None:
    text = site_files("Tidewater Times", "https://tide.example/news/")["aibot.yaml"].decode()
    raw = yaml.safe_load(text)
    assert raw["site"] == {"title": "Tidewater Times", "base_url": "https://tide.example/news/"}
    assert list(raw) == ["site", "feeds"]
    for cls in config_sections().values():
        for doc in field_docs(cls).values():
            assert f"# {' '.join(doc.split()[:4])}" in text  # each setting's doc as a comment
    (tmp_path / "aibot.yaml").write_text(text)
    defaults = Config()
    config = load_config(tmp_path / "aibot.yaml", environ={})
    assert config.site == dataclasses.replace(
        defaults.site, title="Tidewater Times", base_url="https://tide.example/news/"
    )
    # Every default is there, commented out: removing the `# ` of every setting (and section)
    # gives a file that sets each one, to its default.
    (tmp_path / "aibot.yaml").write_text(_uncommented(text))
    everything = yaml.safe_load(_uncommented(text))
    for section, cls in config_sections().items():
        assert list(everything[section]) == [f.name for f in dataclasses.fields(cls)], section
    config = load_config(tmp_path / "aibot.yaml", environ={})
    for section in ("author", "collect", "cluster", "writer", "publish"):
        assert getattr(config, section) == getattr(defaults, section), section
    assert config.paths.output == tmp_path / "site"


def _uncommented(text: str) -> str:
    """`text` with `# ` removed before each commented-out section or setting (not the notes)."""
    names = {f.name for cls in config_sections().values() for f in dataclasses.fields(cls)}
    keys = "|".join(sorted(names | set(config_sections())))
    setting = re.compile(rf"^(?:# )?( *)(?:# )?((?:{keys}):|- )", re.M)
    return setting.sub(r"\1\2", text)


def test_aibot_config_after_init_shows_the_defaults_as_defaults(
    tmp_path: Path, user_cache: Path
) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(user_cache)}  # the run's wheel of the checkout

    def aibot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "aibot", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    made = aibot("init", "news", "--title", "Fenmoor Echo", "--yes")
    assert made.returncode == 0, made.stderr
    shown = aibot("config", "-c", "news/aibot.yaml")
    assert (shown.returncode, shown.stderr) == (0, "")
    lines = shown.stdout.splitlines()
    assert lines[0] == "# news/aibot.yaml"
    rows = [re.fullmatch(r"(\S+) +(.+)  \((\w+)\)", line) for line in lines[1:]]
    assert all(rows), lines
    width = max(len(row.group(1)) for row in rows)
    assert lines[1] == f'{"site.title":<{width}}  "Fenmoor Echo"  (file)'
    assert lines[2] == f'{"site.base_url":<{width}}  "https://example.org/"  (default)'
    from_file = [row.group(1) for row in rows if row.group(3) == "file"]
    assert from_file == ["site.title"] + [f"feeds[{i}]" for i in range(len(STARTER_FEEDS))]
    keys = sum(len(dataclasses.fields(cls)) for cls in config_sections().values())
    assert [row.group(3) for row in rows].count("default") == keys - 1


def test_title_url_and_the_feeds_of_an_opml_file(tmp_path: Path) -> None:
    (tmp_path / "mine.opml").write_text(OPML)
    site = tmp_path / "tide"
    opml = str(tmp_path / "mine.opml")
    result = run_cli("init", str(site), "--title", "Tidewater Times", "--url",
                     "https://tide.example/", "--feeds", opml, "--yes")  # fmt: skip
    assert result.exit_code == 0, result.output
    config = load_config(site / "aibot.yaml", environ={})
    assert config.site.title == "Tidewater Times"
    assert config.site.base_url == "https://tide.example/"
    assert [(f.url, f.name, f.tags) for f in config.feeds] == [
        ("https://tidewater.example/rss", "Tidewater Gazette", ("local",)),
        ("https://fenmoor.example/feed.xml", "Fenmoor Echo", ("local",)),
    ]  # the feed listed in two folders once


def test_existing_files_are_never_overwritten_without_force(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    (site / ".github" / "workflows").mkdir(parents=True)
    (site / "aibot.yaml").write_text("site: {title: Mine}\n")
    (site / ".github" / "workflows" / "ci.yml").write_text("name: my own CI\n")
    (site / "notes.txt").write_text("unrelated")
    result = run_cli("init", str(site), "--yes")
    assert result.exit_code == 1
    assert "aibot.yaml" in result.output and "ci.yml" in result.output
    assert "--force" in result.output
    assert _files(site) == {"aibot.yaml", ".github/workflows/ci.yml", "notes.txt"}  # nothing
    assert (site / "aibot.yaml").read_text() == "site: {title: Mine}\n"
    forced = run_cli("init", str(site), "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert load_config(site / "aibot.yaml", environ={}).site.title == "My News"
    assert (site / "notes.txt").read_text() == "unrelated"


def test_an_invalid_address_writes_nothing(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "s"), "--url", "ftp://files.example/", "--yes")
    assert result.exit_code == 2
    assert "site.base_url: expected an http(s) URL" in result.output
    assert not (tmp_path / "s").exists() or not _files(tmp_path / "s")


def test_at_a_terminal_init_asks_for_title_and_address_unless_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    monkeypatch.setattr(cli, "_interactive", lambda: True)
    answers = "Fenmoor Echo\nhttps://fenmoor.example/\n"
    asked = CliRunner().invoke(cli.main, ["init", str(tmp_path / "a")], input=answers)
    assert asked.exit_code == 0, asked.output
    assert "Site title [My News]: " in asked.output
    config = load_config(tmp_path / "a" / "aibot.yaml", environ={})
    assert (config.site.title, config.site.base_url) == ("Fenmoor Echo", "https://fenmoor.example/")
    quiet = CliRunner().invoke(cli.main, ["init", str(tmp_path / "b"), "--yes"], input="")
    assert quiet.exit_code == 0 and "Site title" not in quiet.output


def test_the_repository_is_a_site_of_the_same_layout(tmp_path: Path) -> None:
    """AiBot's own repository is one instance of what `aibot init` makes: the workflows, their
    scripts, the templates README and the lock are the same bytes (one source: the wheel packs
    the repository's .github/ and lock), and the rest of the layout is there."""
    made = site_files()
    for name in LAYOUT:
        assert (REPO / name).is_file(), name
        if name.startswith((".github/", "templates/", "requirements-lock")):
            assert (REPO / name).read_bytes() == made[name], f"{name} differs from aibot init's"
    assert (REPO / "content" / "posts").is_dir()
    paths = ["site/index.html", ".aibot/aibot.sqlite"]
    ignored = subprocess.run(["git", "check-ignore", *paths], cwd=REPO, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert ignored.stdout.split() == paths
    assert load_config(REPO / "aibot.yaml", environ={}).feeds


def test_the_workflows_run_what_each_layout_names() -> None:
    """One publish.yml and ci.yml for AiBot's repository and every site: publish installs
    requirements-lock.txt, then requirements.txt (here AiBot itself, in a site the AiBot that
    made it), and CI runs .ci/run (here the test suite, in a site `aibot check` and `aibot
    build`)."""
    publish = yaml.safe_load((REPO / ".github" / "workflows" / "publish.yml").read_text())
    install = next(s for s in publish["jobs"]["run"]["steps"] if s.get("name") == "Install AiBot")
    assert "python -m pip install --no-deps -r requirements.txt" in install["run"].splitlines()
    assert (REPO / "requirements.txt").read_text().splitlines()[-1] == "."
    made = site_files()
    assert made["requirements.txt"].decode().splitlines()[-1] == f"./{VENDORED}"
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    assert ci["jobs"]["test"]["steps"][-1]["run"] == "bash .ci/run"
    site_ci = made[".ci/run"].decode().splitlines()
    assert site_ci[-3:] == ["python -m pip check", "aibot check", "aibot build"]
    locked = site_ci.index("    python -m pip install -q --require-hashes -r requirements-lock.txt")
    assert site_ci[locked + 2] == (
        "    python -m pip install -q --no-deps --force-reinstall -r requirements.txt"
    )
    assert 'if [ "${AIBOT_NEWEST:-}" = 1 ]; then' in site_ci[:locked]


def test_an_installed_aibot_unpacks_its_demo_into_the_user_s_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "aibot"
    (package / "_demo").mkdir(parents=True)
    shutil.copy(DEMO / "aibot.yaml", package / "_demo" / "aibot.yaml")
    shutil.copytree(DEMO / "sample", package / "_demo" / "sample")
    monkeypatch.setattr(bundled, "_CHECKOUT", tmp_path / "not-a-checkout")
    monkeypatch.setattr(bundled, "files", lambda _: package)
    monkeypatch.setenv("AIBOT_DEMO_DIR", str(tmp_path / "demo"))
    before = _files(package)

    config = bundled.demo_config()
    assert config == tmp_path / "demo" / "aibot.yaml"
    assert _files(tmp_path / "demo") == _files(package / "_demo")
    # An upgrade's changed sample file is refreshed; the demo's own posts are left alone.
    feed = tmp_path / "demo" / "sample" / "feeds" / "circuit-post.xml"
    feed.write_text("stale")
    post = tmp_path / "demo" / "content" / "posts" / "2026" / "kept.md"
    post.parent.mkdir(parents=True)
    post.write_text("an earlier run's post")
    assert bundled.demo_config() == config
    assert (
        feed.read_bytes()
        == (package / "_demo" / "sample" / "feeds" / "circuit-post.xml").read_bytes()
    )
    assert post.read_text() == "an earlier run's post"
    assert _files(package) == before  # never written into the installed package
    monkeypatch.chdir(tmp_path)
    assert cli.demo_config_path() == config


def test_aibot_demo_dir_moves_a_checkout_s_demo_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIBOT_DEMO_DIR", str(tmp_path / "demo"))
    assert cli.demo_config_path() == tmp_path / "demo" / "aibot.yaml"
    sample = {f"sample/{name}" for name in _files(DEMO / "sample")}
    assert _files(tmp_path / "demo") == {"aibot.yaml"} | sample  # no posts or site copied
    monkeypatch.delenv("AIBOT_DEMO_DIR")
    assert cli.demo_config_path() == DEMO / "aibot.yaml"


def test_a_title_with_quotes_colons_or_a_new_line_stays_one_title(tmp_path: Path) -> None:
    title = 'The "Herald": news\nfrom Calder Bay'
    result = run_cli("init", str(tmp_path / "s"), "--title", title, "--yes")
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "s" / "aibot.yaml", environ={}).site.title == title
