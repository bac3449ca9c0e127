"""Setup hub: the healthcheck matrix covers every engine, provider, tool and system check;
a provider that hangs is one row timed out, and the rest answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.api.routes.setup import setup_hub
from reelforge.app import api_app, open_container
from reelforge.container import Container
from tests.conftest import make_settings

CHECK_TIMEOUT = 3.0


@pytest.fixture
async def hub_client(tmp_path: Path) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    settings = make_settings(tmp_path / "home", setup_check_timeout_seconds=CHECK_TIMEOUT)
    async with open_container(settings) as container:
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            yield container, client


def _rows(matrix: dict[str, object], section: str) -> dict[str, dict[str, object]]:
    rows = matrix[section]
    assert isinstance(rows, list)
    return {row["id"]: row for row in rows}


async def test_matrix_covers_engines_providers_tools_and_system(
    hub_client: tuple[Container, httpx.AsyncClient],
) -> None:
    container, client = hub_client
    r = await client.get("/v1/setup/healthcheck")
    assert r.status_code == 200, r.text
    matrix = r.json()
    engines, providers = _rows(matrix, "engines"), _rows(matrix, "providers")
    tools, system = _rows(matrix, "tools"), _rows(matrix, "system")
    names = set(container.hub.registry.names())
    assert set(engines) | set(providers) == names, "every registered provider has a row"
    assert set(engines) == {"comfyui", "local"}
    assert engines["local"]["status"] == "running"
    # Nothing configured: ComfyUI is not installed, with the way to fix it, not an error.
    assert engines["comfyui"]["status"] == "not_installed"
    assert "REELFORGE_COMFYUI_DIR" in str(engines["comfyui"]["remediation"])
    for name, row in providers.items():
        # Sandbox mode: every provider is answered by its emulator, and is labelled so.
        assert row["status"] == "connected", (name, row)
        assert row["sandbox"] is True and row["connection"] == "sandbox"
        assert row["last_check"] and row["error"] is None
    assert providers["runway"]["balance"]["unit"] == "credits"
    assert set(tools) == {"liveportrait", "realesrgan", "topaz"}
    assert set(system) == {
        "disk",
        "data_dir",
        "gpu",
        "ffmpeg",
        "tts_voices",
        "runner",
        "broker",
        "database",
    }
    assert system["data_dir"]["status"] == "ok" and system["data_dir"]["detail"]["writable"]
    assert system["disk"]["detail"]["free_gb"] > 0
    assert system["ffmpeg"]["status"] == "ok" and "ffmpeg" in system["ffmpeg"]["detail"]["version"]
    assert system["database"]["detail"]["dialect"] == "sqlite"
    assert system["database"]["detail"]["revision"]
    assert system["runner"]["detail"]["kind"] == "embedded"
    assert system["broker"]["status"] == "none"
    assert system["gpu"]["status"] in ("none", "ok")
    assert matrix["timeout_seconds"] == CHECK_TIMEOUT
    # The last results are kept: fresh=false answers them without probing.
    cached = (await client.get("/v1/setup/healthcheck", params={"fresh": "false"})).json()
    assert cached["cached"] is True
    assert _rows(cached, "providers")["runway"]["last_check"] == providers["runway"]["last_check"]


async def test_a_hanging_provider_times_out_alone(
    hub_client: tuple[Container, httpx.AsyncClient],
) -> None:
    container, client = hub_client
    emulator = container.hub.sandbox_endpoints["runway"].client
    fault = {"kind": "timeout", "on": "any", "times": -1, "seconds": 120}
    assert (await emulator.post("/__emulator/faults", json=fault)).status_code == 201
    matrix = (await client.get("/v1/setup/healthcheck")).json()
    providers = _rows(matrix, "providers")
    runway = providers["runway"]
    assert runway["status"] == "error" and runway["error_code"] == "ENGINE_TIMEOUT"
    assert "timed out" in runway["error"]
    assert runway["connection"] == "sandbox" and runway["name"] == "Runway", "what was known"
    # The rest answered on their own; the matrix waited for runway's limit, no longer.
    others = [row for name, row in providers.items() if name != "runway"]
    assert others and all(row["status"] == "connected" for row in others)
    assert matrix["elapsed_ms"] < 120_000
    assert matrix["summary"]["error"] == 1


async def test_failing_key_is_an_error_row(hub_client: tuple[Container, httpx.AsyncClient]) -> None:
    container, client = hub_client
    emulator = container.hub.sandbox_endpoints["runway"].client
    await emulator.post("/__emulator/faults", json={"kind": "auth", "on": "any", "times": -1})
    runway = _rows((await client.get("/v1/setup/healthcheck")).json(), "providers")["runway"]
    assert runway["status"] == "error" and runway["error_code"] == "AUTH_FAILED"


async def test_offline_provider_is_not_connected(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", sandbox=False, setup_check_timeout_seconds=2.0)
    async with open_container(settings) as container:
        row = await setup_hub(container).matrix.provider_row("runway", "nobody")
    assert row["status"] == "not_connected" and row["connection"] == "offline"
    assert "RUNWAY_API_KEY" in row["remediation"]
