"""Posts on disk: Markdown with YAML front matter under content/posts/YYYY/slug.md.

This module reads the posts folder, writes posts, tells an editor's change
(`generator.body_sha256`, or `locked: true`, see docs/editing-posts.md) and makes a Draft into
a post. A file's own format is aibot.posts.frontmatter's. Files are written atomically, so a
crash leaves the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from aibot.models import Article, Draft, Paragraph, Post, Story
from aibot.posts.evidence import evidence_front_matter, evidence_problem
from aibot.posts.frontmatter import (
    FRONT_MATTER_KEYS,
    PostError,
    key_line,
    plain_value,
    post_from_bytes,
    post_text,
)
from aibot.posts.slugs import holder, is_slug, last_holders, slugify
from aibot.posts.updates import (
    Update,
    new_update,
    recorded_updates,
    updates_problem,
    what_it_added,
    when_text,
)
from aibot.support.files import write_atomically

if TYPE_CHECKING:
    from aibot.models import Review

# Reading


def load_posts(
    posts_dir: Path,
    *,
    index: Path | None = None,
    listing: PostListing | None = None,
    holders: Path | None = None,
) -> tuple[list[Post], list[PostError]]:
    """Every readable post under `posts_dir` (sorted by path) and the errors of the others.

    With `index` (a file in the cache folder), parsed posts are kept there and reused while their
    files are unchanged (see aibot.posts.index). `listing` is `post_listing(posts_dir)` when the
    caller has just made it (a build does, to see whether anything changed): not made twice.
    Of two posts with one slug, one keeps it and the other is an error (see aibot.posts.slugs;
    `holders` is the file where builds remember which post held each slug).
    """
    from aibot.posts.index import cached_posts

    posts: list[Post] = []
    errors: list[PostError] = []
    if not posts_dir.is_dir():
        return posts, errors
    listing = post_listing(posts_dir) if listing is None else listing
    paths = [Path(name) for name, _mtime, _size in listing]
    stats = [(mtime, size) for _name, mtime, size in listing]
    outcomes = cached_posts(paths, index, post_from_bytes, stats=stats)
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, Post):
            posts.append(outcome)
        elif isinstance(outcome, PostError):
            errors.append(outcome)
        else:
            errors.append(PostError(path, None, f"cannot read: {outcome}"))
    seen: dict[str, Post] = {}
    claimants: dict[str, list[Post]] = {}
    for post in posts:
        first = seen.setdefault(post.slug, post)
        if first is not post:
            claimants.setdefault(post.slug, [first]).append(post)
    if claimants:
        posts, refused = _one_post_per_slug(posts, claimants, posts_dir, holders)
        errors.extend(refused)
    return posts, errors


def _one_post_per_slug(
    posts: list[Post], claimants: dict[str, list[Post]], posts_dir: Path, holders: Path | None
) -> tuple[list[Post], list[PostError]]:
    """`posts` without those whose slug another post keeps, and an error for each of them."""
    last = last_holders(holders) if holders else {}
    refused: dict[int, PostError] = {}
    for slug, posts_of_slug in claimants.items():
        held = last.get(slug)
        keeper, why = holder(posts_of_slug, posts_dir / held if held else None)
        for post in posts_of_slug:
            if post is not keeper:
                path = post.path or posts_dir
                message = (
                    f"slug: {slug!r} is already used by {keeper.path}, which keeps it ({why}); "
                    "give this post another slug to publish it"
                )
                refused[id(post)] = PostError(path, key_line(path, "slug"), message)
    kept = [p for p in posts if id(p) not in refused]
    return kept, [refused[id(p)] for p in posts if id(p) in refused]


# (path, modification time in ns, size) of each post file; size -1: it could not be stat'ed.
PostListing = list[tuple[str, int, int]]


def post_listing(posts_dir: Path) -> PostListing:
    """Every `.md` file under `posts_dir` with its time and size, in Path order (one os.walk
    and a stat each: what an edit build of 5,000 posts needs to know before reading any)."""
    found = []
    for folder, _dirs, names in os.walk(posts_dir):
        for name in names:
            if name.endswith(".md"):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                    found.append((path, stat.st_mtime_ns, stat.st_size))
                except OSError:
                    found.append((path, 0, -1))
    return sorted(found, key=lambda row: row[0].split(os.sep))


def post_warnings(posts: Sequence[Post], *, now: datetime | None = None) -> list[str]:
    """What `aibot check` points out in readable posts: `file:line: message` each."""
    now = now or datetime.now(UTC)
    # An old slug (one that forwards to a post) still names that post in `related:`.
    slugs = {slug for p in posts for slug in [p.slug, *old_slugs(p)]}
    out: list[str] = []
    for post in posts:
        path = post.path or Path(post.slug)

        def at(key: str, message: str, path: Path = path) -> str:
            line = key_line(path, key)
            return f"{path}:{line}: {message}" if line else f"{path}: {message}"

        for slug in post.meta.get("related") or []:
            if slug not in slugs:
                out.append(at("related", f"related: no post has the slug {slug!r}"))
        for key in post.meta:
            if key not in FRONT_MATTER_KEYS:
                out.append(at(key, f"{key}: not a key AiBot knows (kept as it is; a typo?)"))
        if post.date and post.date > now:
            out.append(at("date", f"date: in the future: published by the first build after "
                                  f"{post.date:%Y-%m-%d %H:%M} UTC"))  # fmt: skip
        if "evidence" in post.meta:
            problem = evidence_problem(post.meta["evidence"])
            if problem:
                out.append(at("evidence", f"evidence: {problem}; ignored (delete it if unsure)"))
        if "updates" in post.meta:
            problem = updates_problem(post.meta["updates"])
            if problem:
                out.append(at("updates", f"updates: {problem}; left out"))
        review = post.meta.get("review")
        if post.is_draft and isinstance(review, dict) and review.get("status") == "flagged":
            out.append(at("review", "review: flagged by the grounding check; not published "
                                    "until an editor fixes it and sets draft: false"))  # fmt: skip
    return out


# Writing


def save_post(post: Post, path: Path | None = None) -> Path:
    """Write `post` atomically (temp file, fsync, rename in the same folder)."""
    target = path or post.path
    if target is None:
        raise ValueError("save_post() needs a path")
    write_atomically(target, post_text(post))
    post.path = target
    return target


def post_path(posts_dir: Path, post: Post) -> Path:
    moment = post.date or datetime.now(UTC)
    return posts_dir / f"{moment:%Y}" / f"{post.slug}.md"


# The editors' contract


# The front matter an editor may change: changing any of them, or the body, is an edit.
EDITORIAL_KEYS = (
    "title",
    "summary",
    "tags",
    "draft",
    "slug",
    "date",
    "image",
    "related",
    "aliases",
)


def body_sha256(post: Post) -> str:
    """Hash of everything an editor may change: the body and the editorial front matter."""
    editorial: dict[str, Any] = {k: plain_value(post.meta.get(k)) for k in EDITORIAL_KEYS}
    editorial["draft"] = bool(post.meta.get("draft", False))
    for key in ("tags", "related", "aliases"):
        editorial[key] = editorial[key] or []
    editorial["body"] = post.body.strip()
    blob = json.dumps(editorial, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _first_sha256(post: Post) -> str:
    """The hash as posts written before slug, date, image, related and aliases counted."""
    editorial = {
        "title": post.meta.get("title"),
        "summary": post.meta.get("summary"),
        "tags": post.meta.get("tags") or [],
        "draft": bool(post.meta.get("draft", False)),
        "body": post.body.strip(),
    }
    blob = json.dumps(editorial, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def seal(post: Post) -> None:
    """Record the post's hash as written by the pipeline (after any change to its fields)."""
    post.meta.setdefault("generator", {})["body_sha256"] = body_sha256(post)


