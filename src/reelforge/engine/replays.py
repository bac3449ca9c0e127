"""Idempotent run requests: a replayed ``Idempotency-Key`` returns the run it made, and
only for the same request (a hash of its canonical body); another body is a CONFLICT,
as the credits endpoints answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.db import Database
from reelforge.storage.run_tables import RunRow


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def request_digest(document: Any, preset: str | None, callback_url: str | None) -> str:
    """A hash of what a run request asked for, in canonical JSON (key order ignored)."""
    canonical = json.dumps(
        {"pipeline": document, "preset": preset, "callback_url": callback_url},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def find_replay(db: Database, owner_id: str, key: str, asked: str) -> str | None:
    """The run an earlier request with this key created; CONFLICT when that request
    asked for something else (its stored document hashes differently)."""
    async with db.session() as session:
        found = (
            await session.execute(
                select(RunRow.id, RunRow.pipeline, RunRow.preset, RunRow.callback_url).where(
                    RunRow.owner_id == owner_id, RunRow.idempotency_key == key
                )
            )
        ).one_or_none()
    if found is None:
        return None
    run_id, document, preset, callback_url = found
    if request_digest(document, _text(preset), _text(callback_url)) != asked:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The Idempotency-Key {key!r} was already used for a different request.",
            detail={"idempotency_key": key, "run_id": run_id},
            remediation=(
                "Send a new Idempotency-Key for a new request; resend the same body to "
                "get the run the key made.",
            ),
        )
    return str(run_id)
