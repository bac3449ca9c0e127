"""Request-scoped context: the request id, bound into logs and error envelopes."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
