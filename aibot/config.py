"""Load and validate aibot.yaml into frozen dataclasses.

Every problem is reported as `<file>: <key path>: <what was expected>, got <what was found>`.
Relative paths in the file (feeds given as paths, the `paths:` section) are relative to the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aibot.support.yamlio import YamlError, key_lines, load_yaml


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid.

    A problem with one setting reads `<file>:<line>: <key path>: <message>` (`<file>: <key
    path>: …` when the line is not known: a mapping built in code); `key` is that key path."""

    def __init__(
        self, message: str, *, file: str = "", key: str = "", line: int | None = None
    ) -> None:
        self.message, self.file, self.key, self.line = message, file, key, line
        where = f"{file}:{line}" if line else file
        super().__init__(": ".join(part for part in (where, key, message) if part))

    def at_line(self, line: int | None) -> ConfigError:
        """The same problem, placed on `line` of the file."""
        return ConfigError(self.message, file=self.file, key=self.key, line=line)


def _invalid(name: str, key: str, message: str) -> ConfigError:
    """The problem `message` with the setting `key` of the file `name`."""
    return ConfigError(message, file=name, key=key)


@dataclass(frozen=True)
class SiteConfig:
    """The site as readers see it."""

    title: str = "AiBot"
    """Site name, in every page's header and title and in the feeds."""
    base_url: str = "https://example.org/"
    """Public address of the site (on GitHub Pages `https://USER.github.io/REPO/`): canonical
    links, feeds and sitemaps use it."""
    language: str = "en"
    """Language code for `<html lang>` and the feeds."""
    timezone: str = "UTC"
    """Time zone dates are shown in, e.g. `Europe/London`."""
    posts_per_page: int = 10
    """Posts on each front page."""
    description: str = "News stories distilled from many sources by AiBot."
    """Meta description of the front page and subtitle of the feeds."""
    feed_full_content: bool = True
    """Feeds carry each post's whole text (`true`) or only its summary (`false`)."""


@dataclass(frozen=True)
class AuthorConfig:
    """The byline and author card of every post."""

    name: str = "AiBot"
    """Byline of the posts."""
    bio: str = (
        "AiBot scans breaking news and distills multiple news articles into a concise, "
        "easy-to-understand summary which reads just like a news story, saving users time "
        "while keeping them well-informed."
    )
    """The author card under each post."""
    disclaimer: str = (
        "To err is human, but AI does it too. Whilst factual data is used in the production of "
        "these articles, the content is written entirely by AI. Double check any facts you "
        "intend to rely on with another source."
    )
    """Shown under every post."""


@dataclass(frozen=True)
class FeedConfig:
    """One feed: an item of the `feeds` list."""

    url: str
    """An http(s) URL, or the path of a local feed file (relative to the configuration file)."""
    name: str = ""
    """The outlet's name shown in posts' sources; empty: the feed's own title."""
    tags: tuple[str, ...] = ()
    """Tags given to the feed's articles; a post takes its sources' most common tags."""
    trusted_single_source: bool = False
    """A story from this feed is written without waiting for a second outlet."""


@dataclass(frozen=True)
class CollectConfig:
    """Fetching feeds and article pages."""

    concurrency: int = 16
    """Requests at once."""
    per_host: int = 2
    """Requests at once to one host."""
    timeout_s: float = 20.0
    """Seconds to wait for each step of a request; a request takes at most three times this."""
    max_bytes: int = 5_000_000
    """Larger responses (after decompression) are cut off and refused."""
    max_age_hours: float = 48.0
    """Older feed entries are ignored; 0 keeps entries of any age (the demo sample is dated)."""
    allow_private_hosts: bool = False
    """Fetch from hosts on private, loopback or link-local addresses (tests only)."""
    respect_robots: bool = True
    """Honour robots.txt for article pages."""
    thorough_extraction: bool = False
    """Run both extractors on every page: a little better text, about 1.5 times the time."""
    broken_after: int = 10
    """A feed failing this many runs in a row is reported as broken."""
    user_agent: str = ""
    """User-Agent header; empty: `AiBot/<version>` with the site's title and address."""


