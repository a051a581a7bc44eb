"""The local credential: how CLI commands reach a running ``vigie serve`` on the embedded store.

chdb lets one process hold a data directory, so while ``vigie serve`` runs, the CLI cannot open
the store. The service writes :func:`credential_path` (beside the data directory, mode 0600,
readable by its user only) with its URL and an admin token made for the purpose, and removes it
(and revokes the token) when it stops. CLI commands that need the store call
:func:`running_service` first and, when it answers, go through the service's API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from vigie.errors import VigieError
from vigie.settings import Settings

T = TypeVar("T")
FILE_NAME = "vigie-serve.json"
TIMEOUT = httpx.Timeout(30.0, connect=2.0)


class ApiError(VigieError):
    """The running service refused the request; the message is its answer's ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def credential_path(settings: Settings) -> Path | None:
    """Where ``vigie serve`` leaves its credential (embedded store only)."""
    dsn = settings.clickhouse_dsn
    return Path(dsn.chdb_path).parent / FILE_NAME if dsn.embedded else None


def write_credential(path: Path, url: str, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with other bits
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, out)


@dataclass(frozen=True)
class RunningService:
    url: str
    token: str

    def call(self, method: str, path: str, *, text: bool = False, **kwargs: Any) -> Any:
        """The answer's JSON (its text with ``text``); :class:`ApiError` for a 4xx/5xx."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, timeout=TIMEOUT, headers=headers) as client:
            answer = client.request(method, path, **kwargs)
        if answer.status_code >= 400:
            raise ApiError(answer.status_code, _detail(answer))
        return answer.text if text else answer.json()


def _detail(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail", "")
    except ValueError:
        return f"the service answered {answer.status_code}"
    if isinstance(detail, list):  # validation errors: field and message
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg', '')}" for e in detail
        )
    return str(detail)


def running_service(settings: Settings) -> RunningService | None:
    """The service holding the embedded store, when its credential is there and it answers."""
    path = credential_path(settings)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        service = RunningService(str(data["url"]), str(data["token"]))
        with httpx.Client(timeout=TIMEOUT) as client:
            client.get(f"{service.url}/healthz").raise_for_status()
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return None  # a stale file: the service is gone
    return service


def here_or_there(settings: Settings, api: Callable[[RunningService], T],
                  direct: Callable[[], T]) -> T:
    """``api(service)`` through the running service when there is one, else ``direct()``
    (which opens the store itself); :class:`ApiError` when the service refuses."""
    service = running_service(settings)
    return api(service) if service is not None else direct()
