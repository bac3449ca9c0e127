"""How a run is shown: its steps, the route each took, whose money paid, the planner's
warnings (the API's, the CLI's and the OpenAI surface's run bodies are all this one)."""

from __future__ import annotations

from typing import Any

from reelforge.billing.own_keys import summary as payer_summary
from reelforge.engine.prices import price_assumed
from reelforge.engine.routing import RouteState
from reelforge.storage.run_tables import RunRow, StepRow


def route_view(step: StepRow) -> dict[str, Any] | None:
    """Which model served the step, why it was not the node's own, and every attempt."""
    if not step.route and not (step.request or {}).get("alternatives"):
        return None
    route = RouteState.load(step.route)
    reason = route.fallback_reason()
    return {
        "option": route.option,
        "options": [step.model, *list((step.request or {}).get("fallbacks") or [])],
        "served_by": step.served_by,
        "fell_back": bool(step.served_by and step.served_by not in (step.model, "cache")),
        "reason": reason.get("reason") if reason else None,
        "attempts": route.history,
        "routing": (step.request or {}).get("routing"),
    }


def step_warnings(step: StepRow) -> list[str]:
    """What the planner adapted or ignored for the step, stored with its request."""
    return list((step.request or {}).get("warnings") or [])


def run_billing_view(steps: list[StepRow]) -> dict[str, Any]:
    """Whose money paid for the run (own keys or plan credits) and its budget warnings."""
    served = {
        f"{s.node_id}/{p}": payer
        for s in steps
        for p, payer in ((s.request or {}).get("payers") or {}).items()
        if p == (s.provider or s.model.split("/", 1)[0])
    }
    warnings: list[str] = next(
        (w for s in steps if (w := (s.request or {}).get("budget_warnings"))), []
    )
    return {"payer": payer_summary(served), "budget_warnings": list(warnings)}


def run_view(run: RunRow, steps: list[StepRow]) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "preset": run.preset,
        "quality": run.quality,
        "inputs": run.inputs,
        "consent_given": bool(run.consent_given),
        "repair_of": run.repair_of,
        "quote_micros": run.quote_micros,
        "price_unknown": run.price_unknown,
        "hold_micros": run.hold_micros,
        "cost_micros": run.cost_micros,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "sandbox": any(s.sandbox for s in steps),
        "billing": run_billing_view(steps),
        # Planner warnings ("<node>: ... ignores incoming media ..."), as at creation.
        "warnings": [f"{s.node_id}: {w}" for s in steps for w in step_warnings(s)],
        "steps": [
            {
                "id": s.id,
                "node_id": s.node_id,
                "model": s.model,
                "served_by": s.served_by,
                "mode": s.mode,
                "status": s.status,
                "progress": s.progress,
                "implicit": s.implicit,
                "provider": s.provider,
                "task_id": s.task_id,
                "sandbox": s.sandbox,
                "attempts": s.attempts,
                "quote_micros": s.quote_micros,
                "cost_micros": s.cost_micros,
                "outputs": s.outputs,
                "error": s.error,
                "depends_on": s.depends_on,
                "warnings": step_warnings(s),
                "route": route_view(s),
                "price_assumed": price_assumed(s),
            }
            for s in steps
        ],
    }
