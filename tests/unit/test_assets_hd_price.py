"""HD is never paid twice: an image served on the user's own key takes no HD credit (the
provider bills them), one on a lent key only the rest of a credit after what the run
captured, an emulated one a whole credit."""

from __future__ import annotations

from reelforge.apps.assets.hd_credits import HD_CREDIT_MICROS
from reelforge.apps.assets.settle import hd_price
from reelforge.storage.run_tables import StepRow


def _step(payer: str, cost: int | None, sandbox: bool = False) -> StepRow:
    return StepRow(
        model="fal/flux-pro",
        provider="fal",
        request={"payers": {"fal": payer}},
        cost_micros=cost,
        sandbox=sandbox,
    )


def test_own_key_lent_key_and_sandbox() -> None:
    assert hd_price(_step("own", 55_000)) == 0
    assert hd_price(_step("plan", 25_000)) == HD_CREDIT_MICROS - 25_000
    assert hd_price(_step("plan", 90_000)) == 0  # the capture already exceeds a credit
    assert hd_price(_step("plan", None)) == HD_CREDIT_MICROS
    assert hd_price(_step("free", 0, sandbox=True)) == HD_CREDIT_MICROS
    # Older steps without a payer record were plan-paid.
    legacy = _step("plan", 10_000)
    legacy.request = {}
    assert hd_price(legacy) == HD_CREDIT_MICROS - 10_000
