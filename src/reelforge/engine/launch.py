"""A held step about to be submitted (``Launch``), or left to wait (``Wait``).

``Engine._prepare`` makes one from a held step: its option chosen (engine.attempts) and
the provider's permit (providers.limits) held. A launch is submitted once its lease (held
→ submitting, with the events that tell it) is committed: by the step's own transaction,
or, for a run that is stored and started at once (``Prefer: wait``), by the transaction
that stores the run, so that one commit fewer stands between a request and the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge.domain.catalog import ModelEntry
from reelforge.engine.routing import Option, RouteState
from reelforge.engine.states import StepStatus
from reelforge.providers.hub import ResolvedProvider
from reelforge.providers.limits import Permit
from reelforge.storage.run_tables import StepRow

SUBMIT_LEASE_SECONDS = 90.0  # longer than a submit call's HTTP timeout


@dataclass
class Wait:
    """Stay held until ``next_at`` (the only option is cooling down or over its limits);
    the route and the skips are saved."""

    next_at: float
    route: RouteState
    skipped: list[dict[str, Any]]


@dataclass
class Launch:
    step: StepRow
    parents: list[StepRow]
    route: RouteState
    options: list[Option]
    entry: ModelEntry
    resolved: ResolvedProvider
    key: str  # the credential's key (limits, health)
    permit: Permit
    now: float
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def option(self) -> Option:
        return self.options[self.route.option]

    def lease(self) -> dict[str, Any]:
        """The columns the lease writes besides the status."""
        return {
            "attempts": self.step.attempts + 1,
            "next_at": self.now + SUBMIT_LEASE_SECONDS,
            "route": self.route.dump(),
        }

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """The events the lease writes: the skips on the way, then the submission."""
        node = self.step.node_id
        told = [("step.fallback", {"node": node, **item}) for item in self.skipped]
        attempt = {"node": node, "model": self.option.model, "attempt": self.route.tries}
        return [*told, ("step.submitting", attempt)]

    def leased_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """A new step's row (as its run is stored) with its lease already taken."""
        return {
            **row,
            **self.lease(),
            "status": StepStatus.SUBMITTING.value,
            "version": row["version"] + 1,
        }
