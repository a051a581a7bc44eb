"""Typed configuration: SLO files (``slo/``) and alert routing (``alerts/clubs.yaml``).

:func:`load_config` returns a valid :class:`Config` or raises :class:`~vigie.errors.ConfigError`;
:func:`check_config` lists every problem as ``file:line: field: what is wrong``.
"""

from vigie.config.clubs import AlertsConfig, Club, ClubsFile, Policy
from vigie.config.slo import Slo, SloFile

__all__ = ["AlertsConfig", "Club", "ClubsFile", "Policy", "Slo", "SloFile"]
