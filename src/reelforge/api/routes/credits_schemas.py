"""Request and response models of ``/v1/credits``.

Every amount goes out as micro-USD (the truth), credits (exact decimal string) and a
``$`` string, plus ``display`` in the unit the settings choose. Amounts coming in are
either ``amount_micros`` or ``amount_credits`` (whole credits), exactly one of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from reelforge.api.schemas import RequestModel, ResponseModel, not_a_bool
from reelforge.billing import CreditUnit, Plan, WalletState
from reelforge.domain.money import format_usd
from reelforge.storage.ledger_tables import HoldRow


class AmountOut(ResponseModel):
    micros: int = Field(description="Micro-USD (1 USD = 1,000,000).")
    credits: str = Field(description="The same amount in credits, exact (decimal string).")
    usd: str = Field(description="Formatted dollars, e.g. `$0.096`.")
    display: str = Field(description="As the settings say to show it (credits or dollars).")


def amount_out(unit: CreditUnit, micros: int) -> AmountOut:
    return AmountOut(
        micros=micros,
        credits=unit.credits_text(micros),
        usd=format_usd(micros, max_decimals=6),
        display=unit.format(micros),
    )


class UnitOut(ResponseModel):
    micros_per_credit: int
    display: str


class PlanOut(ResponseModel):
    id: str
    name: str
    monthly_allocation: AmountOut
    rate_limit_multiplier: float
    max_workspaces: int
    is_default: bool


def plan_out(unit: CreditUnit, plan: Plan) -> PlanOut:
    return PlanOut(
        id=plan.id,
        name=plan.name,
        monthly_allocation=amount_out(unit, plan.monthly_allocation_micros),
        rate_limit_multiplier=plan.rate_limit_multiplier,
        max_workspaces=plan.max_workspaces,
        is_default=plan.is_default,
    )


class HoldOut(ResponseModel):
    run_id: str
    status: str
    held: AmountOut
    remaining: AmountOut
    captured: AmountOut
    created_at: datetime


class CreditsOut(ResponseModel):
    user_id: str
    plan: PlanOut
    period_start: datetime
    period_end: datetime
    balance: AmountOut = Field(description="Spendable now: allocation left + top-up.")
    allocation: AmountOut = Field(description="What is left of this period's plan credits.")
    topup: AmountOut = Field(description="Top-up credits (they do not expire).")
    held: AmountOut = Field(description="Reserved by runs in flight.")
    holds: list[HoldOut]
    unit: UnitOut
    own_keys: dict[str, Any] | None = Field(
        default=None,
        description="Spend on your own provider keys this month and its budgets: "
        "these runs never use plan credits (billing.own_keys).",
    )


def credits_out(unit: CreditUnit, state: WalletState, holds: list[HoldRow]) -> CreditsOut:
    return CreditsOut(
        user_id=state.owner_id,
        plan=plan_out(unit, state.plan),
        period_start=state.period_start,
        period_end=state.period_end,
        balance=amount_out(unit, state.available_micros),
        allocation=amount_out(unit, state.allocation_micros),
        topup=amount_out(unit, state.topup_micros),
        held=amount_out(unit, state.held_micros),
        holds=[
            HoldOut(
                run_id=h.run_id,
                status=h.status,
                held=amount_out(unit, h.held_micros),
                remaining=amount_out(unit, h.alloc_remaining_micros + h.topup_remaining_micros),
                captured=amount_out(unit, h.captured_micros),
                created_at=h.created_at,
            )
            for h in holds
        ],
        unit=UnitOut(micros_per_credit=unit.micros_per_credit, display=unit.display),
    )


class EntryOut(ResponseModel):
    id: int
    transaction_id: str
    kind: str = Field(description="hold, capture, release, topup, adjustment, period_reset ...")
    account: str = Field(description="allocation, topup or hold")
    amount: AmountOut
    balance_after: AmountOut | None
    run_id: str | None
    step_id: str | None
    reason: str | None
    actor_id: str | None
    source: str | None
    created_at: datetime


class LedgerPage(ResponseModel):
    entries: list[EntryOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next (older) page.")


class _AmountIn(RequestModel):
    amount_micros: int | None = Field(default=None, description="Micro-USD (1 USD = 1,000,000).")
    amount_credits: int | None = Field(default=None, description="Whole credits.")

    _numbers = field_validator("amount_micros", "amount_credits", mode="before")(not_a_bool)

    @model_validator(mode="after")
    def _exactly_one(self) -> _AmountIn:
        if (self.amount_micros is None) == (self.amount_credits is None):
            raise ValueError("give exactly one of amount_micros or amount_credits")
        if (self.amount_micros or self.amount_credits) == 0:
            raise ValueError("the amount must not be zero")
        return self

    def micros(self, unit: CreditUnit) -> int:
        if self.amount_micros is not None:
            return self.amount_micros
        assert self.amount_credits is not None
        return unit.from_credits(self.amount_credits)


def _exactly_one_amount(amount: dict[str, Any]) -> ConfigDict:
    """The schema of _AmountIn's rule: exactly one of the two amounts, as ``amount``."""
    return ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": [name],
                    "properties": {name: {"type": "integer", **amount}, other: {"type": "null"}},
                }
                for name, other in (
                    ("amount_micros", "amount_credits"),
                    ("amount_credits", "amount_micros"),
                )
            ]
        },
    )


class TopupIn(_AmountIn):
    model_config = _exactly_one_amount({"minimum": 1})  # positive

    user_id: str
    reason: str = Field(min_length=1, max_length=2000)
    idempotency_key: str = Field(min_length=1, max_length=150)

    @model_validator(mode="after")
    def _positive(self) -> TopupIn:
        if (self.amount_micros or 0) < 0 or (self.amount_credits or 0) < 0:
            raise ValueError("a top-up amount must be positive")
        return self


class AdjustmentIn(_AmountIn):
    """A signed correction: positive adds credits, negative takes them back."""

    model_config = _exactly_one_amount({"not": {"const": 0}})  # not zero

    user_id: str
    account: Literal["topup", "allocation"] = "topup"
    reason: str = Field(min_length=1, max_length=2000)
    idempotency_key: str = Field(min_length=1, max_length=150)


class PlanChangeIn(RequestModel):
    user_id: str
    plan_id: str
    reason: str = Field(min_length=1, max_length=2000)
    idempotency_key: str = Field(min_length=1, max_length=150)


class TransactionOut(ResponseModel):
    id: str
    kind: str
    idempotency_key: str
    user_id: str | None
    amount: AmountOut
    reason: str | None
    actor_id: str | None
    source: str | None
    created_at: datetime
    replayed: bool = Field(description="True when the key was seen before: nothing changed.")
    wallet: CreditsOut


class VerifyOut(ResponseModel):
    ok: bool
    transactions: int
    accounts: int
    total_micros: int
    unbalanced_transactions: list[dict[str, object]]
    balance_mismatches: list[dict[str, object]]
    negative_accounts: list[dict[str, object]]
    hold_mismatches: list[dict[str, object]]
