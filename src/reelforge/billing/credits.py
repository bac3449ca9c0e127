"""Credits: a configured unit over micro-USD (default 1 credit = 10,000 micros = $0.01).

The ledger only ever stores micro-USD; credits exist for people. Conversions are exact
(Decimal), and an amount of credits that is not a whole number of micros is refused
rather than rounded, so a top-up is never silently worth a little more or less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import Micros, format_usd

DEFAULT_CREDIT_MICROS = 10_000


@dataclass(frozen=True, slots=True)
class CreditUnit:
    micros_per_credit: int = DEFAULT_CREDIT_MICROS
    display: str = "credits"  # "credits" | "usd"

    def __post_init__(self) -> None:
        if self.micros_per_credit < 1:
            raise ValueError("a credit must be worth at least one micro-USD")
        if self.display not in ("credits", "usd"):
            raise ValueError(f"unknown credit display {self.display!r}")

    def to_credits(self, micros: Micros) -> Decimal:
        return Decimal(micros) / Decimal(self.micros_per_credit)

    def credits_text(self, micros: Micros) -> str:
        """``96000`` → ``"9.6"`` at the default unit: no exponent, no trailing zeros.

        Exact whenever the quotient has a finite decimal form (always for units made of
        2s and 5s: 10,000, 1,000,000, 250 ...); otherwise (1 credit = 3 micros) rounded
        half-up to 6 decimals. Display only: the ledger never stores credits.
        """
        credits = self.to_credits(micros)
        denominator = self.micros_per_credit // math.gcd(micros, self.micros_per_credit)
        for factor in (2, 5):
            while denominator % factor == 0:
                denominator //= factor
        if denominator != 1:
            credits = credits.quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP)
        text = format(credits, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text or "0"

    def from_credits(self, credits: int | Decimal | str) -> Micros:
        if isinstance(credits, bool | float):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR, "Credits must be an integer or a decimal string."
            )
        micros = Decimal(credits) * self.micros_per_credit
        if micros != micros.to_integral_value():
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"{credits} credits is not a whole number of micro-USD.",
                detail={"micros_per_credit": self.micros_per_credit},
            )
        return int(micros)

    def format(self, micros: Micros) -> str:
        """The amount as people see it, by the display setting: ``9.6 credits`` or ``$0.096``."""
        if self.display == "usd":
            return format_usd(micros, max_decimals=6)
        text = self.credits_text(micros)
        return f"{text} credit" if text in ("1", "-1") else f"{text} credits"
