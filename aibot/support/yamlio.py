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
        all text (no merge key) are built here, without the constructor's bookkeeping per value,
        which is most of the time PyYAML takes over a post's front matter (0.34 ms a post with
        it, 0.2 ms without; benchmarks/posts.py). Anything else (numbers, dates, null, other
        keys, tags) is the constructor's."""
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
        raise explained(text, exc) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ESC, ...)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise YamlError(f"unacceptable character {char!r}: {exc.reason}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from exc
    except RecursionError:  # the pure-Python loader, on nesting far beyond MAX_DEPTH
        raise YamlError(f"nested more than {MAX_DEPTH} levels deep") from None


def explained(text: str, exc: yaml.MarkedYAMLError) -> YamlError:
    """The parser's error placed on the line where the mistake starts, with a hint for the
    common ones: an unclosed quote or bracket, a tab in the indentation, an unquoted ": "."""
    problem = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return YamlError(problem)
    line = mark.line + 1
    lines = text.split("\n")
    here = lines[line - 1] if line <= len(lines) else ""
    context = exc.context or ""
    opened = exc.context_mark
    if context.startswith("while scanning a quoted scalar") and _char(text, opened) in ('"', "'"):
        return YamlError(_unclosed_quote(_char(text, opened)), opened.line + 1)
    quoted = _swallowing_quote(text, line)
    if quoted is not None:
        return YamlError(_unclosed_quote(_char(text, quoted)), quoted.line + 1)
    if context.startswith("while parsing a flow") and _char(text, opened) in ("[", "{"):
        bracket = _char(text, opened)
        closing = {"[": "]", "{": "}"}[bracket]
        return YamlError(
            f"the {bracket} opened on this line is never closed by {closing}", opened.line + 1
        )
    if "\t" in here[: len(here) - len(here.lstrip())]:
        return YamlError("a tab in the indentation: YAML indents with spaces only", line)
    if problem.startswith("mapping values are not allowed"):
        return YamlError(
            f'": " inside a value starts a new key ({problem}); {_quoting_hint(here)}', line
        )
    return YamlError(problem, line)


def _char(text: str, mark: yaml.Mark | None) -> str:
    """The character at `mark` (a character index, from either loader), or "" for none."""
    index = getattr(mark, "index", None)
    return text[index] if isinstance(index, int) and 0 <= index < len(text) else ""


def _unclosed_quote(quote: str) -> str:
    return f"unclosed quote: the value starting with {quote} on this line has no closing {quote}"


# A line that starts a key (`slug:`) or a list item: one a quoted value never meant to hold.
_KEY_LINE = re.compile(r"^(\s*)(?:- |[\w-]+:(?:\s|$))")


def _swallowing_quote(text: str, error_line: int) -> yaml.Mark | None:
    """Where a quoted value opens that runs on over a line starting a key no deeper than its
    own (a value's own continuation lines are indented deeper), before `error_line`: a quote
    left open, closed only by a later value's opening quote."""
    try:
        for token in yaml.scan(text, Loader=_BaseLoader):
            start = token.start_mark
            if start.line + 1 >= error_line:
                return None
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
                first, *rest = text[start.index - start.column : token.end_mark.index].split("\n")
                depth = len(first) - len(first.lstrip(" -"))
                for line in rest:
                    key = _KEY_LINE.match(line)
                    if key is not None and len(key.group(1)) <= depth:
                        return start
    except yaml.YAMLError:
        return None
    return None


def _quoting_hint(line: str) -> str:
    """How to write a value holding ": " on `line`: in quotes."""
    found = re.match(r"^\s*(?:- )?([^\s:#][^:]*):\s+(.+?)\s*$", line)
    if found is None:
        return "put the value in quotes"
    key, value = found.groups()
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'put the value in quotes: {key}: "{quoted}"'


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key and list item of a YAML document by its path (`site`,
    `site.title`, `feeds[2]`, `feeds[2].url`); empty when `text` is not valid YAML."""
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    pending: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while pending:
        node, path = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = f"{path}.{key.value}" if path else key.value
                    lines[sub] = key.start_mark.line + 1
                    pending.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{path}[{i}]"] = item.start_mark.line + 1
                pending.append((item, f"{path}[{i}]"))
    return lines


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
