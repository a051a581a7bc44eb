"""Who may send telemetry, and for which club: ingest tokens, bound to their club.

Tokens are configured like the webhooks, in ``alerts/clubs.yaml`` (``{env: …}`` or
``{file: …}``): ``clubs[].ingest_token`` for a club's own senders, ``admins.ingest_token`` for
the platform's collectors. A sender presents its token as ``Authorization: Bearer <token>`` (what
the collector's ``bearertokenauth`` extension sends). Tokens are read once, at start-up, and kept
only as SHA-256 digests.

* A **club token** may write only that club's resources: ``k8s.namespace.name`` equal to the club,
  or no namespace and a ``service.name`` the club's SLO files declare (the namespace is then
  stamped with the club, so the rows count for that club and no other). Any other resource
  refuses the **whole request with 403**, naming the resource: nothing of a misdirected request is
  stored, and the sender's logs say why (OTLP senders do not retry a 403).
* The **platform token** may write every club; the club of a row is its namespace, as sent
  (never inferred from the service name).
* **No token**: 401, unless ``VIGIE_INGEST_ANONYMOUS`` is on (the embedded quick start and
  ``vigie demo``, listening on 127.0.0.1 only); anonymous rows are treated as the platform's.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vigie.config import Config
from vigie.config.secrets import SecretRef
from vigie.errors import ConfigError
from vigie.ingest.decode import IngestHttpError
from vigie.ingest.rows import TableBatch

log = logging.getLogger(__name__)

NAMESPACE = "k8s.namespace.name"


class Unauthorized(IngestHttpError):
    status = 401


class Forbidden(IngestHttpError):
    status = 403


@dataclass(frozen=True)
class Sender:
    """Who sent a request. ``club`` None: the platform's collectors (or anonymous), whose rows
    keep the namespace they carry; else the one club the rows must belong to."""

    name: str
    club: str | None = None
    services: frozenset[str] = frozenset()


PLATFORM = Sender("platform collectors")
ANONYMOUS = Sender("anonymous sender")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Senders:
    """The known ingest tokens (as digests) and whether anonymous senders are accepted."""

    tokens: Mapping[bytes, Sender] = field(default_factory=dict)
    anonymous: bool = False

    @classmethod
    def from_config(
        cls, config: Config, environ: Mapping[str, str], *, anonymous: bool
    ) -> Senders:
        """Read every configured token now; one that cannot be read is logged and skipped (its
        senders get 401), so a missing secret never stops the service."""
        refs: list[tuple[SecretRef, Sender]] = []
        if config.alerts.admins.ingest_token is not None:
            refs.append((config.alerts.admins.ingest_token, PLATFORM))
        for club in config.clubs:
            if club.ingest_token is not None:
                services = frozenset(f.app for f in config.slo_files if f.club == club.id)
                refs.append((club.ingest_token, Sender(f"club {club.id}", club.id, services)))
        tokens: dict[bytes, Sender] = {}
        for ref, sender in refs:
            try:
                secret = ref.resolve(environ).get_secret_value()
            except ConfigError as exc:
                log.warning(
                    "ingest token unavailable", extra={"sender": sender.name, "error": str(exc)}
                )
                continue
            tokens[_digest(secret)] = sender
        return cls(tokens, anonymous)

    def identify(self, authorization: str | None) -> Sender:
        """The sender of a request with this ``Authorization`` header; raises
        :class:`Unauthorized` when it names no known token."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if not scheme and self.anonymous:
            return ANONYMOUS
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing ingest token: send Authorization: Bearer <token>")
        sender = self.tokens.get(_digest(token))
        if sender is None:
            raise Unauthorized("unknown ingest token")
        return sender


def check_anonymous_host(anonymous: bool, host: str) -> None:
    """Refuse to accept anonymous telemetry on an interface other machines can reach: raises
    :class:`~vigie.errors.ConfigError` naming the setting."""
    if not anonymous:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConfigError(
            f"VIGIE_INGEST_ANONYMOUS accepts telemetry without a token: listen on 127.0.0.1 "
            f"only, not {host} (or give senders ingest tokens, docs/ingest.md)"
        )


def bind_to_club(batches: Sequence[TableBatch], sender: Sender) -> None:
    """Check that a club's sender writes only its club's resources, stamping the club's
    namespace on rows of its declared services that carry none; raises :class:`Forbidden`
    for the whole request otherwise. Rows of the platform (``club`` None) pass unchanged."""
    club = sender.club
    if club is None:
        return
    for batch in batches:
        attributes = batch.data[batch.columns.index("ResourceAttributes")]
        services = batch.data[batch.columns.index("ServiceName")]
        # Rows of one resource share one dict (possibly cached across requests: never mutate).
        seen: dict[int, dict[str, Any]] = {}
        for row, attrs in enumerate(attributes):
            bound = seen.get(id(attrs))
            if bound is None:
                bound = seen[id(attrs)] = _bound(attrs, services[row], sender, club)
            attributes[row] = bound


def _bound(attrs: dict[str, Any], service: str, sender: Sender, club: str) -> dict[str, Any]:
    namespace = attrs.get(NAMESPACE, "")
    if namespace == club:
        return attrs
    if not namespace and service in sender.services:
        return {**attrs, NAMESPACE: club}
    where = f"namespace {namespace!r}" if namespace else "no namespace"
    raise Forbidden(
        f"the ingest token of club {club} may not write service {service!r} with {where}: "
        f"only namespace {club!r}, or the services its SLO files declare"
    )
