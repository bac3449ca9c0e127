"""Together adapter against its emulator over real HTTP on 127.0.0.1 (and the official SDK)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import together
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.together import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.polling import generate, poll_until_complete
from reelforge.providers.together import TogetherProvider
from tests.helpers import png_bytes, serve_asgi

KEY = Credential("together", SANDBOX_CREDENTIAL, "sandbox")
SCHNELL = "black-forest-labs/FLUX.1-schnell"


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, EmulatorState]]:
    app = create_app(EmulatorConfig(image_run_seconds=0.01))
    with serve_asgi(app) as url:
        yield url, app.state.emulator


@pytest.fixture
async def provider(emulator: tuple[str, EmulatorState]) -> AsyncIterator[TogetherProvider]:
    url, state = emulator
    state.reset()
    async with httpx.AsyncClient(timeout=10) as client:
        yield TogetherProvider(client, url)


def _request(**kw: object) -> GenerationRequest:
    values: dict[object, object] = {"model": SCHNELL, "mode": Mode.T2I, "prompt": "a red fox"}
    values.update(kw)
    return GenerationRequest(**values)  # type: ignore[arg-type]


async def _error(coro: object) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        await coro  # type: ignore[misc]
    return info.value


async def test_generate_returns_real_images_by_url(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    request = _request(
        negative_prompt="blurry", seed=7, params={"width": 640, "height": 384, "steps": 4, "n": 2}
    )
    result = await generate(provider, request, KEY, timeout=5)
    assert len(result.outputs) == 2
    assert result.outputs[0].content_type == "image/jpeg"
    async with httpx.AsyncClient() as client:
        image = Image.open(io.BytesIO((await client.get(result.url)).content))
    assert image.format == "JPEG" and image.size == (512, 306)
    state = emulator[1]
    task = next(iter(state.tasks.tasks.values()))
    assert task.params["negative_prompt"] == "blurry"
    assert task.params["response_format"] == "url"
    assert state.tasks.submissions["total"] == 1


async def test_base64_answer_becomes_a_data_uri(provider: TogetherProvider) -> None:
    task = await provider.submit(
        _request(params={"response_format": "base64", "output_format": "png"}), KEY
    )
    update = await provider.poll(task, KEY)
    out = update.outputs[0]
    assert update.status is TaskStatus.SUCCEEDED and out.url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(out.url.split(",", 1)[1])))
    assert image.format == "PNG" and (out.width, out.height) == image.size


async def test_image_to_image_sends_the_input_as_image_url(provider: TogetherProvider) -> None:
    source = "data:image/png;base64," + base64.b64encode(png_bytes(64, 64)).decode()
    request = _request(
        model="black-forest-labs/FLUX.1-kontext-pro",
        mode=Mode.I2I,
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=source, slot="image")],
    )
    assert provider.body(request)["image_url"] == source
    result = await generate(provider, request, KEY, timeout=5)
    assert result.media_type is MediaKind.IMAGE


async def test_resume_from_the_stored_task_does_not_call_again(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    task = await provider.submit(_request(), KEY)
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    update = await poll_until_complete(
        lambda: provider.poll(stored, KEY), task_id=stored.task_id, interval=0.1, timeout=2
    )
    assert update.status is TaskStatus.SUCCEEDED and update.outputs[0].url
    assert emulator[1].tasks.submissions["total"] == 1


async def test_bad_key_is_auth_failed(provider: TogetherProvider) -> None:
    bad = Credential("together", {"api_key": "wrong"}, "stored")
    err = await _error(provider.submit(_request(), bad))
    assert err.code is ErrorCode.AUTH_FAILED
    assert "wrong" not in err.message and "wrong" not in str(err.detail)
    assert (await _error(provider.verify(bad))).code is ErrorCode.AUTH_FAILED
    assert await provider.verify(KEY)


@pytest.mark.parametrize(
    ("kind", "code", "retryable"),
    [
        ("insufficient_credit", ErrorCode.PROVIDER_OUT_OF_CREDIT, False),
        ("moderation", ErrorCode.SAFETY_FILTER, False),
        ("malformed", ErrorCode.PROVIDER_ERROR, True),
    ],
)
async def test_failures_map_to_our_codes(
    provider: TogetherProvider,
    emulator: tuple[str, EmulatorState],
    kind: str,
    code: ErrorCode,
    retryable: bool,
) -> None:
    emulator[1].faults.add(kind, on="submit")  # type: ignore[arg-type]
    err = await _error(provider.submit(_request(), KEY))
    assert err.code is code and err.retryable is retryable


async def test_rate_limit_carries_retry_after(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("rate_limit", on="submit", seconds=3)
    err = await _error(provider.submit(_request(), KEY))
    assert err.code is ErrorCode.RATE_LIMITED and err.retry_after == 3


async def test_server_error_then_success_submits_once(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("server_error", on="submit", status=503)
    err = await _error(provider.submit(_request(), KEY))
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable
    task = await provider.submit(_request(), KEY)
    assert (await provider.poll(task, KEY)).status is TaskStatus.SUCCEEDED
    assert emulator[1].tasks.submissions["total"] == 1


async def test_a_hung_call_times_out_retryably(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("latency", on="submit", seconds=1.0)
    async with httpx.AsyncClient(timeout=0.3) as client:
        impatient = TogetherProvider(client, provider.base_url)
        err = await _error(impatient.submit(_request(), KEY))
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable


async def test_bad_fields_are_validation_errors_naming_the_field(
    provider: TogetherProvider,
) -> None:
    err = await _error(provider.submit(_request(params={"steps": 40}), KEY))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "steps"
    err = await _error(provider.submit(_request(params={"size": "1024x1024"}), KEY))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "size"
    err = await _error(provider.submit(_request(model="nope/model"), KEY))
    assert err.code is ErrorCode.NOT_FOUND


async def test_expired_result_url_answers_403(
    provider: TogetherProvider, emulator: tuple[str, EmulatorState]
) -> None:
    result = await generate(provider, _request(), KEY, timeout=5)
    emulator[1].faults.add("expired_output", on="files")
    async with httpx.AsyncClient() as client:
        response = await client.get(result.url)
    assert response.status_code == 403


async def test_the_official_sdk_drives_the_emulator(emulator: tuple[str, EmulatorState]) -> None:
    url, state = emulator
    state.reset()
    client = together.AsyncTogether(
        api_key=SANDBOX_CREDENTIAL["api_key"], base_url=url, max_retries=0
    )
    answer = await client.images.generate(
        model=SCHNELL,
        prompt="a lighthouse",
        negative_prompt="fog",
        steps=4,
        seed=3,
        response_format="base64",
        output_format="png",
    )
    assert answer.object == "list" and answer.data[0].type == "b64_json"
    image = Image.open(io.BytesIO(base64.b64decode(answer.data[0].b64_json)))
    assert image.format == "PNG"
    by_url = await client.images.generate(
        model=SCHNELL, prompt="a lighthouse", response_format="url"
    )
    assert by_url.data[0].type == "url" and by_url.data[0].url.startswith(url)
    bad = together.AsyncTogether(api_key="wrong", base_url=url, max_retries=0)
    with pytest.raises(together.AuthenticationError):
        await bad.images.generate(model=SCHNELL, prompt="x")
    await client.close()
    await bad.close()
