"""Alert routing: ``alerts/clubs.yaml``, the clubs, their Discord webhooks and the alert policy.

``vigie schema alerts`` prints the JSON schema of :class:`AlertsConfig`. Webhooks are
:class:`~vigie.config.secrets.SecretRef` (an environment variable or a file), never literal URLs.

The ``policy`` block follows Alertmanager's timings; a club may override the knobs that concern
only its own channel (``Club.policy``, ``Club.quiet_hours``); :meth:`AlertsConfig.policy_for`
returns the policy in force for a club.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from vigie.config.fields import SLUG_PATTERN, ClockTime, Duration, Snowflake, StrictModel
from vigie.config.secrets import SecretRef
from vigie.i18n import DEFAULT_TIMEZONE
from vigie.i18n import Locale as Locale  # re-exported: the one locale type

Severity = Literal["page", "ticket"]
EscalationTarget = Literal["admins", "captains"]


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone (IANA name, e.g. America/Montreal)") from None
    return value


class QuietHours(StrictModel):
    """Daily hours when tickets wait (pages never do); may span midnight (23:00 → 08:00)."""

    start: ClockTime = Field(description='"HH:MM", quoted')
    end: ClockTime = Field(description='"HH:MM", quoted')
    timezone: str = Field(default="America/Montreal", description="IANA time zone name")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are equal: quiet hours would be empty")
        return self

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) falls in the quiet hours, in their time zone."""
        local: time = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class ClubPolicy(StrictModel):
    """Per-club overrides of the global policy; unset fields inherit it."""

    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    captain_severities: list[Severity] | None = None
    mention_captains_on: list[Severity] | None = None
    escalate_after: Duration | None = None
    escalate_to: list[EscalationTarget] | None = None


class Policy(StrictModel):
    """How alerts become Discord messages, in the spirit of Alertmanager."""

    group_wait: Duration = Field(
        default=timedelta(seconds=30),
        description="wait before the first message of a new incident (resolved before: silent)",
    )
    group_interval: Duration = Field(
        default=timedelta(minutes=5),
        description="wait before telling about changes in an incident already announced",
    )
    repeat_interval: Duration = Field(
        default=timedelta(hours=4), description="reminder interval of an unchanged open incident"
    )
    resolve_after_evaluations: int = Field(
        default=3, ge=1, description="consecutive clean evaluations before an incident resolves"
    )
    flap_reopen_within: Duration = Field(
        default=timedelta(hours=1),
        description="an alert firing again this soon after resolving reopens the same incident",
    )
    captain_severities: list[Severity] = Field(
        default_factory=lambda: list[Severity](["page", "ticket"]),
        description="severities sent to the club's channel (the others go to admins only)",
    )
    mention_captains_on: list[Severity] = Field(
        default_factory=lambda: list[Severity](["page"]),
        description="severities that @mention the captains",
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="default quiet hours for tickets of clubs that set none"
    )
    platform_incident_share: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description=(
            "share of apps alerting at once above which it is one platform incident for admins, "
            "not one incident per club"
        ),
    )
    no_data_after: Duration = Field(
        default=timedelta(minutes=10),
        description="an app silent this long reports no_data (state frozen, admins told)",
    )
    escalate_after: Duration = Field(
        default=timedelta(minutes=15),
        description="a page unacknowledged this long is escalated, once per opening",
    )
    escalate_to: list[EscalationTarget] = Field(
        default_factory=lambda: list[EscalationTarget](["admins", "captains"]),
        description="who an escalation tells: admins (mentioned), captains (reminded); [] never",
    )

    @model_validator(mode="after")
    def _mentions_are_sent(self) -> Policy:
        missing = sorted(set(self.mention_captains_on) - set(self.captain_severities))
        if missing:
            raise ValueError(
                f"mention_captains_on has {', '.join(missing)}, not in captain_severities"
            )
        return self


class Admins(StrictModel):
    """The platform admins' channel: every incident, platform incidents, config problems."""

    webhook: SecretRef
    ingest_token: SecretRef | None = Field(
        default=None,
        description="token of the platform's collectors: may send telemetry of every club",
    )
    users: list[Snowflake] = Field(
        default_factory=list, description="Discord user ids mentioned on every page"
    )
    roles: list[Snowflake] = Field(
        default_factory=list, description="Discord role ids mentioned on every page"
    )

    @property
    def mentions(self) -> tuple[str, ...]:
        """Mention ids: user ids, and ``&<id>`` for roles (Discord's own ``<@&id>`` form)."""
        return (*self.users, *(f"&{role}" for role in self.roles))


class Club(StrictModel):
    """A student club: its channel, its captains, its language."""

    id: str = Field(pattern=SLUG_PATTERN, max_length=63, description="used in slo/<club>/")
    name: str = Field(min_length=1, description="display name")
    locale: Locale = Field(default="fr", description="language of everything the club reads")
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="IANA time zone of the times the club reads"
    )
    webhook: SecretRef
    ingest_token: SecretRef | None = Field(
        default=None,
        description="token of the club's own senders: may send only the club's telemetry",
    )
    captains: list[Snowflake] = Field(
        default_factory=list, description="Discord user ids mentioned on pages"
    )
    grafana_logins: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Grafana logins of the club's team"
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="hours when tickets wait (default: policy.quiet_hours)"
    )
    policy: ClubPolicy = Field(default_factory=ClubPolicy)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class AlertsConfig(StrictModel):
    """The whole of ``alerts/clubs.yaml``.

    Uniqueness of club ids is checked by :func:`vigie.config.check_config` (with the line of the
    duplicate).
    """

    version: Literal[1] = Field(default=1, description="file format version")
    admins: Admins
    clubs: list[Club] = Field(min_length=1)
    policy: Policy = Field(default_factory=Policy)
    school_it_contact: str = Field(
        default="",
        max_length=300,
        description="the school's IT contact, named in security incident reports",
    )
    report_reminder_after: Duration = Field(
        default=timedelta(days=3),
        description="a post-incident draft nobody wrote in after this long is reminded",
    )

    def club(self, club_id: str) -> Club:
        """The club with this id; ``KeyError`` if there is none."""
        for club in self.clubs:
            if club.id == club_id:
                return club
        raise KeyError(club_id)

    def policy_for(self, club_id: str) -> Policy:
        """The global policy with the club's overrides and quiet hours applied."""
        club = self.club(club_id)
        fields = {name: getattr(self.policy, name) for name in Policy.model_fields}
        for name in ClubPolicy.model_fields:
            if (value := getattr(club.policy, name)) is not None:
                fields[name] = value
        if club.quiet_hours is not None:
            fields["quiet_hours"] = club.quiet_hours
        # Validated again: a club's overrides must be consistent with what it inherits.
        return Policy(**fields)


ClubsFile = AlertsConfig
