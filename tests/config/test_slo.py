from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from vigie.config.slo import DEFAULT_MIN_EVENTS, CustomSli, LatencySli, SloFile


def slo_file(**slo: Any) -> SloFile:
    entry = {"name": "availability", "objective": 99.9, "sli": {"kind": "availability"}, **slo}
    return SloFile.model_validate({"app": "site-web", "club": "algoets", "slos": [entry]})


def test_minimal_file_gets_the_documented_defaults() -> None:
    f = slo_file()
    slo = f.slos[0]
    assert (f.version, f.environment) == (1, None)
    assert (slo.window, slo.window_seconds, slo.window_timedelta) == (
        "30d",
        30 * 86400,
        timedelta(days=30),
    )
    assert slo.min_events == DEFAULT_MIN_EVENTS
    assert (slo.alerts.page, slo.alerts.ticket) == (True, True)
    assert slo.routes is None


@pytest.mark.parametrize(("objective", "budget"), [(99.9, 0.001), (99, 0.01), (99.95, 0.0005)])
def test_error_budget_is_a_fraction(objective: float, budget: float) -> None:
    assert slo_file(objective=objective).slos[0].error_budget == budget


def test_latency_threshold_in_nanoseconds() -> None:
    sli = slo_file(sli={"kind": "latency", "threshold_ms": 2.5}).slos[0].sli
    assert isinstance(sli, LatencySli)
    assert sli.threshold_ns == 2_500_000


def test_custom_sli_keeps_its_sql() -> None:
    sli = slo_file(
        sli={"kind": "custom", "good": "countIf(ok)", "total": "count()", "source": "rollup"}
    )
    assert isinstance(sli.slos[0].sli, CustomSli)
    assert sli.slos[0].sli.good == "countIf(ok)"


@pytest.mark.parametrize(
    "change",
    [
        {"objective": 0},
        {"objective": 100},
        {"objective": "99.9"},
        {"window": "14d"},
        {"name": "Availability"},
        {"min_events": 0},
        {"sli": {"kind": "latency"}},
        {"sli": {"kind": "saturation"}},
        {"sli": {"kind": "custom", "good": "count(); x", "total": "count()", "source": "raw"}},
        {"routes": {"include": ["/a"], "exclude": ["/a"]}},
        {
            "sli": {"kind": "custom", "good": "count()", "total": "count()", "source": "raw"},
            "routes": {"include": ["/a"]},
        },
        {"colour": "red"},
    ],
)
def test_invalid_slos_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        slo_file(**change)


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValidationError):
        SloFile.model_validate({"version": 2, "app": "a", "club": "b", "slos": []})


def test_lookup_by_name() -> None:
    f = slo_file()
    assert f.slo("availability") is f.slos[0]
    with pytest.raises(KeyError):
        f.slo("latency")
