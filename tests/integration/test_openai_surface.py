"""The OpenAI-compatible door (/openai/v1) through the official ``openai`` SDK only,
against a running server: images (url and b64_json), edits, speech, videos, models, and
each error raising the SDK's own exception class."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import openai
import pytest
from PIL import Image

from tests.helpers import png_bytes
from tests.integration.doors_world import KEY_LIMIT, Doors, doors

# The SDK marks its videos methods deprecated (OpenAI's own Sora API is closing); the
# shape is what video aggregators serve, and what this door speaks.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:The Sora API")]

LIVE_IMAGE = "fal/flux-dev"  # live against the fal emulator: priced 25_000 per image
SANDBOX_IMAGE = "grok/grok-imagine-image"  # t2i and i2i, sandboxed (free)
VIDEO = "kling/kling-v2-master"  # sandboxed t2v
LIVE_I2V = "fal/hailuo-02-standard-i2v"  # live, priced per second


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    with doors(tmp_path_factory.mktemp("openai")) as w:
        yield w


def sdk(world: Doors, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{world.url}/openai/v1", api_key=key or world.key, max_retries=0)


def _decode_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # the whole file decodes, not only its header
    return image


def test_models_list_has_every_catalog_id(world: Doors) -> None:
    client = sdk(world)
    ids = {m.id for m in client.models.list()}
    assert {VIDEO, LIVE_IMAGE, "local/tts"} <= ids
    with world.http() as c:
        assert len(ids) == c.get("/v1/models").json()["count"]
    model = client.models.retrieve(VIDEO)
    assert model.id == VIDEO and model.owned_by == "kling"


def test_images_generate_url_is_our_copy_and_charged_as_native(world: Doors) -> None:
    # A member on the operator's lent key pays with plan credits (held, then captured).
    _member, key = world.member("payer")
    raw = sdk(world, key).images.with_raw_response.generate(
        model=LIVE_IMAGE, prompt="a red fox in snow", size="1024x768"
    )
    result = raw.parse()
    run_id = raw.headers["x-reelforge-run-id"]
    assert raw.headers["x-reelforge-generation-id"] == run_id
    assert raw.headers["x-reelforge-cost-micros"] == "25000"
    assert result.data is not None and len(result.data) == 1
    url = result.data[0].url
    assert url is not None and url.startswith(f"{world.url}/v1/artifacts/")
    assert world.fal_url not in url
    # The signed link works without a key, as OpenAI's image URLs do.
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert _decode_image(fetched.content).size[0] > 0
    # The same run as a native generation: planned params, hold captured in the ledger.
    with world.http(key) as c:
        run = c.get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "succeeded" and run["cost_micros"] == 25_000
        assert run["sandbox"] is False
        pipeline = c.get(f"/v1/runs/{run_id}/pipeline").json()["pipeline"]
        assert pipeline["nodes"][0]["params"] == {"image_size": "landscape_4_3"}
        kinds = [
            e["kind"]
            for e in c.get("/v1/credits/ledger", params={"run_id": run_id}).json()["entries"]
        ]
        assert "hold" in kinds and "capture" in kinds


def test_images_generate_b64_json_n_images(world: Doors) -> None:
    result = sdk(world).images.generate(
        model=SANDBOX_IMAGE, prompt="two owls", n=2, response_format="b64_json"
    )
    assert result.data is not None and len(result.data) == 2
    for image in result.data:
        assert image.b64_json is not None and image.url is None
        _decode_image(base64.b64decode(image.b64_json))


def test_images_edit_one_and_several_images(world: Doors) -> None:
    client = sdk(world)
    one = client.images.edit(
        model=SANDBOX_IMAGE,
        image=("in.png", png_bytes(64, 64), "image/png"),
        prompt="make it blue",
        response_format="b64_json",
    )
    assert one.data and one.data[0].b64_json
    _decode_image(base64.b64decode(one.data[0].b64_json))
    raw = client.images.with_raw_response.edit(
        model="local/storyboard",  # takes several images (a contact sheet)
        image=[
            ("a.png", png_bytes(64, 64, (10, 200, 10)), "image/png"),
            ("b.png", png_bytes(64, 64, (10, 10, 200)), "image/png"),
        ],
        mask=("mask.png", png_bytes(64, 64, (0, 0, 0)), "image/png"),
        prompt="side by side",
    )
    edited = raw.parse().data
    assert edited and edited[0].url
    sheet = _decode_image(httpx.get(edited[0].url).content)
    assert sheet.size[0] >= 64
    assert "mask" in raw.headers["x-reelforge-ignored"]
    with world.http() as c:
        run = c.get(f"/v1/runs/{raw.headers['x-reelforge-run-id']}").json()
        assert run["steps"][0]["mode"] == "i2i"


def test_edit_takes_an_image_above_the_json_body_limit(world: Doors) -> None:
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buf = io.BytesIO()
    noise.save(buf, format="PNG", compress_level=0)
    assert len(buf.getvalue()) > world.served.container.settings.max_body_bytes
    edited = sdk(world).images.edit(
        model=SANDBOX_IMAGE, image=("big.png", buf.getvalue(), "image/png"), prompt="calm it"
    )
    assert edited.data and edited.data[0].url


@pytest.mark.parametrize("fmt", [None, "wav", "opus", "flac"])
def test_speech_is_decodable_audio(world: Doors, tmp_path: Path, fmt: str | None) -> None:
    extra = {} if fmt is None else {"response_format": fmt}
    speech = sdk(world).audio.speech.create(
        model="local/tts", input="Hello from ReelForge.", voice="alloy", **extra
    )
    path = tmp_path / f"speech.{fmt or 'mp3'}"
    speech.write_to_file(path)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        expected = {None: "mp3", "wav": "pcm_s16le"}.get(fmt, fmt)
        assert stream.codec_context.name.startswith(str(expected))  # mp3float decodes mp3
        samples = sum(frame.samples for frame in container.decode(stream))
        assert samples / stream.rate > 0.3  # seconds of speech
    assert speech.response.headers["content-type"].startswith("audio/")
    assert "voice" in speech.response.headers["x-reelforge-ignored"]


def test_video_create_and_poll_then_download(world: Doors, tmp_path: Path) -> None:
    client = sdk(world)
    video = client.videos.create_and_poll(
        model=VIDEO, prompt="waves roll in", size="1280x720", poll_interval_ms=200
    )
    assert video.status == "completed" and video.progress == 100, video
    assert video.size == "1280x720" and video.model == VIDEO
    content = client.videos.download_content(video.id)
    path = tmp_path / "v.mp4"
    content.write_to_file(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        size = (stream.width, stream.height)
        frames = sum(1 for _ in container.decode(stream))
    assert frames > 0
    thumbnail = client.videos.download_content(video.id, variant="thumbnail")
    assert _decode_image(thumbnail.content).size == size
    assert client.videos.retrieve(video.id).status == "completed"
    assert video.id in [v.id for v in client.videos.list(limit=50)]
    with world.http() as c:
        pipeline = c.get(f"/v1/runs/{video.id}/pipeline").json()["pipeline"]
        assert pipeline["nodes"][0]["params"]["aspect_ratio"] == "16:9"


def test_nobody_sees_another_owners_videos(world: Doors) -> None:
    owner = sdk(world)
    video = owner.videos.create(model=VIDEO, prompt="a quiet harbour", size="720x1280")
    assert video.status in ("queued", "in_progress", "completed")
    _user, key = world.member("viewer")
    other = sdk(world, key)
    with pytest.raises(openai.NotFoundError) as caught:
        other.videos.retrieve(video.id)
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(openai.NotFoundError):
        other.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        other.videos.delete(video.id)
    assert video.id not in [v.id for v in other.videos.list()]
    owner.videos.poll(video.id, poll_interval_ms=200)
    assert owner.videos.delete(video.id).deleted is True


def test_failed_video_is_refunded_in_the_ledger(world: Doors) -> None:
    _member, key = world.member("refunded")  # plan credits: lent keys
    client = sdk(world, key)
    with world.http(key) as c:
        before = c.get("/v1/credits").json()["balance"]["micros"]
    world.fal_fault(kind="moderation", on="submit", times=1)  # refused: never retried
    video = client.videos.create_and_poll(
        model=LIVE_I2V,
        prompt="the fox runs",
        input_reference=("first.png", png_bytes(64, 64), "image/png"),
        seconds="6",
        poll_interval_ms=200,
    )
    assert video.status == "failed", video
    assert video.error is not None and video.error.code == "SAFETY_FILTER"
    with world.http(key) as c:
        entries = c.get("/v1/credits/ledger", params={"run_id": video.id}).json()["entries"]
        kinds = [e["kind"] for e in entries]
        assert "hold" in kinds and "release" in kinds and "capture" not in kinds
        held = [e for e in entries if e["kind"] == "hold" and e["amount"]["micros"] < 0]
        assert held and held[0]["amount"]["micros"] == -270_000  # 6 s at 45_000 a second
        after = c.get("/v1/credits").json()
        assert after["balance"]["micros"] == before and after["held"]["micros"] == 0


def test_failed_generation_is_not_retried_by_the_sdk(world: Doors) -> None:
    """Our engine retried and gave up: the SDK's own retries (it retries 5xx) would start
    new paid runs, so the answer says x-should-retry: false and names the run."""
    client = openai.OpenAI(base_url=f"{world.url}/openai/v1", api_key=world.key, max_retries=2)
    before = world.fal_tasks()
    world.fal_fault(kind="fail", on="submit", times=-1)
    try:
        with pytest.raises(openai.InternalServerError) as caught:
            client.images.generate(model=LIVE_IMAGE, prompt="doomed")
    finally:
        world.clear_fal_faults()
    assert caught.value.code == "PROVIDER_ERROR"
    headers = caught.value.response.headers
    assert headers["x-should-retry"] == "false"
    assert world.fal_tasks() - before == 2  # the engine's two attempts, one run
    with world.http() as c:
        run = c.get(f"/v1/runs/{headers['x-reelforge-run-id']}").json()
        assert run["status"] == "failed" and run["cost_micros"] == 0


def test_idempotency_key_replays_the_same_run(world: Doors) -> None:
    client = sdk(world)
    key = {"Idempotency-Key": "openai-idem-1"}
    first = client.images.with_raw_response.generate(
        model=LIVE_IMAGE, prompt="once", extra_headers=key
    )
    again = client.images.with_raw_response.generate(
        model=LIVE_IMAGE, prompt="once", extra_headers=key
    )
    assert first.headers["x-reelforge-run-id"] == again.headers["x-reelforge-run-id"]
    assert first.parse().data and again.parse().data


def test_an_agent_key_works_and_pays_from_its_own_wallet(world: Doors) -> None:
    agent_id, key = world.member("render-bot", role="agent")
    raw = sdk(world, key).images.with_raw_response.generate(model=LIVE_IMAGE, prompt="a bot")
    assert raw.parse().data and raw.headers["x-reelforge-cost-micros"] == "25000"
    with world.http(key) as c:
        credits = c.get("/v1/credits").json()
        assert credits["balance"]["micros"] == 1_000_000 - 25_000
        run = c.get(f"/v1/runs/{raw.headers['x-reelforge-run-id']}").json()
        assert run["status"] == "succeeded"
    with world.http() as c:  # the owner's own view has no such run
        assert c.get(f"/v1/runs/{run['id']}").status_code == 404
    assert agent_id


def test_wrong_key_raises_authentication_error(world: Doors) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(world, "rf_not_a_key").images.generate(model=SANDBOX_IMAGE, prompt="x")
    assert caught.value.code == "AUTH_FAILED"
    assert caught.value.type == "authentication_error"


def test_unknown_model_raises_not_found(world: Doors) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk(world).images.generate(model="fal/flux-dve", prompt="x")
    assert caught.value.code == "NOT_FOUND" and caught.value.param == "model"
    assert "fal/flux-dev" in str(caught.value.body)


@pytest.mark.parametrize("size", ["huge", "0x0", "1024x"])
def test_invalid_size_raises_bad_request(world: Doors, size: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(world).images.generate(model=SANDBOX_IMAGE, prompt="x", size=size)
    assert caught.value.code == "VALIDATION_ERROR" and caught.value.param == "size"


def test_unknown_field_and_wrong_mode_raise_bad_request(world: Doors) -> None:
    client = sdk(world)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=SANDBOX_IMAGE, prompt="x", extra_body={"colour": "red"})
    assert caught.value.code == "CONTRACT_MISMATCH" and caught.value.param == "colour"
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model=VIDEO, input="hi", voice="alloy")
    assert caught.value.param == "model"


def test_empty_balance_raises_rate_limit_insufficient_quota(world: Doors) -> None:
    user_id, key = world.member("broke")
    with world.http(key) as c:
        c.get("/v1/credits")  # the wallet is made on first sight
    with world.http() as c:
        r = c.post(
            "/v1/credits/adjustments",
            json={
                "user_id": user_id,
                "amount_micros": -1_000_000,
                "account": "allocation",
                "reason": "test: empty wallet",
                "idempotency_key": f"empty-{user_id}",
            },
        )
        assert r.status_code == 201, r.text
    with pytest.raises(openai.RateLimitError) as caught:
        sdk(world, key).images.generate(model=LIVE_IMAGE, prompt="a fox")
    assert caught.value.code == "INSUFFICIENT_FUNDS"
    assert caught.value.type == "insufficient_quota"
    assert caught.value.response.headers["x-should-retry"] == "false"


def test_rate_limit_raises_rate_limit_error_with_retry_after(world: Doors) -> None:
    _user, key = world.member("hasty")
    client = sdk(world, key)
    for _ in range(KEY_LIMIT):
        client.images.generate(model=SANDBOX_IMAGE, prompt="quick")
    with pytest.raises(openai.RateLimitError) as caught:
        client.images.generate(model=SANDBOX_IMAGE, prompt="one too many")
    assert caught.value.code == "RATE_LIMITED"
    assert int(caught.value.response.headers["retry-after"]) >= 1
