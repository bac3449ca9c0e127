"""Property tests: any sequence of holds, captures, releases, top-ups, splits, failure
charges, replays and month ends keeps the ledger balanced, never negative, with finished
runs' holds at zero; and the user's balances follow a simple reference model."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reelforge import billing
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Role
from reelforge.storage import identity
from reelforge.storage.db import Database
from reelforge.storage.schema import metadata
from tests.ledger_helpers import FREE_ALLOCATION, T0

RUN = st.integers(0, 2)
AMOUNT = st.integers(0, 1_500_000)
OPS = st.one_of(
    st.tuples(st.just("topup"), st.integers(1, 2_000_000)),
    st.tuples(st.just("hold"), RUN, AMOUNT),
    st.tuples(st.just("capture"), RUN, AMOUNT),
    st.tuples(st.just("release"), RUN),
    st.tuples(st.just("partial"), RUN, AMOUNT),
    st.tuples(st.just("fail"), RUN, st.integers(0, 300_000), st.booleans()),
    st.tuples(
        st.just("split"),
        st.integers(1, 1_000_000),
        st.lists(st.integers(0, 100), min_size=1, max_size=4).filter(lambda w: sum(w) > 0),
    ),
    st.tuples(st.just("replay")),
    st.tuples(st.just("advance"), st.integers(5, 45)),
)


@dataclass
class ModelHold:
    alloc: int
    topup: int
    active: bool
    period: Any


@dataclass
class Model:
    """What the user's balances must be, computed the obvious way."""

    alloc: int = FREE_ALLOCATION
    topup: int = 0
    holds: dict[str, ModelHold] = field(default_factory=dict)


