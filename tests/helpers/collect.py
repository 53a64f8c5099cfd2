"""Feeds and article pages made up for collect runs over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from aibot.collect.stage import collect
from aibot.config import load_config
from aibot.store import Store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def article_html(title: str, words: int = 220, extra: str = "") -> str:
    """A plain article page with `words` words of made-up prose about `title`."""
    sentences = [
        f"Officials in the {TOPICS[i % len(TOPICS)]} district said the {title.lower()} plan "
        f"would be reviewed again in week {i + 2} of the season."
        for i in range(words // 18 + 1)
    ]
    paragraphs = "".join(f"<p>{' '.join(sentences[i : i + 3])}</p>" for i in range(0, 99, 3))
    return (
        f"<html lang='en'><head><title>{title}</title>"
        f"<meta property='article:published_time' content='2026-11-24T08:00:00Z'></head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{extra}"
        f"{paragraphs}</article><footer>Footer text</footer></body></html>"
    )


def rss(items: list[tuple[str, str, str]], title: str = "Loopback News") -> str:
    """An RSS 2.0 feed of (title, link, description) items."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        f"<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate><guid>{link}</guid></item>"
        for t, link, d in items
    )
    head = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
    return f"{head}<title>{title}</title><link>http://x.example/</link>{body}</channel></rss>"


def write_config(folder: Path, feeds: list[dict], **collect_options: object) -> Path:
    config = {
        "site": {"title": "Loopback", "base_url": "https://loopback.example/"},
        "feeds": feeds,
        "collect": {"max_age_hours": 0, "allow_private_hosts": True, "timeout_s": 2,
                    **collect_options},
        "cluster": {"min_sources": 2},
        "writer": {"backend": "extractive"},
    }  # fmt: skip
    path = folder / "aibot.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def collected(config_file: Path, now: datetime = NOW):
    config = load_config(config_file)
    with Store(config.cache_file) as store:
        report = collect(config, store, now=now)
        articles = store.articles(r["id"] for r in store.db.execute("SELECT id FROM articles"))
    return report, articles


TOPICS = ["harbour", "orchard", "glacier", "railway", "lighthouse", "vineyard", "quarry", "canal"]
