"""Hugging Face adapter against its emulator over real HTTP on 127.0.0.1 (and the official
huggingface_hub InferenceClient)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from huggingface_hub import AsyncInferenceClient
from huggingface_hub.errors import HfHubHTTPError
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.huggingface import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import Credential, GenerationRequest, ProviderTask, TaskStatus
from reelforge.providers.huggingface import HuggingFaceProvider
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import serve_asgi

TOKEN = Credential("huggingface", SANDBOX_CREDENTIAL, "sandbox")
FLUX = "black-forest-labs/FLUX.1-schnell"


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, EmulatorState]]:
    app = create_app(EmulatorConfig(image_run_seconds=0.01))
    with serve_asgi(app) as url:
        yield url, app.state.emulator


@pytest.fixture
async def provider(emulator: tuple[str, EmulatorState]) -> AsyncIterator[HuggingFaceProvider]:
    url, state = emulator
    state.reset()
    async with httpx.AsyncClient(timeout=10) as client:
        yield HuggingFaceProvider(client, url)


def _request(**kw: object) -> GenerationRequest:
    values: dict[object, object] = {"model": FLUX, "mode": Mode.T2I, "prompt": "a misty forest"}
    values.update(kw)
    return GenerationRequest(**values)  # type: ignore[arg-type]


async def _error(coro: object) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        await coro  # type: ignore[misc]
    return info.value


async def test_image_bytes_come_back_as_a_png_data_uri(
    provider: HuggingFaceProvider, emulator: tuple[str, EmulatorState]
) -> None:
    request = _request(
        negative_prompt="people",
        seed=11,
        params={"width": 384, "height": 256, "num_inference_steps": 4},
    )
    result = await generate(provider, request, TOKEN, timeout=5)
    out = result.outputs[0]
    assert out.url.startswith("data:image/png;base64,") and out.content_type == "image/png"
    image = Image.open(io.BytesIO(base64.b64decode(out.url.split(",", 1)[1])))
    assert image.format == "PNG" and image.size == (384, 256) == (out.width, out.height)
    task = next(iter(emulator[1].tasks.tasks.values()))
    assert task.params == {
        "width": 384,
        "height": 256,
        "num_inference_steps": 4,
        "negative_prompt": "people",
        "seed": 11,
    }


async def test_a_loading_model_is_retryable_after_the_estimate(
    provider: HuggingFaceProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("server_error", on="submit", status=503, seconds=7.5)
    err = await _error(provider.submit(_request(), TOKEN))
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable and err.retry_after == 7.5
    task = await provider.submit(_request(), TOKEN)  # warm now
    assert (await provider.poll(task, TOKEN)).status is TaskStatus.SUCCEEDED
    assert emulator[1].tasks.submissions["total"] == 1


async def test_resume_from_the_stored_task_does_not_call_again(
    provider: HuggingFaceProvider, emulator: tuple[str, EmulatorState]
) -> None:
    task = await provider.submit(_request(), TOKEN)
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    update = await poll_until_complete(
        lambda: provider.poll(stored, TOKEN), task_id=stored.task_id, interval=0.1, timeout=2
    )
    assert update.status is TaskStatus.SUCCEEDED and update.outputs[0].url.startswith("data:")
    assert emulator[1].tasks.submissions["total"] == 1


async def test_bad_token_is_auth_failed(provider: HuggingFaceProvider) -> None:
    bad = Credential("huggingface", {"api_key": "hf_wrong"}, "env")
    err = await _error(provider.submit(_request(), bad))
    assert err.code is ErrorCode.AUTH_FAILED and "hf_wrong" not in str(err.to_dict())
    assert (await _error(provider.verify(bad))).code is ErrorCode.AUTH_FAILED
    assert await provider.verify(TOKEN)


@pytest.mark.parametrize(
    ("kind", "code", "retryable"),
    [
        ("insufficient_credit", ErrorCode.PROVIDER_OUT_OF_CREDIT, False),
        ("moderation", ErrorCode.SAFETY_FILTER, False),
        ("fail", ErrorCode.PROVIDER_ERROR, True),
        ("malformed", ErrorCode.PROVIDER_ERROR, True),
    ],
)
async def test_failures_map_to_our_codes(
    provider: HuggingFaceProvider,
    emulator: tuple[str, EmulatorState],
    kind: str,
    code: ErrorCode,
    retryable: bool,
) -> None:
    emulator[1].faults.add(kind, on="submit")  # type: ignore[arg-type]
    err = await _error(provider.submit(_request(), TOKEN))
    assert err.code is code and err.retryable is retryable


async def test_rate_limit_carries_retry_after(
    provider: HuggingFaceProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("rate_limit", on="submit", seconds=4)
    err = await _error(provider.submit(_request(), TOKEN))
    assert err.code is ErrorCode.RATE_LIMITED and err.retry_after == 4


async def test_a_hung_call_times_out_retryably(
    provider: HuggingFaceProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("latency", on="submit", seconds=1.0)
    async with httpx.AsyncClient(timeout=0.3) as client:
        err = await _error(HuggingFaceProvider(client, provider.base_url).submit(_request(), TOKEN))
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable


async def test_bad_fields_and_unknown_models(provider: HuggingFaceProvider) -> None:
    err = await _error(provider.submit(_request(params={"steps": 4}), TOKEN))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "steps"
    err = await _error(provider.submit(_request(params={"width": "wide"}), TOKEN))
    assert err.code is ErrorCode.VALIDATION_ERROR
    err = await _error(provider.submit(_request(model="nobody/nothing"), TOKEN))
    assert err.code is ErrorCode.NOT_FOUND


async def test_the_official_client_drives_the_emulator(emulator: tuple[str, EmulatorState]) -> None:
    url, state = emulator
    state.reset()
    # The router host is fixed in huggingface_hub: a custom endpoint is a full model URL.
    model_url = f"{url}/hf-inference/models/{FLUX}"
    client = AsyncInferenceClient(model=model_url, token=SANDBOX_CREDENTIAL["api_key"])
    image = await client.text_to_image(
        "a castle", negative_prompt="ruins", width=320, height=240, seed=5
    )
    assert image.size == (320, 240)
    task = next(iter(state.tasks.tasks.values()))
    assert task.params["negative_prompt"] == "ruins" and task.seed == 5
    state.faults.add("server_error", on="submit", status=503, seconds=3)
    with pytest.raises(HfHubHTTPError) as info:
        await client.text_to_image("a castle")
    assert info.value.response.status_code == 503
    bad = AsyncInferenceClient(model=model_url, token="hf_wrong")
    with pytest.raises(HfHubHTTPError) as info:
        await bad.text_to_image("a castle")
    assert info.value.response.status_code == 401
