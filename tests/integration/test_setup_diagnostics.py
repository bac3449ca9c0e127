"""Setup hub: the diagnostics export is a JSON download with system, engines, providers,
installed models and the last log lines, and no planted secret appears anywhere in it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx

from reelforge.app import api_app, open_container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.runway import create_app
from reelforge.logs import get_logger
from tests.conftest import make_settings
from tests.helpers import free_port, serve_in_loop

PROVIDER_CANARY = "key_canary" + "9e" * 60
SECRET_CANARY = "secret-canary-3b8e1f0a7c6d5e4f"
URL_CANARY = "urlpass-canary-5d2c9b8a"


async def test_diagnostics_are_complete_and_hold_no_secret(tmp_path: Path) -> None:
    comfy = tmp_path / "ComfyUI"
    (comfy / "models" / "loras").mkdir(parents=True)
    (comfy / "main.py").write_text("raise SystemExit(0)\n")
    (comfy / "models" / "loras" / "film_grain.safetensors").write_bytes(b"\0" * 2048)
    emulator = create_app(EmulatorConfig(keys={PROVIDER_CANARY}))
    async with serve_in_loop(emulator) as url:
        settings = make_settings(
            tmp_path / "home",
            provider_base_urls={"runway": url},
            secret=SECRET_CANARY,
            public_base_url=f"https://user:{URL_CANARY}@studio.example.com/?token={URL_CANARY}",
            comfyui_dir=comfy,
            comfyui_port=free_port(),
            setup_check_timeout_seconds=3.0,
        )
        async with open_container(settings) as container:
            owner_key = settings.owner_key_path.read_text().strip()
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://t",
                headers={"Authorization": f"Bearer {owner_key}"},
                timeout=60,
            ) as c:
                connected = await c.post(
                    "/v1/setup/providers/runway/connect",
                    json={"values": {"api_key": PROVIDER_CANARY}},
                )
                assert connected.status_code == 200, connected.text
                user = (await c.post("/v1/users", json={"name": "ann"})).json()
                made = await c.post(f"/v1/users/{user['id']}/keys", json={"label": "a"})
                api_canary = made.json()["key"]
                # The provider now fails with a message that repeats the key.
                fault = {
                    "kind": "server_error",
                    "on": "account",
                    "times": -1,
                    "message": f"upstream rejected {PROVIDER_CANARY}",
                }
                async with httpx.AsyncClient(base_url=url) as emu:
                    assert (await emu.post("/__emulator/faults", json=fault)).status_code == 201
                # Secrets that reached a log line, and the engine's own log.
                log = get_logger("tests.diagnostics")
                log.warning("user_pasted", note=f"{PROVIDER_CANARY} {api_canary} {owner_key}")
                logging.getLogger("thirdparty").warning("raw %s %s", api_canary, SECRET_CANARY)
                engine_log = settings.home / "logs" / "comfyui.log"
                engine_log.parent.mkdir(parents=True, exist_ok=True)
                engine_log.write_text(f"loading with key {PROVIDER_CANARY}\nready\n")
                r = await c.get("/v1/setup/diagnostics")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["content-disposition"].endswith('.json"')
    for canary in (PROVIDER_CANARY, api_canary, owner_key, SECRET_CANARY, URL_CANARY):
        assert canary not in r.text, "a secret leaked into the diagnostics"
    doc: dict[str, Any] = json.loads(r.content)
    assert "[redacted]" in r.text, "the planted lines are there, masked"
    assert any("user_pasted" in line for line in doc["logs"]) and len(doc["logs"]) <= 100
    assert any("ready" in line for line in doc["engine_logs"]["comfyui"])
    info = doc["system_info"]
    assert info["python_version"] and info["os"] and info["disk_space"]["free_gb"] > 0
    assert "available" in info["gpu"]
    engines = {e["id"]: e for e in doc["engines"]}
    assert {"comfyui", "local", "liveportrait", "realesrgan", "topaz"} <= set(engines)
    assert engines["comfyui"]["status"] == "installed"
    runway = next(p for p in doc["providers"] if p["id"] == "runway")
    assert runway["status"] == "error" and runway["key_from"] == "stored"
    assert runway["error"].startswith("upstream rejected") or "runway" in runway["error"]
    files = doc["models_installed"]["files"]
    assert files == [
        {"path": "loras/film_grain.safetensors", "folder": "loras", "size_bytes": 2048}
    ]
    assert doc["settings"]["public_base_url"] == "https://***@studio.example.com/"
    assert {c["id"] for c in doc["checks"]} >= {"disk", "data_dir", "database", "ffmpeg"}
