"""A held step about to be submitted (``Launch``), or left to wait (``Wait``).

``Engine._prepare`` makes one from a held step: its option chosen (engine.attempts) and
the provider's permit (providers.limits) held. A launch is submitted once its lease (held
→ submitting, with the events that tell it) is committed: by the step's own transaction,
or, for a run that is stored and started at once (``Prefer: wait``), by the transaction
that stores the run, so that one commit fewer stands between a request and the provider.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ReelForgeError
from reelforge.engine import repo
from reelforge.engine.collect import Advance
from reelforge.engine.routing import Option, RouteState
from reelforge.engine.states import RunStatus, StepStatus
from reelforge.providers.hub import ResolvedProvider
from reelforge.providers.limits import Permit
from reelforge.storage.run_tables import RunRow, StepRow

if TYPE_CHECKING:
    from reelforge.engine.advance import Engine
    from reelforge.engine.events import EventBus
    from reelforge.storage.db import Database

SUBMIT_LEASE_SECONDS = 90.0  # longer than a submit call's HTTP timeout
# A lease of a step whose provider cannot take the same request twice lasts this long
# until its request is sent (``sent_at`` marked, the lease then runs SUBMIT_LEASE_SECONDS
# from there): a step leased and never sent is taken back this soon after a crash.
# Longer than STALE_LAUNCH_SECONDS, so a live process gives a waiting launch up first.
UNSENT_LEASE_SECONDS = 45.0
MAX_FRESH = 100_000  # steps handed over and not yet advanced (a bound, not a limit)
# A launch older than this is not submitted on its lease: far inside the lease, so no
# other process can have taken the step over meanwhile.
STALE_LAUNCH_SECONDS = 30.0


@dataclass(frozen=True)
class Leases:
    """How long a submission lease lasts (settings ``submit_lease_seconds`` and
    ``unsent_lease_seconds``)."""

    sent: float = SUBMIT_LEASE_SECONDS
    unsent: float = UNSENT_LEASE_SECONDS

    @property
    def stale_launch(self) -> float:
        """A launch waiting longer than this is given up by its own process: before its
        unsent lease can be taken back by another."""
        return min(STALE_LAUNCH_SECONDS, self.unsent * 0.6)


@dataclass
class Wait:
    """Stay held until ``next_at`` (the only option is cooling down or over its limits);
    the route and the skips are saved."""

    next_at: float
    route: RouteState
    skipped: list[dict[str, Any]]


@dataclass
class Launch:
    step: StepRow
    parents: list[StepRow]
    route: RouteState
    options: list[Option]
    entry: ModelEntry
    resolved: ResolvedProvider
    key: str  # the credential's key (limits, health)
    permit: Permit
    now: float
    skipped: list[dict[str, Any]] = field(default_factory=list)
    leases: Leases = field(default_factory=Leases)

    @property
    def option(self) -> Option:
        return self.options[self.route.option]

    @property
    def marks_sending(self) -> bool:
        """True when the moment the request leaves is recorded before it is sent: the
        provider cannot take the same request twice, so after a crash it matters whether
        it was sent (engine.recovery)."""
        return not self.resolved.provider.idempotent_submit

    @property
    def lease_until(self) -> float:
        """The lease's end as written (it also names the lease: ``mark_sent`` checks it)."""
        seconds = self.leases.unsent if self.marks_sending else self.leases.sent
        return self.now + seconds

    def lease(self) -> dict[str, Any]:
        """The columns the lease writes besides the status."""
        return {
            "attempts": self.step.attempts + 1,
            "next_at": self.lease_until,
            "route": self.route.dump(),
            "sent_at": None,
        }

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """The events the lease writes: the skips on the way, then the submission."""
        node = self.step.node_id
        told = [("step.fallback", {"node": node, **item}) for item in self.skipped]
        attempt = {"node": node, "model": self.option.model, "attempt": self.route.tries}
        return [*told, ("step.submitting", attempt)]

    def leased_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """A new step's row (as its run is stored) with its lease already taken."""
        return {
            **row,
            **self.lease(),
            "status": StepStatus.SUBMITTING.value,
            "version": row["version"] + 1,
        }


@dataclass
class Fresh:
    """A step just stored by this process, with its run (and its launch when leased)."""

    step: StepRow
    run: RunRow
    launch: Launch | None = None


