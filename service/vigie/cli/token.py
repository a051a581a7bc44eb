"""``vigie token create|list|revoke|uses``: API/web tokens, from the command line.

``create`` prints the new token alone on stdout (the only time it is shown; its id and expiry go
to stderr), ``list`` the tokens (never the tokens themselves), ``revoke ID`` ends one now,
``uses`` the audit trail. With the embedded engine (``chdb://``) these open the data directory:
while ``vigie serve`` runs, admins use the API (``/api/v1/tokens``) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import typer

from vigie.access.audit import AuditTrail
from vigie.access.tokens import TokenInfo, TokenStore, UnknownToken
from vigie.cli import settings_of
from vigie.config import load_config
from vigie.store import Store, connect
from vigie.store.migrations import migrate

app = typer.Typer(help="API and web tokens (stored hashed, shown once).", no_args_is_help=True)
T = TypeVar("T")


@contextmanager
def _store(ctx: typer.Context) -> Iterator[Store]:
    settings = settings_of(ctx)
    store = connect(settings)
    try:
        migrate(store, settings)
        yield store
    finally:
        store.close()


def _with_tokens(ctx: typer.Context, work: Callable[[TokenStore], T]) -> T:
    with _store(ctx) as store:
        return work(TokenStore(store))


def _line(info: TokenInfo, now: datetime) -> str:
    expires = info.expires_at.date().isoformat() if info.expires_at else "never"
    who = info.club or "(all clubs)"
    return (f"{info.token_id}  {info.role:<7}  {who:<12}  {info.state(now):<7}  "
            f"expires {expires}  {info.label}").rstrip()  # fmt: skip


@app.command("create")
def create(
    ctx: typer.Context,
    club: str = typer.Option("", help="Captain token for this club (alerts/clubs.yaml id)."),
    admin: bool = typer.Option(False, "--admin", help="Admin token (every club)."),
    label: str = typer.Option("", help="Who holds it (shown as the author of report edits)."),
    expires: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Last valid day (default: 31 August, end of the year)."
    ),
) -> None:
    """Create a token and print it (the only time it is shown)."""
    if admin == bool(club):
        raise typer.BadParameter("give exactly one of --club X or --admin")
    if club:
        try:
            load_config(settings_of(ctx).config_dir).alerts.club(club)
        except KeyError:
            raise typer.BadParameter(f"unknown club {club!r}", param_hint="--club") from None
    until = expires.replace(tzinfo=UTC) if expires is not None else None
    try:
        token, info = _with_tokens(
            ctx, lambda t: t.create("admin" if admin else "captain", club, label, until)
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    typer.echo(token)
    typer.echo(f"token {info.token_id}, valid until {info.expires_at}", err=True)


@app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """Every token: id, role, club, state (active, expired, revoked), expiry, label."""
    now = datetime.now(UTC)
    for info in _with_tokens(ctx, lambda t: t.list()):
        typer.echo(_line(info, now))


@app.command("revoke")
def revoke(
    ctx: typer.Context, token_id: str = typer.Argument(..., help="Id from `token list`.")
) -> None:
    """Revoke a token now: it stops working at once."""
    try:
        info = _with_tokens(ctx, lambda t: t.revoke(token_id))
    except UnknownToken as exc:
        typer.echo(f"vigie: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(_line(info, datetime.now(UTC)))


@app.command("uses")
def uses(ctx: typer.Context, limit: int = typer.Option(50, min=1, max=10_000)) -> None:
    """The audit trail: the latest uses of tokens (when, which token, what)."""
    with _store(ctx) as store:
        found = AuditTrail(store).uses(limit)
    for use in found:
        who = use["label"] or use["role"]
        typer.echo(f"{use['at']:%Y-%m-%d %H:%M:%S}  {use['token_id']}  {who}  "
                   f"{use['method']} {use['route']}")  # fmt: skip
