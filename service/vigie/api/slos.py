"""SLO read API.

* ``GET /api/v1/slos`` (``club``, ``app``, ``state`` filters): the latest evaluation of every SLO;
* ``GET /api/v1/slos/{club}/{app}/{slo}`` (``from``, ``to``, ``step``, ``environment``): one SLO
  with its SLI time series (at most :data:`vigie.slo.series.MAX_POINTS` points);

The Argo Rollouts gate is :mod:`vigie.api.gate`.

Dependencies come from ``request.app.state``: ``evaluator`` (a :class:`vigie.slo.Evaluator`
holding the store, the SLO targets and the clock). Evaluations older than the evaluator's
``max_age`` are refreshed on request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from vigie.api.state import running
from vigie.errors import StoreError
from vigie.slo.decision import STATES
from vigie.slo.evaluator import Evaluation, Evaluator, SloStatus
from vigie.slo.series import choose_step, sli_series

router = APIRouter(prefix="/api/v1", tags=["slos"])

DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=90)


def get_evaluator(request: Request) -> Evaluator:
    return running(request, "evaluator", Evaluator, "SLO evaluator")


EvaluatorDep = Annotated[Evaluator, Depends(get_evaluator)]


def _current(evaluator: Evaluator) -> Evaluation:
    try:
        return evaluator.fresh()
    except StoreError as exc:
        raise HTTPException(503, f"cannot evaluate SLOs: {exc}") from None


def _summary(evaluation: Evaluation) -> dict[str, Any]:
    return {"at": evaluation.at.isoformat()}


@router.get("/slos")
def list_slos(
    evaluator: EvaluatorDep,
    club: str | None = None,
    app: str | None = None,
    state: Annotated[str | None, Query(description=f"one of {', '.join(STATES)}")] = None,
) -> dict[str, Any]:
    if state is not None and state not in STATES:
        raise HTTPException(422, f"state must be one of {', '.join(STATES)}")
    evaluation = _current(evaluator)
    slos = [
        s.as_dict()
        for s in evaluation.statuses
        if (club is None or s.target.club == club)
        and (app is None or s.target.app == app)
        and (state is None or s.decision.state == state)
    ]
    return {**_summary(evaluation), "slos": slos}


@router.get("/slos/{club}/{app}/{slo}")
def get_slo(
    evaluator: EvaluatorDep,
    club: str,
    app: str,
    slo: str,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    step: Annotated[int | None, Query(ge=1, description="seconds per point")] = None,
    environment: str | None = None,
) -> dict[str, Any]:
    status = _find(_current(evaluator), club, app, slo, environment)
    end = _utc(to) if to is not None else evaluator.clock()
    start = _utc(from_) if from_ is not None else end - DEFAULT_RANGE
    if not start < end or end - start > MAX_RANGE:
        raise HTTPException(422, f"need from < to, at most {MAX_RANGE.days} days apart")
    step_s = choose_step(start, end, step)
    try:
        points = sli_series(evaluator.store, status.target, start, end, step_s)
    except StoreError as exc:
        raise HTTPException(503, f"cannot read the SLI series: {exc}") from None
    return {
        **status.as_dict(),
        "series": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "step": step_s,
            "points": [p.as_dict() for p in points],
        },
    }


def _find(
    evaluation: Evaluation, club: str, app: str, slo: str, environment: str | None
) -> SloStatus:
    found = [
        s
        for s in evaluation.statuses
        if s.target.club == club
        and s.target.app == app
        and s.target.name == slo
        and (environment is None or (s.target.environment or "") == environment)
    ]
    if not found:
        raise HTTPException(404, f"no SLO {club}/{app}/{slo}")
    return found[0]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
