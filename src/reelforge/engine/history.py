"""Job history: a user's runs found by status, preset, model, provider, date and text, and
the facts a history page shows of each (engines used, cost, error code and remediation).

Filters are SQL (SQLAlchemy Core, portable to SQLite and PostgreSQL); paging is by run id
(ids sort by creation time), as ``GET /v1/runs`` always paged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, or_, select

from reelforge.domain.money import format_usd
from reelforge.storage.db import Database
from reelforge.storage.run_tables import RunRow, StepRow


def as_utc(value: datetime | None) -> datetime | None:
    """A naive time from a query string is read as UTC (the API speaks UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class RunFilters:
    status: str | None = None
    preset: str | None = None
    model: str | None = None
    provider: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None


def _step_matches(*conditions: Any) -> Any:
    return exists().where(StepRow.run_id == RunRow.id, *conditions)


def contains_text(column: Any, text: str, *, sqlite: bool) -> Any:
    """Case-insensitive substring match, Unicode-aware on both databases (on SQLite via the
    ``rf_casefold`` function every ReelForge connection registers); LIKE wildcards in
    ``text`` are literal."""
    if sqlite:
        folded = func.rf_casefold(column, type_=String)
        return folded.contains(text.casefold(), autoescape=True)
    return column.icontains(text, autoescape=True)


def _where(owner_id: str, f: RunFilters, *, sqlite: bool) -> list[Any]:
    where: list[Any] = [RunRow.owner_id == owner_id]
    if f.status:
        where.append(RunRow.status == f.status)
    if f.preset:
        where.append(RunRow.preset == f.preset)
    if f.model:
        # The node's own model or the one that served it (a fallback, a capability route).
        where.append(_step_matches(or_(StepRow.model == f.model, StepRow.served_by == f.model)))
    if f.provider:
        # ``provider`` is written at submit; before that the catalog id says who will serve.
        prefix = f.provider.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        where.append(
            _step_matches(
                or_(
                    StepRow.provider == f.provider,
                    and_(StepRow.provider.is_(None), StepRow.model.like(prefix, escape="\\")),
                )
            )
        )
    if f.created_after:
        where.append(RunRow.created_at >= as_utc(f.created_after))
    if f.created_before:
        where.append(RunRow.created_at < as_utc(f.created_before))
    if f.q:
        # Prompts are read out of the JSON (unescaped, so non-ASCII text matches); the
        # pipeline document as text catches node ids, labels and parameters.
        prompt = StepRow.request["prompt"].as_string()
        negative = StepRow.request["negative_prompt"].as_string()
        where.append(
            or_(
                contains_text(RunRow.preset, f.q, sqlite=sqlite),
                contains_text(cast(RunRow.pipeline, String), f.q, sqlite=sqlite),
                _step_matches(
                    or_(
                        contains_text(prompt, f.q, sqlite=sqlite),
                        contains_text(negative, f.q, sqlite=sqlite),
                    )
                ),
            )
        )
    return where


def engines_of(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who did (or will do) the work, once per model and provider, in step order."""
    seen: dict[tuple[str, str | None], dict[str, Any]] = {}
    for s in steps:
        model = s.get("served_by") or s["model"]
        provider = s.get("provider") or (model.split("/", 1)[0] if "/" in model else None)
        seen.setdefault((model, provider), {"model": model, "provider": provider})
    return list(seen.values())


def run_summary(run: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The history facts of one run: engines used, formatted cost, error code and its
    remediation (from the run's error, else the first failed step's)."""
    error = run.get("error") or next((s["error"] for s in steps if s.get("error")), None)
    return {
        "engine_used": engines_of(steps),
        "cost": format_usd(run.get("cost_micros") or 0),
        "error_code": (error or {}).get("code"),
        "remediation": list((error or {}).get("remediation") or []),
    }


class RunHistory:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_runs(
        self, owner_id: str, filters: RunFilters, *, limit: int = 50, before: str | None = None
    ) -> list[dict[str, Any]]:
        """Newest first; each run with its history facts."""
        stmt = select(RunRow).where(*_where(owner_id, filters, sqlite=self.db.is_sqlite))
        if before:
            # Keyset on (created_at, id), the order of the (owner_id, created_at) index, so
            # a page reads its rows in index order and stops at ``limit`` instead of
            # sorting every run of the owner. Ids are time-ordered, so the order is theirs.
            cursor = select(RunRow.created_at).where(RunRow.id == before).scalar_subquery()
            stmt = stmt.where(
                or_(
                    RunRow.created_at < cursor,
                    and_(RunRow.created_at == cursor, RunRow.id < before),
                )
            )
        stmt = stmt.order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(limit)
        async with self.db.session() as session:
            runs = list((await session.execute(stmt)).scalars())
            by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
            if runs:
                step_rows = await session.execute(
                    select(
                        StepRow.run_id,
                        StepRow.model,
                        StepRow.served_by,
                        StepRow.provider,
                        StepRow.error,
                    )
                    .where(StepRow.run_id.in_([r.id for r in runs]))
                    .order_by(StepRow.run_id, StepRow.position)
                )
                for row in step_rows.mappings():
                    by_run[row["run_id"]].append(dict(row))
        items = []
        for r in runs:
            item = {
                "id": r.id,
                "status": r.status,
                "preset": r.preset,
                "quality": r.quality,
                "repair_of": r.repair_of,
                "quote_micros": r.quote_micros,
                "price_unknown": r.price_unknown,
                "cost_micros": r.cost_micros,
                "created_at": r.created_at,
                "finished_at": r.finished_at,
            }
            item.update(run_summary({"error": r.error, **item}, by_run[r.id]))
            items.append(item)
        return items
