"""Documentation of the settings, generated from the dataclasses of aibot/config.py.

Each setting is documented once, by the string under its field in config.py. From those this
module writes docs/configuration.md
(`python -m aibot.commands.config_docs > docs/configuration.md`; a test fails when the file
is stale) and the commented aibot.yaml that `aibot init` creates.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import sys
import textwrap
import types
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from aibot.config import Config, FeedConfig, PriceConfig, config_sections, env_variable

REGENERATE = "python -m aibot.commands.config_docs > docs/configuration.md"


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The string under each field of a dataclass, by field name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for stmt, after in zip(body, body[1:], strict=False):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = " ".join(inspect.cleandoc(after.value.value).split())
    return docs


def settings(cls: type, prefix: str) -> Iterator[tuple[str, dataclasses.Field[Any], Any]]:
    """(dotted key, field, type hint) for every field of a section or list item class."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        yield f"{prefix}.{f.name}", f, hints[f.name]


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def type_name(hint: Any) -> str:
    """A reader's name for a setting's type."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = next(a for a in typing.get_args(hint) if a is not type(None))
        return f"{type_name(inner)}, optional"
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return "list of prices" if item is PriceConfig else f"list of {type_name(item)}s"
    names = {str: "text", int: "whole number", float: "number", bool: "true/false", Path: "path"}
    return names[hint]


def yaml_value(value: Any) -> str:
    """A value as one line of YAML (a string always quoted, so `no` stays text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if dataclasses.is_dataclass(value):  # as a flow mapping, without fields at their default
        pairs = [
            f"{f.name}: {yaml_value(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if getattr(value, f.name) != default_of(f)
        ]
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"no YAML form for {value!r}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    header = ("key", "type", "default", "environment variable", "meaning")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _rows(cls: type, prefix: str, section: str | None) -> list[tuple[str, ...]]:
    docs = field_docs(cls)
    rows = []
    for key, f, hint in settings(cls, prefix):
        default = default_of(f)
        shown = "required" if default is dataclasses.MISSING else f"`{yaml_value(default)}`"
        if default is None:
            shown = "unset"
        if isinstance(default, tuple) and default and dataclasses.is_dataclass(default[0]):
            shown = "see below"
        variable = f"`{env_variable(section, f.name)}`" if section else "–"
        rows.append((f"`{key}`", type_name(hint), shown, variable, docs[f.name]))
    return rows


INTRO = """\
AiBot reads its settings from `aibot.yaml` (or the file `-c FILE` or `$AIBOT_CONFIG` names).
`aibot init` writes one that sets what you chose (the site's title and address, the feeds)
and shows every other setting below commented out at its default; a key left out has its
default. Paths are relative to the configuration file. An unknown key, a wrong type or a
missing value stops every command with an error naming the file, the line and the key, e.g.
`aibot.yaml:4: feeds[2].url: expected a URL, got 42`; a misspelt key gets the one it likely
meant (`site.post_per_page: unknown key; did you mean posts_per_page?`). A feed's `url` is an
http(s) address or the path of a feed file that exists; `aibot check`, `aibot run` and `aibot
collect` refuse a configuration that lists no feed.

**Environment variables.** Every setting of a section can be overridden by a variable named
`AIBOT_<SECTION>_<KEY>` in capitals — `AIBOT_SITE_BASE_URL`, `AIBOT_WRITER_BACKEND`,
`AIBOT_PUBLISH_REVIEW` — which is handy in CI. Text and path settings take the value as it
is; the others read it as YAML: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), `12`,
`0.5`, `[300, 500]`. A value of the wrong type, or a variable naming a section but no key of it
(`AIBOT_WRITER_MODLE`), is an error naming the variable. The feed list cannot be set this way.
Other `AIBOT_` variables (`AIBOT_CONFIG`, `AIBOT_DEMO_DIR`) are not settings.

`aibot config` prints every setting's value in effect and where it came from: `default`,
`file`, or `environment` with the variable's name.
"""


def reference() -> str:
    """docs/configuration.md."""
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Generated from aibot/config.py by `{REGENERATE}`; do not edit. -->",
        "",
        INTRO,
    ]
    for section, cls in config_sections().items():
        lines += [f"## `{section}`", "", inspect.getdoc(cls) or "", ""]
        lines += _table(_rows(cls, section, section)) + [""]
        if section == "writer":
            lines += [
                "### `writer.prices`",
                "",
                inspect.getdoc(PriceConfig) or "",
                f"The default list: `{yaml_value(Config().writer.prices)}`.",
                "",
            ]
            lines += _table(_rows(PriceConfig, "writer.prices[]", None)) + [""]
    lines += ["## `feeds`", "", inspect.getdoc(FeedConfig) or "", ""]
    lines += _table(_rows(FeedConfig, "feeds[]", None)) + [""]
    return "\n".join(lines)


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, 98 - len(indent), initial_indent=f"{indent}# ",
                         subsequent_indent=f"{indent}# ")  # fmt: skip


