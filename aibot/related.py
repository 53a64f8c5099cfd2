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

from aibot.models import Post
from aibot.text import STOPWORDS, words
from aibot.vectors import cosine, normalise

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
    """Every post's text vector, tags, entities and story, indexed for finding neighbours."""

    def __init__(self, posts: Sequence[Post]) -> None:
        self.posts = {p.slug: p for p in posts if not p.is_draft}
        bags = {slug: _bag(p) for slug, p in self.posts.items()}
        df: Counter[str] = Counter()
        for bag in bags.values():
            df.update(bag.keys())
        total = len(bags) or 1
        self.idf = {term: math.log((1 + total) / (1 + n)) + 1 for term, n in df.items()}
        self.vectors = {
            slug: normalise({t: (1 + math.log(c)) * self.idf[t] for t, c in bag.items()})
            for slug, bag in bags.items()
        }
        self.entities: dict[str, set[str]] = {}
        self.tags: dict[str, set[str]] = {}
        self.story: dict[str, set[str]] = {}
        self.postings: dict[str, list[str]] = defaultdict(list)
        for post in self.posts.values():
            self._file(post)

    def add(self, post: Post) -> None:
        """Index a post written after the index was built (its terms weighed by the old IDF)."""
        if post.is_draft:
            return
        self.posts[post.slug] = post
        self.vectors[post.slug] = self._vector(_bag(post))
        self._file(post)

    def _vector(self, bag: Counter[str]) -> dict[str, float]:
        rare = max(self.idf.values(), default=1.0)
        return normalise({t: (1 + math.log(c)) * self.idf.get(t, rare) for t, c in bag.items()})

    def _file(self, post: Post) -> None:
        slug = post.slug
        self.entities[slug] = _entities(post)
        self.tags[slug] = {t.lower() for t in post.tags}
        self.story[slug] = _story_keys(post)
        keys = [*self.vectors[slug], *(f"#{t}" for t in self.tags[slug])]
        keys += [f"@{e.lower()}" for e in self.entities[slug]] + sorted(self.story[slug])
        for key in keys:
            self.postings[key].append(slug)

    def related(
        self, post: Post, limit: int = RELATED_COUNT, *, newer_only: bool = False
    ) -> list[Related]:
        """The `limit` posts most like `post`, best first, each with its reason."""
        mine = self.vectors.get(post.slug) or self._vector(_bag(post))
        tags = {t.lower() for t in post.tags}
        entities = _entities(post)
        story = _story_keys(post)
        when = post.date or _NEVER
        scored: list[tuple[float, float, str]] = []
        for slug in self._candidates(mine, tags, entities, story):
            other = self.posts[slug]
            if slug == post.slug or (newer_only and (other.date or _NEVER) <= when):
                continue
            same_story = bool(story & self.story[slug])
            score = (
                cosine(mine, self.vectors[slug])
                + TAG_BONUS * len(tags & self.tags[slug])
                + ENTITY_BONUS * len({e.lower() for e in entities} & _lower(self.entities[slug]))
                + (10.0 if same_story else 0.0)
            )
            if score > 0.05:
                scored.append((score, (other.date or _NEVER).timestamp(), slug))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        return [Related(slug, self.reason(post, self.posts[slug])) for _, _, slug in scored[:limit]]

    def reason(self, post: Post, other: Post) -> str:
        """Why `other` is shown as related to `post`, in a few words."""
        if _story_keys(post) & _story_keys(other):
            later = (other.date or _NEVER) > (post.date or _NEVER)
            return f"same story, {'later' if later else 'earlier'}"
        shared = _lower(_entities(post)) & _lower(_entities(other))
        if shared:
            name = max(
                (e for e in _entities(other) if e.lower() in shared),
                key=lambda e: (len(e.split()), self.idf.get(e.lower(), 0.0), e),
            )
            return f"also about {name}"
        tags = [t for t in other.tags if t.lower() in {x.lower() for x in post.tags}]
        if tags:
            return f"also about {tags[0]}"
        return "similar story"

    def _candidates(
        self, vector: dict[str, float], tags: set[str], entities: set[str], story: set[str]
    ) -> set[str]:
        keys = sorted(vector, key=lambda t: -vector[t])[:20]
        keys += [f"#{t}" for t in tags] + [f"@{e.lower()}" for e in entities] + sorted(story)
        found: set[str] = set()
        for key in keys:
            found.update(self.postings.get(key, ())[-POSTINGS_LIMIT:])
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
    before = text[:start].rstrip()
    return not before or before[-1] in '.!?:"“'


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