@dataclass(frozen=True)
class ClusterConfig:
    """Grouping articles into stories (docs/stories.md)."""

    threshold: float = 0.35
    """TF-IDF similarity an article needs to join a story (between 0 and 1)."""
    merge_threshold: float = 0.27
    """TF-IDF similarity of two stories' centroids for them to merge."""
    window_hours: float = 72.0
    """A story takes no article this long after its last one."""
    min_sources: int = 2
    """Distinct outlets a story needs before it is written."""
    embeddings: str = "auto"
    """`auto`: use sentence embeddings from the packaged model (aibot/cluster/embeddings.py);
    `off`: never (TF-IDF alone)."""
    embedding_threshold: float = 0.4
    """`threshold` for a full text when embeddings are used (the TF-IDF and embedding cosines
    blended); a headline or short summary joins by a learned same-story probability instead
    (docs/stories.md)."""
    embedding_merge_threshold: float = 0.29
    """`merge_threshold` for stories mostly of full texts when embeddings are used (the TF-IDF
    and embedding cosines blended); two stories of headlines merge by a learned same-story
    probability instead (docs/stories.md)."""


@dataclass(frozen=True)
class PriceConfig:
    """US dollars per million tokens for every model id containing `model`."""

    model: str
    """Applies to every model id containing this text."""
    input: float
    """Input tokens."""
    output: float
    """Output tokens."""
    cache_read: float | None = None
    """Tokens read from the prompt cache; unset: a tenth of `input`."""
    cache_write: float | None = None
    """Tokens written to the prompt cache; unset: 1.25 times `input`."""


DEFAULT_PRICES = (
    PriceConfig("opus", 5.0, 25.0),
    PriceConfig("sonnet", 3.0, 15.0),
    PriceConfig("haiku", 1.0, 5.0),
)


@dataclass(frozen=True)
class WriterConfig:
    """Who writes the posts: Claude, or the offline extractive writer (docs/stories.md)."""

    backend: str = "auto"
    """`auto` (Claude when `ANTHROPIC_API_KEY` is set, else extractive), `claude` or
    `extractive`; `aibot run --writer` overrides it for one run."""
    model: str = ""
    """Claude model; empty: AiBot's pinned default (`claude-sonnet-5-5`), which changes only with
    an AiBot release. `aibot check` warns when the SDK says the model is retiring."""
    small_model: str = ""
    """Model of the repair call; empty: AiBot's pinned default (`claude-haiku-5-5`)."""
    max_posts_per_run: int = 20
    """New posts per run; the other stories wait for the next run."""
    max_input_tokens: int = 12_000
    """Input budget per story, system prompt included; the most informative passages are chosen
    to fit."""
    max_output_tokens: int = 4_000
    """`max_tokens` of each Claude call."""
    max_retries: int = 4
    """Retries of 408, 409, 429, 5xx and 529 answers and timeouts, with exponential backoff."""
    timeout_s: float = 120.0
    """Seconds to wait for each call."""
    max_failures_in_a_row: int = 3
    """API failures in a row (after retries) that end writing for the run: the service is down
    and the rest wait for the next run."""
    repair: bool = True
    """One cheap call with the small model rewrites the paragraphs the verifier flagged."""
    batch: bool = False
    """Send the run's stories as one Message Batch: half price, answers within minutes to hours
    (a later run collects what is left)."""
    batch_wait_s: float = 900.0
    """How long a run waits for its batch."""
    batch_poll_s: float = 20.0
    """How often a run asks whether its batch is done."""
    max_cost_per_run: float = 2.0
    """US dollars; before each call its worst case must fit in what is left. 0: no cap."""
    prices: tuple[PriceConfig, ...] = DEFAULT_PRICES
    """US dollars per million tokens, for the cost ledger and the cap; an unknown model is
    priced at the dearest entry."""
    target_words: tuple[int, ...] = (250, 400)
    """Least and most words of the extractive writer's posts."""


@dataclass(frozen=True)
class PublishConfig:
    """The scheduled run on GitHub Actions (`aibot run --ci`, .github/workflows/publish.yml)."""

    min_feed_success: float = 0.5
    """Share of the feeds that must answer for `aibot run --ci` to publish; with fewer the run is
    degraded (exit 3; nothing committed or deployed): a network outage on the runner must not
    look like a quiet news day."""
    review: bool = False
    """New and updated posts go to a pull request (branch `aibot/drafts`) instead of main."""


@dataclass(frozen=True)
class PathsConfig:
    """Folders, relative to the configuration file."""

    content: Path = Path("content")
    """The posts, in `posts/YYYY/slug.md`: the site's real content (commit it)."""
    templates: Path = Path("templates")
    """Templates that override the built-in theme one file at a time (docs/theming.md)."""
    output: Path = Path("site")
    """The built site."""
    cache: Path = Path(".aibot")
    """The cache: articles, stories, feed health, cost ledger; deleting it loses no post."""


