"""The shared emulator framework: faults, time-driven tasks, files, synthetic media."""

from reelforge.emulators.base.app import (
    create_emulator_app,
    malformed_response,
    read_json,
    retry_after_headers,
    route_path,
)
from reelforge.emulators.base.faults import Fault, FaultPlan
from reelforge.emulators.base.state import EmulatorConfig, EmulatorState, FaultRaised
from reelforge.emulators.base.tasks import EmuTask, TaskStore

__all__ = [
    "EmuTask",
    "EmulatorConfig",
    "EmulatorState",
    "Fault",
    "FaultPlan",
    "FaultRaised",
    "TaskStore",
    "create_emulator_app",
    "malformed_response",
    "read_json",
    "retry_after_headers",
    "route_path",
]
