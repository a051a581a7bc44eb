"""Parameter types checked at the edge, so that bad input is a 422 naming the field and never
reaches the store (where it would be a 5xx)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

# What DateTime64 columns hold without surprise; anything outside is a typo.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,200}$"


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bounded(moment: datetime) -> datetime:
    moment = utc(moment)
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return moment


Moment = Annotated[datetime, AfterValidator(_bounded)]
"""A date-time (ISO 8601), in UTC, between :data:`EARLIEST` and :data:`LATEST`."""

Id = Annotated[str, Field(pattern=ID_PATTERN)]
"""An incident, silence or token id."""

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
"""A club, app, SLO or environment name as a filter."""


def is_id(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None
