from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

from vigie.config.secrets import SecretRef
from vigie.errors import ConfigError

URL = "https://discord.com/api/webhooks/123456789012345678/sekrit-token"


def test_env_reference_resolves_to_a_masked_secret() -> None:
    secret = SecretRef(env="VIGIE_DISCORD_ALGOETS").resolve({"VIGIE_DISCORD_ALGOETS": f" {URL}\n"})
    assert secret.get_secret_value() == URL
    dumped = TypeAdapter(SecretStr).dump_json(secret).decode()
    for shown in (str(secret), repr(secret), f"{secret}", dumped):
        assert "sekrit" not in shown


def test_file_reference_resolves(tmp_path: Path) -> None:
    path = tmp_path / "webhook"
    path.write_text(URL + "\n")
    assert SecretRef(file=str(path)).resolve({}).get_secret_value() == URL


def test_missing_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="environment variable VIGIE_DISCORD_X is not set"):
        SecretRef(env="VIGIE_DISCORD_X").resolve({"OTHER": URL})


def test_empty_variable_is_named_not_printed() -> None:
    with pytest.raises(ConfigError, match="environment variable VIGIE_DISCORD_X is empty"):
        SecretRef(env="VIGIE_DISCORD_X").resolve({"VIGIE_DISCORD_X": "  "})


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match=f"cannot read file {missing}"):
        SecretRef(file=str(missing)).resolve({})


def test_a_literal_url_is_refused_without_being_repeated() -> None:
    with pytest.raises(ValidationError) as info:
        SecretRef.model_validate(URL)
    assert "a webhook URL is a secret" in str(info.value)
    assert "sekrit" not in str(info.value)
    assert "sekrit" not in repr(info.value.errors(include_input=False))


@pytest.mark.parametrize("data", [{}, {"env": "A", "file": "/x"}])
def test_exactly_one_of_env_or_file(data: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one of env or file"):
        SecretRef.model_validate(data)


def test_env_names_are_variable_names() -> None:
    with pytest.raises(ValidationError):
        SecretRef.model_validate({"env": URL})
