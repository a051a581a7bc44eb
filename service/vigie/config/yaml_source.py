"""YAML documents that remember where each value was written, so that a validation error can be
reported as ``file:line: field: what is wrong``.

The text is composed into nodes (which carry their line) and constructed into plain data from the
same nodes; :meth:`YamlDocument.locate` maps a pydantic error location back to a line.

The loader drops YAML 1.1's base-60 numbers (``23:00`` stays a string instead of becoming the
integer 1380) and keeps mapping keys as text (``yes:`` is the key ``"yes"``, not True).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 numbers, whose mapping keys are always text (``yes:``
    stays the key ``"yes"``, reported as unknown where it is written, not the boolean True)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # merge keys (<<)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain text", key_node.start_mark
                )
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class YamlSyntaxError(Exception):
    """The text is not YAML; ``line`` is 1-based, the message never quotes the text."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class DuplicateKey:
    """A mapping key written twice (YAML keeps the last one silently)."""

    loc: Loc
    line: int


@dataclass(frozen=True)
class YamlDocument:
    """Plain data (``data``) and the line (1-based) of every value, keyed by its location."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicates: tuple[DuplicateKey, ...] = ()

    def found(self, loc: Sequence[str | int]) -> Loc:
        """The parts of a pydantic error location that name values in the document, in order;
        the others (the tag of a discriminated union, a missing key) are left out."""
        path: Loc = ()
        for part in loc:
            if (*path, part) in self.lines:
                path = (*path, part)
        return path

    def locate(self, loc: Sequence[str | int], missing: bool = False) -> tuple[int, str]:
        """The line and the dotted field name of a pydantic error location.

        With ``missing``, the last part of ``loc`` is a key absent from the document: it is kept
        in the name and the line is that of the enclosing mapping.
        """
        path = self.found(loc)
        name: list[str | int] = list(path)
        if missing and loc and (not path or loc[-1] != path[-1]):
            name.append(loc[-1])
        return self.lines.get(path, 1), format_loc(name)

    def scalars(self) -> Iterator[tuple[Loc, Any]]:
        """Every scalar value with its location."""
        yield from _scalars((), self.data)


def format_loc(loc: Sequence[str | int]) -> str:
    """``("slos", 0, "sli")`` → ``slos[0].sli``; the empty location is the whole document."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _scalars(loc: Loc, value: Any) -> Iterator[tuple[Loc, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _scalars((*loc, str(key)), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _scalars((*loc, index), item)
    else:
        yield loc, value


def _index(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], duplicates: list[DuplicateKey]
) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*loc, key)
            if key in seen:
                duplicates.append(DuplicateKey(child, key_node.start_mark.line + 1))
            seen.add(key)
            # The key's line: an unknown key or a wrong value is reported where the key is.
            lines[child] = key_node.start_mark.line + 1
            _index(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*loc, position), lines, duplicates)


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raise :class:`YamlSyntaxError` with its line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"invalid YAML: {type(exc).__name__}") from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    duplicates: list[DuplicateKey] = []
    if node is not None:
        _index(node, (), lines, duplicates)
    return YamlDocument(data, lines, tuple(duplicates))
