"""Related posts: which posts a post links to, and the short reason shown with each link.

Two posts are scored by the TF-IDF cosine of their text (title twice, summary, the body's first
120 words), plus a bonus for each tag and each named entity (a capitalised name such as "NATO" or
"Calder Bay") they share. Two posts about the same story (the same `generator.story`, or a source
URL in common) are always related first: "same story, earlier" or "same story, later".

The write stage stores the chosen slugs in the post's `related:` list; the build keeps those that
are still published and fills the list up with newer posts, so an old post links forward to what
came after it. Candidates come from an inverted index of terms, tags and entities, so a site of
10,000 posts scores each post against a few hundred others, not all of them.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aibot.models import Post
from aibot.support.text import STOPWORDS, words
from aibot.support.vectors import cosine, normalise

RELATED_COUNT = 3
TAG_BONUS = 0.15
ENTITY_BONUS = 0.1
# Posts looked at per term of a post: the rarest terms point at the likeliest candidates.
POSTINGS_LIMIT = 200
LEAD_WORDS = 120
_ENTITY = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]*)*")
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Related:
    slug: str
    reason: str


class RelatedIndex:
    """Every post's words, tags, entities and story, indexed for finding neighbours.

    Everything it answers depends only on the set of posts in it, never on the order they were
    added: a run that crashed after writing some posts and is run again links them exactly as
    one clean run would (word weights are recomputed from the document counts on demand).
    """

    def __init__(self, posts: Sequence[Post]) -> None:
        self.posts: dict[str, Post] = {}
        self.bags: dict[str, Counter[str]] = {}
        self.df: Counter[str] = Counter()
        self.entities: dict[str, set[str]] = {}  # filled on demand (see _entities_of)
        # The names of posts the index does not hold, by id, with what they were read from (the
        # build asks an empty index for reasons, about ten times a post; a post may be edited).
        self._outside: dict[int, tuple[Post, tuple[Any, ...], set[str]]] = {}
        self.tags: dict[str, set[str]] = {}
        self.story: dict[str, set[str]] = {}
        self.postings: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self._vectors: dict[str, dict[str, float]] = {}
        # Posts not yet in bags, df and postings: indexing waits for the first search, so a
        # build that only needs reasons for posts' own `related:` lists never pays for it.
        self._pending: set[str] = set()
        for post in posts:
            self.add(post)

    def add(self, post: Post) -> None:
        """Index a post (replacing the one with its slug, if any); drafts are left out."""
        if post.slug in self.posts:
            self._remove(post.slug)
        if post.is_draft:
            return
        slug = post.slug
        self.posts[slug] = post
        self.tags[slug] = {t.lower() for t in post.tags}
        self.story[slug] = _story_keys(post)
        self._pending.add(slug)

    def remove(self, slug: str) -> None:
        """Forget the post with this slug (one merged into another), if the index holds it."""
        if slug in self.posts:
            self._remove(slug)

    def _index_pending(self) -> None:
        if not self._pending:
            return
        touched: set[str] = set()
        for slug in sorted(self._pending):
            self.bags[slug] = _bag(self.posts[slug])
            self.df.update(self.bags[slug].keys())
            order = ((self.posts[slug].date or _NEVER).timestamp(), slug)
            for key in self._keys(slug):
                self.postings[key].append(order)
                touched.add(key)
        for key in touched:  # kept sorted by (date, slug): one sort per list, not one insert each
            self.postings[key].sort()
        self._pending.clear()
        self._vectors.clear()

    def _remove(self, slug: str) -> None:
        if slug in self._pending:
            self._pending.discard(slug)
        else:
            order = ((self.posts[slug].date or _NEVER).timestamp(), slug)
            for key in self._keys(slug):
                self.postings[key].remove(order)
            self.df.subtract(self.bags.pop(slug).keys())
            self._vectors.clear()
        for name in (self.posts, self.tags, self.story):
            del name[slug]
        self.entities.pop(slug, None)

    def _keys(self, slug: str) -> list[str]:
        keys = [*self.bags[slug], *(f"#{t}" for t in self.tags[slug])]
        names = self._entities_of(self.posts[slug])
        return keys + [f"@{e.lower()}" for e in names] + sorted(self.story[slug])

    def _idf(self, term: str) -> float:
        return math.log((1 + len(self.posts)) / (1 + max(self.df.get(term, 0), 0))) + 1

    def _vector(self, bag: Counter[str]) -> dict[str, float]:
        return normalise({t: (1 + math.log(c)) * self._idf(t) for t, c in bag.items()})

    def vector(self, slug: str) -> dict[str, float]:
        self._index_pending()
        if slug not in self._vectors:
            self._vectors[slug] = self._vector(self.bags[slug])
        return self._vectors[slug]

    def related(
        self, post: Post, limit: int = RELATED_COUNT, *, newer_only: bool = False
    ) -> list[Related]:
        """The `limit` posts most like `post`, best first, each with its reason."""
        self._index_pending()
        mine = self.vector(post.slug) if post.slug in self.posts else self._vector(_bag(post))
        tags = {t.lower() for t in post.tags}
        entities = _lower(self._entities_of(post))
        story = self._story_of(post)
        when = post.date or _NEVER
        scored: list[tuple[float, float, str]] = []
        for slug in self._candidates(mine, tags, entities, story):
            other = self.posts[slug]
            if slug == post.slug or (newer_only and (other.date or _NEVER) <= when):
                continue
            same_story = bool(story & self.story[slug])
            score = (
                cosine(mine, self.vector(slug))
                + TAG_BONUS * len(tags & self.tags[slug])
                + ENTITY_BONUS * len(entities & _lower(self._entities_of(other)))
                + (10.0 if same_story else 0.0)
            )
            if score > 0.05:
                scored.append((score, (other.date or _NEVER).timestamp(), slug))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        return [Related(slug, self.reason(post, self.posts[slug])) for _, _, slug in scored[:limit]]

    def reason(self, post: Post, other: Post) -> str:
        """Why `other` is shown as related to `post`, in a few words."""
        if self._story_of(post) & self._story_of(other):
            later = (other.date or _NEVER) > (post.date or _NEVER)
            return f"same story, {'later' if later else 'earlier'}"
        shared = _lower(self._entities_of(post)) & _lower(self._entities_of(other))
        if shared:
            name = max(
                (e for e in self._entities_of(other) if e.lower() in shared),
                key=lambda e: (len(e.split()), e),
            )
            return f"also about {name}"
        tags = [t for t in other.tags if t.lower() in {x.lower() for x in post.tags}]
        if tags:
            return f"also about {tags[0]}"
        return "similar story"

    def _entities_of(self, post: Post) -> set[str]:
        """The post's names, from the index when it holds this very post."""
        if self.posts.get(post.slug) is not post:
            read = (post.meta.get("title"), post.meta.get("summary"), post.body)
            held = self._outside.get(id(post))
            if held is None or held[0] is not post or held[1] != read:
                held = self._outside[id(post)] = (post, read, _entities(post))
            return held[2]
        if post.slug not in self.entities:
            self.entities[post.slug] = _entities(post)
        return self.entities[post.slug]

    def _story_of(self, post: Post) -> set[str]:
        return self.story[post.slug] if self.posts.get(post.slug) is post else _story_keys(post)

    def _candidates(
        self, vector: dict[str, float], tags: set[str], entities: set[str], story: set[str]
    ) -> set[str]:
        """Posts sharing one of the post's 20 heaviest words, a tag, a name or its story: for
        each, the POSTINGS_LIMIT newest (by date, then slug, so the choice is order-free)."""
        keys = sorted(vector, key=lambda t: (-vector[t], t))[:20]
        keys += [f"#{t}" for t in tags] + [f"@{e.lower()}" for e in entities] + sorted(story)
        found: set[str] = set()
        for key in keys:
            found.update(slug for _, slug in self.postings.get(key, ())[-POSTINGS_LIMIT:])
        return found


