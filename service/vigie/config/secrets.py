"""Webhook URLs are secrets: the files under ``alerts/`` name where a secret lives (an environment
variable or a file), never the secret itself, and the value is read only when a message is sent.

:class:`SecretRef` is the reference written in YAML; :meth:`SecretRef.resolve` returns a
:class:`pydantic.SecretStr`, whose ``str()``, ``repr()`` and JSON dump are masked. Error messages
name the variable or the file, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator

from vigie.config.fields import ENV_NAME_PATTERN, StrictModel
from vigie.errors import ConfigError

LITERAL_SECRET_MESSAGE = (
    "expected {env: VARIABLE} or {file: /path}: a webhook URL is a secret, never written here"
)


class SecretRef(StrictModel):
    """Where a secret lives: exactly one of ``env`` (a variable name) or ``file`` (a path)."""

    env: str | None = Field(
        default=None,
        pattern=ENV_NAME_PATTERN,
        description="environment variable holding the secret, e.g. VIGIE_DISCORD_ALGOETS",
    )
    file: str | None = Field(
        default=None,
        min_length=1,
        description="file holding the secret (e.g. a mounted Kubernetes secret); trimmed",
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_literal(cls, data: Any) -> Any:
        if isinstance(data, str):
            # The message must not repeat the value: it is the very secret that leaked.
            raise ValueError(LITERAL_SECRET_MESSAGE)
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file")
        return self

    def describe(self) -> str:
        """Where the secret lives, for messages: ``environment variable X`` or ``file /p``."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def resolve(self, environ: Mapping[str, str]) -> SecretStr:
        """Read the secret now (at send time). ``environ`` is passed in by the caller (the edge
        that owns the process environment), so this stays testable and nothing reads globals.

        Raises :class:`ConfigError` naming the variable or file when it is missing or empty.
        """
        if self.env is not None:
            value = environ.get(self.env)
            if value is None:
                raise ConfigError(f"environment variable {self.env} is not set")
        else:
            assert self.file is not None
            try:
                value = Path(self.file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read file {self.file}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ConfigError(f"file {self.file} is not UTF-8 text") from None
        value = value.strip()
        if not value:
            raise ConfigError(f"{self.describe()} is empty")
        return SecretStr(value)
