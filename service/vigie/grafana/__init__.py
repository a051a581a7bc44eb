"""Grafana access per club (``vigie grafana sync``): folders, teams, members, permissions."""