def is_edited(post: Post) -> bool:
    generator = post.meta.get("generator")
    recorded = generator.get("body_sha256") if isinstance(generator, dict) else None
    if recorded == body_sha256(post):
        return False
    legacy = isinstance(generator, dict) and "slug" not in generator
    return not (legacy and recorded == _first_sha256(post))


def is_protected(post: Post) -> bool:
    """True when the pipeline must not rewrite this post (edited by hand, or locked)."""
    return bool(post.meta.get("locked")) or is_edited(post)


def draft_to_post(
    draft: Draft,
    story: Story,
    articles: Sequence[Article],
    review: Review,
    *,
    author: str,
    taken_slugs: Iterable[str] = (),
    previous: Post | None = None,
    related: Sequence[str] = (),
    now: datetime | None = None,
) -> Post:
    """A post for `draft`; when `previous` is given, its slug, date and unknown keys are kept."""
    now = now or datetime.now(UTC)
    cited = [a for a in sorted(articles, key=lambda a: (a.when, a.id))]
    latest = min(max(a.when for a in cited), now) if cited else now
    meta: dict[str, Any] = dict(previous.meta) if previous else {}
    meta.update(
        title=draft.title,
        slug=previous.slug if previous else slugify(draft.title, taken_slugs),
        date=previous.date if previous and previous.date else latest,
        author=author,
        summary=draft.summary,
        tags=draft.tags,
        image=next((a.image for a in cited if a.image.startswith(("http://", "https://"))), ""),
        sources=[_source_entry(a) for a in cited],
        related=list(related),
        draft=review.status != "passed",
        review={"status": review.status, "notes": review.notes},
    )
    if previous:
        meta["updated"] = latest
    if not meta["image"]:
        meta.pop("image")
    language = _language(cited)
    if language:
        meta["language"] = language  # pages mark the post's text with it (lang, dir)
    body = render_markdown(draft, cited)
    number = _citation_numbers(cited)
    evidence = evidence_front_matter(
        (_paragraph_markdown(p, number), p.evidence) for s in draft.sections for p in s.paragraphs
    )
    if evidence:
        meta["evidence"] = evidence  # filled in by verify
    else:
        meta.pop("evidence", None)  # a previous version's: of paragraphs no longer there
    updates = recorded_updates(previous) if previous else []
    # Entries as the file has them (one `aibot check` cannot read is kept for its editor), or the
    # old Markdown list's lines as entries.
    entries = meta.get("updates")
    entries = list(entries) if isinstance(entries, list) else [u.as_front_matter() for u in updates]
    if previous:
        known = previous.source_urls
        added = [a for a in cited if a.canonical_url not in known]
        if added:
            ids = {a.id for a in added}
            # Only a change the writer grounds in a source this update adds is news of it.
            changes = [c.text for c in draft.changes if ids & set(c.sources)]
            updates.append(new_update(latest, added, changes))
            entries.append(updates[-1].as_front_matter())
    if entries:
        meta["updates"] = entries
    if updates:
        body += "\n## Updates\n\n" + "\n".join(f"- {_update_markdown(u)}" for u in updates) + "\n"
    post = Post(meta=meta, body=body)
    first_slug = _generator(previous).get("slug") if previous else None
    meta["generator"] = {
        "writer": draft.writer,
        "model": draft.model or None,
        "story": story.id,
        # The slug the post was first published under: its URL keeps working (aliases).
        "slug": first_slug or meta["slug"],
        "body_sha256": body_sha256(post),
    }
    return post


