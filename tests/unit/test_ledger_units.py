"""Credits over micro-USD, plans files and the monthly period arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.billing import CreditUnit, load_plans
from reelforge.billing.plans import add_months, period_containing
from reelforge.domain.errors import ErrorCode, ReelForgeError


def test_credit_unit_default_is_one_cent() -> None:
    unit = CreditUnit()
    assert unit.from_credits(250) == 2_500_000
    assert unit.credits_text(96_000) == "9.6"
    assert unit.credits_text(0) == "0"
    assert unit.format(96_000) == "9.6 credits"
    assert unit.format(10_000) == "1 credit"
    assert CreditUnit(10_000, "usd").format(96_000) == "$0.096"
    assert CreditUnit(1_000_000, "credits").format(2_500_000) == "2.5 credits"


def test_credit_amounts_that_are_not_whole_micros_are_refused() -> None:
    unit = CreditUnit(3)
    assert unit.from_credits(Decimal("2")) == 6
    with pytest.raises(ReelForgeError) as exc:
        CreditUnit(10_000).from_credits(Decimal("0.00001"))
    assert exc.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError):
        unit.from_credits(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CreditUnit(0)
    with pytest.raises(ValueError):
        CreditUnit(10, "euros")


@given(
    micros=st.integers(-(10**12), 10**12),
    per=st.sampled_from([1, 2, 5, 10, 125, 250, 10_000, 1_000_000, 2**10 * 5**6]),
)
def test_credit_text_is_exact_for_decimal_units(micros: int, per: int) -> None:
    assert Decimal(CreditUnit(per).credits_text(micros)) * per == micros


@given(micros=st.integers(-(10**12), 10**12), per=st.integers(1, 10**7))
def test_credit_text_is_within_a_millionth_for_any_unit(micros: int, per: int) -> None:
    shown = Decimal(CreditUnit(per).credits_text(micros))
    assert abs(shown - Decimal(micros) / per) <= Decimal("0.0000005")


def test_builtin_plans() -> None:
    plans = {p.id: p for p in load_plans()}
    assert list(plans) == ["free", "pro", "studio"]
    assert plans["free"].monthly_allocation_micros == 1_000_000
    assert plans["studio"].rate_limit_multiplier > plans["pro"].rate_limit_multiplier > 1
    assert plans["pro"].max_workspaces < plans["studio"].max_workspaces


def test_a_bad_plans_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "plans.json"
    bad.write_text('{"plans": [{"id": "x", "name": "X", "monthly_allocation_usd": "-1"}]}')
    with pytest.raises(ReelForgeError) as exc:
        load_plans(bad)
    assert exc.value.code is ErrorCode.VALIDATION_ERROR and str(bad) in exc.value.message


def test_months_clamp_to_the_last_day_and_count_from_the_anchor() -> None:
    jan31 = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert add_months(jan31, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert add_months(jan31, 2) == datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert add_months(jan31, 13) == datetime(2027, 2, 28, 12, tzinfo=UTC)
    assert add_months(datetime(2027, 12, 29, tzinfo=UTC), 2) == datetime(2028, 2, 29, tzinfo=UTC)
    start, end = period_containing(jan31, datetime(2026, 3, 30, tzinfo=UTC))
    assert (start, end) == (add_months(jan31, 1), add_months(jan31, 2))


@given(
    anchor=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    days=st.integers(0, 2000),
    seconds=st.integers(0, 86_399),
)
def test_the_period_always_contains_now(anchor: datetime, days: int, seconds: int) -> None:
    from datetime import timedelta

    now = anchor + timedelta(days=days, seconds=seconds)
    start, end = period_containing(anchor, now)
    assert start <= now < end
    assert end == add_months(
        anchor, round((end.year - anchor.year) * 12 + end.month - anchor.month)
    )
