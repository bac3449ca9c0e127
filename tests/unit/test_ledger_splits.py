"""split_amount: integer parts that always sum to the whole, by the largest remainder."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.billing import split_amount


def test_tip_80_19_1() -> None:
    assert split_amount(250_000, [80, 19, 1]) == [200_000, 47_500, 2_500]
    # 1 micro left over: the largest remainder (0.8 of the creator's share) takes it.
    assert split_amount(250_001, [80, 19, 1]) == [200_001, 47_500, 2_500]
    assert split_amount(99, [80, 19, 1]) == [79, 19, 1]


def test_ties_go_to_the_share_listed_first() -> None:
    assert split_amount(10, [1, 1, 1]) == [4, 3, 3]
    assert split_amount(11, [1, 1, 1]) == [4, 4, 3]
    assert split_amount(1, [5, 5]) == [1, 0]


def test_zero_shares_and_zero_totals() -> None:
    assert split_amount(7, [0, 3, 0]) == [0, 7, 0]
    assert split_amount(0, [80, 19, 1]) == [0, 0, 0]


@pytest.mark.parametrize(
    ("total", "shares"),
    [(-1, [1]), (10, []), (10, [0, 0]), (10, [1, -1]), (10, [True]), (1.5, [1])],
)
def test_bad_input_is_refused(total: object, shares: list[object]) -> None:
    with pytest.raises(ValueError):
        split_amount(total, shares)  # type: ignore[arg-type]


@given(
    total=st.integers(0, 10**12),
    shares=st.lists(st.integers(0, 10_000), min_size=1, max_size=8).filter(lambda s: sum(s) > 0),
)
def test_parts_sum_to_the_whole_and_stay_within_one_micro(total: int, shares: list[int]) -> None:
    parts = split_amount(total, shares)
    assert sum(parts) == total
    weight = sum(shares)
    for part, share in zip(parts, shares, strict=True):
        exact = Fraction(total * share, weight)
        assert exact - 1 < part < exact + 1
        assert part >= 0
        if share == 0:
            assert part == 0
