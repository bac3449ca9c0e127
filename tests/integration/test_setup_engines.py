"""Setup hub: a ComfyUI the user installed is started, stopped, restarted and its logs
read as a real process (a fake ComfyUI folder whose main.py serves /system_stats), and
optional tools on PATH are detected by running nothing but ``--version``."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.api.routes.setup import setup_config, setup_hub
from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.engine.setup import SetupHub
from reelforge.engine.setup import comfyui as comfyui_module
from tests.conftest import make_settings
from tests.helpers import free_port

FAKE_MAIN = textwrap.dedent(
    """
    import argparse, json, os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--listen")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    print(f"Starting server on {args.listen}:{args.port}", flush=True)
    print("inherited key:", os.environ.get("RUNWAY_API_KEY", "absent"), flush=True)
    if os.path.exists("stubborn"):
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.path.exists("crash"):
        print("Traceback: torch not found", flush=True)
        sys.exit(3)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/system_stats":
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps({"system": {"comfyui_version": "0.3.fake"}, "devices": []})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, fmt, *a):
            print("GET", self.path, flush=True)

    ThreadingHTTPServer((args.listen, args.port), Handler).serve_forever()
    """
)


def fake_comfyui(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(FAKE_MAIN)
    checkpoints = folder / "models" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "put_checkpoints_here").write_text("")
    (checkpoints / "sd15.safetensors").write_bytes(b"\0" * 1024)
    return folder


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # not a zombie


@pytest.fixture
async def comfy(tmp_path: Path) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    settings = make_settings(
        tmp_path / "home",
        comfyui_dir=fake_comfyui(tmp_path / "ComfyUI"),
        comfyui_port=free_port(),
        comfyui_python=sys.executable,
        setup_check_timeout_seconds=3.0,
    )
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


async def test_start_stop_restart_and_logs(
    comfy: tuple[Container, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _container, c = comfy
    status = (await c.get("/v1/setup/engines/comfyui")).json()
    assert status["status"] == "installed" and status["can_start"] is True
    monkeypatch.setenv("RUNWAY_API_KEY", "key_inherited_secret_1234")
    started = await c.post("/v1/setup/engines/comfyui/start", params={"wait": "true"})
    monkeypatch.delenv("RUNWAY_API_KEY")
    assert started.status_code == 200, started.text
    view = started.json()
    assert view["status"] == "running" and view["managed"] is True
    assert view["server"]["comfyui_version"] == "0.3.fake"
    pid = view["pid"]
    assert alive(pid)
    # Starting again changes nothing.
    again = (await c.post("/v1/setup/engines/comfyui/start")).json()
    assert again["pid"] == pid and again["status"] == "running"
    matrix = (await c.get("/v1/setup/healthcheck")).json()
    row = next(e for e in matrix["engines"] if e["id"] == "comfyui")
    assert row["status"] == "running" and row["last_check"]
    logs = (await c.get("/v1/setup/engines/comfyui/logs", params={"lines": 50})).json()
    text = "\n".join(logs["lines"])
    assert f"Starting server on 127.0.0.1:{view['url'].rsplit(':', 1)[1]}" in text
    assert "inherited key: absent" in text, "the engine never inherits provider keys"
    assert "GET /system_stats" in text
    restarted = (await c.post("/v1/setup/engines/comfyui/restart", params={"wait": "true"})).json()
    assert restarted["status"] == "running" and restarted["pid"] != pid
    assert not alive(pid)
    stopped = (await c.post("/v1/setup/engines/comfyui/stop")).json()
    assert stopped["status"] == "installed" and stopped["pid"] is None
    assert not alive(restarted["pid"])


async def test_a_restarted_reelforge_can_still_stop_it(
    comfy: tuple[Container, httpx.AsyncClient],
) -> None:
    container, c = comfy
    view = (await c.post("/v1/setup/engines/comfyui/start", params={"wait": "true"})).json()
    assert view["status"] == "running"
    # A second hub (as after a restart of ReelForge) knows it from the recorded pid.
    other = SetupHub(setup_config(container.settings), container.hub, container.db)
    seen = await other.comfyui.status()
    assert seen["status"] == "running" and seen["managed"] and seen["pid"] == view["pid"]
    stopped = await other.comfyui.stop()
    assert stopped["status"] == "installed" and not alive(view["pid"])


async def test_an_engine_that_ignores_sigterm_is_killed(
    comfy: tuple[Container, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, c = comfy
    assert container.settings.comfyui_dir is not None
    (container.settings.comfyui_dir / "stubborn").write_text("")
    monkeypatch.setattr(comfyui_module, "STOP_GRACE_SECONDS", 0.5)
    view = (await c.post("/v1/setup/engines/comfyui/start", params={"wait": "true"})).json()
    assert view["status"] == "running"
    stopped = (await c.post("/v1/setup/engines/comfyui/stop")).json()
    assert stopped["status"] == "installed" and not alive(view["pid"])


async def test_a_crash_at_start_is_reported_with_its_log(
    comfy: tuple[Container, httpx.AsyncClient],
) -> None:
    container, c = comfy
    assert container.settings.comfyui_dir is not None
    (container.settings.comfyui_dir / "crash").write_text("")
    r = await c.post("/v1/setup/engines/comfyui/start", params={"wait": "true"})
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "ENGINE_OFFLINE" and error["detail"]["exit_code"] == 3
    assert any("torch not found" in line for line in error["detail"]["log"])


async def test_not_installed_and_unknown_engine(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "home", comfyui_port=free_port(), setup_check_timeout_seconds=2.0
    )
    async with open_container(settings) as container:
        hub = setup_hub(container)
        status = await hub.comfyui.status()
        assert status["status"] == "not_installed" and "remediation" in status
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://t",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            r = await c.post("/v1/setup/engines/comfyui/start")
            assert r.status_code == 424 and r.json()["error"]["code"] == "DEPENDENCY_MISSING"
            assert "never installs" in " ".join(r.json()["error"]["remediation"])
            assert (await c.post("/v1/setup/engines/blender/start")).status_code == 404


def _script(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


async def test_tools_and_gpu_are_detected_by_version_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "executed"
    _script(
        bin_dir,
        "realesrgan-ncnn-vulkan",
        f'[ "$1" = "--version" ] && echo "realesrgan-ncnn-vulkan 20220424" && exit 0\n'
        f"touch {marker}\n",
    )
    _script(bin_dir, "tvai", "exec sleep 60\n")  # a tool that hangs on --version
    _script(
        bin_dir,
        "nvidia-smi",
        'echo "NVIDIA Fake 4090, 24564 MiB, 550.54"\n',
    )
    package = tmp_path / "site" / "liveportrait"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    settings = make_settings(tmp_path / "home", setup_check_timeout_seconds=2.0)
    async with open_container(settings) as container:
        matrix = await setup_hub(container).healthcheck("nobody")
    tools = {row["id"]: row for row in matrix["tools"]}
    assert tools["realesrgan"]["status"] == "installed"
    assert tools["realesrgan"]["detail"]["version"] == "realesrgan-ncnn-vulkan 20220424"
    assert tools["liveportrait"]["status"] == "installed"
    assert tools["liveportrait"]["detail"]["path"].endswith("__init__.py")
    assert tools["topaz"]["status"] == "error" and "answer within" in tools["topaz"]["error"]
    assert not marker.exists(), "detection ran nothing but --version and imported nothing"
    gpu = next(row for row in matrix["system"] if row["id"] == "gpu")
    assert gpu["status"] == "ok" and gpu["detail"]["model"] == "NVIDIA Fake 4090"
