"""The multiwindow, multi-burn-rate alert pairs and how their thresholds scale with the period.

The SRE Workbook's pairs are written for a 30-day period as budget shares: a page when 2% of the
period's budget burns in an hour (confirmed over 5 minutes), or 5% in 6 hours (30 minutes); a
ticket when 10% burns in a day (2 hours) or in 3 days (6 hours). Like Sloth
(``internal/alert/window.go``, ``getBurnRateFactor``), the windows stay the same for every
period and the burn-rate threshold is re-derived from the budget share:

    factor = budget_share * period / long_window

which gives the familiar 14.4, 6, 3 and 1 for 30 days, and 13.44, 5.6, 2.8 and 0.93 for 28 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Severity = Literal["page", "ticket"]

WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}
"""Every alert window, shortest first; keys are the labels used in reports and the API."""


@dataclass(frozen=True)
class AlertPair:
    """Fires when both windows burn at least ``factor(period)`` times the sustainable rate."""

    severity: Severity
    long: str
    short: str
    budget_share: float

    @property
    def name(self) -> str:
        return f"{self.severity} {self.long}/{self.short}"

    def factor(self, period: timedelta) -> float:
        return self.budget_share * (period / WINDOWS[self.long])


PAIRS: tuple[AlertPair, ...] = (
    AlertPair("page", "1h", "5m", 0.02),
    AlertPair("page", "6h", "30m", 0.05),
    AlertPair("ticket", "1d", "2h", 0.10),
    AlertPair("ticket", "3d", "6h", 0.10),
)

PRESENCE_WINDOW = "1h"
"""An SLO with no event at all in this window (the fast page pair's long one) is ``no_data``."""
