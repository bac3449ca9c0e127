"""The end of a step: outputs fetched into the artifact store (provider URLs expire), the
cost captured, children woken; or an identical earlier step's artifact reused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.drift import observe
from reelforge.engine.payers import OWN, payer_of
from reelforge.engine.routing import RouteState, step_options
from reelforge.engine.states import StepStatus
from reelforge.providers.base import ProviderTask, TaskStatus, TaskUpdate
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.tables import utcnow

if TYPE_CHECKING:
    from reelforge.engine.events import EventBus
    from reelforge.engine.media_io import MediaIO
    from reelforge.engine.ports import RunBilling
    from reelforge.engine.runs import RunFinisher
    from reelforge.providers.hub import ProviderHub
    from reelforge.storage.db import Database
    from reelforge.storage.group_commit import GroupCommit
    from reelforge.storage.sql import Tx


@dataclass
class RunEnd:
    """A run as it ended: its row and its steps, as committed (nothing changes them after)."""

    run: RunRow
    steps: list[StepRow]


@dataclass
class Advance:
    """What the runner should do next."""

    next_at: float | None = None  # advance this step again at this time (epoch seconds)
    wake: list[str] = field(default_factory=list)  # other steps that may now proceed
    run_finished: str | None = None  # a run that just reached a terminal status
    ended: RunEnd | None = None  # that run as it ended (for whoever waits on it here)

    @classmethod
    def settled(cls, end: RunEnd | None, wake: list[str] | None = None) -> Advance:
        return cls(wake=wake or [], run_finished=end.run.id if end else None, ended=end)


def _parents(step: StepRow, parents: list[StepRow]) -> list[str]:
    """The artifacts the step was made from: upstream outputs, then its direct inputs
    (uploads given as node inputs), each once."""
    upstream = [a for p in parents for a in p.outputs[:1]]
    direct = [
        str(i["artifact_id"])
        for i in (step.request or {}).get("inputs", [])
        if i.get("artifact_id") and not i.get("from_node")
    ]
    return list(dict.fromkeys([*upstream, *direct]))


def _source_urls(step: StepRow) -> list[str]:
    """URLs given as node inputs (without their query strings, which may carry tokens)."""
    return [
        str(i["url"]).split("?", 1)[0]
        for i in (step.request or {}).get("inputs", [])
        if i.get("url") and not i.get("artifact_id") and not i.get("from_node")
    ]


class LostRace(ReelForgeError):
    def __init__(self) -> None:
        super().__init__(ErrorCode.CONFLICT, "the step moved on elsewhere")


class Collecting:
    """Mixed into Engine: collection and cache reuse."""

    db: Database
    hub: ProviderHub
    media: MediaIO
    billing: RunBilling
    events: EventBus
    finisher: RunFinisher
    writes: GroupCommit

    async def _collect_again(self, step: StepRow) -> Advance:
        """After a crash during collection: ask the provider again for fresh output URLs."""
        task = ProviderTask.model_validate(step.task)
        resolved = await self.hub.resolve(task.provider, step.owner_id)
        update = await resolved.provider.poll(task, resolved.credential)
        if update.status is not TaskStatus.SUCCEEDED:
            update.raise_for_error()
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The provider no longer reports the finished task.",
                detail={"task_id": task.task_id},
            )
        return await self._store_outputs(step, task, update, resolved.sandbox)

    async def _store_outputs(
        self,
        step: StepRow,
        task: ProviderTask,
        update: TaskUpdate,
        sandbox: bool,
        *,
        polls: int = 0,
    ) -> Advance:
        """(Submitted →) collecting → succeeded. The outputs are fetched first and the moves
        are committed with them: a crash while fetching leaves the step submitted, and the
        next advance polls the (finished) task again for its outputs."""
        if not update.outputs:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The provider reported success but returned no output.",
                detail={"task_id": task.task_id},
            )
        parents: list[StepRow] = []
        if step.depends_on:
            async with self.db.read() as sql:
                parents = [
                    s
                    for s in await repo.run_steps(sql, step.run_id)
                    if s.node_id in step.depends_on
                ]
        route = RouteState.load(step.route)
        options = step_options(step.model, step.request, step.quote_micros)
        option = options[min(route.option, len(options) - 1)]
        reported = None if sandbox else update.cost_micros
        own_key = not sandbox and payer_of(step.request, task.provider) == OWN
        if sandbox:
            cost = 0  # emulated work is free
        elif own_key:
            # The provider bills the user's own key directly: record what it really cost
            # (no plan cap applies to money that is not ours to hold).
            cost = reported if reported is not None else option.quote_micros
        else:
            # What the provider says it charged, else the serving model's own quote (the
            # step's quote is its dearest option, held to cover any of them).
            cost = update.cost_micros if update.cost_micros is not None else option.quote_micros
            assumed = ((step.request or {}).get("price_assumed") or {}).get(option.model) or {}
            if assumed.get("cap"):
                cost = min(cost, int(assumed["micros"]))  # a cap is charged at most
        served_by = step.served_by or step.model
        provenance = {
            "model": served_by,
            "provider": task.provider,
            "provider_model": task.model,
            "task_id": task.task_id,
            "mode": step.mode,
            "prompt": step.request.get("prompt"),
            "params": option.params if option.params is not None else step.request.get("params"),
            "seed": step.request.get("seed"),
            "parents": _parents(step, parents),
            "run_id": step.run_id,
            "step_id": step.id,
            "cost_micros": cost,
            "submitted_at": step.submitted_at.isoformat() if step.submitted_at else None,
            "sandbox": sandbox,
        }
        if served_by != step.model:
            provenance["fallback_from"] = step.model
        if urls := _source_urls(step):
            provenance["source_urls"] = urls
        claim = (
            await self.media.artifacts.claim(
                provenance, owner_id=step.owner_id, title=f"{step.node_id} ({served_by})"
            )
            if (step.request or {}).get("content_credentials", True)
            else None  # the run asked for unsigned files
        )
        fetched = [
            await self.media.fetch_output(o, provider=task.provider, claim=claim)
            for o in update.outputs
        ]

        async def store(tx: Tx) -> Advance:
            rows = []
            for index, (output, blob) in enumerate(zip(update.outputs, fetched, strict=True)):
                rows.append(
                    await self.media.record_output(
                        tx,
                        output,
                        blob,
                        owner_id=step.owner_id,
                        provider=task.provider,
                        name=f"{step.node_id}-{index}",
                        provenance={**provenance, "finished_at": utcnow().isoformat()},
                        sandbox=sandbox,
                    )
                )
            # From submitted, collecting is passed through in this same statement (the
            # outputs are stored already); a lost race rolls the artifact rows back.
            submitted = step.status == StepStatus.SUBMITTED.value
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus.SUBMITTED if submitted else StepStatus.COLLECTING,
                StepStatus.SUCCEEDED,
                via=StepStatus.COLLECTING if submitted else None,
                add_polls=polls,
                outputs=[r.id for r in rows],
                cost_micros=cost,
                finished_at=utcnow(),
                next_at=None,
                progress=1.0,
            )
            if not moved:
                raise LostRace()
            session = await tx.session()
            if own_key:
                await self.billing.own_spend(
                    session,
                    owner_id=step.owner_id,
                    run_id=step.run_id,
                    step_id=step.id,
                    provider=task.provider,
                    model=option.model,
                    amount_micros=cost,
                )
                captured = 0  # plan credits are not touched
            else:
                captured = (
                    await self.billing.capture(
                        session,
                        owner_id=step.owner_id,
                        run_id=step.run_id,
                        step_id=step.id,
                        amount_micros=cost,
                    )
                    if cost > 0
                    else 0
                )
            if reported is not None:
                await observe(session, step, option.model, task.provider, reported, cost)
            await self.events.emit(
                tx,
                step.run_id,
                "step.succeeded",
                {
                    "node": step.node_id,
                    "outputs": [r.id for r in rows],
                    "cost_micros": captured,
                    "served_by": served_by,
                },
                step.id,
            )
            # The run's bookkeeping in the same transaction: children to wake, or the run
            # settled when this was its last step.
            after: Advance = await self.finisher.after_step_in(tx, step)
            return after

        result = await self.writes.run(store)
        self.events.notify(step.run_id)
        return result

    async def _from_cache(self, step: StepRow) -> Advance | None:
        async with self.db.write() as tx:
            hit = await repo.find_cached(tx, step.owner_id, step.cache_key or "")
            if hit is None:
                return None
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus.HELD,
                StepStatus.SUCCEEDED,
                outputs=list(hit.outputs),
                cost_micros=0,
                served_by="cache",
                sandbox=hit.sandbox,
                finished_at=utcnow(),
                progress=1.0,
                next_at=None,
            )
            if not moved:
                return Advance()
            await self.events.emit(
                tx,
                step.run_id,
                "step.succeeded",
                {
                    "node": step.node_id,
                    "outputs": hit.outputs,
                    "cost_micros": 0,
                    "cached_from": hit.id,
                },
                step.id,
            )
        self.events.notify(step.run_id)
        result: Advance = await self.finisher.after_step(step)
        return result
