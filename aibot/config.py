"""Load and validate aibot.yaml into frozen dataclasses.

Every problem is reported as `<file>: <key path>: <what was expected>, got <what was found>`.
Relative paths in the file (feeds given as paths, the `paths:` section) are relative to the file.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aibot.yamlio import YamlError, load_yaml


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class SiteConfig:
    title: str = "AiBot"
    base_url: str = "https://example.org/"
    language: str = "en"
    timezone: str = "UTC"
    posts_per_page: int = 10
    description: str = "News stories distilled from many sources by AiBot."
    # Feeds carry each post's whole text (true) or its summary (false).
    feed_full_content: bool = True


@dataclass(frozen=True)
class AuthorConfig:
    name: str = "AiBot"
    bio: str = (
        "AiBot scans breaking news and distills multiple news articles into a concise, "
        "easy-to-understand summary which reads just like a news story, saving users time "
        "while keeping them well-informed."
    )
    disclaimer: str = (
        "To err is human, but AI does it too. Whilst factual data is used in the production of "
        "these articles, the content is written entirely by AI. Double check any facts you "
        "intend to rely on with another source."
    )


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    trusted_single_source: bool = False


@dataclass(frozen=True)
class CollectConfig:
    concurrency: int = 16
    per_host: int = 2
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    # 0 keeps entries of any age (the demo sample is dated).
    max_age_hours: float = 48.0
    allow_private_hosts: bool = False
    respect_robots: bool = True
    # Both extractors on every page: a little better text, about 1.5 times the extraction time.
    thorough_extraction: bool = False
    # A feed failing this many runs in a row is reported as broken.
    broken_after: int = 10
    user_agent: str = ""


@dataclass(frozen=True)
class ClusterConfig:
    threshold: float = 0.35
    merge_threshold: float = 0.27
    window_hours: float = 72.0
    min_sources: int = 2
    embeddings: str = "auto"  # auto: used when aibot[embeddings] is installed; off: never
    # With embeddings the similarity is a blend on another scale: its own two thresholds.
    embedding_threshold: float = 0.4
    embedding_merge_threshold: float = 0.45


@dataclass(frozen=True)
class PriceConfig:
    """US dollars per million tokens for every model id containing `model`."""

    model: str
    input: float
    output: float
    # Unset: a tenth of `input` for cache reads, 1.25 times `input` for cache writes.
    cache_read: float | None = None
    cache_write: float | None = None


DEFAULT_PRICES = (
    PriceConfig("opus", 5.0, 25.0),
    PriceConfig("sonnet", 3.0, 15.0),
    PriceConfig("haiku", 1.0, 5.0),
)


@dataclass(frozen=True)
class WriterConfig:
    backend: str = "auto"
    # Empty: the newest Sonnet (model) and Haiku (small_model) the installed SDK lists that its
    # deprecation table does not name.
    model: str = ""
    small_model: str = ""
    max_posts_per_run: int = 20
    max_input_tokens: int = 12_000
    max_output_tokens: int = 4_000
    # The SDK retries 408, 409, 429, 5xx and 529 answers and timeouts with exponential backoff.
    max_retries: int = 4
    timeout_s: float = 120.0
    # Several API failures in a row mean the service is down: the rest wait for the next run.
    max_failures_in_a_row: int = 3
    # One cheap call with the small model rewrites the paragraphs the verifier flagged.
    repair: bool = True
    # The Message Batches API: half price, results within minutes to hours.
    batch: bool = False
    batch_wait_s: float = 900.0
    batch_poll_s: float = 20.0
    # 0 means no limit.
    max_cost_per_run: float = 2.0
    prices: tuple[PriceConfig, ...] = DEFAULT_PRICES
    # Length of the extractive writer's posts, in words.
    target_words: tuple[int, ...] = (250, 400)


@dataclass(frozen=True)
class PublishConfig:
    """The scheduled run on GitHub Actions (`aibot run --ci`, .github/workflows/publish.yml)."""

    # A run in which a smaller share of the feeds answered publishes nothing (a network outage on
    # the runner must not look like a quiet news day, nor update posts from a few outlets).
    min_feed_success: float = 0.5
    # New and updated posts go to a pull request (branch aibot/drafts) instead of main.
    review: bool = False


@dataclass(frozen=True)
class PathsConfig:
    content: Path = Path("content")
    templates: Path = Path("templates")
    output: Path = Path("site")
    cache: Path = Path(".aibot")


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
        """Parsed posts, reused while their files are unchanged (aibot.post_index)."""
        return self.paths.cache / "posts-index.json"


_WRITER_BACKENDS = ("auto", "claude", "extractive")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, validate and resolve a configuration file."""
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
        where = f" (line {exc.line})" if exc.line else ""
        raise ConfigError(f"{name}{where}: invalid YAML: {exc}") from None
    if raw is None:
        raw = {}
    return config_from_mapping(raw, base_dir=path.resolve().parent, name=name, source=path)


def config_from_mapping(
    raw: Any, base_dir: Path, name: str = "aibot.yaml", source: Path | None = None
) -> Config:
    """Validate an already-parsed mapping; relative paths are resolved against `base_dir`."""
    config = _build(Config, _yaml_switches(raw), name, "", skip=("source",))
    _check_values(config, name)
    paths = PathsConfig(
        **{f.name: _resolve(base_dir, getattr(config.paths, f.name)) for f in _fields(PathsConfig)}
    )
    feeds = tuple(dataclasses.replace(f, url=_feed_url(f.url, base_dir)) for f in config.feeds)
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


