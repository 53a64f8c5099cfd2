"""load_config: defaults, path resolution relative to the file, and exact error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibot.config import Config, ConfigError, load_config
from aibot.support.yamlio import YamlError, dump_yaml, load_yaml


def write_config(folder: Path, text: str, name: str = "aibot.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


RSS = "<rss version='2.0'><channel><title>Harbour Wire</title></channel></rss>\n"


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


# Defaults and resolution


def test_empty_file_gives_the_defaults(tmp_path):
    config = load_config(write_config(tmp_path, ""))
    defaults = Config()
    assert config.site == defaults.site
    assert config.author == defaults.author
    assert config.collect == defaults.collect
    assert config.cluster == defaults.cluster
    assert config.writer == defaults.writer
    assert config.feeds == ()


def test_partial_section_keeps_defaults_for_the_other_keys(tmp_path):
    config = load_config(
        write_config(tmp_path, "site:\n  title: Harbour Daily\ncollect:\n  timeout_s: 5\n")
    )
    assert config.site.title == "Harbour Daily"
    assert config.site.posts_per_page == Config().site.posts_per_page
    assert config.site.base_url == "https://example.org/"
    assert config.collect.timeout_s == 5.0
    assert isinstance(config.collect.timeout_s, float)
    assert config.collect.max_bytes == Config().collect.max_bytes


def test_source_records_the_file_read(tmp_path):
    path = write_config(tmp_path, "site:\n  title: Quarry News\n")
    assert load_config(path).source == path


def test_paths_are_resolved_relative_to_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    path = write_config(folder, "paths:\n  content: words\n  output: public/site\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    assert config.paths.content == folder.resolve() / "words"
    assert config.paths.output == folder.resolve() / "public" / "site"
    # keys not given default to folders beside the config file, not the working directory
    assert config.paths.templates == folder.resolve() / "templates"
    assert config.paths.cache == folder.resolve() / ".aibot"
    assert config.posts_dir == folder.resolve() / "words" / "posts"


def test_absolute_paths_stay_as_given(tmp_path):
    target = tmp_path / "absolute-output"
    config = load_config(write_config(tmp_path / "cfg", f"paths:\n  output: {target}\n"))
    assert config.paths.output == target


def test_relative_config_path_still_resolves_against_its_folder(tmp_path, monkeypatch):
    write_config(tmp_path / "cfg", "feeds:\n  - url: feeds/local.xml\n")
    write_config(tmp_path / "cfg" / "feeds", RSS, name="local.xml")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("cfg") / "aibot.yaml")
    assert config.feeds[0].url == (tmp_path / "cfg" / "feeds" / "local.xml").resolve().as_uri()


def test_feed_path_becomes_a_file_uri_relative_to_the_config(tmp_path):
    folder = tmp_path / "site-config"
    write_config(tmp_path / "feeds", RSS, name="harbour.xml")
    config = load_config(write_config(folder, "feeds:\n  - url: ../feeds/harbour.xml\n"))
    expected = (tmp_path / "feeds" / "harbour.xml").resolve().as_uri()
    assert config.feeds[0].url == expected
    assert config.feeds[0].url.startswith("file:///")


def test_http_feed_urls_are_kept_unchanged(tmp_path):
    text = (
        "feeds:\n"
        "  - url: https://news.example.net/rss?edition=uk\n"
        "    name: Example Net\n"
        "    tags: [local, weather]\n"
        "  - url: http://old.example.org/feed.xml\n"
        "    trusted_single_source: true\n"
    )
    config = load_config(write_config(tmp_path, text))
    assert [f.url for f in config.feeds] == [
        "https://news.example.net/rss?edition=uk",
        "http://old.example.org/feed.xml",
    ]
    assert config.feeds[0].name == "Example Net"
    assert config.feeds[0].tags == ("local", "weather")
    assert config.feeds[1].trusted_single_source is True
    assert config.feeds[0].trusted_single_source is False


# Errors: file name, key path, expected and found


def test_wrong_type_of_feed_url_names_the_list_index(tmp_path):
    text = (
        "feeds:\n"
        "  - url: https://a.example.org/rss\n"
        "  - url: https://b.example.org/rss\n"
        "  - url: 42\n"
    )
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:4: feeds[2].url: expected a URL, got 42"
    )


def test_unknown_key_is_named_with_its_path(tmp_path):
    path = write_config(tmp_path, "site:\n  titel: Typo Times\n")
    assert config_error(path) == "aibot.yaml:2: site.titel: unknown key; did you mean title?"


def test_unknown_top_level_key_is_named(tmp_path):
    path = write_config(tmp_path, "sites:\n  title: Typo Times\n")
    assert config_error(path) == "aibot.yaml:1: sites: unknown key; did you mean site?"


def test_missing_required_feed_url_is_named(tmp_path):
    path = write_config(tmp_path, "feeds:\n  - name: Nameless Feed\n")
    assert config_error(path) == "aibot.yaml:2: feeds[0].url: required key is missing"


def test_error_names_the_actual_file_name(tmp_path):
    path = write_config(tmp_path, "site:\n  titel: x\n", name="newsroom.yaml")
    message = config_error(path)
    assert message.startswith("newsroom.yaml:2: ")
    assert "site.titel" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "collect:\n  allow_private_hosts: sometimes\n",
            "aibot.yaml:2: collect.allow_private_hosts: expected true or false, got 'sometimes'",
        ),
        (
            "collect:\n  allow_private_hosts: 1\n",
            "aibot.yaml:2: collect.allow_private_hosts: expected true or false, got 1",
        ),
        (
            "site:\n  posts_per_page: true\n",
            "aibot.yaml:2: site.posts_per_page: expected a whole number, got True",
        ),
        (
            "site:\n  posts_per_page: 2.5\n",
            "aibot.yaml:2: site.posts_per_page: expected a whole number, got 2.5",
        ),
        (
            "collect:\n  timeout_s: soon\n",
            "aibot.yaml:2: collect.timeout_s: expected a number, got 'soon'",
        ),
        (
            "collect:\n  timeout_s: false\n",
            "aibot.yaml:2: collect.timeout_s: expected a number, got False",
        ),
        (
            "site:\n  title: [Harbour, Daily]\n",
            "aibot.yaml:2: site.title: expected text, got a list",
        ),
        (
            "feeds:\n  url: https://a.example.org/rss\n",
            "aibot.yaml:1: feeds: expected a list, got a mapping",
        ),
        (
            "feeds:\n  - url: https://a.example.org/rss\n    tags: local\n",
            "aibot.yaml:3: feeds[0].tags: expected a list, got 'local'",
        ),
        (
            "site: Harbour Daily\n",
            "aibot.yaml:1: site: expected a mapping, got 'Harbour Daily'",
        ),
        (
            "paths:\n  output: 7\n",
            "aibot.yaml:2: paths.output: expected a path, got 7",
        ),
    ],
)
def test_wrong_value_types_are_reported_with_key_and_value(tmp_path, text, expected):
    assert config_error(write_config(tmp_path, text)) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("site:\n  posts_per_page: 0\n", "site.posts_per_page"),
        ("site:\n  base_url: ftp://example.org/\n", "site.base_url"),
        ("writer:\n  backend: typewriter\n", "writer.backend"),
        ("cluster:\n  threshold: 1.5\n", "cluster.threshold"),
        ("collect:\n  max_bytes: 0\n", "collect.max_bytes"),
        ("feeds:\n  - url: gopher://old.example.org/\n", "feeds[0].url"),
        ("feeds:\n  - url: '  '\n", "feeds[0].url"),
    ],
)
def test_out_of_range_values_name_their_key(tmp_path, text, key):
    assert config_error(write_config(tmp_path, text)).startswith(f"aibot.yaml:2: {key}: expected")


def test_an_unclosed_bracket_is_reported_where_it_opens(tmp_path):
    text = "site:\n  title: Harbour\nfeeds: [one, two\ncollect:\n  timeout_s: 3\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:3: invalid YAML: the [ opened on this line is never closed by ]"
    )


def test_an_unquoted_colon_is_reported_on_its_line_with_the_quoted_value(tmp_path):
    text = "site:\n  title: Harbour\n  description: Tides: the week ahead\n"
    assert config_error(write_config(tmp_path, text)) == (
        'aibot.yaml:3: invalid YAML: ": " inside a value starts a new key (mapping values are '
        'not allowed in this context); put the value in quotes: description: "Tides: the week '
        'ahead"'
    )


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path):
    text = (
        "site:\n"
        "  title: Harbour Daily\n"
        "author:\n"
        "  name: Quill\n"
        "feeds:\n"
        "  - url: https://a.example.org/rss\n"
        "    name: Alpha Wire\n"
        "  - url: https://b.example.org/rss\n"
        "    tags: [local]\n"
        '    name: "Bravo Wire\n'  # line 10
        "collect:\n"
        "  timeout_s: 3\n"
    )
    assert config_error(write_config(tmp_path, text)) == (
        'aibot.yaml:10: invalid YAML: unclosed quote: the value starting with " on this line '
        'has no closing "'
    )


def test_an_unclosed_quote_closed_by_a_later_value_is_still_found(tmp_path):
    text = "site:\n  title: 'Harbour Daily\n  description: 'Tides'\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:2: invalid YAML: unclosed quote: the value starting with ' on this line "
        "has no closing '"
    )


def test_a_tab_in_the_indentation_is_named(tmp_path):
    text = "site:\n  title: Harbour\n\tdescription: Tides\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:3: invalid YAML: a tab in the indentation: YAML indents with spaces only"
    )


def test_yaml_aliases_are_rejected(tmp_path):
    text = "site:\n  title: &name Harbour\nauthor:\n  name: *name\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:4: invalid YAML: aliases (*name) are not allowed"
    )


def test_a_misspelt_setting_is_named_on_its_line_with_the_likely_one(tmp_path):
    text = "site:\n  title: Harbour\n  post_per_page: 4\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:3: site.post_per_page: unknown key; did you mean posts_per_page?"
    )


def test_an_unknown_setting_with_no_likely_one_lists_the_keys(tmp_path):
    text = "publish:\n  colour: blue\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:2: publish.colour: unknown key (known: min_feed_success, review)"
    )


def test_a_setting_from_the_environment_is_named_without_a_line(tmp_path):
    path = write_config(tmp_path, "site:\n  title: Harbour\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"AIBOT_SITE_POSTS_PER_PAGE": "0"})
    assert str(caught.value) == (
        "aibot.yaml: site.posts_per_page: expected at least 1, got 0 "
        "(set by AIBOT_SITE_POSTS_PER_PAGE)"
    )


# Feed addresses


def test_a_feed_url_without_its_scheme_gets_the_https_one_suggested(tmp_path):
    text = "feeds:\n  - url: https://a.example.org/rss\n  - url: feeds.example.net/1004/rss.xml\n"
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:3: feeds[1].url: expected an http(s) URL or the path of a feed file, got "
        "'feeds.example.net/1004/rss.xml'; did you mean https://feeds.example.net/1004/rss.xml?"
    )


def test_an_outlet_name_given_as_the_feed_url_is_explained(tmp_path):
    text = 'feeds:\n  - url: "Harbour world news"\n'
    assert config_error(write_config(tmp_path, text)) == (
        "aibot.yaml:2: feeds[0].url: expected an http(s) URL or the path of a feed file, got "
        "'Harbour world news'; an outlet's name goes in `name:`, its feed's address (https://…) "
        "in `url:`"
    )


def test_a_missing_local_feed_file_is_named_with_its_full_path(tmp_path):
    path = write_config(tmp_path, "feeds:\n  - {url: feeds/harbour.xml, name: Harbour}\n")
    assert config_error(path) == (
        "aibot.yaml:2: feeds[0].url: expected an http(s) URL or the path of a feed file, got "
        f"'feeds/harbour.xml'; no such file: {tmp_path.resolve() / 'feeds' / 'harbour.xml'} "
        "(a path is relative to the folder of aibot.yaml)"
    )


def test_a_feed_file_given_as_a_file_url_must_exist_too(tmp_path):
    feed = write_config(tmp_path / "feeds", RSS, name="harbour.xml")
    config = load_config(write_config(tmp_path, f"feeds:\n  - url: {feed.as_uri()}\n"))
    assert config.feeds[0].url == feed.resolve().as_uri()
    feed.unlink()
    assert "no such file" in config_error(tmp_path / "aibot.yaml")


def test_an_http_url_without_a_host_is_refused(tmp_path):
    path = write_config(tmp_path, "feeds:\n  - url: 'https:/rss.xml'\n")
    assert config_error(path) == (
        "aibot.yaml:2: feeds[0].url: expected an http(s) URL with a host name, got 'https:/rss.xml'"
    )


def test_missing_file_is_a_config_error_naming_the_file(tmp_path):
    message = config_error(tmp_path / "absent.yaml")
    assert "absent.yaml" in message
    assert "no such configuration file" in message


def test_top_level_list_is_rejected(tmp_path):
    message = config_error(write_config(tmp_path, "- one\n- two\n"))
    assert message == "aibot.yaml: expected a mapping, got a list"


# yamlio


def test_load_yaml_rejects_aliases_with_the_line_of_the_alias():
    with pytest.raises(YamlError) as caught:
        load_yaml("first: &a [1, 2]\nsecond: 3\nthird: *a\n")
    assert caught.value.line == 3
    assert "alias" in str(caught.value)


def test_load_yaml_reports_the_line_of_a_syntax_error():
    with pytest.raises(YamlError) as caught:
        load_yaml("title: Ferry\nsummary: fares: up\n")
    assert caught.value.line == 2


def test_load_yaml_accepts_ampersands_in_plain_text():
    assert load_yaml("title: Fish & Chips * 2\n") == {"title": "Fish & Chips * 2"}


@pytest.mark.parametrize("value", ["no", "yes", "2026-03-14", "Breaking: x", "1.5", "null", "~"])
def test_dump_yaml_quotes_strings_yaml_would_misread(value):
    text = dump_yaml({"value": value})
    assert load_yaml(text) == {"value": value}
    assert text != f"value: {value}\n"


def test_dump_yaml_keeps_key_order_and_unicode():
    text = dump_yaml({"zeta": 1, "alpha": "Zürich"})
    assert text.index("zeta") < text.index("alpha")
    assert "Zürich" in text


# Writer settings


def test_a_price_table_and_word_range_are_read_from_the_file(tmp_path):
    config = load_config(
        write_config(
            tmp_path,
            "writer:\n  target_words: [150, 200]\n  max_cost_per_run: 0.5\n  prices:\n"
            "    - {model: sonnet, input: 2.5, output: 12, cache_read: 0.2}\n",
        )
    )
    assert config.writer.target_words == (150, 200)
    assert config.writer.max_cost_per_run == 0.5
    (price,) = config.writer.prices
    assert (price.model, price.input, price.output, price.cache_read, price.cache_write) == (
        "sonnet", 2.5, 12.0, 0.2, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("writer: {target_words: [400, 250]}", "writer.target_words: expected [least, most]"),
        ("writer: {target_words: [300]}", "writer.target_words: expected [least, most]"),
        ("writer: {max_cost_per_run: -1}", "writer.max_cost_per_run: expected 0 or more"),
        ("writer: {max_input_tokens: 0}", "writer.max_input_tokens: expected at least 1"),
        ("writer: {prices: [{model: x, input: -1, output: 1}]}", "writer.prices[0]: prices cannot"),
        ("writer: {prices: [{model: x, output: 1}]}", "writer.prices[0].input: required key"),
        ("writer: {batch: yes please}", "writer.batch: expected true or false"),
    ],
)
def test_bad_writer_settings_name_their_key(tmp_path, text, expected):
    assert expected in config_error(write_config(tmp_path, text))
