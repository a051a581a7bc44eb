from __future__ import annotations

import typer
from typer.testing import CliRunner

from vigie.cli import db
from vigie.settings import Settings, load_settings
from vigie.store import Store
from vigie.store.migrations import MIGRATIONS_TABLE, discover

# A root like vigie.cli's (settings read once into the context), holding only this group, so
# the test does not depend on the other command groups importing cleanly.
app = typer.Typer()


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


app.add_typer(db.app, name="db")


def test_migrate_prints_each_applied_version_then_up_to_date(
    store: Store, settings: Settings
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["db", "migrate"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [f"applied migration {m.version:04d}" for m in discover()]
    applied = store.query(f"SELECT count() FROM {MIGRATIONS_TABLE}").scalar()
    assert applied == len(discover())

    second = runner.invoke(app, ["db", "migrate"])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == f"schema up to date ({settings.database})"


def test_status_lists_pending_without_applying(store: Store) -> None:
    result = CliRunner().invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("pending 0001 ")
    assert store.query(f"SELECT count() FROM {MIGRATIONS_TABLE}").scalar() == 0
