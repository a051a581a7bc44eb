"""SLO read API.

* ``GET /api/v1/slos`` (``club``, ``app``, ``state`` filters): the latest evaluation of every SLO;
* ``GET /api/v1/slos/{club}/{app}/{slo}`` (``from``, ``to``, ``step``, ``environment``): one SLO
  with its SLI time series (at most :data:`vigie.slo.series.MAX_POINTS` points);

The Argo Rollouts gate is :mod:`vigie.api.gate`.

The evaluator (a :class:`vigie.slo.Evaluator` holding the store, the SLO targets and the clock)
is a typed dependency. Evaluations older than the evaluator's ``max_age`` are refreshed on
request. The SLO routes need a token and show a captain only their club (another club's SLO
answers 404 like an unknown one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from vigie.api.auth import PrincipalDep, scope_club, visible
from vigie.api.deps import EvaluatorDep
from vigie.api.params import Moment, Name
from vigie.slo.decision import STATES
from vigie.slo.evaluator import Evaluation, Evaluator, SloStatus
from vigie.slo.series import choose_step, sli_series

router = APIRouter(prefix="/api/v1", tags=["slos"])

DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=90)
MAX_STEP_S = int(MAX_RANGE.total_seconds())


def _current(evaluator: Evaluator) -> Evaluation:
    return evaluator.fresh()


def _summary(evaluation: Evaluation) -> dict[str, Any]:
    return {"at": evaluation.at.isoformat()}


@router.get("/slos")
def list_slos(
    principal: PrincipalDep,
    evaluator: EvaluatorDep,
    club: Name | None = None,
    app: Name | None = None,
    state: Annotated[
        str | None, Query(pattern=f"^({'|'.join(STATES)})$", description="decision state")
    ] = None,
) -> dict[str, Any]:
    club = scope_club(principal, club)
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
    principal: PrincipalDep,
    evaluator: EvaluatorDep,
    club: Name,
    app: Name,
    slo: Name,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Moment | None = None,
    step: Annotated[int | None, Query(ge=1, le=MAX_STEP_S, description="seconds per point")] = None,
    environment: Name | None = None,
) -> dict[str, Any]:
    if not visible(principal, club):
        raise HTTPException(404, f"no SLO {club}/{app}/{slo}")
    status = _find(_current(evaluator), club, app, slo, environment)
    end = to if to is not None else evaluator.clock()
    start = from_ if from_ is not None else end - DEFAULT_RANGE
    if not start < end or end - start > MAX_RANGE:
        raise HTTPException(422, f"from, to: need from < to, at most {MAX_RANGE.days} days apart")
    step_s = choose_step(start, end, step)
    points = sli_series(evaluator.store, status.target, start, end, step_s)
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
