"""Analytics from our own database: runs per day, spend per provider and day, success
rate and median time per model (seed 001 §6.4).

They must never hard-fail a page: each answer is ``{ok, data, error, message}``. A query
that raises or outlasts its time budget answers ``ok: false`` with a message instead. The
budget is kept by running the query as its own task and not waiting past the deadline
(a query cancelled inside a database driver's thread can hold its connection until it
ends; the caller is answered on time regardless, and the task finishes in the background).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from reelforge.domain.money import format_usd
from reelforge.engine.states import StepStatus
from reelforge.logs import get_logger
from reelforge.storage.db import Database
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.engine.analytics")

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _provider_of(model: str, provider: str | None) -> str:
    return provider or (model.split("/", 1)[0] if "/" in model else model)


def _micros(value: int) -> dict[str, Any]:
    return {"micros": value, "formatted": format_usd(value)}


class Analytics:
    def __init__(self, db: Database, *, timeout_seconds: float = 5.0) -> None:
        self.db = db
        self.timeout_seconds = timeout_seconds
        self._background: set[asyncio.Task[Any]] = set()

    def _day(self, column: Any) -> ColumnElement[Any]:
        """The UTC calendar day of a timestamp column, as the database computes it."""
        if self.db.is_sqlite:
            return func.date(column)  # stored as UTC text
        return func.date(func.timezone("UTC", column))

    # -- the guarded answer ---------------------------------------------------------

    async def answer(
        self, name: str, query: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        task: asyncio.Task[dict[str, Any]] = asyncio.ensure_future(query())
        done, _ = await asyncio.wait({task}, timeout=self.timeout_seconds)
        if not done:
            task.cancel()
            self._background.add(task)
            task.add_done_callback(self._forget)
            log.warning("analytics_timeout", query=name, seconds=self.timeout_seconds)
            return _failed(
                "ANALYTICS_TIMEOUT",
                f"Analytics took longer than {self.timeout_seconds:g} s; "
                "try a shorter window (?days=).",
            )
        exc = task.exception()
        if exc is not None:
            # The reason goes to the server log (redacted), never to the page.
            log.warning("analytics_failed", query=name, reason=repr(exc)[:300])
            return _failed(
                "ANALYTICS_UNAVAILABLE", "Analytics are not available right now; try again later."
            )
        return {"ok": True, "data": task.result(), "error": None, "message": None}

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" noise

    # -- the queries ----------------------------------------------------------------

    async def usage(self, owner_id: str | None, days: int = DEFAULT_DAYS) -> dict[str, Any]:
        return await self.answer("usage", lambda: self._usage(owner_id, days))

    async def spend(self, owner_id: str | None, days: int = DEFAULT_DAYS) -> dict[str, Any]:
        return await self.answer("spend", lambda: self._spend(owner_id, days))

    async def providers(self, owner_id: str | None, days: int = DEFAULT_DAYS) -> dict[str, Any]:
        return await self.answer("providers", lambda: self._providers(owner_id, days))

    def _window(self, days: int) -> tuple[datetime, dict[str, Any]]:
        since = utcnow() - timedelta(days=days)
        return since, {"days": days, "since": since.isoformat()}

    async def _usage(self, owner_id: str | None, days: int) -> dict[str, Any]:
        since, window = self._window(days)
        day = self._day(RunRow.created_at).label("day")
        stmt = (
            select(day, RunRow.status, func.count().label("n"))
            .where(RunRow.created_at >= since)
            .group_by(day, RunRow.status)
            .order_by(day)
        )
        if owner_id is not None:
            stmt = stmt.where(RunRow.owner_id == owner_id)
        async with self.db.session() as session:
            rows: list[Any] = list((await session.execute(stmt)).all())
        per_day: dict[str, dict[str, int]] = defaultdict(dict)
        totals: dict[str, int] = defaultdict(int)
        for d, status, n in rows:
            per_day[str(d)][status] = int(n)
            totals[status] += int(n)
        return {
            **window,
            "runs": sum(totals.values()),
            "by_status": dict(totals),
            "per_day": [
                {"day": d, "runs": sum(s.values()), "by_status": s}
                for d, s in sorted(per_day.items())
            ],
        }

    async def _spend(self, owner_id: str | None, days: int) -> dict[str, Any]:
        since, window = self._window(days)
        day = self._day(StepRow.finished_at).label("day")
        stmt = (
            select(
                day,
                StepRow.provider,
                StepRow.model,
                func.sum(StepRow.cost_micros).label("micros"),
                func.count().label("steps"),
            )
            .where(StepRow.finished_at >= since, StepRow.cost_micros > 0)
            .group_by(day, StepRow.provider, StepRow.model)
        )
        if owner_id is not None:
            stmt = stmt.where(StepRow.owner_id == owner_id)
        async with self.db.session() as session:
            rows: list[Any] = list((await session.execute(stmt)).all())
        by_provider: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        by_day: dict[str, int] = defaultdict(int)
        for d, provider, model, micros, steps in rows:
            name = _provider_of(model, provider)
            by_provider[name][0] += int(micros or 0)
            by_provider[name][1] += int(steps)
            by_day[str(d)] += int(micros or 0)
        total = sum(v[0] for v in by_provider.values())
        return {
            **window,
            "total": _micros(total),
            "per_provider": [
                {"provider": p, "steps": n, **_micros(m)}
                for p, (m, n) in sorted(by_provider.items(), key=lambda kv: -kv[1][0])
            ],
            "per_day": [{"day": d, **_micros(m)} for d, m in sorted(by_day.items())],
        }

    def _seconds(self, end: Any, start: Any) -> ColumnElement[Any]:
        if self.db.is_sqlite:
            return (func.julianday(end) - func.julianday(start)) * 86400.0
        return func.extract("epoch", end - start)

    async def _providers(self, owner_id: str | None, days: int) -> dict[str, Any]:
        """Counts and medians are computed by the database (the median with window
        functions, which SQLite and PostgreSQL both have): no step rows cross the wire."""
        since, window = self._window(days)
        ended = [StepStatus.SUCCEEDED.value, StepStatus.FAILED.value]
        name = case(
            (and_(StepRow.served_by.is_not(None), StepRow.served_by != "cache"), StepRow.served_by),
            else_=StepRow.model,
        ).label("name")
        scope = [StepRow.finished_at >= since]
        if owner_id is not None:
            scope.append(StepRow.owner_id == owner_id)
        counts = (
            select(name, StepRow.provider, StepRow.status, func.count().label("n"))
            .where(*scope, StepRow.status.in_(ended))
            .group_by(name, StepRow.provider, StepRow.status)
        )
        # A cache hit is no provider's time: medians are of real provider work.
        timed = (
            select(
                name,
                self._seconds(
                    StepRow.finished_at, func.coalesce(StepRow.submitted_at, StepRow.created_at)
                ).label("secs"),
            )
            .where(
                *scope,
                StepRow.status == StepStatus.SUCCEEDED.value,
                or_(StepRow.served_by.is_(None), StepRow.served_by != "cache"),
            )
            .subquery()
        )
        ranked = select(
            timed.c.name,
            timed.c.secs,
            func.row_number().over(partition_by=timed.c.name, order_by=timed.c.secs).label("rn"),
            func.count().over(partition_by=timed.c.name).label("total"),
        ).subquery()
        medians = (
            select(ranked.c.name, func.avg(ranked.c.secs))
            .where(ranked.c.rn.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2]))
            .group_by(ranked.c.name)
        )
        async with self.db.session() as session:
            count_rows: list[Any] = list((await session.execute(counts)).all())
            median_rows: list[Any] = list((await session.execute(medians)).all())
        p50 = {n: float(v) for n, v in median_rows}
        models: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for model, provider, status, n in count_rows:
            models[(model, _provider_of(model, provider))][
                0 if status == StepStatus.SUCCEEDED.value else 1
            ] += int(n)
        by_provider: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        out_models = []
        for (model, provider), (succeeded, failed) in sorted(models.items()):
            by_provider[provider][0] += succeeded
            by_provider[provider][1] += failed
            out_models.append(
                {
                    "model": model,
                    "provider": provider,
                    **_rates(succeeded, failed),
                    "p50_seconds": round(p50[model], 3) if model in p50 else None,
                }
            )
        return {
            **window,
            "providers": [{"provider": p, **_rates(s, f)} for p, (s, f) in by_provider.items()],
            "models": out_models,
        }


def _rates(succeeded: int, failed: int) -> dict[str, Any]:
    steps = succeeded + failed
    return {
        "steps": steps,
        "succeeded": succeeded,
        "failed": failed,
        "success_rate": round(succeeded / steps, 4) if steps else None,
    }


def _failed(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "data": None, "error": code, "message": message}
