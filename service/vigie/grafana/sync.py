"""Per-club access in Grafana: one folder and one team per club, the team alone may view it.

:func:`desired` reads what should exist from ``alerts/clubs.yaml``; :func:`observe` reads what
exists (GET requests only); :func:`plan` is the pure difference, as steps printed before anything
changes; :func:`apply` performs them. Running it again plans nothing: it is idempotent.

* A club's folder is the one titled with the club id: the folder Grafana's file provisioning
  makes for ``dashboards/<club>/`` (grafana/grafana
  ``pkg/services/provisioning/dashboards/file_reader.go``: with ``foldersFromFilesStructure``
  the folder name is the directory's base name, looked up by title and created only when no
  folder has that title, so either side may create it first). The ``admin`` folder holds the
  overview and pipeline dashboards.
* Team ``vigie-<club>`` has exactly the club's ``grafana_logins`` as members. A login unknown to
  Grafana (never signed in) is reported and skipped.
* Folder permissions are replaced by: the club's team may view. The admin folder gets none:
  organisation admins see every folder whatever its permissions, nobody else sees that one.
* The club's data source (``vigie-clickhouse-<club>``, whose ClickHouse user sees only the
  club's rows) may be queried by the club's team, and no longer by the Viewer and Editor basic
  roles; the admins' data source (``vigie-clickhouse``, every row) by admins only. Data source
  permissions exist in Grafana Enterprise and Cloud only: in Grafana OSS the plan says so in a
  warning (docs/dashboards.md explains what the admin must set instead).

Nothing else is touched: no other folder, team, user or dashboard, and nothing is deleted but
members of Vigie's own teams who are no longer listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from vigie.config.clubs import AlertsConfig
from vigie.dashboards.access import datasource_uid
from vigie.dashboards.build import ADMIN_FOLDER
from vigie.dashboards.model import DATASOURCE_UID
from vigie.grafana.client import GrafanaClient

VIEW = 1
QUERY = "Query"
BASIC_ROLES = ("Viewer", "Editor")
"""Basic roles that may query every data source by default: removed from the clubs' ones."""
_PERMISSION_NAMES = {1: "View", 2: "Edit", 4: "Admin"}
_UID_MAX = 40


