"""Safe YAML loading that remembers where every key and value was written.

PyYAML composes a node tree (with line/column marks); we turn it into plain Python
values ourselves, so we decide how bare words are read and can report duplicate keys,
syntax errors and anything else at the exact position instead of with a traceback."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config import messages
from bot.config.env import EnvSubstitution
from bot.errors import ConfigProblem

YPath = tuple[object, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# Aliases can expand exponentially ("billion laughs"); no merchant config is this big.
MAX_NODES = 200_000
# Deeper nesting than this is never a shop config, and unbounded nesting would exhaust
# Python's recursion (5,000 nested brackets crashed the reader).
MAX_DEPTH = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MerchantLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style plain scalars, as a merchant would expect:
    only true/false are booleans (no yes/no/on/off), decimal numbers only (no
    sexagesimal 10:00 -> 600, no octal), and dates stay text."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """PyYAML's composer recurses once per level: stop at MAX_DEPTH, positioned."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


MerchantLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
MerchantLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
MerchantLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
MerchantLoader.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


@dataclass(frozen=True)
class Pos:
    file: str
    line: int
    column: int

    def problem(self, message: str, hint: str | None = None) -> ConfigProblem:
        return ConfigProblem(self.file, self.line, self.column, message, hint)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


def _pos(file: str, node: Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class SourceMap:
    """Positions by path, e.g. ("polls", 0, "options", 1, "label"), across all files."""

    values: dict[YPath, Pos] = field(default_factory=dict)
    keys: dict[YPath, Pos] = field(default_factory=dict)
    # Paths whose value came from the environment: never echo them in a message.
    from_env: set[YPath] = field(default_factory=set)
    fallback: Pos = Pos("<config>", 1, 1)

    def value(self, path: YPath) -> Pos:
        """Where the value at path was written, or its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return self.fallback

    def key(self, path: YPath) -> Pos:
        """Where the key of path was written; the value's position if it has no key."""
        return self.keys.get(path) or self.value(path)


class TreeBuilder:
    """Converts composed nodes to Python values, filling one SourceMap for all files."""

    def __init__(self, env: EnvSubstitution) -> None:
        self.smap = SourceMap()
        self.env = env
        self.problems: list[ConfigProblem] = []
        self._count = 0

    def build_root(self, node: Node, file: str, path: YPath = ()) -> object:
        """One file's root node as plain data, recorded at path."""
        try:
            return self.build(node, file, path)
        except _TooBig as exc:
            self.problems.append(exc.pos.problem(*messages.TOO_BIG))
            return None

    def build(
        self, node: Node, file: str, path: YPath, active: frozenset[int] = frozenset()
    ) -> object:
        self._count += 1
        if self._count > MAX_NODES:
            raise _TooBig(_pos(file, node))
        self.smap.values.setdefault(path, _pos(file, node))
        if id(node) in active:
            self._report(file, node, messages.RECURSIVE_ALIAS)
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, file, path)
        inner = active | {id(node)}
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            return [self.build(item, file, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self._mapping(node, file, path, inner)
        self._report(file, node, messages.unsupported_tag(node.tag))
        return None

    def _mapping(
        self, node: MappingNode, file: str, path: YPath, active: frozenset[int]
    ) -> dict[object, object]:
        result: dict[object, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._report(file, key_node, messages.COMPLEX_KEY)
                continue
            key = self._plain(key_node, file)
            if isinstance(key, str) and _CONTROL.search(key):  # never echoed raw
                self._report(file, key_node, messages.BAD_CHARACTER)
                key = _CONTROL.sub("", key)
            key_pos = _pos(file, key_node)
            if key == "<<" and key_node.style is None:
                self._report(file, key_node, messages.MERGE_KEY)
                continue
            if key in result:
                first = self.smap.keys[(*path, key)]
                self._report(file, key_node, messages.duplicate_key(str(key), first.line))
                continue
            self.smap.keys[(*path, key)] = key_pos
            result[key] = self.build(value_node, file, (*path, key), active)
        return result

    def _scalar(self, node: ScalarNode, file: str, path: YPath) -> object:
        if node.tag != _STR:
            return self._plain(node, file)
        value = node.value
        if _CONTROL.search(value):  # e.g. "\\0" or "\\e" in double quotes: never meant
            self._report(file, node, messages.BAD_CHARACTER)
            value = _CONTROL.sub("", value)  # reported once; never echoed raw
        text, used_env = self.env.substitute(value, path, _pos(file, node))
        if used_env:
            self.smap.from_env.add(path)
        return text

    def _plain(self, node: ScalarNode, file: str) -> object:
        """A scalar's value without environment substitution (also used for keys)."""
        value: str = node.value
        try:
            if node.tag == _STR:
                return value
            if node.tag == _NULL:
                return None
            if node.tag == _BOOL:
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            if node.tag == _INT:
                return int(value.replace("_", ""))
            if node.tag == _FLOAT:
                return float(value.replace("_", ""))
        except ValueError:
            self._report(file, node, messages.bad_tagged_value(node.tag))
            return value
        self._report(file, node, messages.unsupported_tag(node.tag))
        return value

    def _report(self, file: str, node: Node, msg: messages.Msg) -> None:
        self.problems.append(_pos(file, node).problem(*msg))


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(str(mark))
        self.mark = mark


class _TooBig(Exception):
    def __init__(self, pos: Pos) -> None:
        super().__init__(str(pos))
        self.pos = pos


def compose(text: str, file: str) -> tuple[Node | None, list[ConfigProblem]]:
    """One document's node tree, or the syntax problem that prevents reading it."""
    try:
        # The reader checks every character when it is created: inside the try.
        loader = MerchantLoader(text)
    except yaml.YAMLError as exc:
        return None, [_reader_problem(exc, text, file)]
    try:
        return loader.get_single_node(), []
    except _TooDeep as exc:
        line, column = exc.mark.line + 1, exc.mark.column + 1
        return None, [ConfigProblem(file, line, column, *messages.TOO_DEEP)]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, file)]
    except yaml.YAMLError as exc:  # e.g. ReaderError: a control character in the text
        return None, [_reader_problem(exc, text, file)]
    finally:
        loader.dispose()


def _reader_problem(exc: yaml.YAMLError, text: str, file: str) -> ConfigProblem:
    """A character YAML refuses (NUL, other control characters), at its position."""
    position = getattr(exc, "position", 0)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return ConfigProblem(file, line, column, *messages.BAD_CHARACTER)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    # A tab in the indentation is the usual cause of a confusing parser message.
    for number, row in enumerate(text.splitlines()[:line], start=1):
        indent = row[: len(row) - len(row.lstrip(" \t"))]
        if "\t" in indent:
            return ConfigProblem(file, number, indent.index("\t") + 1, *messages.TAB_INDENT)
    return ConfigProblem(file, line, column, *messages.syntax_error(exc.problem or "", exc.context))


MISSING = object()


def child(data: object, step: object) -> object:
    """data[step] for a mapping key or list index; MISSING when there is none."""
    if isinstance(data, Mapping):
        return data.get(step, MISSING)
    if isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
        return data[step]
    return MISSING


def lookup(data: object, path: YPath) -> object:
    """The value at path in plain data, or None when any step is missing."""
    for step in path:
        data = child(data, step)
        if data is MISSING:
            return None
    return data
