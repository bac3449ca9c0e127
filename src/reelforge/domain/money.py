"""Money as integer micro-USD. Decimal only at the edges (parse and format)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICRO_PER_USD = 1_000_000

Micros = int
"""An amount of money in micro-USD (1 USD = 1,000,000)."""


class MoneyParseError(ValueError):
    """A price string that is not a plain non-negative decimal number of dollars."""


def parse_usd(value: str | int | Decimal) -> Micros:
    """Parse dollars (``"0.096"``, ``"$1.5"``, ``2``) into micro-USD, exactly.

    Floats are refused on purpose: they cannot carry a price exactly.
    Sub-micro fractions are rounded half-up (prices never have them in practice).
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyParseError(f"refusing {type(value).__name__} for money: {value!r}")
    if isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, Decimal):
        dec = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.startswith("$"):
            text = text[1:].strip()
        if not text:
            raise MoneyParseError("empty price")
        try:
            dec = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyParseError(f"not a number: {value!r}") from exc
    else:
        raise MoneyParseError(f"unsupported price type: {type(value).__name__}")
    if not dec.is_finite():
        raise MoneyParseError(f"not a finite number: {value!r}")
    if dec < 0:
        raise MoneyParseError(f"negative price: {value!r}")
    return int((dec * MICRO_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_usd(micros: Micros | None, max_decimals: int = 3) -> str:
    """Format micro-USD as dollars: ``96000`` → ``$0.096``, ``0``/``None`` → ``$0``.

    Up to ``max_decimals`` decimals, trailing zeros dropped, rounded half-up.
    A non-zero amount too small to show reads ``<$0.001`` rather than ``$0``.
    """
    if not micros:
        return "$0"
    sign = "-" if micros < 0 else ""
    dec = Decimal(abs(micros)) / MICRO_PER_USD
    quantum = Decimal(1).scaleb(-max_decimals)
    shown = dec.quantize(quantum, rounding=ROUND_HALF_UP)
    if shown == 0:
        return f"{sign}<${quantum}"
    text = format(shown, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}${text}"
