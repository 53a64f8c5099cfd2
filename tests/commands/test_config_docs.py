"""Settings from the environment (AIBOT_<SECTION>_<KEY>), `aibot config` with where each value
came from, `aibot --version`, shell completion (click's own), and docs/configuration.md generated
from the dataclasses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aibot import __version__
from aibot.commands.config_docs import REGENERATE, field_docs, reference
from aibot.config import (
    AuthorConfig,
    ConfigError,
    FeedConfig,
    PriceConfig,
    config_sections,
    load_config,
    load_config_with_sources,
)
from tests.conftest import REPO, run_cli

CONFIG = """\
site:
  title: Calder Bay News
  posts_per_page: 8
feeds:
  - {url: "https://harbour.example/rss", name: Harbour}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "aibot.yaml").write_text(CONFIG)
    return tmp_path / "aibot.yaml"


def test_environment_variables_override_the_file_with_typed_values(config_file: Path) -> None:
    environ = {
        "AIBOT_SITE_TITLE": "no",  # text stays text, not YAML's false
        "AIBOT_SITE_POSTS_PER_PAGE": "12",
        "AIBOT_WRITER_BACKEND": "extractive",
        "AIBOT_WRITER_TARGET_WORDS": "[300, 500]",
        "AIBOT_PUBLISH_REVIEW": "1",
        "AIBOT_COLLECT_TIMEOUT_S": "7.5",
        "AIBOT_PATHS_OUTPUT": "public",
        "AIBOT_CONFIG": "elsewhere.yaml",  # not a setting: left alone
        "AIBOT_REQUIRE_BROWSER": "1",
    }
    config, sources = load_config_with_sources(config_file, environ)
    assert config.site.title == "no" and config.site.posts_per_page == 12
    assert config.writer.backend == "extractive" and config.writer.target_words == (300, 500)
    assert config.publish.review is True and config.collect.timeout_s == 7.5
    assert config.paths.output == config_file.parent / "public"
    assert sources["site.title"] == "AIBOT_SITE_TITLE"
    assert sources["site.posts_per_page"] == "AIBOT_SITE_POSTS_PER_PAGE"
    assert sources["feeds"] == "file" and "site.language" not in sources
    assert load_config(config_file, environ={}).site.posts_per_page == 8


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AIBOT_SITE_POSTS_PER_PAGE", "ten", "AIBOT_SITE_POSTS_PER_PAGE: expected a whole number"),
        ("AIBOT_PUBLISH_REVIEW", "maybe", "AIBOT_PUBLISH_REVIEW: expected true or false"),
        ("AIBOT_WRITER_MODLE", "x", "AIBOT_WRITER_MODLE: no such setting"),
        ("AIBOT_WRITER_TARGET_WORDS", "[300,", "AIBOT_WRITER_TARGET_WORDS: cannot read"),
        ("AIBOT_SITE_POSTS_PER_PAGE", "0", "expected at least 1, got 0 (set by AIBOT_SITE_POST"),
        ("AIBOT_WRITER_BACKEND", "gpt", "writer.backend: expected one of"),
    ],
)
def test_a_wrong_variable_is_an_error_naming_it(
    config_file: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(config_file, environ={variable: value})
    assert message in str(caught.value)
    assert variable in str(caught.value)


def test_aibot_config_prints_each_value_and_where_it_came_from(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIBOT_WRITER_BACKEND", "extractive")
    result = run_cli("config", "-c", str(config_file))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert lines["site.title"].endswith('"Calder Bay News"  (file)')
    assert lines["site.language"].endswith('"en"  (default)')
    assert lines["writer.backend"].endswith('"extractive"  (environment: AIBOT_WRITER_BACKEND)')
    assert lines["feeds[0]"].endswith(
        '{url: "https://harbour.example/rss", name: "Harbour"}  (file)'
    )
    keys = sum(len(cls.__dataclass_fields__) for cls in config_sections().values())
    assert len(lines) == keys + 1  # every setting, and the one feed

    as_json = json.loads(run_cli("config", "-c", str(config_file), "--json").output)
    settings = {s["key"]: s for s in as_json["settings"]}
    assert settings["site.posts_per_page"] == {"key": "site.posts_per_page", "value": 8,
                                               "source": "file"}  # fmt: skip
    assert settings["writer.backend"]["source"] == "environment"
    assert settings["writer.backend"]["variable"] == "AIBOT_WRITER_BACKEND"
    assert settings["feeds[0]"]["value"]["url"] == "https://harbour.example/rss"

    monkeypatch.setenv("AIBOT_SITE_POSTS_PER_PAGE", "many")
    failed = run_cli("config", "-c", str(config_file))
    assert failed.exit_code == 2 and "AIBOT_SITE_POSTS_PER_PAGE" in failed.output


def _aibot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `aibot` command (beside this Python), as a shell would run it."""
    command = Path(sys.executable).parent / "aibot"
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, check=False)  # fmt: skip


def test_version() -> None:
    result = _aibot("--version")
    assert result.returncode == 0 and result.stdout == f"aibot, version {__version__}\n"


def test_shell_completion_is_click_s_own() -> None:
    script = _aibot(env={"_AIBOT_COMPLETE": "bash_source"})
    assert script.returncode == 0
    assert "_aibot_completion()" in script.stdout and "complete -o nosort -F" in script.stdout
    words = _aibot(env={"_AIBOT_COMPLETE": "bash_complete", "COMP_WORDS": "aibot con",
                        "COMP_CWORD": "1"})  # fmt: skip
    assert words.stdout.split() == ["plain,config"]
    options = _aibot(env={"_AIBOT_COMPLETE": "bash_complete", "COMP_WORDS": "aibot init --f",
                          "COMP_CWORD": "2"})  # fmt: skip
    assert set(options.stdout.split()) == {"plain,--feeds", "plain,--force"}


def test_every_setting_is_documented() -> None:
    for cls in [*config_sections().values(), FeedConfig, PriceConfig]:
        assert set(field_docs(cls)) == set(cls.__dataclass_fields__), cls.__name__
    assert field_docs(AuthorConfig)["name"] == "Byline of the posts."


def test_the_configuration_reference_is_up_to_date() -> None:
    text = reference()
    for section in config_sections():
        assert f"## `{section}`" in text
    assert (
        "| `writer.max_cost_per_run` | number | `2.0` | `AIBOT_WRITER_MAX_COST_PER_RUN` |" in text
    )
    on_disk = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert on_disk == text, f"docs/configuration.md is stale: run {REGENERATE}"
