"""The French and English text tables (``templates/<locale>.yaml``) and locale-aware formatting
of the facts a message carries: numbers, percentages, windows, durations.

Both tables have the same keys and the same ``{fields}``, so both languages state the same facts.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from vigie.notify.notice import Locale

_WINDOW = re.compile(r"^(\d+)([smhdw])$")
_UNIT_KEYS = {"s": "unit_s", "m": "unit_min", "h": "unit_h", "d": "unit_d", "w": "unit_w"}


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
    """The texts of one locale, with formatting helpers."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._table = table(locale)

    def __call__(self, key: str, **fields: object) -> str:
        return self._table[key].format(**fields)

    def number(self, value: float, decimals: int = 1) -> str:
        """``14.4`` / ``14,4``; whole numbers without decimals; no trailing zeros."""
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
        if text in ("-0", ""):
            text = "0"
        return text.replace(".", self._table["decimal"])

    def objective(self, objective: float, window: str) -> str:
        return self("objective", objective=self.number(objective, 3), window=self.window(window))

    def percent(self, fraction: float) -> str:
        return self("percent", value=self.number(fraction * 100, 1))

    def window(self, window: str) -> str:
        """``"30d"`` → ``30 j`` / ``30 d``; an unknown form is returned as is (callers escape)."""
        match = _WINDOW.match(window)
        if not match:
            return window
        return f"{match.group(1)} {self._table[_UNIT_KEYS[match.group(2)]]}"

    def duration(self, span: timedelta) -> str:
        """The two largest units: ``2 j 3 h``, ``1 h 12 min``, ``45 s``."""
        seconds = max(0, int(span.total_seconds()))
        parts: list[str] = []
        for size, unit in ((86400, "unit_d"), (3600, "unit_h"), (60, "unit_min"), (1, "unit_s")):
            count, seconds = divmod(seconds, size)
            if count or (not parts and size == 1):
                parts.append(f"{count} {self._table[unit]}")
            if len(parts) == 2:
                break
        return " ".join(parts)
