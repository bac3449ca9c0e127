"""xAI (Grok): image generation and edit (synchronous), video generation (deferred).

Contract: shared/reference/providers-video.md §1. Images answer in one call, so ``submit``
returns a task carrying its outcome (``ProviderTask.result``): nothing is polled.
Videos are "deferred requests": submit returns a ``request_id`` and ``GET
/v1/videos/{request_id}`` reports ``pending`` → ``done`` | ``failed`` | ``expired``.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.errorfields import field_in_message, validation_error
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import (
    MODERATION_WORDS,
    body_message,
    error_for_status,
    json_body,
    send,
)

NAME = "grok"
# usage.cost_in_usd_ticks: we read one tick as 1e-10 USD (10,000 ticks = 1 micro-USD).
# The unit is an assumption (reference §1, unverified); it matches the documented example
# (5e9 ticks for a 10 s video at ≈ $0.05/s).
TICKS_PER_MICRO = 10_000

_IMAGE_PARAMS = ("n", "aspect_ratio", "resolution", "output_format", "user")
_VIDEO_PARAMS = ("duration", "aspect_ratio", "resolution", "user")
# Our names for the wire fields a validation message may mention.
_FIELD_NAMES = {"image": "image", "video": "video", "prompt": "prompt", "model": "model"}


class GrokProvider(Provider):
    name: ClassVar[str] = NAME
    display_name: ClassVar[str] = "xAI Grok"
    reconcile_note = "images come back in the answer itself and videos are known only by the request_id it carries (no listing)"
    credential_fields = (CredentialField("api_key", ("XAI_API_KEY",)),)
    # The host root: paths carry /v1 (a configured ".../v1" is accepted, see __init__).
    default_base_url: ClassVar[str] = "https://api.x.ai"
    # Vercel's xAI provider polls every 5 s; the docs say "every few seconds".
    default_poll_interval: ClassVar[float] = 5.0

    def __init__(self, client: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(client, base_url)
        # The docs name https://api.x.ai/v1 as the base; we keep the host and add /v1 per
        # path so the emulator (served at a root) and the real API use the same paths.
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[: -len("/v1")]

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}"}

    # -- submit -------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        if request.mode in (Mode.T2I, Mode.I2I):
            return await self._images(request, credential)
        if request.mode in (Mode.T2V, Mode.I2V, Mode.V2V):
            return await self._video(request, credential)
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"grok does not support mode {request.mode}.",
            detail={"field": "mode", "provider": NAME},
        )

    async def _images(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prompt,
            "response_format": "url",
        }
        body.update({k: request.params[k] for k in _IMAGE_PARAMS if k in request.params})
        image = request.input_of(MediaKind.IMAGE)
        path = "/v1/images/generations"
        if request.mode is Mode.I2I or image is not None:
            if image is None:
                raise _missing_input("image")
            # /images/edits takes one input image, as a URL or a data: URI.
            body["image"] = {"url": image.url, "type": "image_url"}
            path = "/v1/images/edits"
        data = await self._post(path, body, credential)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise _malformed("the image response has no data")
        outputs = []
        for item in items:
            url = item.get("url") if isinstance(item, dict) else None
            if not url and isinstance(item, dict) and item.get("b64_json"):
                url = f"data:image/jpeg;base64,{item['b64_json']}"
            if not url:
                raise _malformed("an image item has no url")
            outputs.append(
                OutputMedia(url=url, media_type=MediaKind.IMAGE, content_type="image/jpeg")
            )
        return ProviderTask(
            provider=NAME,
            # Image calls have no id of their own; this one names the finished result.
            task_id=f"image-{uuid.uuid4()}",
            model=request.model,
            mode=request.mode,
            meta={
                "kind": "image",
                "revised_prompts": [i.get("revised_prompt") for i in items if isinstance(i, dict)],
            },
            result=TaskUpdate(
                status=TaskStatus.SUCCEEDED,
                progress=1.0,
                outputs=outputs,
                cost_micros=_cost_micros(data),
            ),
        )

    async def _video(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        body: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
        path = "/v1/videos/generations"
        if request.mode is Mode.V2V:
            video = request.input_of(MediaKind.VIDEO)
            if video is None:
                raise _missing_input("video")
            # Edits keep the source's duration, aspect ratio and resolution (reference §1).
            body["video"] = {"url": video.url}
            path = "/v1/videos/edits"
        else:
            body.update({k: request.params[k] for k in _VIDEO_PARAMS if k in request.params})
            image = request.input_of(MediaKind.IMAGE)
            if request.mode is Mode.I2V and image is None:
                raise _missing_input("image")
            if image is not None:
                body["image"] = {"url": image.url}
        data = await self._post(path, body, credential)
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not request_id:
            raise _malformed("the video response has no request_id")
        return ProviderTask(
            provider=NAME,
            task_id=str(request_id),
            model=request.model,
            mode=request.mode,
            meta={"kind": "video"},
            poll_interval_seconds=self.default_poll_interval,
        )

    # -- poll ---------------------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        if task.result is not None:
            return task.result
        if task.meta.get("kind") == "image":  # stored before ProviderTask.result existed
            return TaskUpdate(
                status=TaskStatus.SUCCEEDED,
                progress=1.0,
                outputs=[OutputMedia(**o) for o in task.meta.get("outputs", [])],
                cost_micros=task.meta.get("cost_micros"),
            )
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/videos/{task.task_id}",
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise self._error(response, {})
        data = json_body(NAME, response)
        if not isinstance(data, dict):
            raise _malformed("the status response is not an object")
        return _video_update(data, response.status_code)

    # -- account ------------------------------------------------------------------------
    async def verify(self, credential: Credential) -> bool:
        # xAI has no balance endpoint (console only); listing models is the cheapest
        # authenticated call of its OpenAI-compatible surface.
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/models",
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise self._error(response, {})
        return True

    # -- errors -------------------------------------------------------------------------
    async def _post(self, path: str, body: dict[str, Any], credential: Credential) -> Any:
        response = await send(
            self.client, NAME, "POST", f"{self.base_url}{path}", json=body,
            headers=self._headers(credential),
        )  # fmt: skip
        if response.status_code >= 400:
            raise self._error(response, body)
        return json_body(NAME, response)

    def _error(self, response: httpx.Response, sent: dict[str, Any]) -> ReelForgeError:
        """xAI answers a bad key with HTTP 400 (not 401) and an empty account with 429."""
        message = body_message(response)
        lowered = message.lower()
        status = response.status_code
        if "api key" in lowered and status in (400, 401, 403):
            return ReelForgeError(
                ErrorCode.AUTH_FAILED,
                "grok: the provider rejected the API key.",
                detail={"provider": NAME, "status": status},
                remediation=(
                    "Check the xAI key: PUT /v1/providers/grok/credential, or XAI_API_KEY.",
                ),
            )
        if status == 404 and "model" in lowered:
            # An unknown model id is a bad field of the request, not a missing resource.
            return validation_error(NAME, message, field="model", status=status)
        if status in (400, 422) and not any(w in lowered for w in MODERATION_WORDS):
            if not any(w in lowered for w in ("credit", "spending limit")):
                candidates = [*sent, *_FIELD_NAMES]
                wire = field_in_message(message, candidates)
                return validation_error(
                    NAME, message, field=_FIELD_NAMES.get(wire or "", wire), status=status
                )
        return error_for_status(NAME, response, message=message)


def _video_update(data: dict[str, Any], http_status: int) -> TaskUpdate:
    status = data.get("status")
    video = data.get("video") if isinstance(data.get("video"), dict) else None
    progress = _progress(data.get("progress"))
    # Finished answers carry status "done"; some carry only the video (Vercel accepts a
    # missing status with a video url as done, and so do we).
    if status == "done" or (status is None and video and video.get("url")):
        if video is not None and video.get("respect_moderation") is False:
            # The video was blocked by moderation although the request "finished".
            err = ReelForgeError(
                ErrorCode.SAFETY_FILTER,
                "grok: the video was blocked by content moderation.",
                detail={"provider": NAME, "provider_status": "done"},
            )
            return TaskUpdate(status=TaskStatus.FAILED, error=err.to_dict(), progress=1.0)
        if video is None or not video.get("url"):
            raise _malformed("the finished video has no url")
        duration = video.get("duration")
        return TaskUpdate(
            status=TaskStatus.SUCCEEDED,
            progress=1.0,
            outputs=[
                OutputMedia(
                    url=video["url"],
                    media_type=MediaKind.VIDEO,
                    content_type="video/mp4",
                    duration_seconds=float(duration) if duration else None,
                )
            ],
            cost_micros=_cost_micros(data),
        )
    if status in ("failed", "expired"):
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        message = str(error.get("message") or f"the video request {status}")
        code = ErrorCode.PROVIDER_ERROR
        if any(w in message.lower() for w in MODERATION_WORDS):
            code = ErrorCode.SAFETY_FILTER
        err = ReelForgeError(
            code,
            f"grok: {message}",
            detail={
                "provider": NAME,
                "provider_status": status,
                "provider_code": error.get("code"),
            },
            # An expired request can be submitted again; a failed one may work on retry.
            retryable=None if code is ErrorCode.SAFETY_FILTER else True,
        )
        return TaskUpdate(status=TaskStatus.FAILED, error=err.to_dict())
    # "pending" (docs) covers queued and running, told apart by progress; a deferred-style
    # 202 carrying only the request_id (seen on gateways) means not started yet.
    if http_status == 202 or status in (None, "queued") or not progress:
        return TaskUpdate(status=TaskStatus.QUEUED, progress=progress)
    return TaskUpdate(status=TaskStatus.RUNNING, progress=progress)


def _progress(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # Reported as a percentage; a fraction is taken as it is.
    return max(0.0, min(1.0, value / 100 if value > 1 else float(value)))


def _cost_micros(data: Any) -> int | None:
    usage = data.get("usage") if isinstance(data, dict) else None
    ticks = usage.get("cost_in_usd_ticks") if isinstance(usage, dict) else None
    if isinstance(ticks, bool) or not isinstance(ticks, int | float):
        return None
    return round(ticks / TICKS_PER_MICRO)


def _missing_input(slot: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"grok: this mode needs an input {slot}.",
        detail={"provider": NAME, "field": slot},
    )


def _malformed(what: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"grok: the provider sent a malformed response ({what}).",
        detail={"provider": NAME},
        retryable=True,
    )


@hookimpl
def register_providers(register: Any) -> None:
    register(GrokProvider)
