"""The services the app holds in ``request.app.state``, as the endpoints look them up."""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException, Request

T = TypeVar("T")


def running(request: Request, name: str, kind: type[T], what: str) -> T:
    """``request.app.state.<name>``, or 503 ("the <what> is not running") when the app has not
    started it (or holds something else there)."""
    service = getattr(request.app.state, name, None)
    if not isinstance(service, kind):
        raise HTTPException(503, f"the {what} is not running")
    return service
