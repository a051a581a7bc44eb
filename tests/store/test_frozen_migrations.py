"""Applied migrations never change: their checksums are pinned here, and a migration imports
nothing of Vigie but its DDL context (live code would change its statements under it)."""

from __future__ import annotations

import ast
from pathlib import Path

from vigie.store import tables
from vigie.store.migrations import discover

PACKAGE = Path(tables.__file__).parent / "migrations"

# The checksums deployed stores recorded (runner.Migration.checksum). Append new versions;
# never edit a line: a changed checksum stops every store that applied the migration.
CHECKSUMS = {
    1: "85f05791c23b3dad8c90a32a6df65d98c6f08d7efe1c5023f5ebc3a40d1ac962",
    10: "c66313372469e0e370ecb17d42a741e917afb9ea180200abc6ae75f98ad7e74e",
    11: "45753b3cddde07f1ac969b198f33fdcc756b8fb38debb25bb8c566b803f7076f",
    20: "17f19ebef7624e4ab544557811ed3ac958816720bcc44686fd47603f19b23848",
    21: "3c2d5499bcea41fa694bf649ef1b718108485e47c6d4f8606ce737ff2c7e9bd2",
    22: "fe7c31479427fa725e8dfeb60a7473265926a6ee0939f14be8e7d961a02cdcda",
    25: "0c8581252b2c7b199650419b9eee7a732fa29e8fbfd8dfd990ca8624e2f043cf",
    30: "c7a94697fa20e01306c2a276d4cc429697db64cd985fc9b3827c1e615b285fd9",
    31: "32b09812b66386bc459117aa5df8696aed806d44d20c937c0cc2b958bf899229",
    40: "9d4630379bef04e8144d8102379dec2b5c1e2bc4b7688f9a2575b969cab92039",
    41: "886dfdff65a73d666dae163cdd715104a3ade04de031b5206785889a7f074ec1",
    45: "3a0d9c97492df6b2cc94905203917134b95268a0e285c747e50c45657de0033f",
    70: "ed2767f9f4bf48383d92c600366be89182aa4f496af56c786c3fa373c021e75a",
    71: "fd68edf63db0fe02f5713dd925a305b647e52efcdbf409287ac8980db133d2ee",
    75: "a3cdad5cd669c42ae526344ba92220fba69a1848a517a3479efbe46e50baef6e",
}


def test_pinned_migrations_keep_their_checksums() -> None:
    found = {m.version: m.checksum for m in discover()}
    assert {v: found.get(v) for v in CHECKSUMS} == CHECKSUMS


def test_migrations_import_only_frozen_code() -> None:
    """Their DDL context and other migrations (frozen too), never live modules."""
    allowed = {"__future__", "vigie.store.migrations.context"} | {
        f"vigie.store.migrations.{p.stem}" for p in PACKAGE.glob("m[0-9]*.py")
    }
    for path in sorted(PACKAGE.glob("m[0-9]*.py")):
        tree = ast.parse(path.read_text())
        imported = {
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}  # fmt: skip
        assert imported <= allowed, (path.name, imported - allowed)
