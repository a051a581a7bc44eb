"""CLI commands beside a running ``vigie serve`` on the embedded store: the service holds the
data directory, so they go through its API with the local credential it wrote (mode 0600), and
print what they print without it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vigie.local import FILE_NAME

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vigie(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], str, Path]]:
    config = tmp_path / "config"
    for part in ("slo", "alerts"):
        shutil.copytree(REPO / part, config / part)
    data = tmp_path / "data"
    env = {
        **os.environ,
        "VIGIE_CLICKHOUSE_DSN": f"chdb://{data / 'chdb'}",
        "VIGIE_CLICKHOUSE_DATABASE": "vigie",
        "VIGIE_CONFIG_DIR": str(config),
    }
    # what a previous `vigie serve` killed without its shutdown leaves: a valid local token
    stale = vigie(env, "token", "create", "--admin", "--label", "vigie CLI (local)")
    assert stale.returncode == 0, stale.stderr
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    credential = data / FILE_NAME
    try:
        for _ in range(1200):  # bounded wait for the service to be up (no timing asserted)
            if credential.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert credential.exists(), process.stderr.read() if process.poll() is not None else ""
        yield env, f"http://127.0.0.1:{port}", credential
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert not credential.exists()  # removed (and its token revoked) at shutdown


def test_token_and_silence_commands_beside_serve(
    served: tuple[dict[str, str], str, Path],
) -> None:
    env, url, credential = served
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    made = vigie(env, "token", "create", "--admin", "--label", "léa")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 43 and "valid until" in made.stderr
    answer = httpx.get(f"{url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    listed = vigie(env, "token", "list")
    assert listed.returncode == 0 and "léa" in listed.stdout and token not in listed.stdout
    local = [line for line in listed.stdout.splitlines() if "CLI (local)" in line]
    states = sorted(state for line in local for state in ("active", "revoked") if state in line)
    assert states == ["active", "revoked"]  # the stale one was revoked at start
    added = vigie(env, "silence", "add", "--club", "algoets", "--duration", "1h",
                  "--author", "marie", "--comment", "migration")  # fmt: skip
    assert added.returncode == 0, added.stderr
    sid = added.stdout.split()[0]
    assert sid.startswith("SIL-") and "club=algoets app=* slo=*" in added.stdout
    assert sid in vigie(env, "silence", "list").stdout
    refused = vigie(env, "silence", "add", "--club", "nope", "--duration", "1h",
                    "--author", "m", "--comment", "c")  # fmt: skip
    assert refused.returncode == 2 and "unknown club" in refused.stderr
    expired = vigie(env, "silence", "expire", sid)
    assert expired.returncode == 0 and "expired" in expired.stdout
    gate = vigie(env, "gate", "check", "algoets", "site-web")
    assert gate.returncode in (0, 1, 3), gate.stderr
    assert json.loads(gate.stdout)["verdict"] in ("ok", "fail", "inconclusive")
    opened = vigie(env, "gate", "override", "add", "algoets", "site-web", "--duration", "1h",
                   "--reason", "the fix", "--author", "marie")  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert "algoets/site-web  active" in vigie(env, "gate", "override", "list").stdout


def test_report_and_evaluate_beside_serve(served: tuple[dict[str, str], str, Path]) -> None:
    env, _, _ = served
    missing = vigie(env, "report", "INC-NOPE000000")
    assert missing.returncode == 1 and "no incident INC-NOPE000000" in missing.stderr
    table = vigie(env, "evaluate")
    assert table.returncode == 0, table.stderr
    assert table.stdout.split()[:6] == ["club", "app", "slo", "objective", "window", "state"]
    assert "site-web" in table.stdout and "by vigie serve" in table.stdout
    assert "vigie serve holds the store" in table.stderr + table.stdout
    # fixed date: refused before anything is read or stored
    replay = vigie(env, "evaluate", "--at", "2026-01-01T00:00:00Z")
    assert replay.returncode == 2 and "stop it to replay" in replay.stderr
    status = vigie(env, "db", "status")
    assert status.returncode == 1 and "vigie serve holds the store" in status.stderr
    assert "Traceback" not in status.stderr
