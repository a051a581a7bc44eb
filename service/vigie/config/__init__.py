"""Typed configuration: SLO files (``slo/``) and alert routing (``alerts/clubs.yaml``).

:func:`load_config` returns a valid :class:`Config` or raises :class:`~vigie.errors.ConfigError`;
:func:`check_config` lists every problem as ``file:line: field: what is wrong``.
"""

from vigie.config.clubs import AlertsConfig, Club, ClubsFile, Policy, QuietHours
from vigie.config.loader import Config, check_config, load_config
from vigie.config.problems import Problem
from vigie.config.secrets import SecretRef
from vigie.config.slo import Slo, SloFile

__all__ = [
    "AlertsConfig",
    "Club",
    "ClubsFile",
    "Config",
    "Policy",
    "Problem",
    "QuietHours",
    "SecretRef",
    "Slo",
    "SloFile",
    "check_config",
    "load_config",
]
