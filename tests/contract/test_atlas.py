"""The Atlas Cloud adapter against its emulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.atlas import create_app
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.providers import atlas_api
from reelforge.providers.atlas import AtlasProvider
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.credentials import env_credential
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate
from tests.helpers import png_bytes, serve_asgi

KEY = "atlas-test-key"
CRED = Credential("atlas", {"api_key": KEY}, "stored")


@pytest.fixture
def server() -> Iterator[tuple[str, EmulatorState]]:
    config = EmulatorConfig(keys={KEY}, queue_seconds=0.05, run_seconds=0.3, image_run_seconds=0.1)
    app = create_app(config)
    atlas_api.clear_caches()
    with serve_asgi(app) as url:
        yield url, app.state.emulator


@pytest.fixture
async def provider(server: tuple[str, EmulatorState]) -> AsyncIterator[AtlasProvider]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield AtlasProvider(client, server[0])


def request(
    model: str, mode: Mode, *urls: str, kind: MediaKind = MediaKind.IMAGE, **params: object
) -> GenerationRequest:
    return GenerationRequest(
        model=model,
        mode=mode,
        prompt="a red fox in the snow",
        seed=7,
        params=dict(params),
        inputs=[InputMedia(kind=kind, url=u) for u in urls],
    )


async def test_text_to_image(provider: AtlasProvider) -> None:
    result = await generate(
        provider, request("google/nano-banana/text-to-image", Mode.T2I), CRED, interval=0.05
    )
    assert result.media_type is MediaKind.IMAGE and result.task.meta["endpoint"] == "generateImage"
    image = await provider.client.get(result.url)
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"


async def test_upload_then_image_to_video_fills_a_string_param(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    url = await provider.upload_media(png_bytes(32, 32), "start.png", "image/png", CRED)
    assert (await provider.client.get(url)).content == png_bytes(32, 32)
    model = "bytedance/seedance-v1-pro-i2v-480p"
    task = await provider.submit(request(model, Mode.I2V, url, url, duration=5), CRED)
    emulated = server[1].tasks.get(task.task_id)
    assert emulated is not None and emulated.params["image"] == url, "string param: first URL"
    assert emulated.params["prompt"] == "a red fox in the snow" and emulated.params["seed"] == 7
    result = await generate(provider, request(model, Mode.I2V), CRED, task=task, interval=0.05)
    video = await provider.client.get(result.url)
    assert result.media_type is MediaKind.VIDEO and video.content[4:8] == b"ftyp"


async def test_edit_fills_an_array_param(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    urls = ["https://example.com/a.png", "https://example.com/b.png"]
    task = await provider.submit(request("google/nano-banana/edit", Mode.I2I, *urls), CRED)
    emulated = server[1].tasks.get(task.task_id)
    assert emulated is not None and emulated.params["images"] == urls


async def test_video_input_goes_to_the_video_param(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    url = "https://example.com/in.mp4"
    task = await provider.submit(
        request("decart/lucy-edit-pro", Mode.V2V, url, kind=MediaKind.VIDEO), CRED
    )
    emulated = server[1].tasks.get(task.task_id)
    assert emulated is not None and emulated.params["video_url"] == url


async def test_missing_required_input_is_a_validation_error(provider: AtlasProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(request("bytedance/seedance-v1-pro-i2v-480p", Mode.I2V), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR and "image" in info.value.message


async def test_an_input_the_model_cannot_take(provider: AtlasProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(
            request("google/veo3/text-to-video", Mode.T2V, "https://x/a.mp4", kind=MediaKind.VIDEO),
            CRED,
        )
    assert info.value.code is ErrorCode.VALIDATION_ERROR and "video" in info.value.message


async def test_bad_key(provider: AtlasProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(
            request("google/imagen4", Mode.T2I), Credential("atlas", {"api_key": "nope"}, "stored")
        )
    assert info.value.code is ErrorCode.AUTH_FAILED
    assert "nope" not in info.value.message and "nope" not in str(info.value.detail)


async def test_hidden_and_unknown_models(provider: AtlasProvider) -> None:
    with pytest.raises(ReelForgeError) as hidden:
        await provider.submit(request("atlascloud/test-image-model", Mode.T2I), CRED)
    assert hidden.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as unknown:
        await provider.submit(request("nobody/nothing", Mode.T2I), CRED)
    assert unknown.value.code is ErrorCode.NOT_FOUND


async def test_out_of_credit(provider: AtlasProvider, server: tuple[str, EmulatorState]) -> None:
    server[1].faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(request("google/imagen4", Mode.T2I), CRED)
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    assert server[1].tasks.submissions["total"] == 0


async def test_rate_limited_with_retry_after(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    server[1].faults.add("rate_limit", on="submit", seconds=3)
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(request("google/imagen4", Mode.T2I), CRED)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 3


async def test_poll_5xx_then_success(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    server[1].faults.add("server_error", on="poll", times=2, status=502)
    # imagen3 offers no sync mode: its result is polled (imagen4 answers the submission).
    result = await generate(provider, request("google/imagen3", Mode.T2I), CRED, interval=0.05)
    assert result.outputs and server[1].tasks.submissions["total"] == 1


async def test_malformed_poll_is_retryable(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    task = await provider.submit(request("google/imagen3", Mode.T2I), CRED)
    server[1].faults.add("malformed", on="poll")
    with pytest.raises(ReelForgeError) as info:
        await provider.poll(task, CRED)
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable


async def test_moderation_refusal(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    server[1].faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await generate(provider, request("google/imagen4", Mode.T2I), CRED, interval=0.05)
    assert info.value.code is ErrorCode.SAFETY_FILTER


async def test_timeout_then_resume_by_task_id(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    model = "google/veo3/text-to-video"
    with pytest.raises(ReelForgeError) as info:
        await generate(provider, request(model, Mode.T2V), CRED, timeout=0.1, interval=0.02)
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    task_id = info.value.detail["task_id"]
    # The same task is polled again, never submitted a second time.
    resumed = ProviderTask(provider="atlas", task_id=task_id, model=model, mode=Mode.T2V)
    result = await generate(provider, request(model, Mode.T2V), CRED, task=resumed, interval=0.05)
    assert result.media_type is MediaKind.VIDEO
    assert server[1].tasks.submissions["total"] == 1


async def test_poll_statuses(provider: AtlasProvider) -> None:
    task = await provider.submit(request("google/veo3/text-to-video", Mode.T2V), CRED)
    first = await provider.poll(task, CRED)
    assert first.status in (TaskStatus.QUEUED, TaskStatus.RUNNING) and not first.outputs


async def test_expired_output_url(
    provider: AtlasProvider, server: tuple[str, EmulatorState]
) -> None:
    result = await generate(provider, request("google/imagen4", Mode.T2I), CRED, interval=0.05)
    server[1].faults.add("expired_output", on="files")
    assert (await provider.client.get(result.url)).status_code == 403


async def test_balance_verify_and_health(provider: AtlasProvider) -> None:
    balance = await provider.balance(CRED)
    assert balance is not None and balance.amount == 25.0 and balance.unit == "USD"
    assert await provider.verify(CRED)
    assert (await provider.health()).ok


def test_registered_as_a_built_in_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_registry().get("atlas") is AtlasProvider
    monkeypatch.setenv("ATLASCLOUD_API_KEY", "from-env")
    credential = env_credential(AtlasProvider)
    assert credential is not None and credential.get("api_key") == "from-env"


async def test_sandbox_serves_atlas_in_process(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ATLASCLOUD_API_KEY", raising=False)
    resolved = await container.hub.resolve("atlas", None)
    assert resolved.sandbox and resolved.credential.source == "sandbox"
    catalog = container.catalog
    entry = await catalog.get("atlas/google/nano-banana/text-to-image")
    result = await generate(
        resolved.provider,
        request(entry.provider_model, entry.primary_mode),
        resolved.credential,
        interval=0.05,
    )
    assert result.sandbox and result.media_type is MediaKind.IMAGE
