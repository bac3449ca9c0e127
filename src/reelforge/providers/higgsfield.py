"""Higgsfield platform API: DoP image-to-video, Speak (talking avatar), Soul text-to-image,
request status and cancel.

Wire contract (reference/providers-video.md §5 and its SDK corrections; higgsfield-client
0.2): ``Authorization: Key <id>:<secret>``; ``POST /<application>`` with a flat JSON body
(``?hf_webhook=`` for a callback) returns ``{request_id, status, status_url, cancel_url}``;
``GET /requests/{id}/status`` answers ``queued | in_progress | completed | failed | nsfw |
canceled`` with ``video: {url}`` or ``images: [{url}]``; ``POST /requests/{id}/cancel`` is
202 while queued, else 400. Inputs are URLs: data: URIs are uploaded first through
``POST /files/generate-upload-url`` + ``PUT`` (the SDK's upload flow). The API accepts an
``Idempotency-Key`` header and answers a repeat with the original request id.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Health,
    InputMedia,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.detail_errors import detail_error
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import MODERATION_WORDS, json_body, send

NAME = "higgsfield"


@dataclass(frozen=True)
class Application:
    path: str  # the application route, POSTed to
    output: MediaKind
    sends_model: bool  # DoP takes a `model` field; Speak and Soul are addressed by route


# Our model ids → application routes. DoP models are Higgsfield's own `model` values;
# "speak-v2" and "soul" name the route-addressed applications.
APPLICATIONS: dict[str, Application] = {
    "dop-lite": Application("/v1/image2video/dop", MediaKind.VIDEO, True),
    "dop-turbo": Application("/v1/image2video/dop", MediaKind.VIDEO, True),
    "dop-standard": Application("/v1/image2video/dop", MediaKind.VIDEO, True),
    "speak-v2": Application("/v1/speak/higgsfield", MediaKind.VIDEO, False),
    "soul": Application("/v1/text2image/soul", MediaKind.IMAGE, False),
}
STATUSES = {
    "queued": TaskStatus.QUEUED,
    "in_progress": TaskStatus.RUNNING,
    "completed": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
    "nsfw": TaskStatus.FAILED,
    "canceled": TaskStatus.CANCELED,
    "cancelled": TaskStatus.CANCELED,  # tolerate the two-l spelling; the SDK enum has one
}
DOP_PARAMS = ("enhance_prompt",)
SPEAK_PARAMS = ("quality", "duration")
SOUL_PARAMS = (
    "width_and_height",
    "quality",
    "batch_size",
    "style_id",
    "style_strength",
    "custom_reference_id",
    "custom_reference_strength",
    "enhance_prompt",
)


class HiggsfieldProvider(Provider):
    name = NAME
    display_name = "Higgsfield"
    # HIGGSFIELD_* are ours/the issue's; the official SDK reads HF_API_KEY + HF_API_SECRET.
    credential_fields = (
        CredentialField("key_id", ("HIGGSFIELD_KEY_ID", "HF_API_KEY")),
        CredentialField("key_secret", ("HIGGSFIELD_KEY_SECRET", "HF_API_SECRET")),
    )
    # The official SDK's host (platform.higgsfield.ai is the older one).
    default_base_url = "https://api.higgsfield.ai"
    default_poll_interval = 4.0
    supports_cancel = True
    supports_callbacks = True
    idempotent_submit = True

    def _headers(self, credential: Credential) -> dict[str, str]:
        key = f"{credential.get('key_id')}:{credential.get('key_secret')}"
        return {"Authorization": f"Key {key}"}

    async def _call(
        self,
        method: str,
        path: str,
        credential: Credential,
        *,
        extra_headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        headers = {**self._headers(credential), **(extra_headers or {})}
        response = await send(
            self.client, NAME, method, f"{self.base_url}{path}", headers=headers, **kwargs
        )
        if not response.is_success:
            raise detail_error(NAME, response)
        return json_body(NAME, response) if response.content else None

    # -- submit -----------------------------------------------------------------------
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        app = APPLICATIONS.get(request.model)
        if app is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"higgsfield: unknown model {request.model!r}.",
                detail={"provider": NAME, "field": "model", "allowed": sorted(APPLICATIONS)},
            )
        body = await self._body(request, app, credential)
        headers = {}
        if request.idempotency_key:
            # A repeat with the same key returns the original request: safe to retry.
            headers["Idempotency-Key"] = request.idempotency_key
        query = {"hf_webhook": request.callback_url} if request.callback_url else None
        data = await self._call(
            "POST", app.path, credential, json=body, params=query, extra_headers=headers
        )
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not request_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "higgsfield: the request was accepted without a request_id.",
                detail={"provider": NAME},
                retryable=bool(request.idempotency_key),
            )
        task = ProviderTask(
            provider=NAME,
            task_id=str(request_id),
            model=request.model,
            mode=request.mode,
            meta={"application": app.path, "output": str(app.output)},
            poll_interval_seconds=self.default_poll_interval,
        )
        # A repeat (same Idempotency-Key, e.g. a resubmission after a crash) of a request
        # that already finished answers its final status: that outcome is in hand.
        answered = _update(data, task)
        if answered.status.terminal and (answered.outputs or answered.error):
            task.result = answered
        return task

    async def _body(
        self, request: GenerationRequest, app: Application, credential: Credential
    ) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {}
        if app.sends_model:
            body["model"] = request.model
        if request.prompt:
            body["prompt"] = request.prompt
        seed = request.seed if request.seed is not None else params.get("seed")
        if seed is not None:
            body["seed"] = int(seed)
        if app.path.endswith("/dop"):
            image = _required(request, MediaKind.IMAGE, "input_images")
            url = await self._public_url(image, credential)
            body["input_images"] = [{"type": "image_url", "image_url": url}]
            if params.get("motion_id"):
                strength = float(params.get("motion_strength", 0.8))
                body["motions"] = [{"id": params["motion_id"], "strength": strength}]
            _copy(params, body, DOP_PARAMS)
        elif app.path.startswith("/v1/speak"):
            image = _required(request, MediaKind.IMAGE, "input_image")
            audio = _required(request, MediaKind.AUDIO, "input_audio")
            body["input_image"] = {
                "type": "image_url",
                "image_url": await self._public_url(image, credential),
            }
            body["input_audio"] = {
                "type": "audio_url",
                "audio_url": await self._public_url(audio, credential),
            }
            _copy(params, body, SPEAK_PARAMS)
        else:
            reference = request.input_of(MediaKind.IMAGE)
            if reference is not None:
                body["image_reference"] = {
                    "type": "image_url",
                    "image_url": await self._public_url(reference, credential),
                }
            _copy(params, body, SOUL_PARAMS)
        return body

    async def _public_url(self, item: InputMedia, credential: Credential) -> str:
        """An http(s) URL as is; a data: URI uploaded through Higgsfield's upload flow."""
        if not item.url.startswith("data:"):
            return item.url
        content_type, data = _decode_data_uri(item.url)
        slot = await self._call(
            "POST", "/files/generate-upload-url", credential, json={"content_type": content_type}
        )
        if not isinstance(slot, dict) or not slot.get("upload_url") or not slot.get("public_url"):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "higgsfield: the upload slot answer lacks its URLs.",
                detail={"provider": NAME},
                retryable=True,
            )
        # A presigned URL: it carries its own authorization, so no key is sent there.
        upload_headers = slot.get("upload_headers") or {"Content-Type": content_type}
        response = await send(
            self.client, NAME, "PUT", slot["upload_url"], content=data, headers=upload_headers
        )
        if not response.is_success:
            raise detail_error(NAME, response)
        return str(slot["public_url"])

    # -- poll / cancel ----------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        # Always our base URL, never the answer's status_url: the key goes only where we chose.
        if task.in_hand is not None:
            return task.in_hand
        data = await self._call("GET", f"/requests/{task.task_id}/status", credential)
        if not isinstance(data, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "higgsfield: the status answer is not an object.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        return _update(data, task)

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        """True when canceled; False when it is already running or done (the API's 400)."""
        response = await send(
            self.client,
            NAME,
            "POST",
            f"{self.base_url}/requests/{task.task_id}/cancel",
            headers=self._headers(credential),
        )
        if response.status_code == 400:
            return False
        if not response.is_success:
            raise detail_error(NAME, response)
        return True

    async def verify(self, credential: Credential) -> bool:
        """There is no balance endpoint; ask for a request that cannot exist: a valid key
        gets 404, a bad one 401 (raised as AUTH_FAILED)."""
        probe = f"{self.base_url}/requests/{uuid.uuid4()}/status"
        response = await send(self.client, NAME, "GET", probe, headers=self._headers(credential))
        if response.status_code == 404 or response.is_success:
            return True
        raise detail_error(NAME, response)

    async def health(self) -> Health:
        """Reachability without a key: any answer below 500 means the API is up."""
        try:
            response = await send(
                self.client, NAME, "GET", f"{self.base_url}/requests/{uuid.UUID(int=0)}/status"
            )
        except ReelForgeError as exc:
            return Health(ok=False, detail={"error": str(exc.code)})
        return Health(ok=response.status_code < 500, detail={"status": response.status_code})


def _copy(params: dict[str, Any], body: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if params.get(key) is not None:
            body[key] = params[key]


def _required(request: GenerationRequest, kind: MediaKind, field: str) -> InputMedia:
    item = request.input_of(kind)
    if item is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"higgsfield: {request.model} needs an {kind} input ({field}).",
            detail={"provider": NAME, "field": field, "kind": str(kind)},
        )
    return item


def _decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    meta = header[len("data:") :].split(";")
    content_type = meta[0] or "application/octet-stream"
    try:
        data = base64.b64decode(payload) if "base64" in meta[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "higgsfield: an input data: URI is not valid base64.",
            detail={"provider": NAME, "field": "inputs"},
        ) from exc
    return content_type, data


def _update(data: dict[str, Any], task: ProviderTask) -> TaskUpdate:
    """A status answer (of a poll, or of a repeated submission) as a TaskUpdate."""
    raw = str(data.get("status") or "")
    status = STATUSES.get(raw)
    if status is None:
        return TaskUpdate(status=TaskStatus.RUNNING, message=f"higgsfield status {raw!r}")
    if status is TaskStatus.FAILED:
        return TaskUpdate(status=status, error=_failure(raw, data, task).to_dict())
    if status is not TaskStatus.SUCCEEDED:
        return TaskUpdate(status=status, message=raw)
    return TaskUpdate(status=status, progress=1.0, outputs=_outputs(data))


def _failure(raw: str, data: dict[str, Any], task: ProviderTask) -> ReelForgeError:
    message = str(data.get("error") or data.get("detail") or "")
    detail = {"provider": NAME, "task_id": task.task_id, "status": raw}
    if message:
        detail["provider_message"] = message
    # nsfw is Higgsfield's refusal status; failed and nsfw requests are refunded.
    if raw == "nsfw" or any(w in message.lower() for w in MODERATION_WORDS):
        return ReelForgeError(
            ErrorCode.SAFETY_FILTER,
            "higgsfield: the content was flagged as NSFW.",
            detail=detail,
        )
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"higgsfield: the request failed ({message or 'no reason given'}).",
        detail=detail,
        retryable=True,
    )


def _urls(node: Any) -> list[str]:
    """URLs from ``{url}``, ``[{url}, ...]`` or plain strings (tolerant of both shapes)."""
    items = node if isinstance(node, list) else [node]
    urls = []
    for item in items:
        if isinstance(item, dict) and item.get("url"):
            urls.append(str(item["url"]))
        elif isinstance(item, str) and item:
            urls.append(item)
    return urls


def _outputs(data: dict[str, Any]) -> list[OutputMedia]:
    outputs = [
        OutputMedia(url=u, media_type=MediaKind.VIDEO, content_type="video/mp4")
        for u in _urls(data.get("video") or data.get("videos"))
    ]
    outputs += [OutputMedia(url=u, media_type=MediaKind.IMAGE) for u in _urls(data.get("images"))]
    return outputs


@hookimpl
def register_providers(register: Any) -> None:
    register(HiggsfieldProvider)
