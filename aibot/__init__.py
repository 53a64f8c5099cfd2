"""AiBot: news feeds in, a static news website out.

The public API is the names below, imported from their modules on first use (as httpx does), so
that `import aibot` stays cheap and the command line loads only what a command needs. Importing
any of them has no side effects: no folders are created, nothing is fetched, no warnings are
emitted. docs/library-api.md describes them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> the module that defines it. `cluster` is not among them: aibot.cluster is the
# clustering package, whose own `cluster` function is `from aibot.cluster import cluster`.
_API = {
    "Config": "aibot.config",
    "ConfigError": "aibot.config",
    "load_config": "aibot.config",
    "Article": "aibot.models",
    "Story": "aibot.models",
    "Draft": "aibot.models",
    "Section": "aibot.models",
    "Paragraph": "aibot.models",
    "Evidence": "aibot.models",
    "Review": "aibot.models",
    "Post": "aibot.models",
    "parse_feed": "aibot.collect.feeds",
    "extract": "aibot.collect.extract",
    "Writer": "aibot.write.base",
    "WriterError": "aibot.write.base",
    "ExtractiveWriter": "aibot.write.extractive",
    "ClaudeWriter": "aibot.write.claude",
    "verify": "aibot.write.verify",
    "PostError": "aibot.posts.frontmatter",
    "load_post": "aibot.posts.frontmatter",
    "load_posts": "aibot.posts.files",
    "save_post": "aibot.posts.files",
    "render_markdown": "aibot.posts.files",
    "paragraph_evidence": "aibot.posts.evidence",
    "BuildReport": "aibot.render.site",
    "build_site": "aibot.render.site",
    "RunReport": "aibot.report",
    "run": "aibot.pipeline",
}

__all__ = [
    "__version__",
    "Config",
    "ConfigError",
    "load_config",
    "Article",
    "Story",
    "Draft",
    "Section",
    "Paragraph",
    "Evidence",
    "Review",
    "Post",
    "parse_feed",
    "extract",
    "Writer",
    "WriterError",
    "ExtractiveWriter",
    "ClaudeWriter",
    "verify",
    "PostError",
    "load_post",
    "load_posts",
    "save_post",
    "render_markdown",
    "paragraph_evidence",
    "BuildReport",
    "build_site",
    "RunReport",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'aibot' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
