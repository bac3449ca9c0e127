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
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
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

    async def _providers(self, owner_id: str | None, days: int) -> dict[str, Any]:
        since, window = self._window(days)
        ended = [StepStatus.SUCCEEDED.value, StepStatus.FAILED.value]
        stmt = select(
            StepRow.model,
            StepRow.served_by,
            StepRow.provider,
            StepRow.status,
            StepRow.created_at,
            StepRow.submitted_at,
            StepRow.finished_at,
        ).where(StepRow.finished_at >= since, StepRow.status.in_(ended))
        if owner_id is not None:
            stmt = stmt.where(StepRow.owner_id == owner_id)
        async with self.db.session() as session:
            rows: list[Any] = list((await session.execute(stmt)).all())
        models: dict[tuple[str, str], dict[str, Any]] = {}
        for model, served_by, provider, status, created, submitted, finished in rows:
            name = served_by if served_by and served_by != "cache" else model
            key = (name, _provider_of(name, provider))
            entry = models.setdefault(key, {"succeeded": 0, "failed": 0, "times": []})
            entry[status] += 1
            if status == StepStatus.SUCCEEDED.value and finished is not None:
                entry["times"].append((finished - (submitted or created)).total_seconds())
        by_provider: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        out_models = []
        for (name, provider), e in sorted(models.items()):
            by_provider[provider][0] += e["succeeded"]
            by_provider[provider][1] += e["failed"]
            out_models.append(
                {
                    "model": name,
                    "provider": provider,
                    **_rates(e["succeeded"], e["failed"]),
                    "p50_seconds": round(statistics.median(e["times"]), 3) if e["times"] else None,
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
