"""A run's log as JSON lines, and the "Copy details" text block (seed 001 §8.2, §8.5).

Built from what the engine already stores for every run (its row, its steps, its events:
run created, each step transition, each provider call's outcome, retries, fallbacks), so
there is no second log to keep in step. Every line is redacted on the way out: secrets by
key name and by value (``reelforge.logs``), and the query string of every URL, since a
signed URL's secret lives there (``X-Amz-Signature``, ``sig``, CloudFront's ``Signature``
and ``Key-Pair-Id`` ...) and a log line never needs it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from reelforge.engine.events import EventBus
from reelforge.engine.history import run_summary
from reelforge.logs import REDACTED, redact
from reelforge.storage.db import Database
from reelforge.storage.run_tables import RunEventRow, RunRow, StepRow

_URL_QUERY = re.compile(r"\b((?:https?|s3|gs|file)://[^\s?#\"'<>]*)\?[^\s#\"'<>]*", re.IGNORECASE)
_RELATIVE_SIGNED = re.compile(r"(/v1/artifacts/[^\s?\"']+)\?[^\s\"']*")

# Event types that are errors or warnings; the rest are information.
_LEVELS = {"failed": "error", "retry": "warning", "canceling": "warning", "fallback": "warning"}


def _strip_queries(value: Any) -> Any:
    if isinstance(value, str):
        text = _URL_QUERY.sub(lambda m: f"{m.group(1)}?{REDACTED}", value)
        return _RELATIVE_SIGNED.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)
    if isinstance(value, dict):
        return {k: _strip_queries(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_queries(v) for v in value]
    return value


def scrub(value: Any) -> Any:
    """What may leave the server in a log line."""
    return _strip_queries(redact(value))


def _level(event_type: str) -> str:
    return _LEVELS.get(event_type.rsplit(".", 1)[-1], "info")


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def log_lines(run: RunRow, steps: list[StepRow], events: list[RunEventRow]) -> list[dict[str, Any]]:
    """One line per stored event, in order, each naming its step's node and model."""
    nodes = {s.id: s for s in steps}
    lines = []
    for event in events:
        step = nodes.get(event.step_id) if event.step_id else None
        line: dict[str, Any] = {
            "ts": _ts(event.created_at),
            "seq": event.id,
            "level": _level(event.type),
            "event": event.type,
            "run_id": run.id,
        }
        if step is not None:
            line.update(
                step_id=step.id,
                node_id=step.node_id,
                model=step.served_by or step.model,
                provider=step.provider,
            )
        line["data"] = event.data or {}
        lines.append(scrub(line))
    return lines


def to_ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(line, default=str, ensure_ascii=False).encode() + b"\n" for line in lines
    )


def details_text(
    run: RunRow, steps: list[StepRow], lines: list[dict[str, Any]], *, tail: int = 10
) -> str:
    """The "Copy details" block: the error, the run, who served it, and the last lines."""
    step_dicts = [
        {"model": s.model, "served_by": s.served_by, "provider": s.provider, "error": s.error}
        for s in steps
    ]
    summary = run_summary({"error": run.error, "cost_micros": run.cost_micros}, step_dicts)
    error = run.error or next((s.error for s in steps if s.error), None) or {}
    engines = ", ".join(
        f"{e['model']} ({e['provider']})" if e["provider"] else e["model"]
        for e in summary["engine_used"]
    )
    out = [
        f"Error: {error.get('code') or 'none'}",
        f"Message: {error.get('message') or '-'}",
    ]
    if summary["remediation"]:
        out.append("Remediation:")
        out.extend(f"  - {step}" for step in summary["remediation"])
    if error.get("detail"):
        out.append(f"Detail: {json.dumps(error['detail'], default=str, ensure_ascii=False)}")
    out += [
        f"Run ID: {run.id}",
        f"Status: {run.status}",
        f"Preset: {run.preset or '-'}",
        f"Engine: {engines or '-'}",
        f"Cost: {summary['cost']}",
        f"Timestamp: {_ts(run.finished_at or run.created_at)}",
        f"Logs (last {min(tail, len(lines))} of {len(lines)}):",
    ]
    out.extend(json.dumps(line, default=str, ensure_ascii=False) for line in lines[-tail:])
    text: str = scrub("\n".join(out))
    return text + "\n"


class RunLogs:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def read(self, run: RunRow, steps: list[StepRow]) -> list[dict[str, Any]]:
        """Every event of a run the caller may see (ownership is checked by the caller)."""
        events: list[RunEventRow] = []
        async with self.db.read() as sql:
            while True:
                page = await EventBus.since(sql, run.id, events[-1].id if events else 0, 500)
                events.extend(page)
                if len(page) < 500:
                    break
        return log_lines(run, steps, events)