def folder_uid(title: str) -> str:
    """The uid given to a folder Vigie creates (dashboard uids start with ``vigie-``)."""
    readable = f"folder-{title}"
    if len(readable) <= _UID_MAX:
        return readable
    return "folder-" + hashlib.sha256(title.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Access:
    """One folder and who may view it: a team with its logins, or admins only (``team`` None)."""

    folder: str
    team: str | None
    logins: tuple[str, ...] = ()
    datasource: str | None = None


def desired(alerts: AlertsConfig) -> list[Access]:
    clubs = [
        Access(club.id, f"vigie-{club.id}", tuple(sorted(set(club.grafana_logins))),
               datasource_uid(club.id))
        for club in alerts.clubs
    ]
    return [*clubs, Access(ADMIN_FOLDER, None, datasource=DATASOURCE_UID)]


Grant = tuple[str, Any, int]
"""(``team``, team id | ``user``, user id | ``role``, role name, permission level)."""


@dataclass
class Observed:
    """What exists in Grafana for the wanted folders, teams and logins."""

    folders: dict[str, str] = field(default_factory=dict)  # title -> uid
    grants: dict[str, set[Grant]] = field(default_factory=dict)  # folder title -> grants
    teams: dict[str, int] = field(default_factory=dict)  # name -> id
    members: dict[str, dict[str, int]] = field(default_factory=dict)  # team -> login -> id
    users: dict[str, int | None] = field(default_factory=dict)  # login -> id (None: unknown)
    # data source uid -> (team ids that may query, basic roles that may); None: no such API
    datasources: dict[str, tuple[set[int], set[str]] | None] = field(default_factory=dict)


def _grants(items: list[dict[str, Any]]) -> set[Grant]:
    grants: set[Grant] = set()
    for item in items:
        level = int(item.get("permission", 0))
        if item.get("teamId"):
            grants.add(("team", int(item["teamId"]), level))
        elif item.get("userId"):
            grants.add(("user", int(item["userId"]), level))
        elif item.get("role") and item["role"] != "Admin":  # admins always have everything
            grants.add(("role", item["role"], level))
    return grants


def _queriers(items: list[dict[str, Any]] | None) -> tuple[set[int], set[str]] | None:
    if items is None:
        return None
    teams = {int(i["teamId"]) for i in items if i.get("teamId") and i.get("permission")}
    roles = {str(i["builtInRole"]) for i in items
             if i.get("builtInRole") in BASIC_ROLES and i.get("permission")}
    return teams, roles


def observe(client: GrafanaClient, wanted: list[Access]) -> Observed:
    seen = Observed()
    titles = {a.folder for a in wanted}
    for folder in client.folders():
        if folder["title"] in titles and folder["title"] not in seen.folders:
            seen.folders[folder["title"]] = folder["uid"]
    for title, uid in seen.folders.items():
        seen.grants[title] = _grants(client.folder_permissions(uid))
    for access in wanted:
        if access.datasource is not None:
            seen.datasources[access.datasource] = _queriers(
                client.datasource_permissions(access.datasource))
        if access.team is None:
            continue
        team_id = client.team_id(access.team)
        if team_id is not None:
            seen.teams[access.team] = team_id
            seen.members[access.team] = client.team_members(team_id)
        for login in access.logins:
            known = seen.members.get(access.team, {}).get(login)
            seen.users[login] = known if known is not None else client.user_id(login)
    return seen


StepKind = Literal["create_folder", "create_team", "add_member", "remove_member",
                   "set_permissions", "share_datasource", "warning"]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    folder: str = ""
    team: str = ""
    login: str = ""
    user_id: int = 0
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "create_folder":
            return f"folder {self.folder}: create (uid {folder_uid(self.folder)})"
        if self.kind == "create_team":
            return f"team {self.team}: create"
        if self.kind == "add_member":
            return f"team {self.team}: add {self.login}"
        if self.kind == "remove_member":
            return f"team {self.team}: remove {self.login} (not in alerts/clubs.yaml)"
        if self.kind == "set_permissions":
            return f"folder {self.folder}: permissions {self.detail}"
        if self.kind == "share_datasource":
            who = f"team {self.team}" if self.team else "admins"
            return f"data source {self.folder}: queried by {who} only ({self.detail})"
        return f"warning: {self.detail}"


def _describe(grants: set[Grant]) -> str:
    if not grants:
        return "admins only"
    return ", ".join(
        f"{kind} {who} {_PERMISSION_NAMES.get(level, level)}"
        for kind, who, level in sorted(grants, key=str)
    )


def plan(wanted: list[Access], seen: Observed) -> list[Step]:
    """The steps that make Grafana match ``wanted``, in the order they must run."""
    return list(_plan(wanted, seen))


def _plan(wanted: list[Access], seen: Observed) -> Iterator[Step]:
    for access in wanted:
        if access.folder not in seen.folders:
            yield Step("create_folder", folder=access.folder)
        team_id = None
        if access.team is not None:
            team_id = seen.teams.get(access.team)
            if team_id is None:
                yield Step("create_team", team=access.team)
            members = seen.members.get(access.team, {})
            for login in access.logins:
                user_id = seen.users.get(login)
                if user_id is None:
                    yield Step("warning", detail=f"login {login} ({access.folder}) is not a "
                               "Grafana user yet (never signed in?): not added")
                elif login not in members:
                    yield Step("add_member", team=access.team, login=login, user_id=user_id)
            for login, user_id in sorted(members.items()):
                if login not in access.logins:
                    yield Step("remove_member", team=access.team, login=login, user_id=user_id)
        # A team created by this plan has no id yet: its folder's permissions are set anyway.
        wanted_grants: set[Grant] | None = set()
        if access.team is not None:
            wanted_grants = None if team_id is None else {("team", team_id, VIEW)}
        current = seen.grants.get(access.folder)
        if wanted_grants is None or current != wanted_grants:
            before = "none yet" if current is None else _describe(current)
            after = f"team {access.team} View" if access.team else "admins only"
            yield Step("set_permissions", folder=access.folder, team=access.team or "",
                       detail=f"{after} (was: {before})")
        if access.datasource is not None:
            yield from _share(access.datasource, access.team, team_id, seen)


def _share(uid: str, team: str | None, team_id: int | None, seen: Observed
           ) -> Iterator[Step]:
    """A club's data source: its team queries it; the admins' one (``team`` None): admins
    only. Either way the Viewer and Editor basic roles lose their default Query."""
    current = seen.datasources.get(uid)
    if current is None:
        yield Step("warning", detail=f"data source {uid}: this Grafana has no data source "
                   "permissions (Grafana OSS) or does not have it yet: every member who can "
                   "run queries may query it (docs/dashboards.md, Data isolation)")
        return
    teams, roles = current
    if roles or (team is not None and (team_id is None or team_id not in teams)):
        removed = f"; removed from {', '.join(sorted(roles))}" if roles else ""
        yield Step("share_datasource", folder=uid, team=team or "", detail=f"Query{removed}")


def apply(client: GrafanaClient, steps: list[Step], seen: Observed) -> None:
    """Run the planned steps; ids of what is created are used by the steps after it."""
    folders = dict(seen.folders)
    teams = dict(seen.teams)
    for step in steps:
        if step.kind == "create_folder":
            created = client.create_folder(folder_uid(step.folder), step.folder)
            folders[step.folder] = created["uid"]
        elif step.kind == "create_team":
            teams[step.team] = client.create_team(step.team)
        elif step.kind == "add_member":
            client.add_member(teams[step.team], step.user_id)
        elif step.kind == "remove_member":
            client.remove_member(teams[step.team], step.user_id)
        elif step.kind == "set_permissions":
            items = [{"teamId": teams[step.team], "permission": VIEW}] if step.team else []
            client.set_folder_permissions(folders[step.folder], items)
        elif step.kind == "share_datasource":
            if step.team:
                client.set_datasource_team(step.folder, teams[step.team], QUERY)
            for role in BASIC_ROLES:
                client.set_datasource_role(step.folder, role, "")
