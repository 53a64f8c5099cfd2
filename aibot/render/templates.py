"""The Jinja environment: the site's own templates over the built-in theme, autoescaped, with
AiBot's filters (dates, safe URLs, JSON-LD) and post cards made once per process."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from aibot.config import Config
from aibot.render.context import PageLink, joined
from aibot.render.markdown import sources_unindexed


def json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> element: `<`, `>` and `&` are written as
    \\u003c etc., so no string in it can close the element (a title "</script>" stays text)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return Markup(text)


def local_image(value: Any, base_url: str) -> str:
    """A post's `image` as a path inside the site, or "" when it lives on another host.

    Pages never load images from other hosts: that would tell the outlet (and any tracker it
    uses) who reads what, break the offline site and the Content-Security-Policy, and reuse a
    photograph the outlet may not license for reuse. An image of the site's own (a path such as
    `static/img/x.jpg`, shipped in the site's `templates/static/`, or a URL under `base_url`) is
    shown; other posts get a drawn placeholder."""
    text = str(value or "").strip()
    if not text:
        return ""
    base = base_url.rstrip("/") + "/"
    if text.startswith(base):
        text = text[len(base) :]
    elif urlsplit(text).scheme or text.startswith("//"):
        return ""
    path = text.lstrip("/")
    if not path or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return ""
    return path


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def environment(config: Config) -> jinja2.Environment:
    """Templates from the site's own folder first, then the built-in theme. The built-in
    templates are also reachable as `theme/NAME`, so a site's own base.html can extend the
    built-in one and change a single block."""
    theme = jinja2.PackageLoader("aibot", "theme/templates")
    loaders: list[jinja2.BaseLoader] = []
    if config.paths.templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(config.paths.templates))
    loaders += [theme, jinja2.PrefixLoader({"theme": theme})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        auto_reload=False,  # one build, one look at each template (aibot serve makes a new one)
        bytecode_cache=bytecode_cache(),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = iso
    zone = ZoneInfo(config.site.timezone)
    env.filters["day"] = lambda d: f"{d.astimezone(zone):%-d %B %Y, %H:%M %Z}" if d else ""
    env.filters["date"] = lambda d: f"{d.astimezone(zone):%-d %B %Y}" if d else ""
    env.filters["web_url"] = web_url
    env.filters["json_ld"] = json_ld
    env.filters["hue"] = lambda text: hashlib.sha256(str(text).encode()).digest()[0] % 6
    env.filters["and_list"] = lambda items: joined([str(i) for i in items]) if items else ""
    env.filters["sources_unindexed"] = sources_unindexed
    env.globals["lang_of"] = functools.partial(lang_attributes, site_language=config.site.language)
    env.globals["card"] = Cards(env, config)
    return env


class Cards:
    """`card(link, root, level, reason)` in a template: `_card.html` for a post, made once per
    process for each place it is shown the same way (a post's card appears on the front pages
    and on each of its topics' pages, ~4 times)."""

    def __init__(self, env: jinja2.Environment, config: Config) -> None:
        self.env, self.config = env, config
        self.made: dict[tuple[str, str, int, str], Markup] = {}

    def __call__(self, link: PageLink, root: str, level: int = 3, reason: str = "") -> Markup:
        key = (link.content_key or link.href, root, level, reason)
        found = self.made.get(key)
        if found is None:
            html = self.env.get_template("_card.html").render(
                link=link, root=root, card_level=level, reason=reason,
                site=self.config.site, author=self.config.author,
            )  # fmt: skip
            found = self.made[key] = Markup(html)
        return found


# Languages written right to left (primary subtags).
RTL_LANGUAGES = frozenset("ar arc ckb dv fa he khw ks ps sd syr ug ur yi".split())


def lang_attributes(link: PageLink, site_language: str) -> Markup:
    """` lang="ar" dir="rtl"` for a post written in another language than the site's (its
    front matter `language`, from its sources); empty otherwise."""
    language = str(link.meta.get("language") or "").lower()
    if not re.fullmatch(r"[a-z]{2,3}", language):
        return Markup("")
    if language == site_language.split("-")[0].split("_")[0].lower():
        return Markup("")
    direction = ' dir="rtl"' if language in RTL_LANGUAGES else ""
    return Markup(f' lang="{language}"{direction}')


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates, kept by Jinja in a private folder of the user's (made 0700 and
    checked to be theirs), never in the project's cache folder, which CI may restore from
    elsewhere; each is keyed by its source, so an edited template is compiled again. Saves
    compiling the theme in every build (~0.15 s). None where there is no such folder."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def web_url(url: Any) -> str:
    """Only http(s) URLs reach an href or src; anything else becomes an empty string."""
    text = str(url or "")
    return text if text.startswith(("http://", "https://")) else ""
