"""A fake Grafana on 127.0.0.1 serving the documented endpoints ``vigie grafana sync`` uses.

Endpoints and payload shapes, from Grafana's HTTP API reference
(grafana/grafana ``docs/sources/developers/http_api/``):

folder.md
  ``GET /api/folders?limit=1000&page=1`` → ``[{"id", "uid", "title"}]``
  ``POST /api/folders`` ``{"uid", "title"}`` → ``{"id", "uid", "title", "url", …}``;
  409 when the folder exists.
folder_permissions.md
  ``GET /api/folders/:uid/permissions`` → ``[{"id", "folderId", "userId", "userLogin",
  "teamId", "team", "role", "permission", "permissionName", "uid", "title", …}]``; 404 unknown.
  ``POST /api/folders/:uid/permissions`` ``{"items": [{"role"|"teamId"|"userId", "permission"}]}``
  replaces every permission (1 View, 2 Edit, 4 Admin) → ``{"message": "Folder permissions
  updated", …}``.
team.md
  ``GET /api/teams/search?name=`` → ``{"totalCount", "teams": [{"id", "orgId", "name",
  "email", "avatarUrl", "memberCount"}], "page", "perPage"}``.
  ``POST /api/teams`` ``{"name"}`` → ``{"message": "Team created", "teamId", "uid"}``; 409 taken.
  ``GET /api/teams/:id/members`` → ``[{"orgId", "teamId", "userId", "email", "login",
  "avatarUrl"}]``.
  ``POST /api/teams/:id/members`` ``{"userId"}`` → ``{"message": "Member added to Team"}``;
  400 when already a member.
  ``DELETE /api/teams/:id/members/:userId`` → ``{"message": "Team Member removed"}``.
user.md
  ``GET /api/users/lookup?loginOrEmail=`` → ``{"id", "email", "name", "login", …}``; 404.

datasource_permissions.md (Grafana Enterprise and Cloud only: ``datasources`` None plays
Grafana OSS, where these answer 404)
  ``GET /api/access-control/datasources/:uid`` → ``[{"id", "roleName", "isManaged",
  "teamId"?, "team"?, "builtInRole"?, "userId"?, "actions", "permission": "Query"|…}]``.
  ``POST /api/access-control/datasources/:uid/teams/:teamId`` and
  ``…/builtInRoles/:role`` ``{"permission"}`` set that grant; ``""`` removes it →
  ``{"message": "Permission updated"}``.

Every request needs ``Authorization: Bearer <token>`` (401 otherwise). A new folder gets
Grafana's default permissions (Viewer View, Editor Edit) plus the built-in Admin role.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENDPOINTS = {
    ("GET", "/api/folders"), ("POST", "/api/folders"),
    ("GET", "/api/folders/:uid/permissions"), ("POST", "/api/folders/:uid/permissions"),
    ("GET", "/api/teams/search"), ("POST", "/api/teams"),
    ("GET", "/api/teams/:id/members"), ("POST", "/api/teams/:id/members"),
    ("DELETE", "/api/teams/:id/members/:userId"), ("GET", "/api/users/lookup"),
    ("GET", "/api/access-control/datasources/:uid"),
    ("POST", "/api/access-control/datasources/:uid/teams/:teamId"),
    ("POST", "/api/access-control/datasources/:uid/builtInRoles/:role"),
}
_NAMES = {1: "View", 2: "Edit", 4: "Admin"}


@dataclass
class FakeGrafana:
    token: str
    users: dict[int, str] = field(default_factory=dict)  # id -> login
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> folder
    permissions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, endpoint)
    # uid -> {("team", id) | ("role", name): permission}; None: Grafana OSS
    datasources: dict[str, dict[tuple[str, Any], str]] | None = None
    url: str = ""

    def add_folder(self, uid: str, title: str, items: list[dict[str, Any]] | None = None) -> None:
        self.folders[uid] = {"id": len(self.folders) + 1, "uid": uid, "title": title}
        default = [{"role": "Viewer", "permission": 1}, {"role": "Editor", "permission": 2}]
        self.permissions[uid] = [{"role": "Admin", "permission": 4},
                                 *(default if items is None else items)]

    def add_datasource(self, uid: str) -> None:
        """A provisioned data source with Grafana's default grants (every basic role queries)."""
        assert self.datasources is not None
        self.datasources[uid] = {("role", "Viewer"): "Query", ("role", "Editor"): "Query",
                                 ("role", "Admin"): "Admin"}

    def add_team(self, name: str, logins: list[str]) -> int:
        team_id = len(self.teams) + 1
        self.teams[team_id] = name
        self.members[team_id] = {self.user(login) for login in logins}
        return team_id

    def user(self, login: str) -> int:
        return next(i for i, name in self.users.items() if name == login)

    def folder_by_title(self, title: str) -> str:
        return next(uid for uid, f in self.folders.items() if f["title"] == title)

    def grants(self, title: str) -> set[tuple[str, Any, int]]:
        out = set()
        for item in self.permissions[self.folder_by_title(title)]:
            if item.get("teamId"):
                out.add(("team", self.teams[item["teamId"]], item["permission"]))
            elif item.get("userId"):
                out.add(("user", self.users[item["userId"]], item["permission"]))
            else:
                out.add(("role", item["role"], item["permission"]))
        return out

    def teams_by_name(self, name: str) -> int:
        return next(i for i, n in self.teams.items() if n == name)

    def team_logins(self, name: str) -> set[str]:
        return {self.users[u] for u in self.members[self.teams_by_name(name)]}

    def mutations(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any
               ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "folders"]:
            return self._folders(method, parts[2:], query, body)
        if parts[:2] == ["api", "teams"]:
            return self._teams(method, parts[2:], query, body)
        if parts[:3] == ["api", "access-control", "datasources"] and self.datasources is not None:
            return self._datasources(method, parts[3:], body)
        if parts == ["api", "users", "lookup"] and method == "GET":
            self.calls.append((method, "/api/users/lookup"))
            login = query.get("loginOrEmail", "")
            for user_id, name in self.users.items():
                if name == login:
                    return 200, {"id": user_id, "login": name, "email": f"{name}@example.org",
                                 "name": name, "isGrafanaAdmin": False}
            return 404, {"message": "user not found"}
        return 404, {"message": "Not found"}

    def _folders(self, method: str, rest: list[str], query: dict[str, str], body: Any
                 ) -> tuple[int, Any]:
        if not rest:
            self.calls.append((method, "/api/folders"))
            if method == "GET":
                limit, page = int(query.get("limit", 1000)), int(query.get("page", 1))
                listing = sorted(self.folders.values(), key=lambda f: f["id"])
                return 200, listing[(page - 1) * limit:page * limit]
            if body["uid"] in self.folders or any(
                    f["title"] == body["title"] for f in self.folders.values()):
                return 409, {"message": "a folder with the same name already exists"}
            self.add_folder(body["uid"], body["title"])
            folder = self.folders[body["uid"]]
            return 200, {**folder, "url": f"/dashboards/f/{folder['uid']}/", "version": 1}
        uid = rest[0]
        if rest[1:] != ["permissions"]:
            return 404, {"message": "Not found"}
        self.calls.append((method, "/api/folders/:uid/permissions"))
        if uid not in self.folders:
            return 404, {"message": "Folder not found"}
        if method == "GET":
            return 200, [self._item(uid, item) for item in self.permissions[uid]]
        items = body["items"]
        for item in items:
            keys = {"teamId", "userId", "role"} & set(item)
            assert len(keys) == 1 and item["permission"] in _NAMES, item
            assert item.get("role") != "Admin", "permissions cannot be set for Admins"
        self.permissions[uid] = [{"role": "Admin", "permission": 4}, *items]
        return 200, {"message": "Folder permissions updated", "id": self.folders[uid]["id"],
                     "title": self.folders[uid]["title"]}

    def _item(self, uid: str, item: dict[str, Any]) -> dict[str, Any]:
        team_id, user_id = item.get("teamId", 0), item.get("userId", 0)
        return {"id": 1, "folderId": self.folders[uid]["id"], "userId": user_id,
                "userLogin": self.users.get(user_id, ""), "userEmail": "", "teamId": team_id,
                "team": self.teams.get(team_id, ""), "role": item.get("role", ""),
                "permission": item["permission"], "permissionName": _NAMES[item["permission"]],
                "uid": uid, "title": self.folders[uid]["title"], "slug": "", "isFolder": True,
                "url": ""}

    def _datasources(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        assert self.datasources is not None
        if not rest or rest[0] not in self.datasources:
            return 404, {"message": "Data source not found"}
        grants = self.datasources[rest[0]]
        if len(rest) == 1 and method == "GET":
            self.calls.append((method, "/api/access-control/datasources/:uid"))
            items = []
            for (kind, who), permission in sorted(grants.items(), key=str):
                item: dict[str, Any] = {"id": len(items) + 1, "isManaged": True,
                                        "actions": ["datasources:query"],
                                        "permission": permission}
                if kind == "team":
                    item.update(teamId=who, team=self.teams[who])
                else:
                    item["builtInRole"] = who
                items.append(item)
            return 200, items
        if len(rest) == 3 and method == "POST" and rest[1] in ("teams", "builtInRoles"):
            kind, who = ("team", int(rest[2])) if rest[1] == "teams" else ("role", rest[2])
            endpoint = ":teamId" if kind == "team" else ":role"
            self.calls.append((method, f"/api/access-control/datasources/:uid/{rest[1]}/"
                                       f"{endpoint}"))
            assert body["permission"] in ("", "Query", "Edit", "Admin"), body
            if body["permission"]:
                grants[(kind, who)] = body["permission"]
            else:
                grants.pop((kind, who), None)
            return 200, {"message": "Permission updated"}
        return 404, {"message": "Not found"}

    def _teams(self, method: str, rest: list[str], query: dict[str, str], body: Any
               ) -> tuple[int, Any]:
        if rest == ["search"] and method == "GET":
            self.calls.append((method, "/api/teams/search"))
            found = [{"id": i, "orgId": 1, "name": n, "email": "", "avatarUrl": "",
                      "memberCount": len(self.members[i])}
                     for i, n in self.teams.items() if n == query.get("name")]
            return 200, {"totalCount": len(found), "teams": found, "page": 1, "perPage": 1000}
        if not rest and method == "POST":
            self.calls.append((method, "/api/teams"))
            if body["name"] in self.teams.values():
                return 409, {"message": "Team name taken"}
            team_id = self.add_team(body["name"], [])
            return 200, {"message": "Team created", "teamId": team_id, "uid": f"t{team_id}"}
        if len(rest) >= 2 and rest[1] == "members":
            team_id = int(rest[0])
            if team_id not in self.teams:
                return 404, {"message": "Team not found"}
            members = self.members[team_id]
            if len(rest) == 2 and method == "GET":
                self.calls.append((method, "/api/teams/:id/members"))
                return 200, [{"orgId": 1, "teamId": team_id, "userId": u,
                              "email": f"{self.users[u]}@example.org", "login": self.users[u],
                              "avatarUrl": ""} for u in sorted(members)]
            if len(rest) == 2 and method == "POST":
                self.calls.append((method, "/api/teams/:id/members"))
                if body["userId"] in members:
                    return 400, {"message": "User is already added to this team"}
                members.add(body["userId"])
                return 200, {"message": "Member added to Team"}
            if len(rest) == 3 and method == "DELETE":
                self.calls.append((method, "/api/teams/:id/members/:userId"))
                if int(rest[2]) not in members:
                    return 404, {"message": "Team member not found"}
                members.remove(int(rest[2]))
                return 200, {"message": "Team Member removed"}
        return 404, {"message": "Not found"}


@contextmanager
def serve(fake: FakeGrafana) -> Iterator[FakeGrafana]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                status, payload = 401, {"message": "Unauthorized"}
            else:
                status, payload = fake.handle(self.command, url.path, query, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
