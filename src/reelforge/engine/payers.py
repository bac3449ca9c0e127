"""Whose money pays for each step of a run, decided before it is stored.

Per live option of each step, the credential that would serve it decides
(``billing.own_keys.payer_for``): the user's own key (stored, or the owner's environment
keys) is ``own``: not held from plan credits, checked against the user's budgets and
recorded as own-key spend when it finishes; a key the operator lends (environment keys
used by a member) is ``plan``: held and captured from plan credits. The choice is stored
with the step (``request.payers``, by provider), so the capture follows whichever option
really served it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelforge.billing.own_keys import FREE, OWN, PLAN, payer_for, summary

if TYPE_CHECKING:
    from reelforge.engine.advance import Engine
    from reelforge.engine.plan import Plan, PlannedStep


@dataclass
class Payers:
    steps: dict[str, dict[str, str]] = field(default_factory=dict)  # node → provider → payer
    plan_hold: int = 0  # held from plan credits
    own_by_provider: dict[str, int] = field(default_factory=dict)  # quoted on own keys
    own_total: int = 0
    budget_warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return summary({f"{n}/{p}": v for n, by in self.steps.items() for p, v in by.items()})

    def view(self) -> dict[str, Any]:
        return {
            "payer": self.summary,
            "plan_hold_micros": self.plan_hold,
            "own_keys_micros": self.own_total,
            "own_keys_by_provider": dict(self.own_by_provider),
            "budget_warnings": list(self.budget_warnings),
        }


def _options(step: PlannedStep) -> list[tuple[str, int]]:
    return [(step.entry.provider, step.own_quote_micros or 0)] + [
        (a.model.split("/", 1)[0], a.quote_micros or 0) for a in step.alternatives
    ]


async def decide(engine: Engine, owner_id: str, plan: Plan, sandboxed: set[str]) -> Payers:
    """Who pays for every option, and what is held from plan credits (each step's dearest
    plan-paid option) or quoted on own keys (each step's dearest own option)."""
    names = {p for step in plan.steps for p, _q in _options(step)}
    sources = await engine.hub.sources(names, owner_id)
    async with engine.db.session() as session:
        role = await engine.billing.role_of(session, owner_id)
    payers = Payers()
    for step in plan.steps:
        by_provider: dict[str, str] = {}
        plan_max = own_max = 0
        for provider, quote in _options(step):
            source = "sandbox" if provider in sandboxed else sources.get(provider, "offline")
            payer = payer_for(role, source)
            by_provider[provider] = payer
            if payer == PLAN:
                plan_max = max(plan_max, quote)
            elif payer == OWN:
                own_max = max(own_max, quote)
                payers.own_by_provider[provider] = payers.own_by_provider.get(provider, 0) + quote
        payers.steps[step.node_id] = by_provider
        payers.plan_hold += plan_max
        payers.own_total += own_max
    return payers


async def check_budgets(engine: Engine, owner_id: str, payers: Payers) -> None:
    """BUDGET_EXCEEDED before anything is stored or submitted; soft warnings noted."""
    if payers.own_total <= 0:
        return
    async with engine.db.session() as session:
        payers.budget_warnings = await engine.billing.check_budget(
            session,
            owner_id=owner_id,
            own_by_provider=payers.own_by_provider,
            own_total=payers.own_total,
        )


def payer_of(request: dict[str, Any] | None, provider: str) -> str:
    """Who pays for the option of ``provider`` (steps stored before this: plan)."""
    return str(((request or {}).get("payers") or {}).get(provider, PLAN))


__all__ = ["FREE", "OWN", "PLAN", "Payers", "check_budgets", "decide", "payer_of"]
