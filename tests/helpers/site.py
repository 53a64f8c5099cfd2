"""A small site of posts (make_config, add_post, write_site) for build tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aibot.config import Config, config_from_mapping
from aibot.models import Post
from aibot.posts.files import save_post

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


BIO = "Quill is a fictional reporting robot who reads the Harbour papers every morning."


DISCLAIMER = "Quill can be wrong: check anything important against the linked sources."


def make_config(base: Path, **site: Any) -> Config:
    return config_from_mapping(
        {
            "site": {
                "title": "Harbour Daily",
                "base_url": "https://harbour.example.org/",
                "posts_per_page": 10,
                **site,
            },
            "author": {"name": "Quill", "bio": BIO, "disclaimer": DISCLAIMER},
        },
        base_dir=base,
    )


def add_post(base: Path, slug: str, title: str, when: datetime, body: str, **meta: Any) -> Path:
    post = Post(
        meta={
            "title": title,
            "slug": slug,
            "date": when,
            "author": "Quill",
            "summary": meta.pop("summary", f"Summary of {title.lower()}."),
            "tags": meta.pop("tags", []),
            "sources": meta.pop(
                "sources",
                [
                    {"outlet": "Harbour Gazette", "title": title, "url": f"https://g.test/{slug}"},
                    {"outlet": "Hill Courier", "title": title, "url": f"https://c.test/{slug}"},
                ],
            ),
            **meta,
        },
        body=body,
    )
    return save_post(post, base / "content" / "posts" / f"{when:%Y}" / f"{slug}.md")


FERRY_BODY = """## What changes

Fares on the island ferry rise by a fifth in April. [[1]](#source-1)

## The vote

Councillors voted 7-2 for the rise on Tuesday. [[2]](#source-2)

## Sources

1. <span id="source-1"></span>Harbour Gazette: [Ferry fares rise](https://g.test/ferry)
2. <span id="source-2"></span>Hill Courier: [Council vote](https://c.test/ferry)
"""


def write_site(base: Path) -> None:
    add_post(
        base,
        "ferry-fares-rise-in-april",
        "Ferry fares rise in April",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        FERRY_BODY,
        tags=["Transport", "Council"],
    )
    add_post(
        base,
        "ferry-timetable-cut-for-winter",
        "Ferry timetable cut for winter",
        datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
        "## Fewer sailings\n\nThe ferry will sail twice a day instead of four times.\n",
        tags=["Transport"],
    )
    add_post(
        base,
        "bakery-wins-county-prize",
        "Bakery wins county prize",
        datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
        "## The prize\n\nA Mill Street bakery took first place for its rye loaf.\n",
        tags=["Food"],
    )
    add_post(
        base,
        "unfinished-harbour-draft",
        "Unfinished harbour draft",
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
        "## Draft\n\nNot ready yet.\n",
        draft=True,
    )
    add_post(
        base,
        "lighthouse-reopens-next-month",
        "Lighthouse reopens next month",
        datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        "## Soon\n\nThe lighthouse opens to visitors in April.\n",
    )


PUBLISHED = [
    "ferry-timetable-cut-for-winter",
    "ferry-fares-rise-in-april",
    "bakery-wins-county-prize",
]


def leftovers(base: Path) -> list[str]:
    return sorted(
        p.name for p in base.iterdir() if p.name.startswith((".site.build-", ".site.old-"))
    )
