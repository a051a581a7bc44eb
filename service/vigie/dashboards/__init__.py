"""Grafana dashboards generated from the SLO and alert config (``vigie dashboards build``).

:mod:`vigie.dashboards.sql` and :mod:`vigie.dashboards.slo_sql` hold every panel query,
:mod:`vigie.dashboards.model` the dashboard JSON shapes, :mod:`vigie.dashboards.app` and
:mod:`vigie.dashboards.admin` the dashboards, :mod:`vigie.dashboards.build` the files and the
drift check.
"""

from vigie.dashboards.build import drift_problems, render, write

__all__ = ["drift_problems", "render", "write"]
