"""Field types shared by the SLO and alert-routing files: slugs, durations, clock times,
Discord snowflakes, and the strict base model every config model derives from.

Each type parses the text an admin writes in YAML (``30s``, ``"23:00"``) and publishes a JSON
schema of that text, so that editors complete and check the files with ``vigie schema``.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Lower-case words joined by single hyphens: ids of clubs and names of SLOs."""

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
"""Apps (OTel ``service.name``) and environments: no dots, so that ``<app>.yaml`` is unambiguous."""

ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
"""Environment variable names, as Vigie's deployments write them."""


class StrictModel(BaseModel):
    """Unknown keys are errors and values are not coerced (``"99.9"`` is not a number).

    Errors never show the input: under ``alerts/`` it may be a secret pasted by mistake.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)


_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DURATION_PATTERN = r"^(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$"


def parse_duration(value: Any) -> timedelta:
    """``30s``, ``5m``, ``4h``, ``1d`` or a combination in that order (``1h30m``); positive.

    Messages never repeat the value (see :class:`StrictModel`)."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30s, 5m, 4h or 1d")
    match = _DURATION_RE.match(value.strip())
    if not value.strip() or match is None:
        raise ValueError("expected a duration such as 30s, 5m, 4h, 1d or 1h30m")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError("a duration must be shorter than a million days") from None
    if delta <= timedelta(0):
        raise ValueError("a duration must be positive")
    return delta


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration` (``timedelta(hours=4)`` → ``4h``)."""
    total = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _DURATION_PATTERN, "examples": ["30s", "5m"]}),
]

_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_clock(value: Any) -> time:
    """``"23:00"``: a wall-clock time, hours and minutes."""
    if isinstance(value, time):
        return value
    match = _CLOCK_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError('expected a time of day "HH:MM", quoted, e.g. "23:00"')
    return time(int(match[1]), int(match[2]))


ClockTime = Annotated[
    time,
    BeforeValidator(parse_clock),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _CLOCK_RE.pattern, "examples": ["23:00"]}),
]

_SNOWFLAKE_RE = re.compile(r"^\d{17,20}$")


def parse_snowflake(value: Any) -> str:
    """A Discord id: 17 to 20 digits. YAML reads an unquoted id as an integer, which is exact."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _SNOWFLAKE_RE.match(text):
        raise ValueError("a Discord user id is 17 to 20 digits (a snowflake), quoted")
    return text


Snowflake = Annotated[
    str,
    BeforeValidator(parse_snowflake),
    WithJsonSchema({"type": "string", "pattern": _SNOWFLAKE_RE.pattern}),
]


class _ConfigJsonSchema(GenerateJsonSchema):
    """Defaults written the way the files write them (``30s``, not ISO 8601 ``PT30S``)."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of a config file, for editors."""
    schema = model.model_json_schema(schema_generator=_ConfigJsonSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