async def _scenario(ops: list[tuple[Any, ...]], url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with db.transaction() as s:
            user = (await identity.create_user(s, "p", Role.MEMBER)).id
        now = T0
        async with db.transaction() as s:
            period = (await billing.ensure_period(s, user, now)).period_start
        model = Model()
        replayable: list[tuple[str, Any]] = []

        for n, op in enumerate(ops):
            kind = op[0]
            expected: ErrorCode | None = None
            run = (
                f"run_{op[1]}" if kind in ("hold", "capture", "release", "partial", "fail") else ""
            )
            hold = model.holds.get(run)
            try:
                async with db.transaction() as s:
                    if kind == "topup":
                        await billing.credit_topup(s, user, op[1], idempotency_key=f"t{n}", now=now)
                        replayable.append(("topup", (op[1], f"t{n}")))
                        model.topup += op[1]
                    elif kind == "hold":
                        amount = op[2]
                        if hold is not None and hold.active:
                            expected = ErrorCode.CONFLICT
                        elif model.alloc + model.topup < amount:
                            expected = ErrorCode.INSUFFICIENT_FUNDS
                        await billing.place_hold(s, user, run, amount, f"h{n}", now=now)
                        replayable.append(("hold", (run, amount, f"h{n}")))
                        from_alloc = min(amount, model.alloc)
                        model.alloc -= from_alloc
                        model.topup -= amount - from_alloc
                        model.holds[run] = ModelHold(from_alloc, amount - from_alloc, True, period)
                    elif kind in ("capture", "fail"):
                        amount = op[2]
                        billed = kind == "capture" or op[3]
                        if billed and hold is None and amount > 0:
                            expected = ErrorCode.CONFLICT
                        if kind == "capture":
                            charge = await billing.capture(s, run, f"s{n}", amount, now=now)
                        else:
                            charge = await billing.record_provider_failure_charge(
                                s, run, f"s{n}", amount, bill_user=op[3], now=now
                            )
                        charged = 0
                        if billed and hold is not None and hold.active:
                            charged = min(amount, hold.alloc + hold.topup)
                            from_alloc = min(charged, hold.alloc)
                            hold.alloc -= from_alloc
                            hold.topup -= charged - from_alloc
                        assert charge.charged_micros == charged
                        assert charge.charged_micros + charge.absorbed_micros == amount
                    elif kind in ("release", "partial"):
                        if kind == "release":
                            result = await billing.release(s, run, now=now)
                            amount = None
                        else:
                            amount = op[2]
                            result = await billing.release(
                                s, run, amount_micros=amount, idempotency_key=f"p{n}", now=now
                            )
                        assert (result is None) == (hold is None)
                        if hold is not None and hold.active:
                            back = hold.alloc + hold.topup if amount is None else amount
                            back = min(back, hold.alloc + hold.topup)
                            to_topup = min(back, hold.topup)
                            hold.topup -= to_topup
                            hold.alloc -= back - to_topup
                            model.topup += to_topup
                            if hold.period == period:
                                model.alloc += back - to_topup
                            hold.active = amount is not None
                    elif kind == "split":
                        total, weights = op[1], op[2]
                        if model.topup < total:
                            expected = ErrorCode.INSUFFICIENT_FUNDS
                        shares = [(f"payee{i}", w) for i, w in enumerate(weights)]
                        split = await billing.split_payment(
                            s,
                            total_micros=total,
                            shares=shares,
                            idempotency_key=f"x{n}",
                            payer_owner_id=user,
                            now=now,
                        )
                        assert sum(split.parts.values()) == total
                        replayable.append(("split", (total, shares, f"x{n}")))
                        model.topup -= total
                    elif kind == "replay" and replayable:
                        what, args = replayable[n % len(replayable)]
                        if what == "topup":
                            posted = await billing.credit_topup(
                                s, user, args[0], idempotency_key=args[1], now=now
                            )
                            assert posted.replayed
                        elif what == "hold":
                            held = await billing.place_hold(s, user, *args, now=now)
                            assert held.replayed
                        else:
                            out = await billing.split_payment(
                                s,
                                total_micros=args[0],
                                shares=args[1],
                                idempotency_key=args[2],
                                payer_owner_id=user,
                                now=now,
                            )
                            assert out.transaction.replayed
                    elif kind == "advance":
                        now = now + timedelta(days=op[1])
                        state = await billing.ensure_period(s, user, now)
                        if state.period_start != period:
                            period = state.period_start
                            model.alloc = FREE_ALLOCATION
                assert expected is None, f"op {n} {op}: expected {expected}"
            except ReelForgeError as exc:
                assert exc.code is expected, f"op {n} {op}: {exc} (expected {expected})"

            async with db.session() as s:
                state = await billing.wallet_state(s, user)
                report = await billing.verify_balances(s)
                rows = {r: await billing.get_hold(s, r) for r in model.holds}
            assert report.ok, (n, op, report)
            assert (state.allocation_micros, state.topup_micros) == (model.alloc, model.topup), (
                n,
                op,
            )
            assert state.held_micros == sum(h.alloc + h.topup for h in model.holds.values())
            for r, h in model.holds.items():
                row = rows[r]
                assert row is not None
                assert row.status == ("active" if h.active else "released")
                assert row.alloc_remaining_micros + row.topup_remaining_micros == h.alloc + h.topup
                if not h.active:
                    assert h.alloc + h.topup == 0  # a finished run holds nothing
    finally:
        await db.dispose()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=st.lists(OPS, min_size=1, max_size=20))
# Always tried, whatever the random draw: a capture above the hold, allocation held
# across a month end, a replayed hold after its run finished, a split nobody can pay.
@example(ops=[("hold", 0, 500_000), ("capture", 0, 600_000), ("release", 0)])
@example(
    ops=[
        ("topup", 300_000),
        ("hold", 0, 1_200_000),
        ("capture", 0, 100_000),
        ("advance", 40),
        ("release", 0),
        ("hold", 1, 1_000_000),
    ]
)
@example(ops=[("hold", 1, 10), ("release", 1), ("replay",), ("hold", 1, 20), ("split", 5, [1])])
def test_any_sequence_keeps_the_ledger_sound(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_scenario(ops, f"sqlite+aiosqlite:///{Path(tmp) / 'p.db'}"))