def old_slugs(post: Post) -> list[str]:
    """Slugs that forward to `post`: the one it was first published under (if an editor changed
    it since) and those listed in `aliases:`; only valid slugs, never its own."""
    first = _generator(post).get("slug")
    aliases = post.meta.get("aliases") or []
    if not aliases and (first is None or first == post.slug):
        return []  # most posts: asked for each of them by every build
    found = [first, *aliases]
    return [s for s in dict.fromkeys(found) if isinstance(s, str) and s != post.slug and is_slug(s)]


def _generator(post: Post) -> dict[str, Any]:
    generator = post.meta.get("generator")
    return generator if isinstance(generator, dict) else {}


def _update_markdown(update: Update) -> str:
    """A line of the Updates list: "<when>: added [Outlet](url) and [Outlet](url). <note>";
    only an http(s) URL is linked, and every text is escaped."""
    names = [f"[{_escape(o)}]({_link(u)})" if u else _escape(o) for o, u in update.links]
    line = what_it_added(names, _escape(update.note))
    return f"{_escape(when_text(update.at))}: {line}" if update.at else line


def _language(articles: Sequence[Article]) -> str:
    """The language the sources are written in ("ar", "zh"), when those that say agree."""
    found = {a.language.split("-")[0].split("_")[0].lower() for a in articles if a.language}
    (language,) = found if len(found) == 1 else ("",)
    return language if re.fullmatch(r"[a-z]{2,3}", language) else ""