class Launching:
    """Mixed into Engine: steps handed over by the process that stored them."""

    db: Database
    events: EventBus
    _fresh: dict[str, Fresh]

    def hand_over(self, fresh: dict[str, Fresh]) -> None:
        """Steps this process just stored, as stored: their first advance uses these rows
        (the compare-and-set of their first move still guards against any change), and
        submits the launched ones (leased with their run) at once."""
        if len(self._fresh) + len(fresh) > MAX_FRESH:
            # A bound: past it the steps are read as usual. Launched ones stay: their lease
            # is taken, and only this process is going to submit them.
            self.forget([k for k, f in self._fresh.items() if f.launch is None])
        self._fresh.update(fresh)

    async def return_launches(self) -> int:
        """At a stop: leased steps this process did not get to submit go back to held (as
        they were before their lease, permits released), to start as usual later, here or
        in another process, instead of waiting out their lease as if a submission had
        been interrupted."""
        launched = [f.launch for f in self._fresh.values() if f.launch is not None]
        for launch in launched:
            self._fresh.pop(launch.step.id, None)
        return await self.unlaunch(launched, "not submitted before the process stopped")

    async def unlaunch(self, launches: list[Launch], reason: str) -> int:
        """Leased steps that will not be submitted by their launch: back to held, as they
        were before their lease (attempts and route), their permits released."""
        for launch in launches:
            launch.permit.release()
        if not launches:
            return 0
        async with self.db.write() as tx:
            for launch in launches:
                step, route = launch.step, launch.route
                route.tries = max(0, route.tries - 1)
                if await repo.transition(
                    tx,
                    step.id,
                    StepStatus.SUBMITTING,
                    StepStatus.HELD,
                    attempts=max(0, step.attempts - 1),
                    next_at=time.time(),
                    route=route.dump(),
                ):
                    retry: dict[str, Any] = {"node": step.node_id, "model": launch.option.model}
                    retry |= {"attempt": route.tries + 1, "delay": 0, "reason": reason}
                    await self.events.emit(tx, step.run_id, "step.retry", retry, step.id)
        return len(launches)

    async def launch_new(self, step: StepRow, run: RunRow) -> Launch | Wait | None:
        """For a step about to be stored with its run and started at once: its launch (the
        lease goes into the run's own transaction) or its wait; None to start it the usual
        way (a step that may be served from the cache)."""
        if step.depends_on or (run.allow_cache and step.cache_key and not step.implicit):
            return None
        return await self._prepare(step, [], time.time())

    async def _submit_launched(self, launch: Launch) -> Advance:
        """A launch whose lease was committed with its run: submit it now, unless it waited
        so long (a busy process) that its lease should not be trusted any more: then it
        goes back to held and starts the usual way."""
        if time.time() - launch.now > launch.leases.stale_launch:
            await self.unlaunch([launch], "waited too long to be submitted")
            return Advance(next_at=time.time())
        try:
            return await self._submit(launch)
        finally:
            launch.permit.release()

    if TYPE_CHECKING:  # provided by Engine and its other mixins

        def forget(self, step_ids: Any) -> None: ...

        async def _prepare(
            self, step: StepRow, parents: list[StepRow], now: float, *, pinned: bool = False
        ) -> Launch | Wait: ...

        async def _submit(self, launch: Launch) -> Advance: ...


async def lease_ready_steps(
    engine: Engine,
    run_row: dict[str, Any],
    steps: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> dict[str, Launch]:
    """For a run about to be stored and started at once: lease the steps that can start
    inside the run's own transaction. Their rows and the run's events are changed here as
    their own lease would change them (a step that must wait gets its route and time)."""
    launches: dict[str, Launch] = {}
    run = repo.run_from(run_row)
    now = events[0]["created_at"]
    try:
        for index, row in enumerate(steps):
            try:
                prepared = await engine.launch_new(repo.step_from(row), run)
            except ReelForgeError:
                # E.g. its only provider is cooling down past what the step may wait:
                # stored held, the runner fails it as it would any run (events, webhook).
                prepared = None
            if prepared is None:
                continue
            told: list[tuple[str, dict[str, Any]]]
            if isinstance(prepared, Wait):  # stays held until then, its route saved
                steps[index] = {**row, "route": prepared.route.dump(), "next_at": prepared.next_at}
                told = [("step.fallback", {"node": row["node_id"], **s}) for s in prepared.skipped]
            else:
                steps[index] = prepared.leased_row(row)
                prepared.step = repo.step_from(steps[index])
                launches[row["id"]] = prepared
                run_row["status"] = RunStatus.RUNNING.value
                told = prepared.events()
            events += [
                {"run_id": row["run_id"], "step_id": row["id"], "type": kind, "data": data}
                | {"created_at": now}
                for kind, data in told
            ]
    except BaseException:
        for launch in launches.values():
            launch.permit.release()  # nothing is stored: nothing will be submitted
        raise
    return launches
