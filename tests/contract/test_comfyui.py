"""ComfyUI adapter against its emulator over real HTTP and WebSocket on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import av
import httpx
import pytest
import websockets
from PIL import Image
from starlette.applications import Starlette

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.comfyui import create_app
from reelforge.emulators.comfyui.engine import ComfyServer
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.comfyui import ComfyUIProvider
from reelforge.providers.comfyui.templates import get_template
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import free_port, png_bytes, serve_asgi

NONE = Credential("comfyui", {}, "none")


class Emu:
    def __init__(self, app: Starlette, url: str) -> None:
        self.url = url
        self.state: EmulatorState = app.state.emulator
        self.server: ComfyServer = app.state.comfy

    def reset(self, queue: float = 0.05, run: float = 0.6) -> None:
        self.state.reset()
        self.state.tasks.queue_seconds, self.state.tasks.run_seconds = queue, run


@pytest.fixture(scope="module")
def emu() -> Iterator[Emu]:
    app = create_app(EmulatorConfig())
    with serve_asgi(app) as url:
        yield Emu(app, url)


@pytest.fixture
async def provider(emu: Emu) -> AsyncIterator[ComfyUIProvider]:
    emu.reset()
    async with httpx.AsyncClient(timeout=10) as client:
        p = ComfyUIProvider(client, emu.url)
        p.ws_window = 0.3
        yield p


def _request(model: str = "sd15_txt2img", **kw: Any) -> GenerationRequest:
    mode = get_template(model).mode
    values: dict[str, Any] = {
        "model": model,
        "mode": mode,
        "prompt": "a red fox in snow",
        "seed": 9,
    }
    values.update(kw)
    return GenerationRequest(**values)


async def _error(coro: Any) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        await coro
    return info.value


def _decode(url: str) -> bytes:
    assert url.startswith("data:")
    return base64.b64decode(url.split(",", 1)[1])


def _png_input(size: int = 96) -> InputMedia:
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(size, size)).decode()
    return InputMedia(kind=MediaKind.IMAGE, url=uri, slot="image")


async def test_text_to_image_reports_progress_and_returns_the_saved_image(
    provider: ComfyUIProvider, emu: Emu
) -> None:
    emu.reset(run=1.5)
    updates: list[TaskUpdate] = []
    request = _request(negative_prompt="blurry", params={"steps": 12, "cfg": 6.5, "width": 384})
    result = await generate(
        provider, request, NONE, timeout=10, interval=0.05, on_update=updates.append
    )
    running = [u for u in updates if u.status is TaskStatus.RUNNING and u.progress]
    assert running and all(0 < u.progress < 1 for u in running)  # type: ignore[operator]
    out = result.outputs[0]
    image = Image.open(io.BytesIO(_decode(out.url)))
    assert image.format == "PNG" and image.size == (384, 512) == (out.width, out.height)
    graph = next(iter(emu.server.prompts.values())).graph
    assert graph["6"]["inputs"]["text"] == "a red fox in snow"
    assert graph["7"]["inputs"]["text"] == "blurry"
    assert graph["3"]["inputs"]["seed"] == 9 and graph["3"]["inputs"]["cfg"] == 6.5
    assert emu.state.tasks.submissions["total"] == 1


async def test_the_websocket_sends_the_real_message_sequence(emu: Emu) -> None:
    emu.reset(queue=0.1, run=0.5)
    client_id = uuid.uuid4().hex
    graph = get_template("sd15_txt2img").fill(
        prompt="fox", negative=None, seed=1, params={"steps": 4}, images={}
    )
    async with websockets.connect(f"ws{emu.url[4:]}/ws?clientId={client_id}") as socket:
        first = json.loads(await socket.recv())
        assert first["type"] == "status" and first["data"]["sid"] == client_id
        async with httpx.AsyncClient() as http:
            answer = (
                await http.post(f"{emu.url}/prompt", json={"prompt": graph, "client_id": client_id})
            ).json()
        pid = answer["prompt_id"]
        kinds: list[str] = []
        while True:
            message = json.loads(await socket.recv())
            kinds.append(message["type"])
            data = message["data"]
            if message["type"] == "executing" and data["node"] is None:
                assert data["prompt_id"] == pid
                break
    core = [k for k in kinds if k != "status"]
    assert core[:3] == ["execution_start", "execution_cached", "executing"]
    assert core[-2:] == ["execution_success", "executing"]
    assert "progress" in core and core.index("progress") < core.index("executed")
    assert "status" in kinds


async def test_image_to_image_uploads_the_input(provider: ComfyUIProvider, emu: Emu) -> None:
    request = _request("sd15_img2img", inputs=[_png_input()], params={"denoise": 0.4})
    result = await generate(provider, request, NONE, timeout=10, interval=0.1)
    ((sub, name),) = emu.server.inputs
    assert sub == ""
    assert name.startswith("reelforge_") and name.endswith(".png")
    graph = next(iter(emu.server.prompts.values())).graph
    assert graph["10"]["inputs"]["image"] == name and graph["3"]["inputs"]["denoise"] == 0.4
    assert Image.open(io.BytesIO(_decode(result.url))).format == "PNG"
    missing = await _error(provider.submit(_request("sd15_img2img"), NONE))
    assert missing.code is ErrorCode.VALIDATION_ERROR and missing.detail["field"] == "inputs"


async def test_upscale_makes_the_image_bigger(provider: ComfyUIProvider) -> None:
    request = GenerationRequest(model="esrgan_upscale", mode=Mode.UPSCALE, inputs=[_png_input(64)])
    result = await generate(provider, request, NONE, timeout=10, interval=0.1)
    assert Image.open(io.BytesIO(_decode(result.url))).size == (256, 256)


async def test_text_to_video_is_a_real_mp4(provider: ComfyUIProvider) -> None:
    request = _request("wan21_t2v", params={"width": 320, "height": 192, "frames": 33, "fps": 16})
    result = await generate(provider, request, NONE, timeout=10, interval=0.1)
    out = result.outputs[0]
    assert out.media_type is MediaKind.VIDEO and out.content_type == "video/mp4"
    with av.open(io.BytesIO(_decode(out.url))) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 192)
        assert abs(float(container.duration) / 1e6 - 33 / 16) < 0.2


async def test_missing_node_types_are_named(provider: ComfyUIProvider, emu: Emu) -> None:
    emu.server.removed_nodes.update({"LoraLoader", "SaveVideo"})
    err = await _error(
        provider.submit(
            _request("sd15_txt2img_lora", params={"lora": "add_detail.safetensors"}), NONE
        )
    )
    assert err.code is ErrorCode.DEPENDENCY_MISSING and err.detail["missing_nodes"] == [
        "LoraLoader"
    ]
    err = await _error(provider.submit(_request("wan21_t2v"), NONE))
    assert err.detail["missing_nodes"] == ["SaveVideo"]
    assert emu.state.tasks.submissions["total"] == 0


async def test_model_files_and_lora(provider: ComfyUIProvider, emu: Emu) -> None:
    err = await _error(provider.submit(_request("sd15_txt2img_lora"), NONE))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "lora"
    err = await _error(
        provider.submit(_request("sd15_txt2img_lora", params={"lora": "gone.safetensors"}), NONE)
    )
    assert err.code is ErrorCode.DEPENDENCY_MISSING
    assert err.detail["missing_models"][0]["value"] == "gone.safetensors"
    task = await provider.submit(
        _request(
            "sd15_txt2img_lora", params={"lora": "film_grain.safetensors", "lora_strength": 0.7}
        ),
        NONE,
    )
    lora = emu.server.prompts[task.task_id].graph["10"]["inputs"]
    assert (lora["lora_name"], lora["strength_model"], lora["strength_clip"]) == (
        "film_grain.safetensors",
        0.7,
        0.7,
    )
    emu.server.models["checkpoints"] = ["dreamshaper_8.safetensors"]
    err = await _error(provider.submit(_request(), NONE))
    assert err.code is ErrorCode.DEPENDENCY_MISSING
    assert err.detail["missing_models"][0]["available"] == ["dreamshaper_8.safetensors"]
    assert await provider.submit(_request(params={"checkpoint": "dreamshaper_8.safetensors"}), NONE)


async def test_bad_params_are_named(provider: ComfyUIProvider) -> None:
    err = await _error(provider.submit(_request(params={"guidance": 3}), NONE))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "guidance"
    err = await _error(provider.submit(_request(params={"steps": "many"}), NONE))
    assert err.detail["field"] == "steps"
    err = await _error(provider.submit(_request(params={"sampler": "magic"}), NONE))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "sampler_name"
    err = await _error(
        provider.submit(_request(model="sd15_txt2img").model_copy(update={"model": "nope"}), NONE)
    )
    assert err.code is ErrorCode.NOT_FOUND


async def test_server_side_rejections_map_to_our_codes(emu: Emu) -> None:
    emu.reset()
    async with httpx.AsyncClient() as http:
        unknown = await http.post(
            f"{emu.url}/prompt", json={"prompt": {"1": {"class_type": "Nope", "inputs": {}}}}
        )
        graph = get_template("sd15_txt2img").fill(
            prompt="x", negative=None, seed=1, params={}, images={}
        )
        graph["4"]["inputs"]["ckpt_name"] = "absent.safetensors"
        bad_model = await http.post(f"{emu.url}/prompt", json={"prompt": graph})
        empty = await http.post(f"{emu.url}/prompt", json={})
    from reelforge.providers.comfyui.wire import prompt_rejection

    assert unknown.status_code == 400 and unknown.json()["error"]["type"] == "invalid_prompt"
    assert prompt_rejection(400, unknown.json()).detail["missing_nodes"] == ["Nope"]
    body = bad_model.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["node_errors"]["4"]["errors"][0]["type"] == "value_not_in_list"
    assert prompt_rejection(400, body).code is ErrorCode.DEPENDENCY_MISSING
    assert empty.json()["error"]["type"] == "no_prompt"


async def test_a_failing_node_fails_the_task(provider: ComfyUIProvider, emu: Emu) -> None:
    emu.state.faults.add("fail", on="submit", message="CUDA error: device-side assert")
    err = await _error(generate(provider, _request(), NONE, timeout=10, interval=0.1))
    assert err.code is ErrorCode.PROVIDER_ERROR and not err.retryable
    assert err.detail["node_type"] == "KSampler"


async def test_interrupt_a_running_prompt_and_delete_a_pending_one(
    provider: ComfyUIProvider, emu: Emu
) -> None:
    emu.state.faults.add("stuck", on="submit")
    task = await provider.submit(_request(), NONE)
    for _ in range(20):  # each poll listens on /ws for up to 0.3 s
        if (await provider.poll(task, NONE)).status is TaskStatus.RUNNING:
            break
    assert await provider.cancel(task, NONE)
    assert (await provider.poll(task, NONE)).status is TaskStatus.CANCELED
    emu.reset(queue=30)
    pending = await provider.submit(_request(), NONE)
    assert (await provider.poll(pending, NONE)).status is TaskStatus.QUEUED
    assert await provider.cancel(pending, NONE)
    assert not await provider.cancel(pending, NONE)


async def test_timeout_then_resume_by_task_id(provider: ComfyUIProvider, emu: Emu) -> None:
    emu.reset(run=2.0)
    task = await provider.submit(_request(), NONE)
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: provider.poll(task, NONE), task_id=task.task_id, interval=0.1, timeout=0.4
        )
    assert (
        info.value.code is ErrorCode.ENGINE_TIMEOUT and info.value.detail["task_id"] == task.task_id
    )
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    async with httpx.AsyncClient(timeout=10) as client:
        fresh = ComfyUIProvider(client, "http://127.0.0.1:1")  # the server is in task.meta
        done = await poll_until_complete(
            lambda: fresh.poll(stored, NONE), task_id=stored.task_id, interval=0.1, timeout=10
        )
    assert done.status is TaskStatus.SUCCEEDED and done.outputs
    assert emu.state.tasks.submissions["total"] == 1


async def test_poll_errors_are_waited_out(provider: ComfyUIProvider, emu: Emu) -> None:
    task = await provider.submit(_request(), NONE)
    emu.state.faults.add("server_error", on="poll", status=500, times=2)
    emu.state.faults.add("rate_limit", on="poll", seconds=1)
    done = await poll_until_complete(
        lambda: provider.poll(task, NONE), task_id=task.task_id, interval=0.1, timeout=10
    )
    assert done.status is TaskStatus.SUCCEEDED


async def test_idempotency_key_submits_once(provider: ComfyUIProvider, emu: Emu) -> None:
    first = await provider.submit(_request(idempotency_key="step-1"), NONE)
    again = await provider.submit(_request(idempotency_key="step-1"), NONE)
    assert first.task_id == again.task_id and emu.state.tasks.submissions["total"] == 1


async def test_without_websocket_history_polling_still_finishes(emu: Emu) -> None:
    # In-process transport (as sandbox mode uses): /ws cannot be reached, /history can.
    emu.reset()
    app = create_app(EmulatorConfig(queue_seconds=0.05, run_seconds=0.3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        provider = ComfyUIProvider(client, "http://comfyui.sandbox.invalid")
        result = await generate(provider, _request(), NONE, timeout=10, interval=0.1)
    assert result.outputs[0].media_type is MediaKind.IMAGE


async def test_health_verify_and_offline(provider: ComfyUIProvider) -> None:
    health = await provider.health()
    assert health.ok and health.detail["devices"][0]["vram_total"] > 0
    assert health.detail["comfyui_version"]
    assert await provider.verify(NONE)
    async with httpx.AsyncClient(timeout=2) as client:
        down = ComfyUIProvider(client, f"http://127.0.0.1:{free_port()}")
        assert not (await down.health()).ok
        assert (await _error(down.verify(NONE))).code is ErrorCode.ENGINE_OFFLINE
        assert (await _error(down.submit(_request(), NONE))).code is ErrorCode.ENGINE_OFFLINE
        # The configured COMFYUI_URL (credential field "url") wins over the base URL.
        assert await down.verify(Credential("comfyui", {"url": provider.base_url}, "env"))


async def test_view_checks_paths_and_origin(emu: Emu) -> None:
    async with httpx.AsyncClient() as http:
        assert (
            await http.get(f"{emu.url}/view", params={"filename": "../x.png"})
        ).status_code == 400
        assert (
            await http.get(f"{emu.url}/view", params={"filename": "none.png"})
        ).status_code == 404
        foreign = await http.get(
            f"{emu.url}/system_stats", headers={"Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        assert (await http.get(f"{emu.url}/api/system_stats")).status_code == 200
