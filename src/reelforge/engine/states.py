"""The step state machine (DESIGN.md) and run statuses.

pending → quoted → held → submitting → submitted → collecting → succeeded | failed | canceled | skipped

Every transition is a compare-and-set on (id, status) in the database, so advancing a step
twice is harmless: the second attempt finds the status changed and does nothing.
"""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    PENDING = "pending"
    QUOTED = "quoted"
    HELD = "held"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    COLLECTING = "collecting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    SKIPPED = "skipped"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.CANCELED, StepStatus.SKIPPED}
)

ALLOWED: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.PENDING: frozenset({StepStatus.QUOTED, StepStatus.CANCELED, StepStatus.SKIPPED}),
    StepStatus.QUOTED: frozenset({StepStatus.HELD, StepStatus.CANCELED, StepStatus.SKIPPED}),
    StepStatus.HELD: frozenset(
        {
            StepStatus.SUBMITTING,
            StepStatus.SUCCEEDED,  # served from the cache
            StepStatus.CANCELED,
            StepStatus.SKIPPED,
            StepStatus.FAILED,
        }
    ),
    StepStatus.SUBMITTING: frozenset(
        {
            StepStatus.SUBMITTED,
            StepStatus.HELD,  # a retryable submit failure goes back to wait for its retry
            StepStatus.FAILED,
            StepStatus.CANCELED,
        }
    ),
    StepStatus.SUBMITTED: frozenset(
        {StepStatus.COLLECTING, StepStatus.FAILED, StepStatus.CANCELED, StepStatus.HELD}
    ),
    StepStatus.COLLECTING: frozenset({StepStatus.SUCCEEDED, StepStatus.FAILED}),
    StepStatus.SUCCEEDED: frozenset(),
    StepStatus.FAILED: frozenset(),
    StepStatus.CANCELED: frozenset(),
    StepStatus.SKIPPED: frozenset(),
}


def can_move(old: StepStatus, new: StepStatus) -> bool:
    return new in ALLOWED[old]


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CANCELING = "canceling"  # cancel asked; steps in flight are being stopped
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)