def _bag(post: Post) -> Counter[str]:
    summary = post.meta.get("summary") or ""
    lead = " ".join(_prose(post.body).split()[:LEAD_WORDS])
    return Counter(words(f"{post.title} {post.title} {summary} {lead}"))


def _prose(body: str) -> str:
    """The body without headings, citations and the Sources list."""
    text = body.split("\n## Sources", 1)[0]
    text = re.sub(r"^#+ .*$", " ", text, flags=re.M)
    return re.sub(r"\[\[\d+\]\]\([^)]*\)", " ", text)


def _entities(post: Post) -> set[str]:
    """Capitalised names in the title, summary and lead that are not sentence-initial words."""
    text = f"{post.title}. {post.meta.get('summary') or ''} {_prose(post.body)[:800]}"
    found = set()
    for match in _ENTITY.finditer(text):
        name = match.group(0).strip()
        head = name.split()[0].lower()
        if head in STOPWORDS or (len(name.split()) == 1 and len(name) < 3):
            continue
        if len(name.split()) == 1 and not name.isupper() and _sentence_initial(text, match.start()):
            continue
        found.add(name)
    return found


def _sentence_initial(text: str, start: int) -> bool:
    at = start - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at < 0 or text[at] in '.!?:"“'


def _story_keys(post: Post) -> set[str]:
    generator = post.meta.get("generator")
    keys = (
        {f"story:{generator['story']}"}
        if isinstance(generator, dict) and generator.get("story")
        else set()
    )
    for source in post.meta.get("sources") or []:
        if isinstance(source, dict) and source.get("url"):
            keys.add(f"url:{source['url']}")
    return keys


def _lower(names: Iterable[str]) -> set[str]:
    return {n.lower() for n in names}
