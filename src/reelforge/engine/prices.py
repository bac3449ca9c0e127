"""Which price each step is held and charged at, when the catalog does not know one.

A run is held for its quote before anything runs, so a live model with no published price
needs a price from somewhere, or it would run with no hold and record a cost of zero:

- ``owner_price``: the owner (or an admin) set one for the model (``PUT
  /v1/models/{id}/price``): a ``price`` (held; charged unless the provider reports the real
  cost) or a ``cap`` (held; charged at most that);
- ``max_micros_cap``: the node's own ``max_micros`` (held; charged at most that);
- otherwise the run is refused (PRICE_UNKNOWN naming both ways), whoever asks.

A known catalog price is ``catalog``; a node whose known price is above its
``max_micros`` is refused too. Options served by the sandbox cost nothing (``sandbox``);
an unpriced fallback that is not connected needs no price (``not_connected``: it is
skipped when reached).
What was assumed is stored with the step (``request.price_assumed``, by model) and shown
in the run view.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import Plan, PlannedStep
from reelforge.storage.db import Database
from reelforge.storage.price_tables import ModelPriceRow
from reelforge.storage.run_tables import StepRow


@dataclass(frozen=True)
class OwnerPrice:
    kind: str  # "price" | "cap"
    micros: int


async def owner_prices(db: Database, models: set[str]) -> dict[str, OwnerPrice]:
    if not models:
        return {}
    async with db.session() as session:
        rows = (
            await session.execute(select(ModelPriceRow).where(ModelPriceRow.model_id.in_(models)))
        ).scalars()
        return {r.model_id: OwnerPrice(r.kind, int(r.micros)) for r in rows}


def unpriced_models(plan: Plan, sandboxed: set[str]) -> set[str]:
    """The live options of the plan whose catalog price is unknown."""
    return {
        model
        for step in plan.steps
        for model, micros in _options(step)
        if micros is None and model.split("/", 1)[0] not in sandboxed
    }


def _options(step: PlannedStep) -> list[tuple[str, int | None]]:
    return [(step.entry.id, step.own_quote_micros)] + [
        (a.model, a.quote_micros) for a in step.alternatives
    ]


def assume_prices(
    plan: Plan,
    pipeline: Pipeline,
    sandboxed: set[str],
    prices: Mapping[str, OwnerPrice],
    *,
    offline: Set[str] = frozenset(),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Give every live option a price (see the module docstring), update the plan's quotes
    to them, and return what was assumed: ``{node_id: {model: {source, micros, cap}}}``.
    Raises PRICE_UNKNOWN (or VALIDATION_ERROR for a price above the cap) naming each node."""
    caps = {n.id: n.max_micros for n in pipeline.nodes}
    problems: list[dict[str, Any]] = []
    assumed: dict[str, dict[str, dict[str, Any]]] = {}
    for step in plan.steps:
        if step.implicit:
            continue
        cap = caps.get(step.node_id)
        chosen: dict[str, dict[str, Any]] = {}
        for index, (model, micros) in enumerate(_options(step)):
            provider = model.split("/", 1)[0]
            if provider in sandboxed:
                chosen[model] = _assumed("sandbox", 0, cap=False)
                continue
            if provider in offline and micros is None and model not in prices:
                # Not connected: skipped when reached. Should it be connected meanwhile,
                # it is still charged at most this (nothing): unheld work is never billed.
                chosen[model] = _assumed("not_connected", 0, cap=True)
                continue
            if micros is not None:
                if cap is not None and micros > cap:
                    problems.append(
                        _problem(
                            ErrorCode.VALIDATION_ERROR,
                            step.node_id,
                            model,
                            f"{model} costs {format_usd(micros)}, above the node's max_micros "
                            f"({format_usd(cap)})",
                        )
                    )
                chosen[model] = _assumed("catalog", micros, cap=False)
                continue
            owner = prices.get(model)
            found: dict[str, Any]
            if owner is not None:
                found = _assumed("owner_price", owner.micros, cap=owner.kind == "cap")
                if cap is not None and owner.micros > cap:
                    found = _assumed("max_micros_cap", cap, cap=True)
            elif cap is not None:
                found = _assumed("max_micros_cap", cap, cap=True)
            else:
                problems.append(
                    _problem(
                        ErrorCode.PRICE_UNKNOWN,
                        step.node_id,
                        model,
                        f"{model} has no known price: give the node max_micros, or have the "
                        "owner set a price for the model",
                    )
                )
                continue
            chosen[model] = found
            _set_price(step, index, found["micros"])
        assumed[step.node_id] = chosen
        step.quote_micros = max((m or 0) for _model, m in _options(step))
    if problems:
        codes = {p["code"] for p in problems}
        code = ErrorCode(codes.pop()) if len(codes) == 1 else ErrorCode.VALIDATION_ERROR
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ReelForgeError(
            code,
            f"node {first['node']!r}: {first['message']}{more}.",
            detail={"problems": problems, "models": sorted({p["model"] for p in problems})},
        )
    plan.total_micros = sum(s.quote_micros for s in plan.steps)
    return assumed


_NOTES = {
    "catalog": "the catalog's published price",
    "sandbox": "served by the sandbox: emulated, free",
    "not_connected": "not connected: skipped when reached",
    "owner_price": "no published price: the price the owner set for the model",
    "owner_cap": "no published price: the per-run cap the owner set (charged at most)",
    "max_micros_cap": "no published price (or above the cap): the node's max_micros, "
    "held and charged at most",
}


def _assumed(source: str, micros: int, *, cap: bool) -> dict[str, Any]:
    note = _NOTES["owner_cap" if source == "owner_price" and cap else source]
    return {"source": source, "micros": micros, "cap": cap, "note": note}


def _set_price(step: PlannedStep, index: int, micros: int) -> None:
    if index == 0:
        step.own_quote_micros = micros
    else:
        step.alternatives[index - 1].quote_micros = micros


def _problem(code: ErrorCode, node: str, model: str, message: str) -> dict[str, Any]:
    return {
        "code": code.value,
        "node": node,
        "model": model,
        "field": "max_micros",
        "message": message,
    }


def price_assumed(step: StepRow) -> dict[str, Any] | None:
    """The price this step is held and charged at, and why (engine.prices)."""
    by_model = (step.request or {}).get("price_assumed") or {}
    model = step.served_by if step.served_by in by_model else step.model
    found = by_model.get(model)
    return {"model": model, **found} if found else None
