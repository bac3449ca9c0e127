"""Executing orders of official agents: a durable ReelForge run, owned by the agent's
account, with the order's brief as its prompt and its inputs; then delivery.

Once only. The order moves ``paid → in_progress`` by a compare-and-set, and only the
caller that moved it starts the run; the run's Idempotency-Key is the order id, so a
restart that starts it again gets the same run. Fifty executes at once therefore make one
run, one provider submission and one capture.

By itself. An order placed for an official agent is started at once, and a sweep (every
``sweep_seconds``, and when the process starts) picks up every order that is paid but not
started, started but without a run (a crash between the two), or whose run has ended
without the order being delivered. The run itself is advanced by the runner (embedded or
Dramatiq workers), so it survives restarts as every run does; this process only waits for
its end (``Runner.wait_run``, which watches the database) and records it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from reelforge.apps.market import delivery
from reelforge.apps.market.listing import get_agent, get_service
from reelforge.apps.market.orders import Orders, OrderStatus
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.collect import RunEnd
from reelforge.engine.pipeline import Node, NodeInput, Pipeline
from reelforge.engine.service import RunService
from reelforge.engine.states import RunStatus
from reelforge.jobs.runner import Runner
from reelforge.logs import get_logger
from reelforge.storage.market_tables import MarketAgentRow, MarketOrderRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.market.execution")

RESTART_AFTER = timedelta(seconds=30)  # in_progress with no run this long: the starter died
WAIT_SECONDS = 1800.0


def run_key(order_id: str) -> str:
    return f"market-order:{order_id}"


class Executor:
    def __init__(
        self,
        orders: Orders,
        runs: RunService,
        runner: Runner,
        *,
        sweep_seconds: float = 2.0,
    ) -> None:
        self.orders = orders
        self.db = orders.db
        self.artifacts = orders.artifacts
        self.runs = runs
        self.runner = runner
        self.sweep_seconds = sweep_seconds
        self._watching: set[str] = set()
        # service id -> catalog model: no API changes a service's provider fields, so the
        # order path reads them once per process.
        self._models: dict[str, str] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    # -- background --------------------------------------------------------------------
    def start(self) -> None:
        """Start the sweep in this event loop (idempotent)."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        tasks = [t for t in [self._sweeper, *self._background] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._sweeper = None

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def kick(self, order: MarketOrderRow, agent: MarketAgentRow) -> None:
        """Start a paid official order just placed, in the background (the sweep is the
        backstop). The rows in hand: nothing is read back before the claim."""
        self.spawn(self._quietly(self._begin(order, agent)))

    async def _begin(self, order: MarketOrderRow, agent: MarketAgentRow) -> None:
        if await self._claim(order.id):
            run_id = await self._start_run(order, agent)
            if run_id is not None:
                self._watch(order.id, run_id, agent)

    async def _quietly(self, work: Coroutine[Any, Any, Any]) -> None:
        try:
            await work
        except ReelForgeError as exc:
            log.info("market_execute_refused", code=str(exc.code))
        except Exception:
            log.exception("market_execute_crashed")

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("market_sweep_failed")
            await asyncio.sleep(self.sweep_seconds)

    async def sweep(self) -> int:
        """Advance every official order that is not where it should be; returns how many."""
        stale = utcnow() - RESTART_AFTER
        stmt = (
            select(MarketOrderRow.id, MarketOrderRow.run_id)
            .join(MarketAgentRow, MarketAgentRow.id == MarketOrderRow.agent_id)
            .where(
                MarketAgentRow.is_atelier_official == 1,
                or_(
                    MarketOrderRow.status == OrderStatus.PAID.value,
                    and_(
                        MarketOrderRow.status == OrderStatus.IN_PROGRESS.value,
                        or_(
                            MarketOrderRow.run_id.is_not(None),
                            MarketOrderRow.started_at < stale,
                        ),
                    ),
                ),
            )
            .limit(500)
        )
        async with self.db.session() as session:
            found = (await session.execute(stmt)).all()
        count = 0
        for order_id, run_id in found:
            if run_id is not None and run_id in self._watching:
                continue
            count += 1
            self.spawn(self._quietly(self.execute(order_id)))
        return count

    # -- execute -----------------------------------------------------------------------
    async def execute(self, order_id: str, *, buyer_id: str | None = None) -> MarketOrderRow:
        """Start the order's run if nobody has (then watch it to its end); answer with the
        order as it is. ``buyer_id``: the caller is the buyer (others get NOT_FOUND);
        None: an admin or the internal trigger."""
        order = await self.orders.get(order_id, buyer_id)
        status = OrderStatus(order.status)
        if status is OrderStatus.DELIVERED:
            return order  # done: executing again changes nothing
        if status not in (OrderStatus.PAID, OrderStatus.IN_PROGRESS):
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The order is {order.status}; only a paid order can be executed.",
                detail={"order_id": order_id, "status": order.status},
                remediation=("Place a new order (POST /api/atelier/orders).",),
            )
        agent = await get_agent(self.db, order.agent_id)
        if not agent.is_atelier_official or not agent.user_id:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"{agent.name} is not an Atelier Official agent: it delivers the order itself.",
                detail={"order_id": order_id, "agent_id": agent.id, "source": agent.source},
                remediation=("Wait for the agent's delivery (GET /api/atelier/orders/{id}).",),
            )
        if status is OrderStatus.PAID:
            if await self._claim(order_id):
                await self._start_run(order, agent)
        elif order.run_id is None:
            started = order.started_at
            if started is not None and started < utcnow() - RESTART_AFTER:
                await self._start_run(order, agent)  # the first starter died: same run key
        order = await self.orders.load(order_id)
        if order.run_id and order.status == OrderStatus.IN_PROGRESS.value:
            self._watch(order.id, order.run_id, agent)
        return order

    async def _claim(self, order_id: str) -> bool:
        async with self.db.write() as tx:
            session = await tx.session()
            moved = await session.execute(
                update(MarketOrderRow)
                .where(
                    MarketOrderRow.id == order_id,
                    MarketOrderRow.status == OrderStatus.PAID.value,
                )
                .values(
                    status=OrderStatus.IN_PROGRESS.value,
                    started_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
            return bool(getattr(moved, "rowcount", 0))

    def pipeline_for(self, order: MarketOrderRow, model_id: str) -> Pipeline:
        inputs = [
            NodeInput(artifact_id=i["agent_artifact_id"], slot=i.get("slot"))
            for i in order.inputs
            if i.get("agent_artifact_id")
        ]
        return Pipeline(
            nodes=[
                Node(
                    id="deliverable",
                    model=model_id,
                    prompt=order.brief,
                    inputs=inputs,
                    consent=bool(order.consent),
                )
            ]
        )

    async def _start_run(self, order: MarketOrderRow, agent: MarketAgentRow) -> str | None:
        """The order's run id (stored on the order), or None: refused, the order failed."""
        assert agent.user_id is not None
        model_id = self._models.get(order.service_id)
        if model_id is None:
            service = await get_service(self.db, order.service_id)
            model_id = self._models[order.service_id] = (
                f"{service.provider_key}/{service.provider_model}"
            )
        try:
            created = await self.runs.create_run(
                agent.user_id,
                self.pipeline_for(order, model_id),
                idempotency_key=run_key(order.id),
                launch=self.runner.launches,
            )
        except ReelForgeError as exc:
            # Refused before any provider call (offline engine, no funds on the agent's
            # account, a bad input): the buyer gets the reason and every cent back.
            await delivery.fail(self.db, order, self._refused(exc, agent))
            self.orders.ends.ended(order.id)
            return None
        async with self.db.write() as tx:
            session = await tx.session()
            await session.execute(
                update(MarketOrderRow)
                .where(MarketOrderRow.id == order.id, MarketOrderRow.run_id.is_(None))
                .values(run_id=created.run_id, updated_at=utcnow())
            )
        if created.ready:
            await self.runner.enqueue_created(created)
        return created.run_id

    @staticmethod
    def _refused(exc: ReelForgeError, agent: MarketAgentRow) -> dict[str, Any]:
        """The buyer's reason. The agent's account short of credits is not the buyer's
        INSUFFICIENT_FUNDS: live runs are held on the agent's float (``delivery.repay_agent``),
        which the operator keeps topped up."""
        error = exc.to_dict()
        if exc.code is ErrorCode.INSUFFICIENT_FUNDS:
            error = {
                "code": ErrorCode.PROVIDER_OUT_OF_CREDIT.value,
                "message": f"{agent.name} cannot start generations right now: its account's "
                "float is empty. You were refunded in full.",
                "remediation": [
                    "Try again later or pick another agent.",
                    f"Operator: top up the agent's account {agent.user_id} "
                    "(POST /v1/credits/topups); each order repays what its run cost.",
                ],
                "detail": {"agent_id": agent.id, "agent_user_id": agent.user_id},
            }
        return error

    def _watch(self, order_id: str, run_id: str, agent: MarketAgentRow) -> None:
        if run_id in self._watching:
            return
        self._watching.add(run_id)
        self.spawn(self._quietly(self._follow(order_id, run_id, agent)))

    async def _follow(self, order_id: str, run_id: str, agent: MarketAgentRow) -> None:
        try:
            ended = await self.runner.wait_run(run_id, WAIT_SECONDS)
            if ended:
                # The run as it ended here (no need to read it back), or True: read it.
                await self.finish(order_id, agent, ended if isinstance(ended, RunEnd) else None)
        finally:
            self._watching.discard(run_id)

    async def finish(
        self, order_id: str, agent: MarketAgentRow | None = None, end: RunEnd | None = None
    ) -> bool:
        """Record the end of the order's run (deliver or fail); False if not ended yet."""
        order = await self.orders.load(order_id)
        if order.run_id is None or order.status != OrderStatus.IN_PROGRESS.value:
            return False
        agent = agent or await get_agent(self.db, order.agent_id)
        assert agent.user_id is not None
        if end is not None and end.run.id == order.run_id:
            run, steps = end.run, end.steps
        else:
            run, steps = await self.runs.get_run(order.run_id, agent.user_id)
        if not RunStatus(run.status).terminal:
            return False
        if run.status == RunStatus.SUCCEEDED.value:
            sinks = {d for s in steps for d in s.depends_on}
            ids = [
                a
                for s in steps
                if s.status == "succeeded" and not s.implicit and s.node_id not in sinks
                for a in s.outputs
            ]
            rows = [await self.artifacts.get(a, owner_id=agent.user_id) for a in ids]
            media = await delivery.heads(self.artifacts, rows)
            done = await delivery.deliver(
                self.db,
                self.artifacts,
                order,
                media,
                caption=order.brief,
                provider_cost_micros=run.cost_micros,
                provider_list_micros=run.quote_micros,
            )
            self.orders.ends.ended(order_id)
            return done
        error = dict(run.error or next((s.error for s in steps if s.error), None) or {})
        error.setdefault("code", ErrorCode.PROVIDER_ERROR.value)
        error.setdefault("message", f"The generation {run.status}.")
        error.setdefault(
            "remediation",
            ["Your credits were refunded in full; place the order again or try another agent."],
        )
        error["run_id"] = run.id
        done = await delivery.fail(self.db, order, error)
        self.orders.ends.ended(order_id)
        return done
