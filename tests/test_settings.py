import pytest

from vigie.errors import ConfigError
from vigie.settings import load_settings


def test_password_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DSN", "https://vigie:hunter2@ch.example:8443/otel")
    settings = load_settings()
    for text in (str(settings), repr(settings), settings.model_dump_json()):
        assert "hunter2" not in text
    assert settings.clickhouse_dsn.get_secret_value().endswith("hunter2@ch.example:8443/otel")
    assert settings.database == "otel"


def test_default_store_is_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIE_CLICKHOUSE_DSN", raising=False)
    settings = load_settings()
    assert settings.clickhouse_dsn.embedded
    assert settings.clickhouse_dsn.chdb_path == "./.vigie/data"


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_CLICKHOUSE_DSN", "postgres://x")
    with pytest.raises(ConfigError, match=r"VIGIE_CLICKHOUSE_DSN: .*unsupported scheme"):
        load_settings()
