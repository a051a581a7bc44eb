"""ConfigMaps for the platform's Grafana, from the files ``vigie dashboards build`` wrote.

Cedille already runs Grafana (a system app); its ``k8s-sidecar`` containers load every ConfigMap
labelled ``grafana_dashboard: "1"`` (dashboards) or ``grafana_datasource: "1"`` (provisioning
files), from every namespace when the sidecar's ``searchNamespace`` is ``ALL``. The folder of a
dashboard comes from the ``grafana_folder`` annotation (the Grafana chart's
``sidecar.dashboards.folderAnnotation``), which mirrors ``dashboards/<folder>/``.

Whatever the dashboards generator writes is shipped: every ``dashboards/<folder>/<name>.json``
(one ConfigMap each, so no object nears the 1 MiB limit) and every file under
``dashboards/provisioning/datasources/``. The dashboard provider file is not: the sidecar has its
own provider.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

DASHBOARD_LABEL = "grafana_dashboard"
DATASOURCE_LABEL = "grafana_datasource"
FOLDER_ANNOTATION = "grafana_folder"
DATASOURCES_DIR = "provisioning/datasources"
# Large objects: Argo CD's client-side apply would copy them into an annotation (256 KiB max).
_SYNC_OPTIONS = {"argocd.argoproj.io/sync-options": "ServerSideApply=true"}
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")


def _dns_name(*parts: str) -> str:
    return "-".join(_NAME_CHARS.sub("-", part.lower()).strip("-") for part in parts)[:253]


def _config_map(name: str, label: str, data: dict[str, str],
                annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {label: "1", "app.kubernetes.io/component": "grafana-provisioning"},
            "annotations": {**_SYNC_OPTIONS, **annotations},
        },
        "data": data,
    }


def config_maps(files: Mapping[str, str]) -> list[dict[str, Any]]:
    """``files``: path relative to ``dashboards/`` → text. Sorted, deterministic output."""
    result = []
    datasources: dict[str, str] = {}
    for rel, text in sorted(files.items()):
        path = PurePosixPath(rel)
        if path.parent.as_posix() == DATASOURCES_DIR and path.suffix in (".yaml", ".yml"):
            datasources[path.name] = text
        elif len(path.parts) == 2 and path.suffix == ".json":
            folder = path.parts[0]
            result.append(_config_map(
                _dns_name("vigie-dashboard", folder, path.stem), DASHBOARD_LABEL,
                {path.name: text}, {FOLDER_ANNOTATION: folder},
            ))
    if datasources:
        result.append(_config_map("vigie-grafana-datasources", DATASOURCE_LABEL, datasources, {}))
    return result
