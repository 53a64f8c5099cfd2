"""The related cards under a post: its own `related:` list (an old slug standing for the post it
forwards to), filled up by Neighbours."""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict

from aibot.posts.files import old_slugs
from aibot.posts.related import RELATED_COUNT
from aibot.render.context import PageLink
from aibot.render.pages import tag_slug


def related_cards(
    link: PageLink,
    by_slug: dict[str, PageLink],
    aliases: dict[str, PageLink],
    neighbours: Neighbours,
) -> list[PageLink]:
    """The post's own `related:` list (those still published; an old slug stands for the
    post it forwards to), filled up to RELATED_COUNT (see Neighbours)."""
    post = link.post
    named = post.meta.get("related") or []
    if aliases:
        named = [aliases[s].post.slug if s in aliases else s for s in named]
    chosen = [s for s in named if s in by_slug and s != post.slug]
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) < RELATED_COUNT:
        chosen += neighbours.closest(link, RELATED_COUNT - len(chosen), set(chosen))
    return [by_slug[s] for s in chosen[:RELATED_COUNT]]


class Neighbours:
    """The posts a build adds to a short `related:` list: those of the same story first, then
    those sharing the most topics, newer before older (so an old post links forward to what came
    after it), nearest in time first; with nothing shared, the nearest newer posts.

    This looks at stories, topics and dates only, never at the text of the whole site, so a
    post's fill-ups change only when one of those does (the write stage chooses by text, see
    aibot.posts.related)."""

    def __init__(self, links: list[PageLink], topics: dict[str, list[PageLink]]) -> None:
        self.links = links  # newest first, as build_site sorts them
        self.topics = topics  # tag slug -> its posts, as the topic pages list them

    # Made the first time a post needs a fill-up: most posts list enough related posts.
    @functools.cached_property
    def order(self) -> list[PageLink]:
        """Oldest first."""
        if all(link.post.date is not None for link in self.links):
            return self.links[::-1]  # sorted by (date, slug) already, newest first
        return sorted(self.links, key=lambda lk: (_when(lk), lk.post.slug))

    @functools.cached_property
    def position(self) -> dict[str, int]:
        return {link.post.slug: i for i, link in enumerate(self.order)}

    @functools.cached_property
    def by_key(self) -> dict[str, list[PageLink]]:
        found: dict[str, list[PageLink]] = defaultdict(list)
        found.update((f"#{key}", members) for key, members in self.topics.items())
        for link in self.links:
            generator = link.meta.get("generator")
            if isinstance(generator, dict) and generator.get("story"):
                found[f"story:{generator['story']}"].append(link)
        return found

    @staticmethod
    def _keys(link: PageLink) -> set[str]:
        keys = {f"#{tag_slug(tag)}" for tag in link.post.tags}
        generator = link.meta.get("generator")
        if isinstance(generator, dict) and generator.get("story"):
            keys.add(f"story:{generator['story']}")
        return keys

    def closest(self, link: PageLink, count: int, taken: set[str]) -> list[str]:
        mine = self._keys(link)
        shared: dict[str, int] = defaultdict(int)
        for key in mine:
            weight = 10 if key.startswith("story:") else 1
            for other in self.by_key[key]:
                shared[other.post.slug] += weight
        here = self.position[link.post.slug]
        taken = taken | {link.post.slug}

        def rank(slug: str) -> tuple[int, int, int, str]:
            distance = self.position[slug] - here
            return (-shared.get(slug, 0), distance < 0, abs(distance), slug)

        found = sorted((s for s in shared if s not in taken), key=rank)[:count]
        # Too few sharing anything: the nearest newer posts, then the nearest older ones.
        if len(found) < count:
            newer, older = range(here + 1, len(self.order)), range(here - 1, -1, -1)
            for at in itertools.chain(newer, older):
                slug = self.order[at].post.slug
                if slug not in taken and slug not in found:
                    found.append(slug)
                    if len(found) == count:
                        break
        return found


def _when(link: PageLink) -> float:
    return link.post.date.timestamp() if link.post.date else float("-inf")


def alias_links(links: list[PageLink]) -> dict[str, PageLink]:
    """Old slug -> the post it forwards to (`posts.old_slugs`); a live post's slug is never
    an alias."""
    live = {link.post.slug for link in links}
    found: dict[str, PageLink] = {}
    for link in links:
        for alias in old_slugs(link.post):
            if alias not in live:
                found.setdefault(alias, link)
    return found
