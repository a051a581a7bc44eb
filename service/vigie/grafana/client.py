"""The few Grafana HTTP API endpoints ``vigie grafana sync`` uses, and nothing else.

From Grafana's HTTP API reference (docs/sources/developers/http_api/: folder.md,
folder_permissions.md, team.md, user.md):

* ``GET /api/folders?limit=&page=`` → ``[{id, uid, title}]``; ``POST /api/folders``
  ``{uid, title}`` → the folder;
* ``GET /api/folders/:uid/permissions`` → ``[{userId, teamId, role, permission, …}]``;
  ``POST /api/folders/:uid/permissions`` ``{items: [{teamId|userId|role, permission}]}``
  replaces every permission of the folder (1 View, 2 Edit, 4 Admin; org admins always have
  everything);
* ``GET /api/teams/search?name=`` → ``{totalCount, teams: [{id, name, …}]}``;
  ``POST /api/teams`` ``{name}`` → ``{teamId}``;
* ``GET /api/teams/:id/members`` → ``[{userId, login, …}]``; ``POST /api/teams/:id/members``
  ``{userId}``; ``DELETE /api/teams/:id/members/:userId``;
* ``GET /api/users/lookup?loginOrEmail=`` → ``{id, login, …}``, 404 when unknown.

Data source permissions (datasource_permissions.md; Grafana Enterprise and Cloud only, 404 in
Grafana OSS):

* ``GET /api/access-control/datasources/:uid`` → ``[{teamId?, builtInRole?, userId?,
  permission: "Query"|"Edit"|"Admin", …}]``;
* ``POST /api/access-control/datasources/:uid/teams/:teamId`` and
  ``…/builtInRoles/:role`` ``{permission}`` set one grant (``""`` removes it).

The token goes in the ``Authorization`` header only; it never appears in a message.
"""

from __future__ import annotations

from typing import Any

import httpx

from vigie.errors import VigieError

TIMEOUT_S = 10.0
_PAGE = 1000


class GrafanaClient:
    """Calls to one Grafana instance through a prepared ``httpx.Client``."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    @classmethod
    def connect(cls, url: str, token: str) -> GrafanaClient:
        return cls(httpx.Client(base_url=url.rstrip("/"), timeout=TIMEOUT_S,
                                headers={"Authorization": f"Bearer {token}"}))

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: Any = None, missing_ok: bool = False) -> Any:
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.HTTPError as exc:
            raise VigieError(f"Grafana {method} {path}: {type(exc).__name__}: {exc}") from None
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise VigieError(
                f"Grafana {method} {path}: HTTP {response.status_code}: {_message(response)}"
            )
        return response.json() if response.content else None

    def folders(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call("GET", "/api/folders", params={"limit": _PAGE, "page": page})
            found += batch
            if len(batch) < _PAGE:
                return found
            page += 1

    def create_folder(self, uid: str, title: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/api/folders",
                                            body={"uid": uid, "title": title})
        return result

    def folder_permissions(self, uid: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/api/folders/{uid}/permissions")
        return result

    def set_folder_permissions(self, uid: str, items: list[dict[str, Any]]) -> None:
        self._call("POST", f"/api/folders/{uid}/permissions", body={"items": items})

    def team_id(self, name: str) -> int | None:
        found = self._call("GET", "/api/teams/search", params={"name": name}, missing_ok=True)
        for team in (found or {}).get("teams", []):
            if team.get("name") == name:
                return int(team["id"])
        return None

    def create_team(self, name: str) -> int:
        return int(self._call("POST", "/api/teams", body={"name": name})["teamId"])

    def team_members(self, team_id: int) -> dict[str, int]:
        """Members as ``{login: user id}``."""
        members = self._call("GET", f"/api/teams/{team_id}/members")
        return {m["login"]: int(m["userId"]) for m in members}

    def add_member(self, team_id: int, user_id: int) -> None:
        self._call("POST", f"/api/teams/{team_id}/members", body={"userId": user_id})

    def remove_member(self, team_id: int, user_id: int) -> None:
        self._call("DELETE", f"/api/teams/{team_id}/members/{user_id}")

    def datasource_permissions(self, uid: str) -> list[dict[str, Any]] | None:
        """The data source's grants; None when this Grafana has no data source permissions
        (OSS) or no such data source."""
        result: list[dict[str, Any]] | None = self._call(
            "GET", f"/api/access-control/datasources/{uid}", missing_ok=True)
        return result

    def set_datasource_team(self, uid: str, team_id: int, permission: str) -> None:
        self._call("POST", f"/api/access-control/datasources/{uid}/teams/{team_id}",
                   body={"permission": permission})

    def set_datasource_role(self, uid: str, role: str, permission: str) -> None:
        self._call("POST", f"/api/access-control/datasources/{uid}/builtInRoles/{role}",
                   body={"permission": permission})

    def user_id(self, login: str) -> int | None:
        user = self._call("GET", "/api/users/lookup", params={"loginOrEmail": login},
                          missing_ok=True)
        return None if user is None else int(user["id"])


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message", body))[:200] if isinstance(body, dict) else str(body)[:200]
