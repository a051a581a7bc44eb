"""The gate's answer, as plain data: from a canary judgement or the app's SLO states, and an
override if one is active. Argo Rollouts reads ``verdict`` (``ok`` / ``fail`` /
``inconclusive``); ``ok`` stays for templates written against the first gate (``null`` when
inconclusive, so that ``result.ok == true`` and ``result.ok == false`` both stay false).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from vigie.gate.overrides import Override
from vigie.slo.canary import Judgement, Verdict
from vigie.slo.evaluator import SloStatus


def whole_app(statuses: Sequence[SloStatus]) -> tuple[Verdict, str, list[dict[str, str]]]:
    """Without a canary version: ``fail`` while an SLO of the app pages or its budget is gone.

    Only a canary comparison can tell a fix from the cause, so here an exhausted budget still
    blocks; an override (or a canary analysis) lets the fix through.
    """
    blocking = [{"slo": s.target.name, "state": s.decision.state, "reason": why}
                for s in statuses if (why := _why_blocking(s))]
    if blocking:
        return "fail", "; ".join(f"{b['slo']}: {b['reason']}" for b in blocking), blocking
    return "ok", "no SLO of the app pages and every error budget is left", []


def _why_blocking(status: SloStatus) -> str:
    if status.decision.state == "page":
        return "pages"
    remaining = status.decision.budget_remaining
    if remaining is not None and remaining <= 0:
        return f"error budget exhausted ({remaining:.1%} left)"
    return ""


def canary_details(judgement: Judgement, canary: str, stable: str | None,
                   window_minutes: int) -> dict[str, Any]:
    return {
        "mode": "canary",
        "canary": canary,
        "stable": stable,
        "window_minutes": window_minutes,
        "slos": [
            {"slo": f.slo, "failed": f.failed, "detail": f.reason,
             "p_worse_than_stable": f.worse_than_stable_p,
             "p_worse_than_objective": f.worse_than_objective_p}
            for f in judgement.findings
        ],
    }


def answer(at: datetime, verdict: Verdict, reason: str, details: dict[str, Any],
           override: Override | None) -> dict[str, Any]:
    """The JSON body; an active override turns any verdict into ``ok`` and says so."""
    body: dict[str, Any] = {"at": at.isoformat(), "analysis": {"verdict": verdict, **details}}
    if override is not None:
        verdict = "ok"
        reason = f"override {override.id} until {override.ends_at.isoformat()} ({reason})"
    body.update({
        "verdict": verdict,
        "ok": None if verdict == "inconclusive" else verdict == "ok",
        "reason": reason,
        "override": None if override is None else
        {"id": override.id, "ends_at": override.ends_at.isoformat()},
    })
    return body


def public(body: dict[str, Any]) -> dict[str, Any]:
    """What the gate tells a caller without the club's token (Argo): the verdict and which
    SLOs decided it, no counts, no reasons in words, no person."""
    analysis = body["analysis"]
    failed = [s["slo"] for s in analysis.get("slos", []) if isinstance(s, dict) and s["failed"]]
    failed += [b["slo"] for b in analysis.get("blocking", [])]
    override = body["override"]
    return {
        "at": body["at"], "verdict": body["verdict"], "ok": body["ok"], "failed_slos": failed,
        "override": None if override is None else {"ends_at": override["ends_at"]},
    }
