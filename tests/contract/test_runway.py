"""Runway adapter (and Runway's own SDK) against the emulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import av
import httpx
import pytest
import runwayml
from PIL import Image
from runwayml.lib import polling as runway_polling
from starlette.applications import Starlette

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.runway import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.polling import generate, poll_until_complete
from reelforge.providers.runway import RunwayProvider, task_update
from tests.helpers import serve_asgi

CRED = Credential("runway", SANDBOX_CREDENTIAL, "sandbox")
BAD_KEY = "key_" + "0badc0de" * 16


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.1, run_seconds=0.4))
    with serve_asgi(app) as url:
        yield app, url


@pytest.fixture
def emu(served: tuple[Starlette, str]) -> EmulatorState:
    state: EmulatorState = served[0].state.emulator
    state.reset()
    return state


@pytest.fixture
async def provider(
    served: tuple[Starlette, str], emu: EmulatorState
) -> AsyncIterator[RunwayProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield RunwayProvider(client, base_url=served[1])


def _striped_png(width: int = 160, height: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), (230, 120, 10))
    for x in range(0, width, 10):
        image.paste((255, 255, 255), (x, 0, x + 3, height))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def _download(url: str) -> bytes:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.content


def _probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        return {
            "size": (video.width, video.height),
            "seconds": float(container.duration or 0) / 1e6,
            "frames": frames,
        }


async def _generate(provider: RunwayProvider, request: GenerationRequest, **kw: Any) -> Any:
    return await generate(provider, request, CRED, interval=0.05, timeout=20, **kw)


def i2v(model: str = "gen4_turbo", **params: Any) -> GenerationRequest:
    return GenerationRequest(
        model=model,
        mode=Mode.I2V,
        prompt="slow dolly in",
        seed=42,
        params={"ratio": "1280:720", "duration": 3, **params},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_data_uri(_striped_png()), slot="image")],
    )


def t2v(**params: Any) -> GenerationRequest:
    return GenerationRequest(
        model="gen4.5",
        mode=Mode.T2V,
        prompt="a lighthouse at dusk",
        params={"ratio": "720:1280", "duration": 3, **params},
    )


async def test_image_to_video_animates_the_image_and_reports_cost(
    provider: RunwayProvider, emu: EmulatorState
) -> None:
    seen: list[TaskUpdate] = []
    result = await _generate(provider, i2v(), on_update=seen.append)
    assert seen[0].status is TaskStatus.QUEUED and seen[0].cost_micros == 150_000  # estimate
    assert result.cost_micros == 150_000  # 3 s × 5 credits × $0.01
    info = _probe(await _download(result.url))
    assert info["size"] == (512, 288) and abs(info["seconds"] - 3) < 0.3
    red, _, blue = info["frames"][0].reshape(-1, 3).mean(axis=0)
    assert red > blue, "the orange input image is what moves"
    assert (info["frames"][0] != info["frames"][-1]).any()
    assert emu.tasks.submissions["image_to_video"] == 1


async def test_veo_first_and_last_frame(provider: RunwayProvider, emu: EmulatorState) -> None:
    request = i2v("veo3.1_fast", duration=4).model_copy(deep=True)
    request.inputs.append(
        InputMedia(kind=MediaKind.IMAGE, url=_data_uri(_striped_png(90, 160)), slot="end_image")
    )
    result = await _generate(provider, request)
    assert result.cost_micros == 400_000  # 4 s × 10 credits
    task = emu.tasks.get(result.task.task_id)
    assert task is not None and set(task.inputs) == {"image_first", "image_last"}


async def test_text_to_video(provider: RunwayProvider) -> None:
    result = await _generate(provider, t2v())
    assert result.cost_micros == 360_000  # 3 s × 12 credits
    info = _probe(await _download(result.url))
    assert info["size"] == (288, 512) and abs(info["seconds"] - 3) < 0.3


async def test_video_to_video_both_aleph_schemas(
    provider: RunwayProvider, emu: EmulatorState
) -> None:
    source = await _generate(provider, t2v(duration=2))
    for model in ("gen4_aleph", "aleph2"):
        request = GenerationRequest(
            model=model,
            mode=Mode.V2V,
            prompt="make it snow",
            inputs=[
                InputMedia(kind=MediaKind.VIDEO, url=source.url),
                InputMedia(kind=MediaKind.IMAGE, url=_data_uri(_striped_png()), slot="reference"),
            ],
        )
        result = await _generate(provider, request)
        info = _probe(await _download(result.url))
        assert info["size"] == (288, 512) and abs(info["seconds"] - 2) < 0.3
        assert result.cost_micros == 300_000  # 2 s × 15 credits
    assert emu.tasks.submissions["video_to_video"] == 2


async def test_cancel_running_and_delete_finished(
    provider: RunwayProvider, emu: EmulatorState
) -> None:
    emu.faults.add("stuck", on="submit")
    running = await provider.submit(t2v(), CRED)
    assert await provider.cancel(running, CRED)
    update = await provider.poll(running, CRED)
    assert update.status is TaskStatus.CANCELED and update.cost_micros == 0
    done = await _generate(provider, t2v())
    assert await provider.cancel(done.task, CRED)
    assert (await provider.poll(done.task, CRED)).status is TaskStatus.CANCELED
    unknown = done.task.model_copy(update={"task_id": "00000000-0000-0000-0000-000000000000"})
    assert not await provider.cancel(unknown, CRED)


async def test_balance_from_the_organization(provider: RunwayProvider) -> None:
    before = await provider.balance(CRED)
    await _generate(provider, t2v())
    after = await provider.balance(CRED)
    assert before.unit == "credits" and before.amount - after.amount == 36
    assert after.detail["usd_micros"] == round(after.amount * 10_000)
    assert await provider.verify(CRED)


async def test_bad_key_and_missing_version_header(
    provider: RunwayProvider, served: tuple[Starlette, str]
) -> None:
    bad = Credential("runway", {"api_key": BAD_KEY}, "env")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), bad)
    assert info.value.code is ErrorCode.AUTH_FAILED and info.value.detail["status"] == 401
    assert BAD_KEY not in repr(info.value.to_dict())
    async with httpx.AsyncClient(base_url=served[1]) as client:
        response = await client.get(
            "/v1/organization", headers={"Authorization": f"Bearer {CRED.get('api_key')}"}
        )
    assert response.status_code == 400 and "X-Runway-Version" in response.json()["error"]


async def test_out_of_credit_is_a_400_that_means_funds(
    provider: RunwayProvider, emu: EmulatorState
) -> None:
    emu.faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), CRED)
    assert (
        info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT and info.value.detail["status"] == 400
    )


async def test_rate_limit_carries_retry_after(provider: RunwayProvider, emu: EmulatorState) -> None:
    emu.faults.add("rate_limit", on="submit", seconds=2)
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 2


async def test_server_errors_then_success(provider: RunwayProvider, emu: EmulatorState) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=502)
    emu.faults.add("timeout", on="poll", times=1, seconds=0.2)  # answers 504 after a stall
    result = await _generate(provider, t2v())
    assert result.outputs and emu.tasks.submissions["total"] == 1
    assert emu.requests["poll"] >= 4


async def test_moderation_is_a_refunded_safety_failure(
    provider: RunwayProvider, emu: EmulatorState
) -> None:
    emu.faults.add("moderation", on="submit")
    task = await provider.submit(t2v(), CRED)
    update = await poll_until_complete(
        lambda: provider.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=10
    )
    assert update.status is TaskStatus.FAILED and update.cost_micros == 0
    assert update.error is not None and update.error["code"] == "SAFETY_FILTER"
    assert update.error["detail"]["failure_code"].startswith("SAFETY.")
    assert update.error["retryable"] is False


async def test_timeout_then_resume_by_task_id(provider: RunwayProvider, emu: EmulatorState) -> None:
    task = await provider.submit(t2v(), CRED)
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: provider.poll(task, CRED), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    result = await _generate(provider, t2v(), task=task.model_copy())
    assert result.outputs and emu.tasks.submissions["total"] == 1


async def test_expired_result_url_answers_403(provider: RunwayProvider, emu: EmulatorState) -> None:
    result = await _generate(provider, t2v())
    emu.faults.add("expired_output", on="files")
    async with httpx.AsyncClient() as client:
        assert (await client.get(result.url)).status_code == 403


async def test_validation_issues_name_our_field(provider: RunwayProvider) -> None:
    no_prompt = i2v("gen4.5").model_copy(update={"prompt": ""})
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(no_prompt, CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["field"] == "prompt"
    assert info.value.detail["provider_field"] == "promptText"
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(ratio="1:1"), CRED)
    assert info.value.detail["field"] == "ratio"


def test_status_vocabulary() -> None:
    throttled = task_update(
        {"id": "t", "status": "THROTTLED", "createdAt": "x", "estimatedCost": {"credits": 12.5}}
    )
    assert throttled.status is TaskStatus.QUEUED and throttled.cost_micros == 125_000
    retry = task_update(
        {
            "id": "t",
            "status": "FAILED",
            "failure": "x",
            "failureCode": "THIRD_PARTY.UNAVAILABLE",
            "cost": {"credits": 0},
        }
    )
    assert retry.error is not None and retry.error["retryable"] is True


async def test_the_runwayml_sdk_drives_the_emulator(
    served: tuple[Starlette, str], emu: EmulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK sleeps 6 s (±1.5) between polls; the emulator finishes in under a second.
    monkeypatch.setattr(runway_polling, "POLL_TIME", 0.1)
    monkeypatch.setattr(runway_polling, "POLL_JITTER", 0)
    client = runwayml.AsyncRunwayML(
        api_key=SANDBOX_CREDENTIAL["api_key"], base_url=served[1], max_retries=0
    )
    async with client:
        created = await client.image_to_video.create(
            model="gen4_turbo",
            prompt_image=_data_uri(_striped_png()),
            prompt_text="slow dolly in",
            ratio="1280:720",
            duration=2,
        )
        done = await created.wait_for_task_output(timeout=20)
        assert done.status == "SUCCEEDED" and done.cost.credits == 10
        _probe(await _download(done.output[0]))
        t2v_task = await client.text_to_video.create(
            model="gen4.5", prompt_text="waves", ratio="1280:720", duration=2
        )
        t2v_done = await t2v_task.wait_for_task_output(timeout=20)
        remix = await client.video_to_video.create(
            model="aleph2", video_uri=t2v_done.output[0], prompt_text="winter"
        )
        assert (await remix.wait_for_task_output(timeout=20)).status == "SUCCEEDED"
        org = await client.organization.retrieve()
        assert org.credit_balance == 100_000 - 10 - 24 - 30
        await client.tasks.delete(created.id)
        assert (await client.tasks.retrieve(created.id)).status == "CANCELLED"
    wrong = runwayml.AsyncRunwayML(api_key=BAD_KEY, base_url=served[1], max_retries=0)
    async with wrong:
        with pytest.raises(runwayml.AuthenticationError):
            await wrong.organization.retrieve()
        with pytest.raises(runwayml.BadRequestError) as info:
            await client_with_key(served[1]).text_to_video.create(
                model="gen4.5", prompt_text="x", ratio="1:1", duration=2
            )
        assert "Validation of body failed" in str(info.value)


def client_with_key(url: str) -> runwayml.AsyncRunwayML:
    return runwayml.AsyncRunwayML(
        api_key=SANDBOX_CREDENTIAL["api_key"], base_url=url, max_retries=0
    )
