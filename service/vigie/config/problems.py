"""Problems found in config files, reported as ``file:line: field: what is wrong``.

:func:`validate` turns pydantic's errors into problems: the location becomes a line (through the
YAML nodes) and a dotted field name; an unknown key gets a "did you mean" hint. Messages never
quote the offending value: under ``alerts/`` it may be a secret.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from vigie.config.fields import ENV_NAME_PATTERN, NAME_PATTERN, SLUG_PATTERN
from vigie.config.yaml_source import Loc, YamlDocument

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file. ``file`` is relative to the config directory."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


def validate(model: type[M], doc: YamlDocument, file: str) -> tuple[M | None, list[Problem]]:
    """The validated model, or ``None`` and one problem per pydantic error."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            line, field = doc.locate(error["loc"], missing=error["type"] == "missing")
            message = error_message(error)
            if error["type"] == "extra_forbidden":
                message += _suggestion(model, doc, error["loc"])
            problems.append(Problem(file, line, field, message))
        return None, problems


_PATTERN_MEANINGS = {
    SLUG_PATTERN: "lower-case letters and digits, words joined by single '-' (e.g. site-web)",
    NAME_PATTERN: "letters, digits, '-' and '_', starting with a letter or digit (no dot)",
    ENV_NAME_PATTERN: "a variable name: capitals, digits and '_' (e.g. VIGIE_DISCORD_ALGOETS)",
}


def error_message(error: ErrorDetails) -> str:
    """One pydantic error in the words of a config file (never quoting the input)."""
    kind, msg, ctx = error["type"], error["msg"], error.get("ctx", {})
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_MEANINGS:
        return f"must be {_PATTERN_MEANINGS[ctx['pattern']]}"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_not_found":
        return f"required key {ctx.get('discriminator', 'kind')} is missing"
    if kind in ("value_error", "assertion_error"):
        return msg.split(", ", 1)[1] if ", " in msg else msg
    return msg[:1].lower() + msg[1:]


def _suggestion(model: type[BaseModel], doc: YamlDocument, loc: tuple[Any, ...]) -> str:
    """`` (did you mean 'x'?)`` or `` (known keys: …)`` for an unknown key at ``loc``."""
    path = doc.found(loc)
    if not path or not isinstance(path[-1], str):
        return ""
    parent = _model_at(model, doc.data, path[:-1])
    if parent is None:
        return ""
    known = list(parent.model_fields)
    close = difflib.get_close_matches(path[-1], known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"


def _model_at(annotation: Any, data: Any, path: Loc) -> type[BaseModel] | None:
    """The model class validating the mapping at ``path`` of ``data``, if any."""
    current = _resolve(annotation, data)
    for part in path:
        if current is None:
            return None
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            annotation = current.model_fields[part].annotation
        elif get_origin(current) is list and isinstance(part, int):
            annotation = get_args(current)[0]
        else:
            return None
        data = _child(data, part)
        current = _resolve(annotation, data)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict):
        return data.get(part)
    if isinstance(data, list) and isinstance(part, int) and part < len(data):
        return data[part]
    return None


def _resolve(annotation: Any, data: Any) -> Any:
    """Strip ``Annotated`` and pick the member of a union that ``data`` is meant for: the
    non-``None`` one, or the model whose ``kind`` literal matches ``data["kind"]``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) not in (Union, types.UnionType):
        return annotation
    members = [m for m in get_args(annotation) if m is not type(None)]
    if len(members) == 1:
        return _resolve(members[0], data)
    kind = data.get("kind") if isinstance(data, dict) else None
    for member in members:
        field = getattr(member, "model_fields", {}).get("kind")
        if field is not None and get_args(field.annotation) == (kind,):
            return member
    return None
