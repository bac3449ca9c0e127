"""Sync Labs (sync.so) lip-sync: one video and one audio in, a lip-synced video out.

Contract (shared/reference/providers-other.md §5, syncsdk 0.3.0): ``POST /v2/generate``
with ``{"model", "input": [{"type": "video", "url"}, {"type": "audio", "url"}], "options",
"webhookUrl"}`` (or multipart with ``video``/``audio`` files when we hold the bytes, not a
URL); ``GET /v2/generate/{id}`` until ``COMPLETED`` (``outputUrl``, ``outputDuration``),
``FAILED`` or ``REJECTED``. Auth is the ``x-api-key`` header. Errors are
``{"message": str | [str], "statusCode": n}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.domain.words import article
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    InputMedia,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import MODERATION_WORDS, error_for_status, json_body, send

NAME = "sync"
# Generation fields that sit at the top level; every other param is an ``options`` entry.
_TOP_LEVEL = frozenset({"outputFileName", "segments"})
_STATES = {"PENDING": TaskStatus.QUEUED, "PROCESSING": TaskStatus.RUNNING}


def _message(response: httpx.Response) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, list):
        return "; ".join(str(m) for m in message)[:300]
    return str(message)[:300] if message else None


def _decode_data_uri(uri: str) -> tuple[bytes, str]:
    header, _, payload = uri.partition(",")
    ctype = header[5:].split(";", 1)[0] or "application/octet-stream"
    try:
        return base64.b64decode(payload, validate=True), ctype
    except (binascii.Error, ValueError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "sync: an input is a data: URI that is not valid base64.",
            detail={"provider": NAME, "field": "input"},
        ) from exc


def task_failure(generation: dict[str, Any]) -> ReelForgeError:
    status = generation.get("status")
    message = str(generation.get("error") or f"the generation ended {status}")[:300]
    code = generation.get("error_code")
    detail = {"provider": NAME, "task_id": generation.get("id"), "provider_code": code}
    lowered = f"{message} {code}".lower()
    if any(word in lowered for word in MODERATION_WORDS):
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"sync: {message}", detail=detail)
    if status == "REJECTED":  # refused before any work: resubmitting as-is will not help
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"sync: {message}", detail=detail)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR, f"sync: {message}", detail=detail, retryable=True
    )


class SyncProvider(Provider):
    name = NAME
    display_name = "Sync Labs"
    reconcile_note = "its generations listing (GET /v2/generations) is not searched yet: a generation is known only by the id its answer carries"
    credential_fields = (CredentialField("api_key", ("SYNC_API_KEY",)),)
    default_base_url = "https://api.sync.so"
    default_poll_interval = 5.0
    supports_callbacks = True
    idempotent_submit = False

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"x-api-key": credential.get("api_key")}

    def _raise(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise error_for_status(NAME, response, message=_message(response))

    def _media(self, request: GenerationRequest, kind: MediaKind) -> InputMedia:
        item = request.input_of(kind)
        if item is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"sync: lip-sync needs {article(kind.value)} input.",
                detail={"provider": NAME, "field": kind.value},
            )
        return item

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        video = self._media(request, MediaKind.VIDEO)
        audio = self._media(request, MediaKind.AUDIO)
        options = {k: v for k, v in request.params.items() if k not in _TOP_LEVEL}
        if request.prompt and request.model.startswith("react"):
            options.setdefault("prompt", request.prompt)  # react-1's emotion word
        top = {k: v for k, v in request.params.items() if k in _TOP_LEVEL}
        url = f"{self.base_url}/v2/generate"
        headers = self._headers(credential)
        uploads = {
            name: _decode_data_uri(item.url)
            for name, item in (("video", video), ("audio", audio))
            if item.url.startswith("data:")
        }
        linked = [
            {"type": name, "url": item.url}
            for name, item in (("video", video), ("audio", audio))
            if name not in uploads
        ]
        if uploads:
            # Bytes we hold go up as files (the SDK's create_with_files), URLs as input items.
            form: dict[str, str] = {"model": request.model, "input": json.dumps(linked)}
            if options:
                form["options"] = json.dumps(options)
            if request.callback_url:
                form["webhookUrl"] = request.callback_url
            files = {
                name: (f"{name}.{ctype.rsplit('/', 1)[-1]}", data, ctype)
                for name, (data, ctype) in uploads.items()
            }
            response = await send(
                self.client, NAME, "POST", url, data=form, files=files, headers=headers
            )
        else:
            body: dict[str, Any] = {"model": request.model, "input": linked, **top}
            if options:
                body["options"] = options
            if request.callback_url:
                body["webhookUrl"] = request.callback_url
            response = await send(self.client, NAME, "POST", url, json=body, headers=headers)
        self._raise(response)
        generation = json_body(NAME, response)
        if not isinstance(generation, dict) or not generation.get("id"):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "sync: the create answer has no generation id.",
                detail={"provider": NAME},
                retryable=True,
            )
        return ProviderTask(
            provider=NAME,
            task_id=str(generation["id"]),
            model=request.model,
            mode=request.mode,
        )

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v2/generate/{task.task_id}",
            headers=self._headers(credential),
        )
        self._raise(response)
        generation = json_body(NAME, response)
        if not isinstance(generation, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "sync: the generation is not a JSON object.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        status = generation.get("status")
        if status in _STATES:
            return TaskUpdate(status=_STATES[status], message=str(status).lower())
        if status == "COMPLETED" and generation.get("outputUrl"):
            duration = generation.get("outputDuration")
            output = OutputMedia(
                url=str(generation["outputUrl"]),
                media_type=MediaKind.VIDEO,
                content_type="video/mp4",
                duration_seconds=float(duration) if isinstance(duration, int | float) else None,
            )
            return TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=[output])
        if status in ("FAILED", "REJECTED", "COMPLETED"):
            return TaskUpdate(
                status=TaskStatus.FAILED, progress=1.0, error=task_failure(generation).to_dict()
            )
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"sync: unknown generation status {status!r}.",
            detail={"provider": NAME, "task_id": task.task_id},
            retryable=True,
        )

    async def verify(self, credential: Credential) -> bool:
        """List generations filtered to an id that cannot exist: cheap, and authenticated."""
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v2/generations",
            params={"ids": "00000000-0000-0000-0000-000000000000"},
            headers=self._headers(credential),
        )
        self._raise(response)
        return True


@hookimpl
def register_providers(register: Any) -> None:
    register(SyncProvider)
