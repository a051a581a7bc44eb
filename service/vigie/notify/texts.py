"""The French and English text tables (``templates/<locale>.yaml``) and locale-aware formatting
of the facts a message carries through :mod:`vigie.i18n`.

Both tables have the same keys and the same ``{fields}``, so both languages state the same facts.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from vigie.i18n import DEFAULT_TIMEZONE, Formatter, Locale


@cache
def table(locale: Locale) -> dict[str, str]:
    """The text table of ``locale`` (read once)."""
    text = (
        resources.files("vigie.notify").joinpath("templates", f"{locale}.yaml").read_text("utf-8")
    )
    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"templates/{locale}.yaml must map keys to strings")
    return {str(k): v for k, v in data.items()}


class Texts:
    """The texts of one locale, with the shared formatter (:class:`vigie.i18n.Formatter`) of
    numbers, percentages, windows, durations and times in the club's time zone."""

    def __init__(self, locale: Locale, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.locale = locale
        self._table = table(locale)
        self.fmt = Formatter(locale, timezone)

    def __call__(self, key: str, **fields: object) -> str:
        return self._table[key].format(**fields)

    def number(self, value: float, decimals: int = 1) -> str:
        return self.fmt.number(value, decimals)

    def objective(self, objective: float, window: str) -> str:
        return self("objective", objective=self.number(objective, 3), window=self.window(window))

    def percent(self, fraction: float) -> str:
        return self.fmt.percent(fraction)

    def window(self, window: str) -> str:
        """``"30d"`` → ``30 j`` / ``30 d``; an unknown form is returned as is (callers escape)."""
        return self.fmt.window(window)

    def duration(self, span: timedelta) -> str:
        return self.fmt.duration(span)
