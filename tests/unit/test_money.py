from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.domain.money import MoneyParseError, format_usd, parse_usd


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("0.096", 96_000),
        ("$0.096", 96_000),
        ("1", 1_000_000),
        ("1.5", 1_500_000),
        (" 2.25 ", 2_250_000),
        ("0", 0),
        ("0.0000005", 1),  # half-up at the micro
        ("1,000.10", 1_000_100_000),
        (3, 3_000_000),
        (Decimal("0.35"), 350_000),
    ],
)
def test_parse(text: str, micros: int) -> None:
    assert parse_usd(text) == micros


@pytest.mark.parametrize("bad", ["", "abc", "-1", "NaN", "inf", "1e", 0.5, True, None])
def test_parse_rejects(bad: object) -> None:
    with pytest.raises(MoneyParseError):
        parse_usd(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (96_000, "$0.096"),
        (0, "$0"),
        (None, "$0"),
        (1_000_000, "$1"),
        (1_500_000, "$1.5"),
        (1_234_567, "$1.235"),
        (400, "<$0.001"),
        (-250_000, "-$0.25"),
    ],
)
def test_format(micros: int | None, text: str) -> None:
    assert format_usd(micros) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_round_trip_at_three_decimals(micros: int) -> None:
    rounded = (micros + 500) // 1000 * 1000
    shown = format_usd(rounded)
    if rounded:
        assert parse_usd(shown) == rounded
    else:
        assert shown in ("$0",)
