"""Creating, reading and canceling runs (what the API and CLI call)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.exc import IntegrityError

from reelforge.billing.budgets import budgets_of as budget_states
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.modes import MediaKind
from reelforge.engine import repo
from reelforge.engine.advance import Engine
from reelforge.engine.intake import NewRun, RunIntake
from reelforge.engine.launch import Fresh, Launch, lease_ready_steps
from reelforge.engine.payers import check_budgets
from reelforge.engine.payers import decide as decide_payers
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import ArtifactFacts, Plan, PlannedStep, plan_pipeline
from reelforge.engine.prices import assume_prices, owner_prices, unpriced_models
from reelforge.engine.reach import check_reach
from reelforge.engine.replays import find_replay, request_digest
from reelforge.engine.run_views import run_view
from reelforge.engine.states import RunStatus, StepStatus
from reelforge.logs import get_logger
from reelforge.providers.base import ProviderTask
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.engine.service")

_MARK_CANCELING = Prepared(
    update(repo.RUNS)
    .where(
        repo.RUNS.c.id == bindparam("_id"),
        repo.RUNS.c.status.in_([literal(RunStatus.QUEUED.value), literal(RunStatus.RUNNING.value)]),
    )
    .values(status=RunStatus.CANCELING.value)
)


@dataclass
class CreatedRun:
    run_id: str
    ready: list[str]  # step ids that can start now
    existing: bool = False  # an idempotent replay returned an earlier run
    # What was stored (run row, step rows), so the answer needs no read back.
    rows: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
    # Steps whose lease was stored with the run: submit them now (permits held).
    launches: dict[str, Launch] = field(default_factory=dict)

    def view(self) -> dict[str, Any] | None:
        if self.rows is None:
            return None
        run, steps = self.rows
        return run_view(repo.run_from(run), [repo.step_from(s) for s in steps])

    def fresh(self) -> dict[str, Fresh]:
        """The steps that can start now, with their run, as stored (for the first advance
        in this process, which then reads nothing back), and their launch if leased."""
        if self.rows is None:
            return {}
        run_values, steps = self.rows
        run = repo.run_from(run_values)
        ready = set(self.ready)
        return {
            s["id"]: Fresh(repo.step_from(s), run, self.launches.get(s["id"]))
            for s in steps
            if s["id"] in ready
        }


def step_idempotency_key(run_id: str, node_id: str) -> str:
    """Stable per step across retries and restarts; a UUID because some providers want one."""
    return str(
        uuid.UUID(bytes=hashlib.sha256(f"{run_id}/{node_id}".encode()).digest()[:16], version=4)
    )


class RunService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = engine.db
        self.intake = RunIntake(engine.db, engine.billing)
        # Called (in the background) for a run that a cancel finished: its webhook.
        self.on_finished: Callable[[str], Coroutine[Any, Any, None]] | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def plan(self, owner_id: str, pipeline: Pipeline) -> Plan:
        """Capability nodes routed to models first, then validated, translated and quoted."""
        concrete, routing = await self.engine.router.resolve(pipeline, owner_id)
        facts = await self._artifact_facts(owner_id, concrete)
        view = await self.engine.catalog.view_for(concrete)
        plan = plan_pipeline(
            concrete, view, facts, max_prompt_chars=self.engine.catalog.max_prompt_chars
        )
        plan.routing = routing
        await check_reach(plan, self.engine.hub, self.engine.media, owner_id)
        return plan

    async def billing_preview(self, owner_id: str, plan: Plan) -> dict[str, Any]:
        """For a quote: whose money would pay (engine.payers) and the budget it counts
        against ("own keys: budget $X of $Y used") or plan credits."""
        payers = await decide_payers(self.engine, owner_id, plan, set())
        async with self.db.session() as session:
            states = await budget_states(session, owner_id)
        return {
            **payers.view(),
            "nodes": payers.steps,
            "summary": states[0].describe() if payers.own_total else "plan credits",
        }

    async def _artifact_facts(self, owner_id: str, pipeline: Pipeline) -> dict[str, ArtifactFacts]:
        ids = {i.artifact_id for n in pipeline.nodes for i in n.inputs if i.artifact_id}
        if not ids:
            return {}
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(ArtifactRow.id, ArtifactRow.kind, ArtifactRow.sha256).where(
                        ArtifactRow.id.in_(ids), ArtifactRow.owner_id == owner_id
                    )
                )
            ).all()
        return {r[0]: ArtifactFacts(MediaKind(r[1]), r[2]) for r in rows}

    async def create_run(
        self,
        owner_id: str,
        pipeline: Pipeline,
        *,
        preset: str | None = None,
        idempotency_key: str | None = None,
        callback_url: str | None = None,
        launch: bool = False,
        record: dict[str, Any] | None = None,
    ) -> CreatedRun:
        """Validate, quote, hold and store a run in one transaction; nothing runs yet.

        Refused with INSUFFICIENT_FUNDS (before any provider is called) when the balance
        cannot cover the quote. ``launch``: the caller starts the run at once in this
        process (``Prefer: wait``), so the steps that can start take their lease in this
        same transaction (engine.launch) and are submitted without another commit.
        ``record``: what a preset run records (quality, inputs, consent_given, repair_of).
        """
        document = pipeline.model_dump(mode="json", by_alias=True)
        asked = request_digest(document, preset, callback_url)
        record = record or {}
        if idempotency_key:
            existing = await find_replay(self.db, owner_id, idempotency_key, asked)
            if existing is not None:
                return CreatedRun(existing, [], existing=True)
        if callback_url:  # the scheme and syntax are refused before any lookup or planning
            await self.engine.media.fetcher.check_url(callback_url)
        plan = await self.plan(owner_id, pipeline)
        # Sandbox steps are emulated: they are shown at list price but hold and cost nothing.
        # A step holds its dearest live option (whichever of them ends up serving).
        sandboxed, offline = await self._sandboxed_providers(owner_id, plan)
        # Unknown prices: the owner's price or the node's cap, else refused (engine.prices).
        prices = await owner_prices(self.db, unpriced_models(plan, sandboxed | offline))
        assumed = assume_prices(plan, pipeline, sandboxed, prices, offline=offline)
        # Whose money pays (engine.payers): own keys are checked against budgets (a hard
        # stop refuses now, before any provider call); lent keys are held from the plan.
        payers = await decide_payers(self.engine, owner_id, plan, sandboxed)
        await check_budgets(self.engine, owner_id, payers)
        hold_micros = payers.plan_hold
        run_id = new_id("run")
        now = utcnow()
        step_ids = {s.node_id: new_id("stp") for s in plan.steps}
        steps = [
            {
                "id": step_ids[s.node_id],
                "run_id": run_id,
                "owner_id": owner_id,
                "node_id": s.node_id,
                "position": index,
                # pending → quoted → held happen inside this transaction: the run is stored
                # only once its quote is held.
                "status": StepStatus.HELD.value,
                "version": 2,
                "model": s.entry.id,
                "mode": s.mode.value,
                "request": {
                    **s.request_doc(),
                    "routing": plan.routing.get(s.node_id),
                    "price_assumed": assumed.get(s.node_id),
                    "payers": payers.steps.get(s.node_id),
                    "budget_warnings": payers.budget_warnings,
                    # Only an opt-out is written: absent means signed (engine.collect).
                    **({} if pipeline.content_credentials else {"content_credentials": False}),
                },
                "depends_on": s.depends_on,
                "implicit": s.implicit,
                "quote_micros": s.quote_micros,
                "cache_key": s.cache_key,
                "idempotency_key": step_idempotency_key(run_id, s.node_id),
                "attempts": 0,
                "polls": 0,
                # Known now from who will serve it (resubmission records who did).
                "sandbox": s.entry.provider in sandboxed,
                "outputs": [],
                "route": None,
                "next_at": None,
                "created_at": now,
            }
            for index, s in enumerate(plan.steps)
        ]
        run_row = {
            "id": run_id,
            "owner_id": owner_id,
            "status": RunStatus.QUEUED.value,
            "pipeline": document,
            "preset": preset,
            "quote_micros": plan.total_micros,
            "price_unknown": plan.price_unknown,
            "hold_micros": hold_micros,
            "cost_micros": 0,
            "allow_cache": pipeline.allow_cache,
            "callback_url": callback_url,
            "idempotency_key": idempotency_key,
            "error": None,
            "created_at": now,
            "finished_at": None,
            "webhook_status": None,
            # Every run row carries these columns (a batch inserts rows of one shape).
            "quality": record.get("quality"),
            "inputs": record.get("inputs"),
            "consent_given": bool(record.get("consent_given")),
            "repair_of": record.get("repair_of"),
        }
        created_event = {
            "run_id": run_id,
            "step_id": None,
            "type": "run.created",
            "created_at": now,
            "data": {
                "quote_micros": plan.total_micros,
                "hold_micros": hold_micros,
                "sandbox_providers": sorted(sandboxed),
                "price_unknown": plan.price_unknown,
                "steps": len(steps),
                "warnings": plan.warnings + payers.budget_warnings,
                "billing": payers.view(),
                "routing": {node: {"chosen": d["chosen"]} for node, d in plan.routing.items()},
            },
        }
        events = [created_event]
        if payers.budget_warnings:
            events.append(
                {
                    **created_event,
                    "type": "budget.warning",
                    "data": {"warnings": payers.budget_warnings, **payers.view()},
                }
            )
        launches = await lease_ready_steps(self.engine, run_row, steps, events) if launch else {}
        new = NewRun(owner_id, run_row, steps, events, hold_micros=hold_micros)
        try:
            await self.intake.store(new)
        except asyncio.CancelledError:
            # The caller went away; the run may still be stored (the batch goes on): then
            # its leased steps, which nobody will hand over now, go back to held.
            if launches:
                self._spawn(self._unlaunch_once_stored(new, list(launches.values())))
            raise
        except BaseException as exc:
            for launched in launches.values():
                launched.permit.release()  # nothing was stored: nothing will be submitted
            if isinstance(exc, IntegrityError) and idempotency_key:
                existing = await find_replay(self.db, owner_id, idempotency_key, asked)
                if existing is not None:
                    return CreatedRun(existing, [], existing=True)
            raise
        ready = [step_ids[s.node_id] for s in plan.steps if not s.depends_on]
        return CreatedRun(run_id, ready, rows=(run_row, steps), launches=launches)

    async def _unlaunch_once_stored(self, new: NewRun, launches: list[Launch]) -> None:
        try:
            await new.done
        except Exception:
            for launched in launches:
                launched.permit.release()  # not stored
            return
        await self.engine.unlaunch(launches, "the request that started it went away")

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _sandboxed_providers(self, owner_id: str, plan: Plan) -> tuple[set[str], set[str]]:
        """(providers served by the sandbox, providers not connected). A step none of whose
        options is connected is refused now (ENGINE_OFFLINE naming the fix); a fallback that
        is not connected is skipped when it is reached."""
        from reelforge.providers.hub import Connection

        hub = self.engine.hub
        options = {
            step.node_id: [step.entry.provider]
            + [a.model.split("/", 1)[0] for a in step.alternatives]
            for step in plan.steps
        }
        # One credential query for every provider any option of the run may use.
        states = await hub.connections({p for names in options.values() for p in names}, owner_id)
        for step in plan.steps:
            if all(states[name] is Connection.OFFLINE for name in options[step.node_id]):
                await hub.resolve(step.entry.provider, owner_id)  # raises ENGINE_OFFLINE
        return (
            {name for name, state in states.items() if state is Connection.SANDBOX},
            {name for name, state in states.items() if state is Connection.OFFLINE},
        )

    async def get_run(self, run_id: str, owner_id: str) -> tuple[RunRow, list[StepRow]]:
        async with self.db.read() as sql:
            run = await repo.get_run(sql, run_id)
            if run is None or run.owner_id != owner_id:
                raise ReelForgeError(
                    ErrorCode.NOT_FOUND, f"No run {run_id!r}.", detail={"run_id": run_id}
                )
            return run, await repo.run_steps(sql, run_id)

    async def cancel_run(self, run_id: str, owner_id: str) -> list[str]:
        """Stop pending steps, cancel provider tasks in flight, release what is unspent.

        Returns the steps still finishing (collecting), for the runner to advance.
        """
        run, steps = await self.get_run(run_id, owner_id)
        self.engine.forget([s.id for s in steps])
        if RunStatus(run.status).terminal:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The run has already {_ENDED[run.status]}: there is nothing to cancel.",
                detail={"status": run.status},
                remediation=("Start it again (POST /v1/runs) if you want a new result.",),
            )
        async with self.db.write() as tx:
            await tx.execute(_MARK_CANCELING, {"_id": run_id})
            await self.engine.events.emit(tx, run_id, "run.canceling", {})
        to_stop: list[StepRow] = []
        for step in steps:
            status = StepStatus(step.status)
            if status in (
                StepStatus.PENDING,
                StepStatus.QUOTED,
                StepStatus.HELD,
                StepStatus.SUBMITTING,
            ):
                await self.engine.finisher.cancel_step(step)
            elif status is StepStatus.SUBMITTED:
                to_stop.append(step)
        for step in to_stop:
            await self.engine.finisher.cancel_step(step)
            if step.task:
                await self._cancel_at_provider(step)
        async with self.db.write() as tx:
            remaining = await repo.run_steps(tx, run_id)
            finished = await self.engine.finisher._settle_run(tx, run_id, remaining)
        self.engine.events.notify(run_id, final=finished is not None, ended=finished)
        if finished and self.on_finished is not None:
            self._spawn(self.on_finished(run_id))
        return [s.id for s in remaining if s.status == StepStatus.COLLECTING.value]

    async def _cancel_at_provider(self, step: StepRow) -> None:
        task = ProviderTask.model_validate(step.task)
        try:
            resolved = await self.engine.hub.resolve(task.provider, step.owner_id)
            if resolved.provider.supports_cancel:
                await resolved.provider.cancel(task, resolved.credential)
        except ReelForgeError as exc:
            log.warning("provider_cancel_failed", step_id=step.id, code=str(exc.code))

    async def list_runs(
        self, owner_id: str, *, limit: int = 50, before: str | None = None
    ) -> list[RunRow]:
        async with self.db.session() as session:
            stmt = select(RunRow).where(RunRow.owner_id == owner_id)
            if before:
                stmt = stmt.where(RunRow.id < before)
            stmt = stmt.order_by(RunRow.id.desc()).limit(limit)
            return list((await session.execute(stmt)).scalars())


_ENDED = {"succeeded": "succeeded", "failed": "failed", "canceled": "been canceled"}


def _step_hold(step: PlannedStep, sandboxed: set[str]) -> int:
    """A step's dearest live option (what a plan-paid step holds; engine.payers)."""
    options = [(step.entry.provider, step.own_quote_micros)] + [
        (a.model.split("/", 1)[0], a.quote_micros) for a in step.alternatives
    ]
    live = [q or 0 for provider, q in options if provider not in sandboxed]
    return max(live) if live else 0
