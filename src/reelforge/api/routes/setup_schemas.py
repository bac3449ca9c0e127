"""Response shapes of /v1/setup (so /openapi.json, and the typed web client made from it,
know them). Rows allow extra fields: each kind of check adds its own facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BalanceOut(BaseModel):
    amount: float | None = Field(description="In the provider's own unit, for display.")
    unit: str
    detail: dict[str, Any] = Field(default_factory=dict)


class ConnectOut(BaseModel):
    ok: bool
    provider: str
    verified: bool = Field(description="False when the adapter has no way to check a key.")
    balance: BalanceOut | None
    message: str
    fields: list[str] = Field(description="The credential fields stored (never their values).")
    updated_at: datetime


class DisconnectOut(BaseModel):
    ok: bool
    provider: str
    message: str


class HealthRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str | None = None
    kind: str | None = Field(default=None, description="engine, provider, tool or system.")
    status: str = Field(
        description="engines: running, starting, installed, not_installed, error; providers: "
        "connected, not_connected, error; tools: installed, not_installed, error; system: "
        "ok, warning, none, error."
    )
    balance: BalanceOut | str | None = None
    last_check: str = Field(description="When this row was checked (ISO 8601, UTC).")
    elapsed_ms: float
    error: str | None = None
    error_code: str | None = None
    summary: str | None = None
    remediation: str | None = None
    detail: dict[str, Any] | None = None


class HealthMatrixOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    checked_at: str | None = None
    timeout_seconds: float | None = None
    elapsed_ms: float | None = None
    cached: bool = Field(default=False, description="True: the last results (fresh=false).")
    summary: dict[str, int] = Field(description="How many rows have each status.")
    engines: list[HealthRow]
    providers: list[HealthRow]
    tools: list[HealthRow]
    system: list[HealthRow]


class EngineOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    engine: str
    status: str = Field(description="not_installed, installed, starting or running.")
    installed: bool
    folder: str | None
    url: str
    managed: bool = Field(description="True when ReelForge started it (and can stop it).")
    pid: int | None
    server: dict[str, Any] | None = Field(description="What /system_stats says when running.")
    can_start: bool
    remediation: str | None = None
    error: str | None = None


class EngineLogsOut(BaseModel):
    engine: str
    path: str
    lines: list[str]