def commented_config(
    title: str, base_url: str, feeds: list[FeedConfig], feeds_note: str = ""
) -> str:
    """An aibot.yaml that sets only what was chosen for the site (the feeds, and the title and
    address when they are not the defaults); every other setting is there commented out at its
    default, and each with its documentation, so that `aibot config` tells the two apart."""
    config = Config()
    chosen = {"site.title": title, "site.base_url": base_url}
    lines = [
        f"# AiBot settings for {yaml_value(title)}.",  # quoted: a new line stays in the comment
        "# Only what was chosen for this site is set. Every other setting is shown commented out",
        "# at its default: remove the `# ` before a setting (and before its section's name when",
        "# that is commented out too) to change it. `aibot config` prints the values in effect",
        "# and where each came from (a default, this file, or an AIBOT_* environment variable);",
        "# AiBot's docs/configuration.md describes each one. Paths are relative to this file.",
    ]
    for section, cls in config_sections().items():
        if section == "collect":
            lines += _feeds_lines(feeds, feeds_note)
        docs = field_docs(cls)
        body: list[tuple[str, bool]] = []  # (line, whether it sets a chosen value)
        for key, f, _ in settings(cls, section):
            default = getattr(getattr(config, section), f.name)
            value = chosen.get(key, default)
            body += [(line, False) for line in _comment(docs[f.name], "  ")]
            body += [(line, value != default) for line in _setting_lines(f.name, value)]
        lines += ["", *_comment(inspect.getdoc(cls) or "", "")]
        if any(sets for _, sets in body):
            lines.append(f"{section}:")
            lines += [line if sets or _is_comment(line) else _commented(line)
                      for line, sets in body]  # fmt: skip
        else:  # nothing set: the section's name is commented out too (an empty one is an error)
            lines += [f"# {section}:", *(f"# {line}" for line, _ in body)]
    return "\n".join(lines) + "\n"


def _setting_lines(name: str, value: Any) -> list[str]:
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        return [f"  {name}:", *(f"    - {yaml_value(item)}" for item in value)]
    return [f"  {name}: {yaml_value(value)}"]


def _is_comment(line: str) -> bool:
    return line.lstrip(" ").startswith("#")


def _commented(line: str) -> str:
    """`  key: value` as `  # key: value`: removing the `# ` sets it again."""
    text = line.lstrip(" ")
    return f"{line[: len(line) - len(text)]}# {text}"


def _feeds_lines(feeds: list[FeedConfig], note: str) -> list[str]:
    lines = ["", "# The feeds to read: an http(s) URL each, with the outlet's name and tags."]
    lines += _comment(note, "") if note else []
    lines.append("feeds:" if feeds else "feeds: []")
    return lines + [f"  - {yaml_value(feed)}" for feed in feeds]


if __name__ == "__main__":
    sys.stdout.write(reference())
