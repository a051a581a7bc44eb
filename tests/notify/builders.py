"""Notices, incident lines and alert routing for the notify tests (plain builders)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.discord import FakeDiscord, Webhook

from vigie.config.clubs import AlertsConfig
from vigie.notify.notice import IncidentLine, Notice

# Yesterday at 03:00 UTC: recent, so that outbox rows stay inside the outbox TTL.
T0 = (datetime.now(UTC) - timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
CAPTAINS = {"algo": ("111111111111111111", "222222222222222222"), "robo": ("333333333333333333",)}
ADMIN_USERS = ("999999999999999999",)


def line(n: int = 0, **changes: Any) -> IncidentLine:
    base = IncidentLine(
        incident_id=f"INC-{n:010d}",
        club="algo",
        app=f"app-{n}",
        slo="availability",
        severity="page",
        state="open",
        objective=99.9,
        window="30d",
        burn_rate=14.4 + n,
        burn_window="1h",
        budget_remaining=0.62,
        since=T0 - timedelta(minutes=5),
        resolved_at=None,
        dashboard_url=f"https://grafana.example/d/app?var-app=app-{n}",
        incident_url=f"https://vigie.example/incidents/INC-{n:010d}",
        summary="HTTP 500 on GET /api/items",
        sli="availability",
        failing_now=0.0144 + n / 1000,
        burn_rates=(("1h", 14.4 + n), ("5m", 20.0 + n)),
        routes=("GET /api/items", "POST /login"),
    )
    return replace(base, **changes)


def notice(key: str = "k1", lines: Sequence[IncidentLine] | None = None, **changes: Any) -> Notice:
    values: dict[str, Any] = {
        "key": key,
        "channel": "algo",
        "locale": "fr",
        "kind": "open",
        "lines": tuple(lines if lines is not None else (line(),)),
        "created_at": T0,
        "mention_user_ids": CAPTAINS["algo"],
    }
    values.update(changes)
    return Notice(**values)


@dataclass
class Routing:
    """Alert routing whose webhooks point at a fake Discord."""

    alerts: AlertsConfig
    environ: dict[str, str]
    hooks: dict[str, Webhook] = field(default_factory=dict)  # channel → webhook


def routing(discord: FakeDiscord, clubs: Sequence[str] = ("algo", "robo"), **knobs: Any) -> Routing:
    hooks = {"admins": discord.webhook(**knobs)}
    environ = {"VIGIE_DISCORD_ADMINS": discord.url(hooks["admins"])}
    club_entries = []
    for club in clubs:
        hooks[club] = discord.webhook(**knobs)
        var = f"VIGIE_DISCORD_{club.upper().replace('-', '_')}"
        environ[var] = discord.url(hooks[club])
        club_entries.append(
            {
                "id": club,
                "name": f"Club {club.title()}",
                "locale": "fr" if club != "robo" else "en",
                "webhook": {"env": var},
                "captains": list(CAPTAINS.get(club, ())),
            }
        )
    alerts = AlertsConfig.model_validate(
        {
            "admins": {"webhook": {"env": "VIGIE_DISCORD_ADMINS"}, "users": list(ADMIN_USERS)},
            "clubs": club_entries,
        }
    )
    return Routing(alerts, environ, hooks)
