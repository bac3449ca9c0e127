"""Emulators refuse what the real APIs refuse (issue 25, defect 5), with the provider's own
error body, so an adapter sending a wrong type or value fails offline.

Each case: a request the provider takes (checked first, so the refusal is the bad
field's), then that request with one field wrong. Every case here was accepted by the
emulators before the fix (Kling's numeric ``duration``, Replicate's and fal's FLUX inputs,
Luma's ``generation_type`` and ``loop``, MiniMax's flags, Runware's output fields). The
official SDKs, where one exists, see the refusal as their own error type.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.kling import SANDBOX_CREDENTIAL as KLING
from reelforge.providers.kling import make_token
from tests.helpers import serve_asgi

PROVIDERS = ("kling", "replicate", "fal", "luma", "minimax", "runware")


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    config = EmulatorConfig(queue_seconds=0.02, run_seconds=0.1, image_run_seconds=0.02)
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_asgi(registry.load(name).create_app(config)))
            for name in PROVIDERS
        }


def headers(provider: str) -> dict[str, str]:
    if provider == "kling":
        token, _ = make_token(KLING["access_key"], KLING["secret_key"], time.time())
        return {"Authorization": f"Bearer {token}"}
    key = next(iter(registry.load(provider).sandbox_credential.values()))
    return {"Authorization": f"{'Key' if provider == 'fal' else 'Bearer'} {key}"}


def runware_task(**fields: Any) -> list[dict[str, Any]]:
    task = {"taskType": "imageInference", "taskUUID": str(uuid.uuid4()), "model": "runware:100@1",
            "positivePrompt": "a lighthouse", "width": 1024, "height": 1024,
            "numberResults": 1, "outputType": "URL", "outputFormat": "PNG",
            "deliveryMethod": "sync", "includeCost": True}  # fmt: skip
    return [{**task, **fields}]


# provider → (path, the good body with some fields changed)
GOOD_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "kling": (
        "/v1/videos/text2video",
        {"model_name": "kling-v2-5-turbo", "prompt": "a lighthouse", "duration": "5"},
    ),
    "replicate": (
        "/v1/models/black-forest-labs/flux-schnell/predictions",
        {"prompt": "a lighthouse", "num_outputs": 1, "output_format": "webp"},
    ),
    "fal": (
        "/fal-ai/flux/dev",
        {"prompt": "a lighthouse", "image_size": "landscape_4_3", "num_images": 1},
    ),
    "luma": (
        "/dream-machine/v1/generations/video",
        {"model": "ray-flash-2", "prompt": "a lighthouse", "duration": "5s"},
    ),
    "minimax": (
        "/v1/video_generation",
        {"model": "MiniMax-Hailuo-2.3", "prompt": "a lighthouse", "duration": 6,
         "resolution": "768P"},
    ),
}  # fmt: skip


def good(provider: str, **fields: Any) -> tuple[str, Any]:
    if provider == "runware":
        return "", runware_task(**fields)
    path, body = GOOD_BODIES[provider]
    if provider == "replicate":  # Replicate's fields are the prediction's ``input``
        return path, {"input": {**body, **fields}}
    return path, {**body, **fields}


# (provider, field, bad value)
BAD = [
    ("kling", "duration", 5),  # the issue's own example: Kling wants "5"
    ("kling", "duration", "7"),
    ("kling", "mode", "ultra"),
    ("replicate", "num_outputs", "1"),  # JSON Schema: no string for an integer
    ("replicate", "num_outputs", 9),
    ("replicate", "output_format", "gif"),
    ("replicate", "aspect_ratio", 1.5),
    ("replicate", "go_fast", "true"),
    ("replicate", "num_inference_steps", 8),
    ("fal", "image_size", "huge"),
    ("fal", "num_images", 9),
    ("fal", "output_format", "webp"),
    ("fal", "prompt", 5),  # pydantic never makes a string of a number
    ("fal", "enable_safety_checker", "maybe"),
    ("fal", "num_inference_steps", "many"),
    ("luma", "generation_type", "image"),
    ("luma", "loop", "yes"),
    ("luma", "duration", 5),
    ("luma", "resolution", "8k"),
    ("minimax", "prompt_optimizer", "true"),
    ("minimax", "duration", "6"),
    ("minimax", "resolution", "720P"),
    ("runware", "outputType", "url"),
    ("runware", "outputFormat", "GIF"),
    ("runware", "deliveryMethod", "later"),
    ("runware", "model", "flux-schnell"),
    ("runware", "includeCost", "yes"),
    ("runware", "steps", "4"),
]


async def send(client: httpx.AsyncClient, provider: str, base: str, **fields: Any) -> Any:
    """The provider's verdict on the good body with ``fields`` changed: (accepted, body)."""
    path, body = good(provider, **fields)
    r = await client.post(base + path, json=body, headers=headers(provider))
    data = r.json()
    if provider == "fal" and r.status_code == 200:
        # fal's queue takes any JSON; the request's result answers the 422 (fal.app doc).
        rid = data["request_id"]
        result = f"{base}/fal-ai/flux/requests/{rid}"
        for _ in range(100):
            s = await client.get(f"{result}/status", headers=headers(provider))
            if s.json()["status"] == "COMPLETED":
                break
            await asyncio.sleep(0.02)
        r = await client.get(result, headers=headers(provider))
        data = r.json()
    if provider == "minimax":
        return data["base_resp"]["status_code"] == 0, data
    if provider == "runware":
        return r.status_code == 200 and not data.get("errors"), data
    if provider == "kling":
        return r.status_code == 200 and data["code"] == 0, data | {"status": r.status_code}
    return r.status_code < 300, data | {"status": r.status_code}


