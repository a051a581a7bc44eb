"""The built collector, for the tests that run it.

Skipped with the reason when ``collector_config/_build/otelcol-vigie`` is missing (no Go on a
user's machine, or ``collector_config/build.sh`` not run yet); a failure instead when
``VIGIE_REQUIRE_COLLECTOR=1``, which .ci/run sets after building it, so CI never passes with
these tests skipped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.collector.otelcol import BINARY


@pytest.fixture(scope="session")
def otelcol() -> Path:
    if BINARY.is_file() and os.access(BINARY, os.X_OK):
        return BINARY
    why = "Go is not installed" if shutil.which("go") is None else "it is not built yet"
    message = f"{BINARY} is missing ({why}): run collector_config/build.sh"
    if os.environ.get("VIGIE_REQUIRE_COLLECTOR") == "1":
        pytest.fail(f"VIGIE_REQUIRE_COLLECTOR=1 but {message}")
    pytest.skip(message)
