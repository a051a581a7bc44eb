"""Kubernetes manifests generated from the repository's own sources (``vigie deploy build``).

``deploy/`` follows the Cedille wiki (``base/``, ``prod/``, ``staging/``, ``argo.yaml``). Most of
it is written by hand; what would otherwise be a copy of another file is generated here, so that
there is one source of truth and a drift check (``vigie deploy build --check``, run by a test):

* :mod:`vigie.deploy.collectors`: the agent and gateway ``OpenTelemetryCollector`` resources,
  whose ``spec.config`` is ``collector_config/agent.yaml`` and ``gateway.yaml``;
* :mod:`vigie.deploy.grafana`: ConfigMaps for the platform Grafana's sidecar, from the files
  ``vigie dashboards build`` wrote under ``dashboards/``;
* :mod:`vigie.deploy.config_files`: ``slo/`` and ``alerts/`` for a ``configMapGenerator``.

:mod:`vigie.deploy.build` gathers them, writes them and reports drift.
"""
