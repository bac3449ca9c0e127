"""The `local` provider through the provider protocol (submit / poll / cancel), on media
the tests make, as the engine will drive it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.media.files import file_url, path_from_url
from reelforge.media.probe import probe
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.local import LocalProvider
from reelforge.providers.local_ops import OPS
from reelforge.providers.plugins import load_registry, plugin_manager
from reelforge.providers.polling import generate
from reelforge.storage import identity
from tests.media_helpers import all_frames, make_image, make_tone, make_video

NO_KEY = Credential(provider="local", values={}, source="none")


@pytest.fixture
def provider(tmp_path: Path) -> LocalProvider:
    return LocalProvider(None, file_url(tmp_path / "work"))


def video_input(path: Path, slot: str | None = None) -> InputMedia:
    return InputMedia(kind=MediaKind.VIDEO, url=file_url(path), slot=slot)


def test_registered_as_a_builtin_plugin() -> None:
    registry = load_registry(plugin_manager(load_entry_points=False))
    cls = registry.get("local")
    assert cls is LocalProvider
    assert cls.credential_fields == () and cls.supports_cancel


async def test_last_frame_via_generate(
    provider: LocalProvider, tmp_path: Path, container: Container
) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.5, gop=8)
    request = GenerationRequest(model="last-frame", mode=Mode.EDIT, inputs=[video_input(clip)])
    result = await generate(provider, request, NO_KEY, interval=0.05, timeout=60)
    out = result.outputs[0]
    assert out.media_type is MediaKind.IMAGE and (out.width, out.height) == (160, 120)
    assert out.url.startswith("file://") and out.content_type == "image/png"
    path = path_from_url(out.url)
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), all_frames(clip)[-1])
    assert result.cost_micros == 0
    # The engine ingests file:// outputs into the artifact store.
    async with container.db.transaction() as session:
        owner = await identity.find_owner(session)
    assert owner is not None
    row = await container.artifacts.put_file(path, owner_id=owner.id)
    assert row.kind == "image" and row.content_type == "image/png"


async def test_progress_is_reported_while_running(provider: LocalProvider, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=4.0, size="320x240")
    request = GenerationRequest(
        model="local/film-look",
        mode=Mode.V2V,
        inputs=[video_input(clip)],
        params={"look": "warm", "grain": 0.3},
    )
    updates: list[TaskUpdate] = []
    result = await generate(
        provider, request, NO_KEY, interval=0.05, timeout=120, on_update=updates.append
    )
    progress = [u.progress for u in updates if u.progress is not None]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert updates[-1].status is TaskStatus.SUCCEEDED
    info = probe(path_from_url(result.url))
    assert (info.width, info.height, info.has_audio) == (320, 240, True)
    assert info.duration == pytest.approx(4.0, abs=0.1)


async def test_mux_audio_with_slots(provider: LocalProvider, tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=2.0, audio=False)
    tone = make_tone(tmp_path / "t.wav", seconds=1.0, volume=0.1)
    request = GenerationRequest(
        model="mux-audio",
        mode=Mode.EDIT,
        inputs=[
            video_input(video, "video"),
            InputMedia(kind=MediaKind.AUDIO, url=file_url(tone), slot="audio"),
        ],
    )
    result = await generate(provider, request, NO_KEY, interval=0.05, timeout=120)
    info = probe(path_from_url(result.url))
    assert info.has_audio and info.duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.slow
async def test_tts(provider: LocalProvider) -> None:
    request = GenerationRequest(
        model="tts", mode=Mode.TTS, prompt="Local narration works. Offline, too."
    )
    result = await generate(provider, request, NO_KEY, interval=0.1, timeout=120)
    out = result.outputs[0]
    assert out.media_type is MediaKind.AUDIO and out.content_type == "audio/wav"
    assert out.duration_seconds and out.duration_seconds > 1.0


async def test_unknown_task_polls_as_retryable_failure(provider: LocalProvider) -> None:
    from reelforge.providers.base import ProviderTask

    task = ProviderTask(provider="local", task_id="loc_gone", model="grade", mode=Mode.EDIT)
    update = await provider.poll(task, NO_KEY)
    assert update.status is TaskStatus.FAILED
    assert update.error and update.error["retryable"] is True
    assert update.error["detail"]["resubmit"] is True
    with pytest.raises(ReelForgeError) as err:
        update.raise_for_error()
    assert err.value.retryable


async def test_bad_input_fails_the_task_and_leaves_nothing(
    provider: LocalProvider, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    image = make_image(tmp_path / "i.png")
    for inputs, code in (
        ([video_input(junk)], "UNSUPPORTED_MEDIA"),
        ([InputMedia(kind=MediaKind.VIDEO, url=file_url(image))], "UNSUPPORTED_MEDIA"),
        ([video_input(tmp_path / "missing.mp4")], "FILE_NOT_FOUND"),
    ):
        task = await provider.submit(
            GenerationRequest(model="last-frame", mode=Mode.EDIT, inputs=inputs), NO_KEY
        )
        update = await _wait(provider, task)
        assert update.status is TaskStatus.FAILED
        assert update.error and update.error["code"] == code
        assert not Path(task.meta["work_dir"]).exists()


async def test_cancel_kills_the_work(provider: LocalProvider, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=2.0, size="320x240")
    request = GenerationRequest(
        model="interpolate",
        mode=Mode.V2V,
        inputs=[video_input(clip)],
        params={"fps": 120, "mode": "mci"},
    )
    task = await provider.submit(request, NO_KEY)
    await asyncio.sleep(0.5)
    assert (await provider.poll(task, NO_KEY)).status is TaskStatus.RUNNING
    assert await provider.cancel(task, NO_KEY) is True
    update = await provider.poll(task, NO_KEY)
    assert update.status is TaskStatus.CANCELED
    assert not Path(task.meta["work_dir"]).exists()
    assert await provider.cancel(task, NO_KEY) is False


async def test_idempotent_submit(provider: LocalProvider, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5)
    request = GenerationRequest(
        model="last-frame", mode=Mode.EDIT, inputs=[video_input(clip)], idempotency_key="step-42"
    )
    first = await provider.submit(request, NO_KEY)
    second = await provider.submit(request, NO_KEY)
    assert first.task_id == second.task_id
    assert (await _wait(provider, first)).status is TaskStatus.SUCCEEDED


async def test_submit_refuses_bad_requests(provider: LocalProvider, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5)
    bad = [
        GenerationRequest(model="nope", mode=Mode.EDIT, inputs=[video_input(clip)]),
        GenerationRequest(
            model="grade", mode=Mode.EDIT, inputs=[video_input(clip)], params={"look": "sepia"}
        ),
        GenerationRequest(
            model="grade", mode=Mode.EDIT, inputs=[video_input(clip)], params={"colour": 1}
        ),
        GenerationRequest(
            model="extend", mode=Mode.V2V, inputs=[video_input(clip)]
        ),  # duration missing
        GenerationRequest(
            model="grade",
            mode=Mode.EDIT,
            inputs=[InputMedia(kind=MediaKind.VIDEO, url="https://example.com/a.mp4")],
        ),
    ]
    for request in bad:
        with pytest.raises(ReelForgeError) as err:
            await provider.submit(request, NO_KEY)
        assert err.value.code is ErrorCode.VALIDATION_ERROR


async def test_health_names_the_tools(provider: LocalProvider) -> None:
    health = await provider.health()
    assert health.ok and health.detail["ffmpeg"]
    assert "en_US-joe-medium" in health.detail["voices"]


async def _wait(provider: LocalProvider, task) -> TaskUpdate:  # type: ignore[no-untyped-def]
    for _ in range(600):
        update = await provider.poll(task, NO_KEY)
        if update.status.terminal:
            return update
        await asyncio.sleep(0.05)
    raise AssertionError("task did not finish")


def _inputs_for(name: str, folder: Path) -> tuple[list[InputMedia], str]:
    clip = make_video(folder / "c.mp4", seconds=1.0, size="64x48", fps=10)
    still = make_image(folder / "i.png", 32, 24)
    tone = make_tone(folder / "t.wav", seconds=0.5, volume=0.2)
    video, image = (
        video_input(clip, "video"),
        InputMedia(kind=MediaKind.IMAGE, url=file_url(still), slot="image"),
    )
    audio = InputMedia(kind=MediaKind.AUDIO, url=file_url(tone), slot="audio")
    table = {
        "concat": [video, video],
        "mux-audio": [video, audio],
        "loudnorm": [audio],
        "storyboard": [image, image, image],
        "tts": [],
    }
    return table.get(name, [video]), ("Two words." if name == "tts" else "")


# One run of every catalog model through the protocol: checks each one's wiring and
# that its output has the kind the catalog promises.
EXPECTED_KIND = {
    "last-frame": MediaKind.IMAGE, "frame": MediaKind.IMAGE, "storyboard": MediaKind.IMAGE,
    "loudnorm": MediaKind.AUDIO, "tts": MediaKind.AUDIO,
}  # fmt: skip
PARAMS = {
    "extend": {"duration": 1.5},
    "frame": {"time": 0.5},
    "interpolate": {"fps": 20, "mode": "blend"},
}


@pytest.mark.parametrize("name", sorted(OPS))
async def test_every_model_runs(provider: LocalProvider, tmp_path: Path, name: str) -> None:
    inputs, prompt = _inputs_for(name, tmp_path)
    request = GenerationRequest(
        model=f"local/{name}",
        mode=Mode.EDIT,
        inputs=inputs,
        prompt=prompt,
        params=PARAMS.get(name, {}),
    )
    result = await generate(provider, request, NO_KEY, interval=0.05, timeout=120)
    out = result.outputs[0]
    assert out.media_type is EXPECTED_KIND.get(name, MediaKind.VIDEO)
    assert probe(path_from_url(out.url)).kind is out.media_type
