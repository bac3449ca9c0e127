"""Finding a submission again whose answer was lost (``Provider.find_submitted``).

A provider that lists its tasks (newest first) with their creation time and request is
searched by time and request: a task made from the same wire body within ``WINDOW``
seconds of the moment the request was sent. Clocks differ, so the window is generous;
two identical requests sent within it are told apart by the engine (a task another step
holds is not taken).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

WINDOW = 180.0  # seconds either side of the send mark
MAX_PAGES = 10  # newest first: a lost task is among the latest ones


def created_epoch(value: Any) -> float | None:
    """A listing's creation time (ISO 8601 or epoch seconds/milliseconds) in epoch seconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def near(created: Any, sent_at: float) -> bool:
    at = created_epoch(created)
    return at is not None and abs(at - sent_at) <= WINDOW


def older_than_window(created: Any, sent_at: float) -> bool:
    """True once a newest-first listing has gone past the window: stop reading."""
    at = created_epoch(created)
    return at is not None and at < sent_at - WINDOW


def same_fields(sent: dict[str, Any], seen: Any, fields: tuple[str, ...]) -> bool:
    """True when the task's recorded request has the values that were sent."""
    if not isinstance(seen, dict):
        return False
    return all(sent.get(name) == seen.get(name) for name in fields)