def _feed_url(url: str, base_dir: Path) -> str:
    """http(s) URLs stay as they are; anything else is a local file relative to the config."""
    if urlsplit(url).scheme in ("http", "https", "file"):
        return url
    return _resolve(base_dir, Path(url)).resolve().as_uri()


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _build(cls: type, raw: Any, name: str, key: str, skip: tuple[str, ...] = ()) -> Any:
    where = f"{name}: {key}" if key else name
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {_show(raw)}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in _fields(cls) if f.name not in skip}
    for unknown in sorted(set(raw) - known, key=str):
        raise ConfigError(f"{name}: {_join(key, str(unknown))}: unknown key")
    values: dict[str, Any] = {}
    for f in _fields(cls):
        if f.name in skip:
            continue
        sub = _join(key, f.name)
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{name}: {sub}: required key is missing")
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
            raise ConfigError(f"{name}: {key}: expected a list, got {_show(value)}")
        return tuple(_convert(item_hint, v, name, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return _convert(
            next(a for a in typing.get_args(hint) if a is not type(None)), value, name, key
        )
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: {key}: expected true or false, got {_show(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: {key}: expected a whole number, got {_show(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}: {key}: expected a number, got {_show(value)}")
        return float(value)
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name}: {key}: expected a path, got {_show(value)}")
        return Path(value)
    if hint is str:
        if not isinstance(value, str):
            wanted = "a URL" if key.endswith("url") else "text"
            raise ConfigError(f"{name}: {key}: expected {wanted}, got {_show(value)}")
        return value
    raise TypeError(f"unsupported config type {hint!r}")  # a bug in this module, not the file


def _check_values(config: Config, name: str) -> None:
    for i, feed in enumerate(config.feeds):
        if not feed.url.strip():
            raise ConfigError(f"{name}: feeds[{i}].url: expected a URL, got an empty string")
        scheme = urlsplit(feed.url).scheme
        if scheme and len(scheme) > 1 and scheme not in ("http", "https", "file"):
            raise ConfigError(
                f"{name}: feeds[{i}].url: expected an http(s) URL or a path, got {feed.url!r}"
            )
    if not urlsplit(config.site.base_url).scheme.startswith("http"):
        raise ConfigError(
            f"{name}: site.base_url: expected an http(s) URL, got {config.site.base_url!r}"
        )
    if config.site.posts_per_page < 1:
        raise ConfigError(
            f"{name}: site.posts_per_page: expected at least 1, got {config.site.posts_per_page}"
        )
    if config.writer.backend not in _WRITER_BACKENDS:
        raise ConfigError(
            f"{name}: writer.backend: expected one of {', '.join(_WRITER_BACKENDS)}"
            f", got {config.writer.backend!r}"
        )
    for key in ("threshold", "merge_threshold", "embedding_threshold", "embedding_merge_threshold"):
        if not 0 < getattr(config.cluster, key) < 1:
            raise ConfigError(
                f"{name}: cluster.{key}: expected a number between 0 and 1, "
                f"got {getattr(config.cluster, key)}"
            )
    _check_writer(config.writer, name)
    if not 0 <= config.publish.min_feed_success <= 1:
        raise ConfigError(
            f"{name}: publish.min_feed_success: expected a share between 0 and 1 (0.5 is half "
            f"the feeds), got {config.publish.min_feed_success}"
        )
    if config.cluster.embeddings not in ("auto", "off"):
        raise ConfigError(
            f"{name}: cluster.embeddings: expected auto or off, got {config.cluster.embeddings!r}"
        )
    try:
        ZoneInfo(config.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}: site.timezone: expected a time zone name such as "
            f"Europe/London, got {config.site.timezone!r}"
        ) from None
    for key in ("concurrency", "per_host", "max_bytes", "broken_after"):
        if getattr(config.collect, key) < 1:
            raise ConfigError(
                f"{name}: collect.{key}: expected at least 1, got {getattr(config.collect, key)}"
            )


def _check_writer(writer: WriterConfig, name: str) -> None:
    for key in ("max_posts_per_run", "max_input_tokens", "max_output_tokens"):
        if getattr(writer, key) < 1:
            raise ConfigError(
                f"{name}: writer.{key}: expected at least 1, got {getattr(writer, key)}"
            )
    for key in ("max_retries", "timeout_s", "batch_wait_s", "batch_poll_s", "max_cost_per_run"):
        if getattr(writer, key) < 0:
            raise ConfigError(
                f"{name}: writer.{key}: expected 0 or more, got {getattr(writer, key)}"
            )
    words = writer.target_words
    if len(words) != 2 or not 0 < words[0] <= words[1]:
        raise ConfigError(
            f"{name}: writer.target_words: expected [least, most] words, e.g. [250, 400], "
            f"got {list(words)}"
        )
    for i, price in enumerate(writer.prices):
        if min(price.input, price.output) < 0:
            raise ConfigError(f"{name}: writer.prices[{i}]: prices cannot be negative")


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
