"""What people read, per locale: the one :data:`Locale` type and the one :class:`Formatter` of the
facts every user-facing text carries — numbers, percentages, durations, SLO windows, times and
dates in the club's time zone — plus the French elision of "de" before a name ("d'AlgoÉTS").

Discord notices use it now; reports and pages are meant to adopt it, so that a duration or a
percentage reads the same everywhere. Pure: the time zone is given, the clock is not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Locale = Literal["fr", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DEFAULT_TIMEZONE = "America/Montreal"

_WINDOW = re.compile(r"^(\d+)([smhdw])$")
_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")

# Per locale: decimal mark, thousands separator, percent pattern, units (s, min, h, d, w).
_NUMBERS: dict[Locale, tuple[str, str, str]] = {
    "fr": (",", "\u202f", "{} %"),
    "en": (".", ",", "{}%"),
}
_UNITS: dict[Locale, dict[str, str]] = {
    "fr": {"s": "s", "m": "min", "h": "h", "d": "j", "w": "sem."},
    "en": {"s": "s", "m": "min", "h": "h", "d": "d", "w": "wk"},
}
_WEEKDAYS: dict[Locale, tuple[str, ...]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS: dict[Locale, tuple[str, ...]] = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Formatter:
    """Formats facts for one locale and one time zone (the club's)."""

    locale: Locale
    timezone: str = DEFAULT_TIMEZONE
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.locale not in LOCALES:
            raise ValueError(f"unknown locale {self.locale!r} (one of {', '.join(LOCALES)})")
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))

    # -- numbers ------------------------------------------------------------------------------

    def number(self, value: float, decimals: int = 1) -> str:
        """``1234.56`` → ``1 234,6`` / ``1,234.6``; no trailing zeros, never ``-0``."""
        mark, thousands, _ = _NUMBERS[self.locale]
        text = f"{value:,.{max(0, decimals)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text.lstrip("-") in ("0", ""):
            text = "0"
        return text.replace(",", "\x00").replace(".", mark).replace("\x00", thousands)

    def percent(self, fraction: float, decimals: int = 1) -> str:
        """A fraction as a percentage: ``0.862`` → ``86,2 %`` / ``86.2%``."""
        return _NUMBERS[self.locale][2].format(self.number(fraction * 100, decimals))

    # -- spans of time ------------------------------------------------------------------------

    def unit(self, unit: str) -> str:
        """The abbreviation of ``s``, ``m`` (minutes), ``h``, ``d`` or ``w``."""
        return _UNITS[self.locale][unit]

    def window(self, window: str) -> str:
        """An SLO or alert window, ``"30d"`` → ``30 j`` / ``30 d``; another form as is."""
        match = _WINDOW.match(window)
        if not match:
            return window
        return f"{match.group(1)} {self.unit(match.group(2))}"

    def duration(self, span: timedelta) -> str:
        """The two largest units: ``2 j 3 h``, ``1 h 12 min``, ``45 s``."""
        seconds = max(0, int(span.total_seconds()))
        parts: list[str] = []
        for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
            count, seconds = divmod(seconds, size)
            if count or (not parts and size == 1):
                parts.append(f"{count} {self.unit(unit)}")
            if len(parts) == 2:
                break
        return " ".join(parts)

    # -- moments, in the club's time zone -----------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("a moment to format must be timezone-aware")
        return moment.astimezone(self._zone)

    def time(self, moment: datetime) -> str:
        """``02:14`` (24-hour clock in both languages: unambiguous at 2 a.m.)."""
        return f"{self.local(moment):%H:%M}"

    def date(self, moment: datetime) -> str:
        """``lundi 7 décembre`` / ``Monday, December 7``."""
        local = self.local(moment)
        day, month = _WEEKDAYS[self.locale][local.weekday()], _MONTHS[self.locale][local.month - 1]
        if self.locale == "fr":
            return f"{day} {'1er' if local.day == 1 else local.day} {month}"
        return f"{day}, {month} {local.day}"

    def datetime(self, moment: datetime) -> str:
        """``lundi 7 décembre à 02:14`` / ``Monday, December 7 at 02:14``."""
        joint = "à" if self.locale == "fr" else "at"
        return f"{self.date(moment)} {joint} {self.time(moment)}"

    # -- words --------------------------------------------------------------------------------

    def of(self, name: str) -> str:
        """The word for "of" before a name: ``d'AlgoÉTS`` and ``de Cédille`` (elision before a
        vowel), ``of AlgoÉTS``."""
        if self.locale == "en":
            return f"of {name}"
        return f"d'{name}" if name[:1] in _VOWELS else f"de {name}"
