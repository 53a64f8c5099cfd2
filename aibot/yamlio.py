"""Safe YAML in and out: the C loader where available, no aliases (no "billion laughs")."""

from __future__ import annotations

from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class YamlError(ValueError):
    """A YAML document that cannot be read; `line` is 1-based within the document."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Loader(_BaseLoader):
    """The safe loader, reporting a value it cannot construct (`!!int abc`, `2026-13-45`) as a
    YAML error at that value rather than letting a ValueError or KeyError escape."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            shown = repr(node.value)[:80] if isinstance(node, yaml.ScalarNode) else "this value"
            reason = f": {exc}" if isinstance(exc, ValueError | OverflowError) else ""
            problem = f"cannot read {shown} as {node.tag.rsplit(':', 1)[-1]}{reason}"
            raise yaml.constructor.ConstructorError(
                problem=problem, problem_mark=node.start_mark
            ) from exc


def _reject_aliases(text: str) -> None:
    # Only documents that could hold an anchor pay for the extra event scan.
    if "&" not in text and "*" not in text:
        return
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed", problem_mark=event.start_mark
            )


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raise YamlError with the line of the problem."""
    try:
        _reject_aliases(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"{exc.problem or exc.context or 'invalid YAML'}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from exc


def dump_yaml(data: Any) -> str:
    """Safe-dump `data`: strings YAML would misread (no, 2026-03-14, a: b) are quoted."""
    return yaml.dump(
        data,
        Dumper=_BaseDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
