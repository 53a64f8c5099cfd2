"""Safe YAML in and out: the C loader where available, no aliases (no "billion laughs"), at most
MAX_DEPTH levels of nesting."""

from __future__ import annotations

import re
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Lists and mappings nested deeper than this are refused: no front matter or setting needs it,
# and every recursive walk of a value (the posts index, JSON, dumping) would be at risk.
MAX_DEPTH = 32


class YamlError(ValueError):
    """A YAML document that cannot be read; `line` is 1-based within the document."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Loader(_BaseLoader):
    """The safe loader, nesting checked first (see _check_depth), with a short way for what
    front matter is made of (see _value)."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_depth(node)
        data = self._value(node)
        while self.state_generators:  # as PyYAML's construct_document ends
            generators, self.state_generators = self.state_generators, []
            for generator in generators:
                for _ in generator:
                    pass
        self.constructed_objects, self.recursive_objects = {}, {}
        self.deep_construct = False
        return data

    def _value(self, node: yaml.Node) -> Any:
        """What the safe constructor makes of `node`. Text, lists, and mappings whose keys are
        all text (no merge key) are built here, without the constructor's bookkeeping per value:
        that was most of the time it took to read a post's front matter (0.34 ms -> 0.2 ms a
        post). Anything else (numbers, dates, null, other keys, tags) is the constructor's."""
        kind, tag = type(node), node.tag
        if kind is yaml.ScalarNode and tag == _STR:
            return node.value
        if kind is yaml.SequenceNode and tag == _SEQ:
            return [self._value(item) for item in node.value]
        if (
            kind is yaml.MappingNode
            and tag == _MAP
            and all(type(key) is yaml.ScalarNode and key.tag == _STR for key, _ in node.value)
        ):
            return {key.value: self._value(value) for key, value in node.value}
        return self.construct_object(node, deep=True)


# What constructing a value may raise besides a YAMLError (see _PointingLoader).
_CONSTRUCTING = (ValueError, TypeError, LookupError, AttributeError, OverflowError)


class _PointingLoader(_Loader):
    """The safe loader, reporting a value it cannot construct (`!!int abc`, `2026-13-45`) as a
    YAML error at that value rather than letting a ValueError or KeyError escape. Slower (a
    call more per value): used only to find where a document _Loader could not read fails."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except _CONSTRUCTING as exc:
            shown = repr(node.value)[:80] if isinstance(node, yaml.ScalarNode) else "this value"
            reason = f": {exc}" if isinstance(exc, ValueError | OverflowError) else ""
            problem = f"cannot read {shown} as {node.tag.rsplit(':', 1)[-1]}{reason}"
            raise yaml.constructor.ConstructorError(
                problem=problem, problem_mark=node.start_mark
            ) from exc


def _check_depth(root: yaml.Node) -> None:
    """Refuse a document nested deeper than MAX_DEPTH (walked without recursion; aliases are
    refused before, so the nodes form a tree)."""
    level = [root]
    for _depth in range(MAX_DEPTH):  # one level of collections at a time
        below = []
        for node in level:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if not isinstance(key, yaml.ScalarNode):
                        below.append(key)
                    if not isinstance(value, yaml.ScalarNode):
                        below.append(value)
            elif isinstance(node, yaml.SequenceNode):
                below.extend(n for n in node.value if not isinstance(n, yaml.ScalarNode))
        if not below:
            return
        level = below
    raise yaml.MarkedYAMLError(
        problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=level[0].start_mark
    )


# Where an anchor (&a) or alias (*a) can start: a node begins at the start, after white space,
# or after a flow indicator or ':' ({"a":*b}). A '&' inside a URL's query is none of these.
_MAY_HOLD_ALIAS = re.compile(r"(?:\A|[\s\[\]{},:\ufeff])[&*]")


def may_hold_alias(text: str) -> bool:
    """False when `text` certainly holds no YAML anchor or alias (then no event scan is needed)."""
    return ("&" in text or "*" in text) and _MAY_HOLD_ALIAS.search(text) is not None


def _reject_aliases(text: str) -> None:
    # Only documents that could hold an anchor pay for the extra event scan.
    if not may_hold_alias(text):
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
        try:
            return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
        except _CONSTRUCTING:
            return yaml.load(text, Loader=_PointingLoader)  # noqa: S506 - raises, with the line
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"{exc.problem or exc.context or 'invalid YAML'}", line) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ESC, ...)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise YamlError(f"unacceptable character {char!r}: {exc.reason}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from exc
    except RecursionError:  # the pure-Python loader, on nesting far beyond MAX_DEPTH
        raise YamlError(f"nested more than {MAX_DEPTH} levels deep") from None


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
