"""Fault injection: a queue of faults an emulator applies to matching requests.

Set from tests in-process (``state.faults.add(...)``) or over HTTP
(``POST /__emulator/faults``). Each fault hits ``times`` matching requests (-1: until
cleared). ``on`` names the operation: submit, poll, files, account, or any.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Literal

FaultKind = Literal[
    "latency",  # delay the answer by `seconds`, then answer normally
    "rate_limit",  # 429 with Retry-After: `seconds`
    "server_error",  # `status` (default 503)
    "timeout",  # hang for `seconds` (default 60) so the client times out
    "malformed",  # a body that is not valid JSON
    "auth",  # reject the credential as the provider does
    "insufficient_credit",  # the provider's out-of-credit answer
    "moderation",  # the provider's safety refusal (at submit or as a failed task)
    "stuck",  # the task never finishes
    "expired_output",  # output URLs answer as expired
    "fail",  # the task fails with a generic provider error
]
Op = Literal["submit", "poll", "files", "account", "cancel", "any"]

# Faults that change a task rather than the HTTP answer.
TASK_KINDS = frozenset({"moderation", "stuck", "fail"})


@dataclass
class Fault:
    kind: FaultKind
    on: Op = "any"
    times: int = 1
    seconds: float = 0.0
    status: int = 503
    message: str | None = None

    def matches(self, op: str) -> bool:
        return self.on == "any" or self.on == op

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind, **kw: object) -> Fault:
        fault = Fault(kind=kind, **kw)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, op: str, kinds: frozenset[str] | None = None) -> Fault | None:
        """The first matching fault (consuming one of its uses), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(op) and (kinds is None or fault.kind in kinds):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def active(self) -> list[dict[str, object]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]
