"""A step found in ``submitting`` whose lease ran out: its process died between the lease
and the provider's answer. What happened is settled without paying twice.

The lease (held → submitting) and the moment the request is handed to the provider
(``steps.sent_at``, marked by ``mark_sent`` as the request's first byte is about to
leave, storage.send_gate, for providers that cannot take the same request twice) are two commits, so a crash in between is told apart:

- never sent: the provider cannot have seen it. It goes back to ``held`` and starts again.
  The mark is a compare-and-set on the lease (its end, as written), so a lease taken back
  can no longer be sent by a process that was only slow.
- idempotent provider: sent again with the same idempotency key (the provider answers
  with the task the first request made, if any).
- sent, reconcilable provider (``Provider.find_submitted``: a listing by time and prompt,
  a client reference): the task is looked up. Found: the step goes on as submitted with
  it. Not found: the request never arrived, the step starts again.
- sent, anything else: the step fails ``interrupted_submit``, naming the provider as one
  that cannot be reconciled and why, rather than risk a second charge.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, literal, select, update

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.collect import Advance
from reelforge.engine.launch import Launch, Leases
from reelforge.engine.routing import Option, RouteState, step_options
from reelforge.engine.states import StepStatus
from reelforge.logs import get_logger
from reelforge.providers.base import Provider, ProviderTask
from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import StepRow
from reelforge.storage.sql import Tx
from reelforge.storage.tables import utcnow

if TYPE_CHECKING:
    from reelforge.engine.catalog_access import CatalogAccess
    from reelforge.engine.events import EventBus
    from reelforge.engine.requests import RequestBuilder
    from reelforge.providers.hub import ProviderHub
    from reelforge.storage.db import Database
    from reelforge.storage.group_commit import GroupCommit

log = get_logger("reelforge.engine")

LOOKUP_RETRY_SECONDS = 15.0  # a provider that could not be asked is asked again this soon
MAX_LOOKUPS = 5  # failed lookups before the step fails as not reconciled

_MARK_SENT = Prepared(
    update(repo.STEPS)
    .where(
        repo.STEPS.c.id == bindparam("_id"),
        repo.STEPS.c.status == literal(StepStatus.SUBMITTING.value),
        repo.STEPS.c.next_at == bindparam("_lease", type_=repo.STEPS.c.next_at.type),
        repo.STEPS.c.sent_at.is_(None),
    )
    .values(
        sent_at=bindparam("sent_at", type_=repo.STEPS.c.sent_at.type),
        next_at=bindparam("next_at", type_=repo.STEPS.c.next_at.type),
    )
)
_HELD_BY_OTHERS = Prepared(
    select(func.count().label("n"))
    .select_from(repo.STEPS)
    .where(
        repo.STEPS.c.task_id == bindparam("_task"),
        repo.STEPS.c.provider == bindparam("_provider"),
        repo.STEPS.c.id != bindparam("_id"),
    )
)


class Recovering:
    """Mixed into Engine: the send mark and the recovery of interrupted submissions."""

    db: Database
    hub: ProviderHub
    catalog: CatalogAccess
    events: EventBus
    requests: RequestBuilder
    writes: GroupCommit
    leases: Leases

    async def mark_sent(self, launch: Launch) -> bool:
        """Record that the launch's request is about to leave (called by the send gate,
        storage.send_gate, as its first byte is about to be written); False when its
        lease was taken back meanwhile (then it must not be sent: another process has
        the step)."""
        if not launch.marks_sending:
            return True
        now = time.time()
        params = {"_id": launch.step.id, "_lease": launch.lease_until, "sent_at": now}
        params["next_at"] = now + launch.leases.sent

        # A transaction of its own, not the group commit: between the durable commit and
        # the request's first byte, fewer turns of the event loop (the crash window).
        async with self.db.write() as tx:
            return bool(await tx.execute(_MARK_SENT, params) == 1)

    async def _recover_submitting(self, step: StepRow) -> Advance:
        now = time.time()
        if step.next_at is not None and step.next_at > now:
            return Advance(next_at=step.next_at)  # another worker may still be submitting
        route = RouteState.load(step.route)
        options = step_options(step.model, step.request, step.quote_micros)
        option = options[route.option]
        entry = await self.catalog.get(option.model)
        provider_cls = self.hub.provider_class(entry.provider)
        if provider_cls.idempotent_submit:
            # Sent again with the same key; pinned: the same model, never a fallback while
            # the first task may exist.
            return await self._restart(step, route, "", pinned=True)
        if step.sent_at is None:
            return await self._restart(
                step, route, "leased but never sent: the process stopped before the request left"
            )
        if not provider_cls.reconcilable:
            raise _not_reconciled(step, entry.provider, provider_cls.reconcile_note)
        return await self._reconcile(step, route, option, entry)

    async def _restart(self, step: StepRow, route: RouteState, reason: str, **kw: Any) -> Advance:
        """Back to held (the interrupted attempt not counted) and started again at once."""
        route.tries = max(0, route.tries - 1)
        async with self.db.write() as tx:
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus.SUBMITTING,
                StepStatus.HELD,
                attempts=max(0, step.attempts - 1),
                next_at=time.time(),
                route=route.dump(),
                sent_at=None,
            )
            if moved and reason:
                data = {"node": step.node_id, "attempt": route.tries + 1, "delay": 0}
                data |= {"model": route_model(step, route), "reason": reason}
                await self.events.emit(tx, step.run_id, "step.retry", data, step.id)
        if not moved:
            return Advance()
        async with self.db.read() as sql:
            fresh = await repo.get_step(sql, step.id)
        return await self._start(fresh, **kw) if fresh is not None else Advance()

    async def _reconcile(
        self, step: StepRow, route: RouteState, option: Option, entry: ModelEntry
    ) -> Advance:
        """The request was sent and its answer lost: find its task at the provider."""
        resolved = await self.hub.resolve(entry.provider, step.owner_id)
        async with self.db.read() as sql:
            parents = [
                s for s in await repo.run_steps(sql, step.run_id) if s.node_id in step.depends_on
            ]
        request, _notes = await self.requests.build(
            step,
            entry,
            option,
            parents,
            idempotency_key=route.idempotency_key(step.idempotency_key),
            provider=type(resolved.provider),
            sandbox=resolved.sandbox,
        )
        sent_at = float(step.sent_at or 0.0)
        try:
            found = await resolved.provider.find_submitted(
                request, resolved.credential, sent_at=sent_at
            )
        except ReelForgeError as exc:
            lookups = sum(1 for h in route.history if h.get("event") == "lookup_failed")
            if lookups + 1 >= MAX_LOOKUPS:
                raise _not_reconciled(
                    step, entry.provider, f"it could not be asked ({exc.code}: {exc.message})"
                ) from exc
            route.note("lookup_failed", option.model, code=str(exc.code), message=exc.message)
            return await self._retry_lookup(step, route)
        async with self.db.write() as tx:
            task, moved = await _first_free(tx, step, found), False
            if task is not None:
                values = _submitted_values(task, route, option, resolved.sandbox)
                moved = await repo.transition(
                    tx, step.id, StepStatus.SUBMITTING, StepStatus.SUBMITTED, **values
                )
                if moved:
                    event: dict[str, Any] = {"node": step.node_id, "task_id": task.task_id}
                    event["model"] = option.model
                    event |= {"sandbox": resolved.sandbox, "attempt": route.tries}
                    event |= {"fallback": route.option > 0, "reconciled": True}
                    await self.events.emit(tx, step.run_id, "step.submitted", event, step.id)
                    log.info("submission_reconciled", step_id=step.id, task_id=task.task_id)
        if task is None:
            return await self._restart(
                step, route, f"sent, but {entry.provider} has no such task: it never arrived"
            )
        if not moved:
            return Advance()
        self.events.notify(step.run_id)
        return Advance(next_at=time.time())

    async def _retry_lookup(self, step: StepRow, route: RouteState) -> Advance:
        """Ask the provider again later; the step keeps its lease (the route notes the try)."""
        next_at = time.time() + LOOKUP_RETRY_SECONDS
        await self._save_route(step, route, StepStatus.SUBMITTING, [], next_at=next_at)
        return Advance(next_at=next_at)

    if TYPE_CHECKING:  # provided by Engine and its other mixins

        async def _start(
            self, step: StepRow, *, pinned: bool = False, run: Any = None
        ) -> Advance: ...

        async def _save_route(
            self,
            step: StepRow,
            route: RouteState,
            status: StepStatus,
            skipped: list[dict[str, Any]],
            next_at: float | None = None,
        ) -> None: ...


def route_model(step: StepRow, route: RouteState) -> str:
    options = step_options(step.model, step.request, step.quote_micros)
    return options[min(route.option, len(options) - 1)].model


async def _first_free(tx: Tx, step: StepRow, found: list[ProviderTask]) -> ProviderTask | None:
    """The first task found that no other step has recorded (two steps with the same prompt
    sent at the same moment must not both take one task)."""
    for task in found:
        params = {"_task": task.task_id, "_provider": task.provider, "_id": step.id}
        held = await tx.fetchone(_HELD_BY_OTHERS, params)
        if held is None or not held["n"]:
            return task
    return None


def _submitted_values(
    task: ProviderTask, route: RouteState, option: Option, sandbox: bool
) -> dict[str, Any]:
    route.note("reconciled", option.model, attempt=route.tries, task_id=task.task_id)
    return {
        "task": task.model_dump(mode="json"),
        "task_id": task.task_id,
        "provider": task.provider,
        "sandbox": sandbox,
        "served_by": option.model,
        "submitted_at": utcnow(),
        "next_at": time.time(),
        "error": None,
        "route": route.dump(),
    }


def _not_reconciled(step: StepRow, provider: str, why: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"The process stopped while this step's request was on its way to {provider}; "
        f"{provider} cannot be reconciled ({why}), so the step was not sent again, to "
        "avoid a second charge.",
        detail={
            "node": step.node_id,
            "reason": "interrupted_submit",
            "provider": provider,
            "reconcilable": False,
            "why": why,
        },
        remediation=(
            "Run the pipeline again (cached steps are reused if allowed); check the "
            f"{provider} dashboard for a task that may have been made.",
        ),
        retryable=False,
    )


def reconciliation_of(provider: type[Provider]) -> dict[str, str]:
    """How a provider's interrupted submissions are settled (for listings and reports)."""
    mode = provider.reconciliation()
    why = {"idempotent": "sent again with the same idempotency key"}.get(
        mode, provider.reconcile_note
    )
    return {"reconciliation": mode, "how": why}
