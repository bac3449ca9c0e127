"""MiniMax adapter against the MiniMax emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.minimax import SANDBOX_KEY, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.minimax import MiniMaxProvider
from reelforge.providers.plugins import load_registry, plugin_manager
from reelforge.providers.polling import generate, poll_until_complete
from tests.contract.mediacheck import Hooks, data_uri, hooks_server, mean_rgb, video_info
from tests.helpers import png_bytes, serve_asgi

CRED = Credential("minimax", {"api_key": SANDBOX_KEY}, "env")
BLUE = png_bytes(40, 60, (20, 30, 220))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.1, run_seconds=0.4))
    with serve_asgi(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    with hooks_server() as h:
        h.files["blue.png"] = (BLUE, "image/png")
        yield h


@pytest.fixture
def emu(server: tuple[Any, str]) -> Any:
    server[0].state.emulator.reset()
    return server[0].state.emulator


@pytest.fixture
async def mm(server: tuple[Any, str], emu: Any) -> AsyncIterator[MiniMaxProvider]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield MiniMaxProvider(client, base_url=server[1])


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as c:
        return await c.get(url)


def t2v(model: str = "MiniMax-Hailuo-2.3", **params: Any) -> GenerationRequest:
    return GenerationRequest(
        model=model, mode=Mode.T2V, prompt="a girl waves [Push in]", params=params
    )


async def run(mm: MiniMaxProvider, request: GenerationRequest) -> Any:
    return await generate(mm, request, CRED, interval=0.05, timeout=15)


async def test_text_to_video_query_then_retrieve(mm: MiniMaxProvider, emu: Any) -> None:
    seen: list[str | None] = []
    task = await mm.submit(t2v(duration=6, resolution="768p"), CRED)
    assert task.task_id.isdigit()
    update = await poll_until_complete(
        lambda: mm.poll(task, CRED),
        task_id=task.task_id,
        interval=0.03,
        timeout=10,
        on_update=lambda u: seen.append(u.message),
    )
    assert update.status is TaskStatus.SUCCEEDED
    assert "Processing" in seen and ({"Preparing", "Queueing"} & set(seen))
    out = update.outputs[0]
    assert (out.width, out.height, out.duration_seconds) == (320, 180, 6.0)
    info = video_info((await fetch(out.url)).content)
    assert (info.width, info.height) == (320, 180) and abs(info.duration - 6.0) < 0.3
    assert emu.tasks.submissions["total"] == 1
    assert emu.requests["poll"] >= 2  # the query and the file retrieve
    assert emu.tasks.tasks[task.task_id].params["resolution"] == "768P"


async def test_image_to_video_from_url_and_data_uri(
    mm: MiniMaxProvider, hooks: Hooks, emu: Any
) -> None:
    for url in (hooks.url("blue.png"), data_uri(BLUE, "image/png")):
        request = GenerationRequest(
            model="MiniMax-Hailuo-2.3-Fast",
            mode=Mode.I2V,
            prompt="she turns around",
            params={"duration": 10},
            inputs=[InputMedia(kind=MediaKind.IMAGE, url=url)],
        )
        result = await run(mm, request)
        info = video_info((await fetch(result.url)).content)
        assert (info.width, info.height) == (212, 320)  # follows the 2:3 first frame
        assert abs(info.duration - 10.0) < 0.3
        assert mean_rgb(info.frames[0])[2] > 150
    body = emu.tasks.tasks[result.task.task_id].params
    assert body["first_frame_image"].startswith("data:image/png;base64,")


async def test_first_and_last_frame_and_subject_reference(
    mm: MiniMaxProvider, hooks: Hooks, emu: Any
) -> None:
    frames = GenerationRequest(
        model="MiniMax-Hailuo-02",
        mode=Mode.I2V,
        prompt="morph",
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=hooks.url("blue.png"), slot="image"),
            InputMedia(kind=MediaKind.IMAGE, url=hooks.url("blue.png"), slot="end_image"),
        ],
    )
    task = await mm.submit(frames, CRED)
    assert emu.tasks.tasks[task.task_id].params["last_frame_image"] == hooks.url("blue.png")
    subject = GenerationRequest(
        model="S2V-01",
        mode=Mode.T2V,
        prompt="the person walks on a beach",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=hooks.url("blue.png"), slot="subject")],
    )
    result = await run(mm, subject)
    body = emu.tasks.tasks[result.task.task_id].params
    assert body["subject_reference"] == [{"type": "character", "image": [hooks.url("blue.png")]}]


async def test_bad_or_missing_key_is_auth_failed_inside_http_200(
    server: tuple[Any, str], mm: MiniMaxProvider, emu: Any
) -> None:
    bad = Credential("minimax", {"api_key": "minimax-wrong"}, "env")
    for call in (lambda: mm.submit(t2v(), bad), lambda: mm.verify(bad)):
        with pytest.raises(ReelForgeError) as info:
            await call()
        assert info.value.code is ErrorCode.AUTH_FAILED
        assert info.value.detail["provider_code"] == 2049
        assert "minimax-wrong" not in str(info.value.to_dict())
    async with httpx.AsyncClient() as raw:
        missing = await raw.post(f"{server[1]}/v1/video_generation", json={"model": "T2V-01"})
    assert missing.status_code == 200 and missing.headers["trace-id"]
    assert missing.json()["base_resp"]["status_code"] == 1004
    assert await mm.verify(CRED) is True
    assert (await mm.health()).ok
    assert emu.tasks.submissions["total"] == 0


async def test_http_401_variant_is_auth_failed(mm: MiniMaxProvider, emu: Any) -> None:
    emu.faults.add("auth", on="submit", status=401)
    with pytest.raises(ReelForgeError) as info:
        await mm.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.AUTH_FAILED


async def test_out_of_credit_is_1008(mm: MiniMaxProvider, emu: Any) -> None:
    emu.faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await mm.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    assert info.value.detail["provider_code"] == 1008
    assert emu.tasks.submissions["total"] == 0


async def test_rate_limits_in_200_and_as_429_with_retry_after(
    mm: MiniMaxProvider, emu: Any
) -> None:
    emu.faults.add("rate_limit", on="submit")
    with pytest.raises(ReelForgeError) as business:
        await mm.submit(t2v(), CRED)
    assert business.value.code is ErrorCode.RATE_LIMITED and business.value.retryable
    emu.faults.add("rate_limit", on="submit", status=429, seconds=5)
    with pytest.raises(ReelForgeError) as http:
        await mm.submit(t2v(), CRED)
    assert http.value.code is ErrorCode.RATE_LIMITED and http.value.retry_after == 5


async def test_server_error_then_success(mm: MiniMaxProvider, emu: Any) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=502)
    result = await run(mm, t2v())
    assert result.url and emu.requests["poll"] >= 4
    emu.faults.add("malformed", on="poll")
    with pytest.raises(ReelForgeError) as info:
        await mm.poll(result.task, CRED)
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable


@pytest.mark.parametrize(("on", "code"), [("submit", 1026), ("poll", 1027)])
async def test_moderation_fail_is_safety_filter(
    mm: MiniMaxProvider, emu: Any, on: str, code: int
) -> None:
    emu.faults.add("moderation", on=on)
    with pytest.raises(ReelForgeError) as info:
        await run(mm, t2v())
    assert info.value.code is ErrorCode.SAFETY_FILTER and not info.value.retryable
    assert info.value.detail["provider_code"] == code


async def test_generic_fail_is_retryable(mm: MiniMaxProvider, emu: Any) -> None:
    emu.faults.add("fail", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await run(mm, t2v())
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable


async def test_timeout_resumes_by_task_id(mm: MiniMaxProvider, emu: Any) -> None:
    request = t2v()
    # The task holds until released, so the deadline passes however slow the machine is.
    emu.faults.add("stuck", on="submit")
    task = await mm.submit(request, CRED)
    stored = task.model_dump_json()
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: mm.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=0.01
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    held = emu.tasks.get(task.task_id)
    assert held is not None and held.stuck
    held.stuck = False
    resumed = ProviderTask.model_validate_json(stored)
    result = await generate(mm, request, CRED, interval=0.05, timeout=10, task=resumed)
    assert result.url and emu.tasks.submissions["total"] == 1


async def test_expired_download_url_answers_403(mm: MiniMaxProvider, emu: Any) -> None:
    result = await run(mm, t2v())
    emu.faults.add("expired_output", on="files")
    assert (await fetch(result.url)).status_code == 403


async def test_invalid_params_are_validation_errors(mm: MiniMaxProvider, emu: Any) -> None:
    with pytest.raises(ReelForgeError) as info:
        await mm.submit(t2v(duration=10, resolution="1080P"), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["provider_code"] == 2013 and "duration" in info.value.message
    with pytest.raises(ReelForgeError) as needs_image:
        await mm.submit(t2v(model="I2V-01"), CRED)
    assert "first_frame_image" in needs_image.value.message
    assert emu.tasks.submissions["total"] == 0


def test_registered_as_plugin_and_emulator() -> None:
    assert load_registry(plugin_manager(load_entry_points=False)).get("minimax") is MiniMaxProvider
    assert registry.load("minimax").sandbox_credential == {"api_key": SANDBOX_KEY}
