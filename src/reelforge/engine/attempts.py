"""Routing a step's attempts: which option to submit to, and what follows a failure.

Mixed into Engine. ``_choose`` skips options whose provider is not connected or is cooling
down (or rate-limited for longer than the policy's ``long_wait``) and waits for the last
one left; ``_after_failure`` applies ``engine.routing.decide``: the step goes back to
``held`` for a retry (after the backoff) or on its next option, or fails. Every skip,
retry and fallback is a line of the step's route and an event.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.collect import Advance
from reelforge.engine.launch import Wait
from reelforge.engine.routing import Option, RetryPolicy, RouteState, Verdict, decide
from reelforge.engine.states import StepStatus
from reelforge.providers.health import HealthBoard, credential_key
from reelforge.providers.hub import ProviderHub, ResolvedProvider
from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import StepRow

if TYPE_CHECKING:
    from reelforge.engine.catalog_access import CatalogAccess
    from reelforge.engine.events import EventBus
    from reelforge.storage.db import Database


def _save_route_statement(with_next_at: bool) -> Prepared:
    values = {"route": bindparam("route", type_=repo.STEPS.c.route.type)}
    if with_next_at:
        values["next_at"] = bindparam("next_at", type_=repo.STEPS.c.next_at.type)
    return Prepared(
        update(repo.STEPS)
        .where(repo.STEPS.c.id == bindparam("_id"), repo.STEPS.c.status == bindparam("_status"))
        .values(**values)
    )


# The route saved while the step stays where it is (with the time to look again, or not).
_SAVE_ROUTE = {False: _save_route_statement(False), True: _save_route_statement(True)}


class Attempts:
    db: Database
    hub: ProviderHub
    catalog: CatalogAccess
    events: EventBus
    health: HealthBoard
    policy: RetryPolicy

    async def _choose(
        self,
        step: StepRow,
        route: RouteState,
        options: list[Option],
        skipped: list[dict[str, Any]],
        now: float,
        *,
        pinned: bool,
    ) -> tuple[Option, ModelEntry, ResolvedProvider, str] | Wait:
        """The option to submit to: the current one, or a later one when the current one's
        provider is not connected or cooling down (skips go into the route and ``skipped``);
        or a wait for the last one left (the caller saves the route)."""
        await self.health.refresh()
        index, last_error = route.option, None
        while index < len(options):
            option = options[index]
            has_next = index + 1 < len(options) and not pinned
            try:
                entry = await self.catalog.get(option.model)
                resolved = await self.hub.resolve(entry.provider, step.owner_id)
            except ReelForgeError as exc:
                if not has_next:
                    raise
                last_error = exc
                skipped.append(self._skip(route, index, options, f"{exc.code}: {exc.message}"))
                index += 1
                continue
            key = credential_key(resolved.credential)
            ready_at = self.health.available_at(key)
            if ready_at > now:
                cooling = self.health.cooling(key, now)
                if has_next and (cooling or ready_at - now > self.policy.long_wait):
                    why = "cooling down" if cooling else "rate limited"
                    until = time.strftime("%H:%M:%S", time.gmtime(ready_at))
                    skipped.append(self._skip(route, index, options, f"{why} until {until} UTC"))
                    index += 1
                    continue
                started = route.started_at or now
                if ready_at - started > self.policy.max_seconds:
                    raise ReelForgeError(
                        ErrorCode.ENGINE_OFFLINE,
                        f"{entry.provider} is not taking requests for longer than this step "
                        "may wait (cooling down after repeated failures, or rate limited), "
                        "and the step has no other model to try.",
                        detail={
                            "node": step.node_id,
                            "provider": entry.provider,
                            "until": ready_at,
                        },
                        retryable=True,
                    )
                return Wait(ready_at, route, skipped)  # the only way left: wait for it
            if index != route.option:
                route.option, route.tries = index, 0
            return option, entry, resolved, key
        raise last_error or ReelForgeError(ErrorCode.ENGINE_OFFLINE, "No model left to try.")

    def _skip(
        self, route: RouteState, index: int, options: list[Option], why: str
    ) -> dict[str, Any]:
        nxt = options[index + 1].model
        route.option, route.tries = index + 1, 0
        return route.note("skipped", options[index].model, to=nxt, reason=why)

    async def _after_failure(
        self,
        step: StepRow,
        route: RouteState,
        options: list[Option],
        exc: ReelForgeError,
        status: StepStatus,
    ) -> Advance:
        """Retry, fall back, or fail (raise) after ``exc`` on the current option."""
        now = time.time()
        model = options[route.option].model
        task_failed = bool(exc.detail.get("task_failed"))
        decision = decide(
            exc,
            tries=route.tries,
            has_next=route.option + 1 < len(options),
            elapsed=now - (route.started_at or now),
            policy=self.policy,
            task_failed=task_failed,
        )
        error = exc.to_dict()
        route.note(
            "failed",
            model,
            attempt=route.tries,
            code=str(exc.code),
            message=exc.message[:300],
            decision=decision.verdict.value,
            reason=decision.reason,
        )
        if decision.verdict is Verdict.FAIL:
            exc.detail.setdefault("node", step.node_id)
            exc.detail.setdefault("model", model)
            await self._save_route(step, route, status, [])
            raise exc
        if decision.verdict is Verdict.RETRY:
            event = "step.resubmit" if task_failed else "step.retry"
            data = {"model": model, "attempt": route.tries, "delay": round(decision.delay, 3)}
            next_at = now + decision.delay
        else:
            route.option, route.tries = route.option + 1, 0
            event = "step.fallback"
            data = route.note(
                "fallback", model, to=options[route.option].model, reason=decision.reason
            )
            next_at = now
        async with self.db.write() as tx:
            moved = await repo.transition(
                tx,
                step.id,
                status,
                StepStatus.HELD,
                next_at=next_at,
                error=error,
                route=route.dump(),
            )
            if moved:
                await self.events.emit(
                    tx,
                    step.run_id,
                    event,
                    {"node": step.node_id, **data, "error": error},
                    step.id,
                )
        if not moved:
            return Advance()
        self.events.notify(step.run_id)
        return Advance(next_at=next_at)

    async def _save_route(
        self,
        step: StepRow,
        route: RouteState,
        status: StepStatus,
        skipped: list[dict[str, Any]],
        next_at: float | None = None,
    ) -> None:
        params: dict[str, Any] = {"_id": step.id, "_status": status.value, "route": route.dump()}
        if next_at is not None:
            params["next_at"] = next_at
        async with self.db.write() as tx:
            await tx.execute(_SAVE_ROUTE[next_at is not None], params)
            for item in skipped:
                await self.events.emit(
                    tx, step.run_id, "step.fallback", {"node": step.node_id, **item}, step.id
                )
        if skipped:
            self.events.notify(step.run_id)