def _source_entry(article: Article) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": article.id,
        "outlet": article.source,
        "title": article.title,
        "url": article.canonical_url,
        "published": article.when,
    }
    if len(article.outlets) > 1:
        entry["also"] = article.outlets[1:]  # syndicated copies: one source, several outlets
    if article.partial:
        entry["partial"] = True  # only the feed's summary could be read
    return entry


# Markdown


def render_markdown(draft: Draft, articles: Sequence[Article]) -> str:
    """The post body: sections with headings, numbered citations, then the Sources list."""
    number = _citation_numbers(articles)
    out: list[str] = []
    for section in draft.sections:
        if section.heading:  # the first section of an offline draft has none
            out.append(f"## {_escape(section.heading)}\n")
        for paragraph in section.paragraphs:
            out.append(f"{_paragraph_markdown(paragraph, number)}\n")
    if draft.disagreements:
        out.append("## Where sources differ\n")
        out.extend(f"- {_escape(d)}" for d in draft.disagreements)
        out.append("")
    out.append("## Sources\n")
    for n, article in enumerate(articles, start=1):
        title = _escape(article.title or article.canonical_url)
        link = (
            f"[{title}]({_link(article.canonical_url)})"
            if _is_web(article.canonical_url)
            else title
        )
        outlet = _escape(article.source)
        if len(article.outlets) > 1:
            outlet += f" (also published by {_escape(', '.join(article.outlets[1:]))})"
        out.append(f'{n}. <span id="source-{n}"></span>{outlet}: {link}')
    return "\n".join(out).strip() + "\n"


def _citation_numbers(articles: Sequence[Article]) -> dict[str, int]:
    """Article id -> its number in the Sources list."""
    return {a.id: n for n, a in enumerate(articles, start=1)}


def _paragraph_markdown(paragraph: Paragraph, number: dict[str, int]) -> str:
    """A paragraph as the body writes it: the text, then its numbered citations."""
    cites = "".join(
        f" [[{number[i]}]](#source-{number[i]})" for i in paragraph.sources if i in number
    )
    return f"{_escape(paragraph.text)}{cites}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _escape(text: str) -> str:
    """Source text as literal Markdown: no markup, links or HTML can come from a source (but an
    e-mail address, which GitHub's Markdown links as mailto: whatever the escapes)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)  # "1." or "1)" would start a list
    escaped = re.sub(r"^([-+])", r"\\\1", escaped)  # "-" or "+" a list, "---" a rule
    # GitHub's Markdown links "www." and "scheme://" by itself; an escaped "." or ":" stops it.
    escaped = re.sub(r"(?i)(www)\.", r"\1\\.", escaped)
    return escaped.replace("://", "\\://")


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _link(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


# Related posts
