"""The healthcheck matrix: every engine, provider, optional tool and system check at once.

Every probe runs concurrently with its own timeout, so the whole answer takes no longer
than the slowest timeout, whatever hangs. A probe that overruns, raises or fails is one
``error`` row naming why; it never fails the matrix. The last result of each row is kept
(per user for providers, whose keys are per user), so "last check" means something and a
page can show the last matrix without probing again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from reelforge.domain.errors import ReelForgeError
from reelforge.engine.setup import system
from reelforge.engine.setup.comfyui import ComfyUIManager
from reelforge.engine.setup.config import SetupConfig
from reelforge.engine.setup.connect import balance_view, check_credential
from reelforge.engine.setup.tools import TOOLS
from reelforge.logs import redact_text
from reelforge.providers.hub import Connection, ProviderHub
from reelforge.storage.db import Database

# Registry entries that are local engines (shown under "engines", not "providers").
LOCAL_ENGINES = ("comfyui", "local")
Check = Callable[[], Awaitable[dict[str, Any]]]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def timed(
    row_id: str,
    check: Check,
    timeout: float,
    known: dict[str, Any] | None = None,
    *,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Run one probe within ``timeout`` (or until ``deadline``, a loop time shared by every
    probe of a matrix, so none outlives the matrix's own limit); whatever happens, a row
    comes back (on failure with what the probe learnt so far, ``known``: a connection)."""
    started = time.perf_counter()
    known = known if known is not None else {}
    if deadline is None:
        deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            row = await check()
    except TimeoutError:
        row = {**known, "status": "error", "error_code": "ENGINE_TIMEOUT"}
        row["error"] = f"no answer within {timeout:g} s (timed out)"
    except ReelForgeError as exc:
        row = {**known, "status": "error", "error": exc.message, "error_code": str(exc.code)}
    except Exception as exc:  # a probe's own bug: reported, never raised
        row = {**known, "status": "error", "error_code": "INTERNAL_ERROR"}
        row["error"] = redact_text(f"{type(exc).__name__}: {exc}")[:300]
    row.setdefault("error", None)
    row["id"] = row_id
    row["last_check"] = now_iso()
    row["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return row


class HealthMatrix:
    def __init__(
        self, config: SetupConfig, hub: ProviderHub, db: Database, comfyui: ComfyUIManager
    ) -> None:
        self.config = config
        self.hub = hub
        self.db = db
        self.comfyui = comfyui
        # (scope, section, row id) → last row; scope is the user for providers, "" else.
        self._last: dict[tuple[str, str, str], dict[str, Any]] = {}

    def remember(self, owner_id: str, section: str, row: dict[str, Any]) -> None:
        scope = owner_id if section == "providers" else ""
        self._last[(scope, section, row["id"])] = dict(row)

    def forget(self, owner_id: str, provider: str) -> None:
        self._last.pop((owner_id, "providers", provider), None)

    # -- one row each --------------------------------------------------------------------
    async def provider_row(
        self, name: str, owner_id: str, known: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``known`` is filled as facts are learnt, for the row of a check that fails."""
        cls = self.hub.provider_class(name)
        base: dict[str, Any] = known if known is not None else {}
        base.update(name=cls.display_name, kind="provider", balance=None)
        try:
            resolved = await self.hub.resolve(name, owner_id)
        except ReelForgeError:
            env_vars = [v for f in cls.credential_fields for v in f.env_vars[:1]]
            return {
                **base,
                "status": "not_connected",
                "connection": Connection.OFFLINE.value,
                "key_from": None,
                "sandbox": False,
                "remediation": f"Connect it: POST /v1/setup/providers/{name}/connect"
                + (f" (or set {', '.join(env_vars)})" if env_vars else ""),
            }
        base.update(
            connection=resolved.connection.value,
            key_from=resolved.credential.source,
            sandbox=resolved.sandbox,
        )
        balance = await check_credential(resolved.provider, resolved.credential)
        return {**base, "status": "connected", "balance": balance_view(balance)}

    def provider_check(self, name: str, owner_id: str) -> tuple[Check, dict[str, Any]]:
        known: dict[str, Any] = {}
        return (lambda: self.provider_row(name, owner_id, known)), known

    async def local_row(self) -> dict[str, Any]:
        health = await self.hub.live("local").health()
        row: dict[str, Any] = {"name": "Local media engine (ffmpeg, TTS)", "kind": "engine"}
        if not health.ok:
            return {
                **row,
                "status": "error",
                "error": health.detail.get("error"),
                "detail": health.detail,
            }
        return {**row, "status": "running", "balance": "free", "detail": health.detail}

    async def comfyui_row(self) -> dict[str, Any]:
        view = await self.comfyui.status()
        row = {"name": "ComfyUI (local)", "kind": "engine", "balance": "free", **view}
        if view["status"] in ("running", "starting", "installed"):
            row["summary"] = f"{view['url']}" + (" (started here)" if view["managed"] else "")
        # In sandbox mode the emulator answers ComfyUI calls when no server is configured.
        row["sandbox_fallback"] = self.config.sandbox and view["status"] != "running"
        return row

    def _system_checks(self) -> dict[str, Check]:
        c, timeout = self.config, self.config.check_timeout
        return {
            "disk": lambda: asyncio.to_thread(system.disk_space, c.home),
            "data_dir": lambda: asyncio.to_thread(system.write_permission, c.home),
            "gpu": lambda: system.gpu(timeout),
            "ffmpeg": lambda: system.ffmpeg(timeout),
            "tts_voices": lambda: asyncio.to_thread(system.tts_voices),
            "runner": lambda: _ready(system.runner(c)),
            "broker": lambda: system.broker(c, timeout),
            "database": lambda: system.database(self.db, c),
        }

    # -- the matrix ----------------------------------------------------------------------
    async def run(self, owner_id: str) -> dict[str, Any]:
        timeout = self.config.check_timeout
        started = time.perf_counter()
        deadline = asyncio.get_running_loop().time() + timeout
        plan: list[tuple[str, str, Check, dict[str, Any]]] = []
        for name in self.hub.registry.names():
            if name == "comfyui":
                plan.append(("engines", name, self.comfyui_row, _known("ComfyUI (local)")))
            elif name == "local":
                plan.append(("engines", name, self.local_row, _known("Local media engine")))
            else:
                check, known = self.provider_check(name, owner_id)
                plan.append(("providers", name, check, known))
        for tool_id, label, detect in TOOLS:
            plan.append(("tools", tool_id, _tool(label, detect, timeout), _known(label, "tool")))
        for check_id, system_check in self._system_checks().items():
            plan.append(("system", check_id, system_check, {"kind": "system"}))
        rows = await asyncio.gather(
            *(
                timed(rid, check, timeout, known, deadline=deadline)
                for _s, rid, check, known in plan
            )
        )
        answer: dict[str, Any] = {
            "checked_at": now_iso(),
            "timeout_seconds": timeout,
            "engines": [],
            "providers": [],
            "tools": [],
            "system": [],
        }
        for (section, *_rest), row in zip(plan, rows, strict=True):
            self.remember(owner_id, section, row)
            answer[section].append(row)
        answer["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        answer["summary"] = summary(answer)
        return answer

    def last(self, owner_id: str) -> dict[str, Any] | None:
        """The last matrix this user saw (None before the first check)."""
        answer: dict[str, Any] = {"engines": [], "providers": [], "tools": [], "system": []}
        found = False
        for (scope, section, _rid), row in sorted(self._last.items()):
            if scope in ("", owner_id):
                answer[section].append(dict(row))
                found = True
        if not found or (not answer["providers"] and self.hub.registry.names()):
            return None
        answer["cached"] = True
        answer["summary"] = summary(answer)
        return answer


def summary(answer: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for section in ("engines", "providers", "tools", "system"):
        for row in answer.get(section, []):
            counts[row["status"]] = counts.get(row["status"], 0) + 1
    return dict(sorted(counts.items()))


async def _ready(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _known(name: str, kind: str = "engine") -> dict[str, Any]:
    return {"name": name, "kind": kind}


def _tool(
    label: str, detect: Callable[[float], Awaitable[dict[str, Any]]], timeout: float
) -> Check:
    async def check() -> dict[str, Any]:
        row = await detect(timeout)
        return {"name": label, "kind": "tool", **row}

    return check
