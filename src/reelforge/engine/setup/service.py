"""The setup hub: one object the API and CLI doors call (seed 001 §4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.setup import diagnostics
from reelforge.engine.setup.comfyui import ComfyUIManager
from reelforge.engine.setup.config import SetupConfig
from reelforge.engine.setup.connect import connect_provider, disconnect_provider
from reelforge.engine.setup.matrix import HealthMatrix, now_iso, timed
from reelforge.providers.base import Health
from reelforge.providers.comfyui.adapter import ComfyUIProvider
from reelforge.providers.credentials import env_credential
from reelforge.providers.hub import ProviderHub
from reelforge.storage.db import Database

ENGINES = ("comfyui",)


class SetupHub:
    def __init__(self, config: SetupConfig, hub: ProviderHub, db: Database) -> None:
        self.config = config
        self.hub = hub
        self.db = db
        comfy = hub.live("comfyui") if "comfyui" in hub.registry.names() else None
        self.comfyui = ComfyUIManager(
            home=config.home,
            folder=config.comfyui_dir,
            port=config.comfyui_port,
            python=config.comfyui_python,
            url=self._comfyui_url(comfy),
            probe=self._probe(comfy),
            probe_timeout=config.check_timeout,
            scrub_env=self._key_env_vars(),
        )
        self.matrix = HealthMatrix(config, hub, db, self.comfyui)

    def _key_env_vars(self) -> set[str]:
        """Every provider's key variables: a started engine never inherits them."""
        names = self.hub.registry.names()
        classes = [self.hub.provider_class(n) for n in names]
        return {v for cls in classes for f in cls.credential_fields if f.secret for v in f.env_vars}

    def _comfyui_url(self, comfy: Any) -> str:
        if comfy is None:
            return "http://127.0.0.1:8188"
        env = env_credential(ComfyUIProvider)
        return str((env.values.get("url") if env else None) or comfy.base_url)

    @staticmethod
    def _probe(comfy: Any) -> Callable[[str], Awaitable[Health]]:
        health_of = getattr(comfy, "health_of", None)

        async def probe(url: str) -> Health:
            if health_of is None:
                return Health(ok=False, detail={"error": "no ComfyUI adapter installed"})
            result: Health = await health_of(url)
            return result

        return probe

    # -- providers -----------------------------------------------------------------------
    async def connect(self, owner_id: str, name: str, values: dict[str, str]) -> dict[str, Any]:
        answer = await connect_provider(
            self.hub, self.db, owner_id, name, values, timeout=self.config.check_timeout
        )
        # The matrix shows the fresh result at once (no stale "not connected").
        check, known = self.matrix.provider_check(name, owner_id)
        row = await timed(name, check, self.config.check_timeout, known)
        self.matrix.remember(owner_id, "providers", row)
        return answer

    async def disconnect(self, owner_id: str, name: str) -> dict[str, Any]:
        answer = await disconnect_provider(self.hub, self.db, owner_id, name)
        self.matrix.forget(owner_id, name)
        return answer

    # -- healthcheck ---------------------------------------------------------------------
    async def healthcheck(self, owner_id: str, *, fresh: bool = True) -> dict[str, Any]:
        if not fresh:
            last = self.matrix.last(owner_id)
            if last is not None:
                return last
        return await self.matrix.run(owner_id)

    # -- local engines -------------------------------------------------------------------
    def engine(self, name: str) -> ComfyUIManager:
        if name != "comfyui":
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"No local engine {name!r} can be started here.",
                detail={"engine": name, "available": list(ENGINES)},
                remediation=("The engines ReelForge can start: comfyui.",),
            )
        return self.comfyui

    # -- diagnostics ---------------------------------------------------------------------
    async def diagnostics(self, owner_id: str) -> dict[str, Any]:
        matrix = await self.matrix.run(owner_id)
        return diagnostics.build(
            matrix,
            comfyui_dir=self.config.comfyui_dir,
            settings=dict(self.config.shown_settings),
            engine_logs={"comfyui": self.comfyui.logs(diagnostics.LOG_LINES)},
            generated_at=now_iso(),
        )

    async def aclose(self) -> None:
        await self.comfyui.aclose()