@dataclass(frozen=True)
class Config:
    feeds: tuple[FeedConfig, ...] = ()
    site: SiteConfig = field(default_factory=SiteConfig)
    author: AuthorConfig = field(default_factory=AuthorConfig)
    collect: CollectConfig = field(default_factory=CollectConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    writer: WriterConfig = field(default_factory=WriterConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    # Where the file was read from (None for a Config built in code); not a YAML key.
    source: Path | None = None

    @property
    def posts_dir(self) -> Path:
        return self.paths.content / "posts"

    @property
    def cache_file(self) -> Path:
        return self.paths.cache / "aibot.sqlite"

    @property
    def posts_index(self) -> Path:
        """Parsed posts, reused while their files are unchanged (aibot.posts.index)."""
        return self.paths.cache / "posts-index.json"


_WRITER_BACKENDS = ("auto", "claude", "extractive")


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    """Read, validate and resolve a configuration file. `AIBOT_<SECTION>_<KEY>` variables of
    `environ` (by default the process environment) override the file's keys."""
    return load_config_with_sources(path, environ)[0]


def load_config_with_sources(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> tuple[Config, dict[str, str]]:
    """`load_config`, and where each set key came from: `{"site.title": "file",
    "writer.backend": "AIBOT_WRITER_BACKEND", …}`; keys it does not list have their default."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        raw = load_yaml(text)
    except YamlError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=name, line=exc.line) from None
    if raw is None:
        raw = {}
    sources = _file_sources(raw)
    overrides = env_overrides(os.environ if environ is None else environ)
    if overrides and isinstance(raw, dict):
        raw = dict(raw)
        for (section, key), (variable, value) in overrides.items():
            if raw.get(section) is None:
                raw[section] = {}
            if isinstance(raw[section], dict):
                raw[section] = {**raw[section], key: value}
                sources[f"{section}.{key}"] = variable
    try:
        config = config_from_mapping(raw, base_dir=path.resolve().parent, name=name, source=path)
    except ConfigError as exc:
        for key, origin in sources.items():
            if origin != "file" and exc.key == key:
                raise ConfigError(f"{exc} (set by {origin})") from None
        raise exc.at_line(_line_of(exc.key, key_lines(text))) from None
    return config, sources


def _line_of(key: str, lines: Mapping[str, int]) -> int | None:
    """The line of `key` (`feeds[2].url`), or of the nearest key holding it that the file has
    (`feeds[2]` when its `url` is missing)."""
    while key:
        if key in lines:
            return lines[key]
        key = key[: max(key.rfind("."), key.rfind("["), 0)]
    return None


def require_feeds(config: Config) -> None:
    """Raise ConfigError when the configuration lists no feed: a run would do nothing."""
    if not config.feeds:
        name = config.source.name if config.source else "aibot.yaml"
        raise _invalid(
            name, "feeds", "no feed is listed; add one, e.g. `feeds: [{url: "
            "https://news.example.org/rss.xml, name: Example News}]`, or import an OPML file "
            "with `aibot feeds import`",
        )  # fmt: skip


ENV_PREFIX = "AIBOT_"


def config_sections() -> dict[str, type]:
    """The sections of aibot.yaml that are mappings, by name: site, author, collect, …"""
    hints = typing.get_type_hints(Config)
    return {name: hint for name, hint in hints.items() if dataclasses.is_dataclass(hint)}


def env_variable(section: str, key: str) -> str:
    """The environment variable that overrides `section.key`: AIBOT_SITE_BASE_URL."""
    return f"{ENV_PREFIX}{section}_{key}".upper()


def env_overrides(environ: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, Any]]:
    """`AIBOT_<SECTION>_<KEY>` variables as {(section, key): (variable, value as YAML would
    read it)}. Text and path settings take the value as it is; the others read it as YAML
    (`true`, `12`, `[300, 500]`). A variable naming a section but no key of it, or holding a
    value of the wrong type, is an error naming the variable. Other AIBOT_ variables
    (AIBOT_CONFIG, …) are not settings and are left alone."""
    sections = config_sections()
    found: dict[tuple[str, str], tuple[str, Any]] = {}
    for variable in sorted(environ):
        section, _, key = variable.removeprefix(ENV_PREFIX).lower().partition("_")
        if not variable.startswith(ENV_PREFIX) or section not in sections:
            continue
        hints = typing.get_type_hints(sections[section])
        if key not in hints:
            known = ", ".join(env_variable(section, k) for k in hints)
            raise ConfigError(f"environment: {variable}: no such setting (known: {known})")
        value = _env_value(hints[key], environ[variable], variable)
        _convert(hints[key], value, "environment", variable)  # the error names the variable
        found[(section, key)] = (variable, value)
    return found


def _env_value(hint: Any, text: str, variable: str) -> Any:
    if hint in (str, Path):
        return text
    if hint is bool and text.strip().lower() in ("1", "0", "yes", "no", "on", "off"):
        return text.strip().lower() in ("1", "yes", "on")
    try:
        return load_yaml(text)
    except YamlError as exc:
        raise ConfigError(f"environment: {variable}: cannot read {text!r}: {exc}") from None


def _file_sources(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    sources = {"feeds": "file"} if "feeds" in raw else {}
    for section in config_sections():
        if isinstance(raw.get(section), dict):
            sources.update({f"{section}.{key}": "file" for key in raw[section]})
    return sources


def config_from_mapping(
    raw: Any, base_dir: Path, name: str = "aibot.yaml", source: Path | None = None
) -> Config:
    """Validate an already-parsed mapping; relative paths are resolved against `base_dir`."""
    config = _build(Config, _yaml_switches(raw), name, "", skip=("source",))
    _check_values(config, name)
    paths = PathsConfig(
        **{f.name: _resolve(base_dir, getattr(config.paths, f.name)) for f in _fields(PathsConfig)}
    )
    feeds = tuple(
        dataclasses.replace(f, url=_feed_url(f.url, base_dir, name, f"feeds[{i}].url"))
        for i, f in enumerate(config.feeds)
    )
    return dataclasses.replace(config, paths=paths, feeds=feeds, source=source)


def _yaml_switches(raw: Any) -> Any:
    """YAML reads a bare `off` as false: take `cluster.embeddings: off` (or on) as meant."""
    cluster = raw.get("cluster") if isinstance(raw, dict) else None
    if isinstance(cluster, dict) and isinstance(cluster.get("embeddings"), bool):
        switch = "auto" if cluster["embeddings"] else "off"
        return {**raw, "cluster": {**cluster, "embeddings": switch}}
    return raw


def _resolve(base: Path, value: Path) -> Path:
    return value if value.is_absolute() else (base / value)


# A web address written without its scheme: a host name with a dot (feeds.example.org/rss).
_HOST_LIKE = re.compile(r"^(?://)?(?:www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/)", re.I)
_FEED_FILE = re.compile(r"\.(?:xml|rss|atom|rdf|json)$", re.I)


def _feed_url(url: str, base_dir: Path, name: str, key: str) -> str:
    """The feed's http(s) URL as it is, or the `file:` URL of an existing local feed file (a
    path relative to the configuration file, or a `file:` URL)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise _invalid(name, key, f"expected an http(s) URL with a host name, got {url!r}")
        return url
    expected = f"expected an http(s) URL or the path of a feed file, got {url!r}"
    if len(parts.scheme) > 1 and parts.scheme != "file":  # one letter: a Windows drive
        raise _invalid(name, key, expected)
    path = Path(url2pathname(parts.path)) if parts.scheme == "file" else Path(url)
    path = _resolve(base_dir, path).resolve()
    if path.is_file():
        return path.as_uri()
    if _HOST_LIKE.match(url) or ("/" not in url and "." in url and not _FEED_FILE.search(url)):
        raise _invalid(name, key, f"{expected}; did you mean https://{url.removeprefix('//')}?")
    if " " in url.strip() and "/" not in url:
        hint = "an outlet's name goes in `name:`, its feed's address (https://…) in `url:`"
        raise _invalid(name, key, f"{expected}; {hint}")
    relative = f"a path is relative to the folder of {name}"
    raise _invalid(name, key, f"{expected}; no such file: {path} ({relative})")


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _build(cls: type, raw: Any, name: str, key: str, skip: tuple[str, ...] = ()) -> Any:
    if not isinstance(raw, dict):
        raise _invalid(name, key, f"expected a mapping, got {_show(raw)}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in _fields(cls) if f.name not in skip]
    for unknown in sorted(set(raw) - set(known), key=str):
        raise _invalid(name, _join(key, str(unknown)), _unknown_key(str(unknown), known, key))
    values: dict[str, Any] = {}
    for f in _fields(cls):
        if f.name in skip:
            continue
        sub = _join(key, f.name)
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _invalid(name, f"{sub}", "required key is missing")
            continue
        values[f.name] = _convert(hints[f.name], raw[f.name], name, sub)
    return cls(**values)


def _convert(hint: Any, value: Any, name: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, name, key)
    if origin is tuple:
        (item_hint, _) = typing.get_args(hint)
        if not isinstance(value, list):
            raise _invalid(name, f"{key}", f"expected a list, got {_show(value)}")
        return tuple(_convert(item_hint, v, name, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return _convert(
            next(a for a in typing.get_args(hint) if a is not type(None)), value, name, key
        )
    if hint is bool:
        if not isinstance(value, bool):
            raise _invalid(name, f"{key}", f"expected true or false, got {_show(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(name, f"{key}", f"expected a whole number, got {_show(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid(name, f"{key}", f"expected a number, got {_show(value)}")
        return float(value)
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise _invalid(name, f"{key}", f"expected a path, got {_show(value)}")
        return Path(value)
    if hint is str:
        if not isinstance(value, str):
            wanted = "a URL" if key.endswith("url") else "text"
            raise _invalid(name, f"{key}", f"expected {wanted}, got {_show(value)}")
        return value
    raise TypeError(f"unsupported config type {hint!r}")  # a bug in this module, not the file


def _check_values(config: Config, name: str) -> None:
    for i, feed in enumerate(config.feeds):
        if not feed.url.strip():
            raise _invalid(name, f"feeds[{i}].url", "expected a URL, got an empty string")
    if not urlsplit(config.site.base_url).scheme.startswith("http"):
        raise _invalid(
            name, "site.base_url", f"expected an http(s) URL, got {config.site.base_url!r}"
        )
    if config.site.posts_per_page < 1:
        raise _invalid(
            name, "site.posts_per_page", f"expected at least 1, got {config.site.posts_per_page}"
        )
    if config.writer.backend not in _WRITER_BACKENDS:
        raise _invalid(
            name,
            "writer.backend",
            f"expected one of {', '.join(_WRITER_BACKENDS)}, got {config.writer.backend!r}",
        )
    for key in ("threshold", "merge_threshold", "embedding_threshold", "embedding_merge_threshold"):
        if not 0 < getattr(config.cluster, key) < 1:
            raise _invalid(
                name,
                f"cluster.{key}",
                f"expected a number between 0 and 1, got {getattr(config.cluster, key)}",
            )
    _check_writer(config.writer, name)
    if not 0 <= config.publish.min_feed_success <= 1:
        raise _invalid(
            name,
            "publish.min_feed_success",
            f"expected a share between 0 and 1 (0.5 is half "
            f"the feeds), got {config.publish.min_feed_success}",
        )
    if config.cluster.embeddings not in ("auto", "off"):
        raise _invalid(
            name, "cluster.embeddings", f"expected auto or off, got {config.cluster.embeddings!r}"
        )
    try:
        ZoneInfo(config.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(
            name,
            "site.timezone",
            f"expected a time zone name such as Europe/London, got {config.site.timezone!r}",
        ) from None
    for key in ("concurrency", "per_host", "max_bytes", "broken_after"):
        if getattr(config.collect, key) < 1:
            raise _invalid(
                name, f"collect.{key}", f"expected at least 1, got {getattr(config.collect, key)}"
            )


def _check_writer(writer: WriterConfig, name: str) -> None:
    for key in ("max_posts_per_run", "max_input_tokens", "max_output_tokens"):
        if getattr(writer, key) < 1:
            raise _invalid(
                name, f"writer.{key}", f"expected at least 1, got {getattr(writer, key)}"
            )
    for key in ("max_retries", "timeout_s", "batch_wait_s", "batch_poll_s", "max_cost_per_run"):
        if getattr(writer, key) < 0:
            raise _invalid(name, f"writer.{key}", f"expected 0 or more, got {getattr(writer, key)}")
    words = writer.target_words
    if len(words) != 2 or not 0 < words[0] <= words[1]:
        raise _invalid(
            name,
            "writer.target_words",
            f"expected [least, most] words, e.g. [250, 400], got {list(words)}",
        )
    for i, price in enumerate(writer.prices):
        if min(price.input, price.output) < 0:
            raise _invalid(name, f"writer.prices[{i}]", "prices cannot be negative")


def _unknown_key(unknown: str, known: list[str], section: str) -> str:
    """'unknown key' with the likeliest meant key, or the keys there are when none is close."""
    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]}?"
    return f"unknown key (known: {', '.join(known)})"


def _join(key: str, sub: str) -> str:
    return f"{key}.{sub}" if key else sub


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)
