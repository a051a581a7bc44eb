"""Report versions carry the timeline entries people add in the editor (JSON list of
``{"at", "text", "author"}``), merged with the generated timeline when the report is shown."""

from __future__ import annotations

from vigie.store.migrations.context import MigrationContext

VERSION = 66
DESCRIPTION = "post-incident report versions: human timeline entries"


def statements(ctx: MigrationContext) -> list[str]:
    return [
        f"ALTER TABLE {ctx.table('vigie_report_versions')}{ctx.on_cluster} "
        "ADD COLUMN IF NOT EXISTS timeline String DEFAULT '[]' CODEC(ZSTD(1))"
    ]
