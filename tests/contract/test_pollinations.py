"""Pollinations adapter against its emulator over real HTTP on 127.0.0.1: with no key at
all (the guest path), with a key, and every failure mode."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.pollinations import SANDBOX_CREDENTIAL, create_app
from reelforge.emulators.pollinations.app import TEST_KEY
from reelforge.providers.base import Credential, GenerationRequest, ProviderTask, TaskStatus
from reelforge.providers.pollinations import PollinationsProvider
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import serve_asgi

ANONYMOUS = Credential("pollinations", SANDBOX_CREDENTIAL, "none")
KEYED = Credential("pollinations", {"api_key": TEST_KEY}, "stored")


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, EmulatorState]]:
    app = create_app(EmulatorConfig(image_run_seconds=0.01))
    with serve_asgi(app) as url:
        yield url, app.state.emulator


@pytest.fixture
async def provider(emulator: tuple[str, EmulatorState]) -> AsyncIterator[PollinationsProvider]:
    url, state = emulator
    state.reset()
    async with httpx.AsyncClient(timeout=10) as client:
        yield PollinationsProvider(client, url)


def _request(**kw: object) -> GenerationRequest:
    values: dict[object, object] = {
        "model": "flux",
        "mode": Mode.T2I,
        "prompt": "a cat / on a mat?",
    }
    values.update(kw)
    return GenerationRequest(**values)  # type: ignore[arg-type]


async def _error(coro: object) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        await coro  # type: ignore[misc]
    return info.value


def _image(url: str) -> Image.Image:
    assert url.startswith("data:image/jpeg;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_the_key_is_optional() -> None:
    assert PollinationsProvider.credential_optional is True
    assert PollinationsProvider(httpx.AsyncClient()).needs_credential is False


async def test_no_key_at_all_gives_a_real_image(
    provider: PollinationsProvider, emulator: tuple[str, EmulatorState]
) -> None:
    request = _request(seed=42, params={"width": 400, "height": 300, "nologo": True})
    result = await generate(provider, request, ANONYMOUS, timeout=5)
    image = _image(result.url)
    assert image.format == "JPEG" and image.size == (400, 300)
    assert (result.outputs[0].width, result.outputs[0].height) == (400, 300)
    task = next(iter(emulator[1].tasks.tasks.values()))
    assert task.prompt == "a cat / on a mat?" and task.owner == ""  # no key was sent
    assert task.params["nologo"] == "true" and task.params["seed"] == "42"


async def test_with_a_key_it_is_sent_as_bearer(
    provider: PollinationsProvider, emulator: tuple[str, EmulatorState]
) -> None:
    await generate(provider, _request(), KEYED, timeout=5)
    assert next(iter(emulator[1].tasks.tasks.values())).owner == TEST_KEY


async def test_a_wrong_key_is_auth_failed(provider: PollinationsProvider) -> None:
    bad = Credential("pollinations", {"api_key": "sk_wrong"}, "stored")
    err = await _error(provider.submit(_request(), bad))
    assert err.code is ErrorCode.AUTH_FAILED and "sk_wrong" not in str(err.to_dict())


async def test_the_new_gateway_path_needs_a_key(emulator: tuple[str, EmulatorState]) -> None:
    # A base URL on gen.pollinations.* selects the gateway's /image/{prompt} path.
    transport = httpx.ASGITransport(app=create_app(EmulatorConfig(image_run_seconds=0.0)))
    async with httpx.AsyncClient(transport=transport) as client:
        gateway = PollinationsProvider(client, "http://gen.pollinations.test")
        assert gateway.image_path == "/image/"
        err = await _error(gateway.submit(_request(), ANONYMOUS))
        assert err.code is ErrorCode.AUTH_FAILED
        task = await gateway.submit(_request(), KEYED)
        assert (await gateway.poll(task, KEYED)).status is TaskStatus.SUCCEEDED


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
    provider: PollinationsProvider,
    emulator: tuple[str, EmulatorState],
    kind: str,
    code: ErrorCode,
    retryable: bool,
) -> None:
    emulator[1].faults.add(kind, on="submit")  # type: ignore[arg-type]
    err = await _error(provider.submit(_request(), ANONYMOUS))
    assert err.code is code and err.retryable is retryable


async def test_rate_limit_carries_retry_after(
    provider: PollinationsProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("rate_limit", on="submit", seconds=5)
    err = await _error(provider.submit(_request(), ANONYMOUS))
    assert err.code is ErrorCode.RATE_LIMITED and err.retry_after == 5


async def test_server_error_then_success_and_resume_without_a_second_call(
    provider: PollinationsProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("server_error", on="submit", status=502)
    err = await _error(provider.submit(_request(), ANONYMOUS))
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable
    task = await provider.submit(_request(), ANONYMOUS)
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    update = await poll_until_complete(
        lambda: provider.poll(stored, ANONYMOUS), task_id=stored.task_id, interval=0.1, timeout=2
    )
    assert update.status is TaskStatus.SUCCEEDED
    assert emulator[1].tasks.submissions["total"] == 1


async def test_a_hung_call_times_out_retryably(
    provider: PollinationsProvider, emulator: tuple[str, EmulatorState]
) -> None:
    emulator[1].faults.add("latency", on="submit", seconds=1.0)
    async with httpx.AsyncClient(timeout=0.3) as client:
        err = await _error(
            PollinationsProvider(client, provider.base_url).submit(_request(), ANONYMOUS)
        )
    assert err.code is ErrorCode.PROVIDER_ERROR and err.retryable


async def test_bad_fields_are_refused_by_name(provider: PollinationsProvider) -> None:
    err = await _error(provider.submit(_request(negative_prompt="dogs"), ANONYMOUS))
    assert err.detail["field"] == "negative_prompt"
    err = await _error(provider.submit(_request(params={"steps": 4}), ANONYMOUS))
    assert err.code is ErrorCode.VALIDATION_ERROR and err.detail["field"] == "steps"
    err = await _error(provider.submit(_request(params={"width": 9000}), ANONYMOUS))
    assert err.code is ErrorCode.VALIDATION_ERROR


async def test_health_lists_models_and_verify_needs_no_key(provider: PollinationsProvider) -> None:
    health = await provider.health()
    assert health.ok and "flux" in health.detail["models"]
    assert await provider.verify(ANONYMOUS)