def provider_error(provider: str, field: str, data: dict[str, Any]) -> bool:
    """``data`` is the provider's own error body, naming ``field`` where it names one."""
    if provider == "kling":  # {"code": 1201, "message": ..., "request_id": ...}, HTTP 400
        return data["code"] == 1201 and field in data["message"] and data["status"] == 400
    if provider == "replicate":  # problem+json with invalid_fields
        return (
            data["status"] == 422
            and data["title"] == "Input validation failed"
            and any(f["field"] == f"input.{field}" for f in data["invalid_fields"])
        )
    if provider == "fal":  # FastAPI's {"detail": [{"loc": ["body", field], "msg", "type"}]}
        return data["status"] == 422 and data["detail"][0]["loc"] == ["body", field]
    if provider == "luma":
        return data["status"] in (400, 422) and field in str(data["detail"])
    if provider == "minimax":  # HTTP 200, base_resp 2013 "invalid params, ..."
        return data["base_resp"]["status_code"] == 2013
    if provider == "runware":  # {"errors": [{"code": "invalid<Field>", "parameter": field}]}
        return data["errors"][0]["parameter"] == field
    raise AssertionError(provider)


@pytest.mark.parametrize(("provider", "field", "value"), BAD)
async def test_the_emulator_refuses_what_the_provider_refuses(
    urls: dict[str, str], provider: str, field: str, value: Any
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        accepted, good = await send(client, provider, urls[provider])
        assert accepted, good
        accepted, data = await send(client, provider, urls[provider], **{field: value})
    assert not accepted, (field, value, data)
    assert provider_error(provider, field, data), data


@pytest.mark.parametrize(
    ("provider", "field", "value"),
    # Coerced by the provider's parser, so taken (pydantic's default mode at fal).
    [("fal", "num_images", "2"), ("fal", "enable_safety_checker", "false")],
)
async def test_what_the_provider_coerces_is_taken(
    urls: dict[str, str], provider: str, field: str, value: Any
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        accepted, data = await send(client, provider, urls[provider], **{field: value})
    assert accepted, data


def test_the_replicate_sdk_sees_the_refusal_as_its_own_error(urls: dict[str, str]) -> None:
    import replicate
    from replicate.exceptions import ReplicateError

    token = registry.load("replicate").sandbox_credential["api_token"]
    client = replicate.Client(api_token=token, base_url=urls["replicate"])
    with pytest.raises(ReplicateError) as refused:
        client.models.predictions.create(
            model="black-forest-labs/flux-schnell", input={"prompt": "x", "num_outputs": "2"}
        )
    assert refused.value.status == 422 and refused.value.title == "Input validation failed"
    assert "input.num_outputs" in str(refused.value.detail)


async def test_the_luma_sdk_sees_the_refusal_as_its_own_error(urls: dict[str, str]) -> None:
    import lumaai

    key = registry.load("luma").sandbox_credential["api_key"]
    base = f"{urls['luma']}/dream-machine/v1"
    async with lumaai.AsyncLumaAI(auth_token=key, base_url=base, max_retries=0) as sdk:
        with pytest.raises(lumaai.APIStatusError) as refused:
            await sdk.generations.create(
                model="ray-flash-2",
                prompt="x",
                loop="yes",  # type: ignore[arg-type]  # what a buggy caller sends
            )
    assert refused.value.status_code in (400, 422)


async def test_runway_answers_fit_the_sdk_types_in_every_state() -> None:
    """No null where Runway sends a string: each task answer (pending or running, failed,
    succeeded) validates against runwayml's own response model."""
    from pydantic import TypeAdapter
    from runwayml.types.task_retrieve_response import TaskRetrieveResponse

    spec = registry.load("runway")
    config = EmulatorConfig(queue_seconds=0.02, run_seconds=0.1, image_run_seconds=0.02)
    app = spec.create_app(config)
    key = spec.sandbox_credential["api_key"]
    auth = {"Authorization": f"Bearer {key}", "X-Runway-Version": "2024-11-06"}
    body = {"model": "gen4.5", "promptText": "a lighthouse", "ratio": "1280:720", "duration": 5}
    adapter: TypeAdapter[Any] = TypeAdapter(TaskRetrieveResponse)
    seen: set[str] = set()
    with serve_asgi(app) as base:
        async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as client:
            for fault in (None, "fail"):
                if fault:
                    app.state.emulator.faults.add(fault, on="submit")
                task = (await client.post("/v1/text_to_video", json=body)).json()
                for _ in range(200):
                    answer = (await client.get(f"/v1/tasks/{task['id']}")).json()
                    adapter.validate_python(answer)  # raises on a null string, a bad status
                    seen.add(answer["status"])
                    if answer["status"] in ("SUCCEEDED", "FAILED"):
                        break
                    await asyncio.sleep(0.02)
    assert {"SUCCEEDED", "FAILED"} <= seen, seen
