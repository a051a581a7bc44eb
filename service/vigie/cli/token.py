"""``vigie token create|list|revoke|uses``: API/web tokens, from the command line.

``create`` prints the new token alone on stdout (the only time it is shown; its id and expiry go
to stderr), ``list`` the tokens (never the tokens themselves), ``revoke ID`` ends one now,
``uses`` the audit trail. With the embedded engine (``chdb://``) held by a running ``vigie
serve``, they go through its API with the local credential it wrote (:mod:`vigie.local`), with
the same output; otherwise they open the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer

from vigie.access.audit import AuditTrail
from vigie.access.tokens import TokenStore, UnknownToken
from vigie.cli import settings_of
from vigie.config import load_config
from vigie.local import ApiError, RunningService, running_service
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


def _line(info: dict[str, Any]) -> str:
    """One token as listed (``TokenInfo.as_dict``, the API's form too)."""
    expires = str(info["expires_at"])[:10] if info["expires_at"] else "never"
    who = info["club"] or "(all clubs)"
    return (f"{info['id']}  {info['role']:<7}  {who:<12}  {info['state']:<7}  "
            f"expires {expires}  {info['label']}").rstrip()  # fmt: skip


def _api(ctx: typer.Context) -> RunningService | None:
    return running_service(settings_of(ctx))


def _refused(exc: ApiError) -> typer.Exit:
    typer.echo(f"vigie: {exc}", err=True)
    return typer.Exit(2 if exc.status == 422 else 1)


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
    until = expires.replace(tzinfo=UTC) if expires is not None else None
    service = _api(ctx)
    if service is not None:
        body = {"role": "admin" if admin else "captain", "club": club, "label": label,
                "expires_at": until.isoformat() if until else None}  # fmt: skip
        try:
            made = service.call("POST", "/api/v1/tokens", json=body)
        except ApiError as exc:
            raise _refused(exc) from None
        typer.echo(made["token"])
        typer.echo(f"token {made['id']}, valid until {made['expires_at']}", err=True)
        return
    if club:
        try:
            load_config(settings_of(ctx).config_dir).alerts.club(club)
        except KeyError:
            raise typer.BadParameter(f"unknown club {club!r}", param_hint="--club") from None
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
    service = _api(ctx)
    if service is not None:
        found = service.call("GET", "/api/v1/tokens")["tokens"]
    else:
        now = datetime.now(UTC)
        found = [info.as_dict(now) for info in _with_tokens(ctx, lambda t: t.list())]
    for info in found:
        typer.echo(_line(info))


@app.command("revoke")
def revoke(
    ctx: typer.Context, token_id: str = typer.Argument(..., help="Id from `token list`.")
) -> None:
    """Revoke a token now: it stops working at once."""
    service = _api(ctx)
    try:
        if service is not None:
            revoked = service.call("DELETE", f"/api/v1/tokens/{token_id}")
        else:
            revoked = _with_tokens(ctx, lambda t: t.revoke(token_id)).as_dict(datetime.now(UTC))
    except (UnknownToken, ApiError) as exc:
        typer.echo(f"vigie: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(_line(revoked))


@app.command("uses")
def uses(ctx: typer.Context, limit: int = typer.Option(50, min=1, max=10_000)) -> None:
    """The audit trail: the latest uses of tokens (when, which token, what)."""
    service = _api(ctx)
    if service is not None:
        found = service.call("GET", "/api/v1/tokens/uses", params={"limit": limit})["uses"]
    else:
        with _store(ctx) as store:
            found = [{**u, "at": str(u["at"])} for u in AuditTrail(store).uses(limit)]
    for use in found:
        who = use["label"] or use["role"]
        typer.echo(f"{use['at'][:19].replace('T', ' ')}  {use['token_id']}  {who}  "
                   f"{use['method']} {use['route']}")  # fmt: skip
