"""fal.ai queue API: submit to a model path, poll its status, fetch the result, cancel.

Contract (shared/reference/providers-other.md §2 and fal-client 1.0.3):
``POST {queue}/{owner}/{alias}[/{path}]`` with the model input as JSON answers
``{request_id, status_url, response_url, cancel_url}``; status lives at
``{queue}/{owner}/{alias}/requests/{id}/status`` (the model's sub-path is dropped) and says
``IN_QUEUE`` (with ``queue_position``), ``IN_PROGRESS`` (with ``logs``) or ``COMPLETED``
(possibly with ``error``/``error_type``); the result is a GET on ``response_url`` and a
cancel is a PUT on ``cancel_url``. Auth is ``Authorization: Key <FAL_KEY>``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
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
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import error_for_status, json_body, send

NAME = "fal"
# Error types fal puts in ``detail[].type`` / ``error_type`` for refused content.
_SAFETY_TYPES = frozenset({"content_policy_violation", "nsfw_content_detected"})
_PERCENT = re.compile(r"(\d{1,3})\s*%")
_STEPS = re.compile(r"\b(\d+)\s*/\s*(\d+)\b")
# Output keys that hold files, and what they hold when the file has no content_type.
_FILE_KEYS: dict[str, MediaKind] = {
    "images": MediaKind.IMAGE,
    "image": MediaKind.IMAGE,
    "video": MediaKind.VIDEO,
    "videos": MediaKind.VIDEO,
    "audio": MediaKind.AUDIO,
    "audio_file": MediaKind.AUDIO,
    "audio_url": MediaKind.AUDIO,
}


def app_base(model: str) -> str:
    """``owner/alias`` (with a ``workflows/``/``comfy/`` namespace kept): the part of an
    endpoint id that status, result and cancel URLs are built on."""
    parts = [p for p in model.strip("/").split("/") if p]
    if len(parts) < 2:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"fal: model {model!r} is not an endpoint id like 'fal-ai/flux/dev'.",
            detail={"provider": NAME, "field": "model"},
        )
    if parts[0] in ("workflows", "comfy") and len(parts) >= 3:
        return "/".join(parts[:3])
    return "/".join(parts[:2])


def error_from_response(response: httpx.Response) -> ReelForgeError:
    """fal's error bodies: ``{"detail": str | [{loc, msg, type}]}`` plus ``error_type``."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message: str | None = None
    field: str | None = None
    kind = response.headers.get("x-fal-error-type")
    if isinstance(body, dict):
        detail = body.get("detail")
        kind = body.get("error_type") or kind
        if isinstance(detail, str):
            message = detail
        elif isinstance(detail, list) and detail and isinstance(detail[0], dict):
            first = detail[0]
            message = str(first.get("msg") or first)
            kind = first.get("type") or kind
            loc = first.get("loc")
            if isinstance(loc, list) and loc:
                field = str(loc[-1])
    info: dict[str, Any] = {"provider": NAME, "status": response.status_code}
    if kind:
        info["error_type"] = kind
    if kind in _SAFETY_TYPES:
        return ReelForgeError(
            ErrorCode.SAFETY_FILTER, f"fal: {message or 'content refused'}", detail=info
        )
    if field and response.status_code in (400, 422):
        info.update(field=field, provider_message=message)
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"fal: {field}: {message}", detail=info)
    return error_for_status(NAME, response, message=message)


def _progress_from_logs(logs: list[dict[str, Any]]) -> tuple[float | None, str | None]:
    for item in reversed(logs):
        text = str(item.get("message") or "")
        if not text:
            continue
        pct = _PERCENT.search(text)
        if pct:
            return min(1.0, int(pct.group(1)) / 100), text
        steps = _STEPS.search(text)
        if steps and int(steps.group(2)) > 0:
            return min(1.0, int(steps.group(1)) / int(steps.group(2))), text
        return None, text
    return None, None


def outputs_from_result(result: Any) -> list[OutputMedia]:
    """Every file object (``{url, content_type, width, height}``) under the known keys."""
    found: list[OutputMedia] = []
    if not isinstance(result, dict):
        return found
    for key, default_kind in _FILE_KEYS.items():
        value = result.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and item.startswith(("http", "data:")):
                item = {"url": item}
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                continue
            ctype = item.get("content_type")
            kind = default_kind
            if isinstance(ctype, str) and ctype.split("/")[0] in ("image", "video", "audio"):
                kind = MediaKind(ctype.split("/")[0])
            found.append(
                OutputMedia(
                    url=item["url"],
                    media_type=kind,
                    content_type=ctype if isinstance(ctype, str) else None,
                    width=item.get("width") if isinstance(item.get("width"), int) else None,
                    height=item.get("height") if isinstance(item.get("height"), int) else None,
                    duration_seconds=item.get("duration")
                    if isinstance(item.get("duration"), int | float)
                    else None,
                )
            )
    return found


def _status_error(message: str, error_type: object, task_id: str) -> ReelForgeError:
    detail: dict[str, Any] = {"provider": NAME, "task_id": task_id}
    if error_type:
        detail["error_type"] = error_type
    if error_type in _SAFETY_TYPES:
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"fal: {message}", detail=detail)
    return ReelForgeError(ErrorCode.PROVIDER_ERROR, f"fal: {message}", detail=detail)


def _failed(error: ReelForgeError) -> TaskUpdate:
    return TaskUpdate(status=TaskStatus.FAILED, progress=1.0, error=error.to_dict())


class FalProvider(Provider):
    name = NAME
    display_name = "fal.ai"
    credential_fields = (CredentialField("api_key", ("FAL_KEY",)),)
    default_base_url = "https://queue.fal.run"
    default_poll_interval = 2.0
    supports_cancel = True
    supports_callbacks = True
    idempotent_submit = False  # the queue has no idempotency key
    reconcile_note = "the queue API has no idempotency key and lists no requests: a request is known only by the id its answer carries"

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Key {credential.get('api_key')}"}

    def _same_origin(self, url: object) -> str | None:
        """A URL fal handed back, if it is on our configured host; never send the key
        anywhere else (a response naming another host must not receive the credential)."""
        if not isinstance(url, str):
            return None
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        return url if (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc) else None

    def build_input(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = dict(request.params)
        if request.prompt:
            body["prompt"] = request.prompt
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            body["seed"] = request.seed
        for item in request.inputs:
            slot = item.slot or item.kind.value
            body[slot if slot.endswith("_url") else f"{slot}_url"] = item.url
        return body

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        model = request.model.strip("/")
        base = f"{self.base_url}/{app_base(model)}"
        params = {"fal_webhook": request.callback_url} if request.callback_url else None
        response = await send(
            self.client,
            NAME,
            "POST",
            f"{self.base_url}/{model}",
            json=self.build_input(request),
            params=params,
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise error_from_response(response)
        data = json_body(NAME, response)
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not request_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "fal: the submit answer has no request_id.",
                detail={"provider": NAME},
                retryable=True,
            )
        rid = str(request_id)
        meta = {
            "status_url": self._same_origin(data.get("status_url"))
            or f"{base}/requests/{rid}/status",
            "response_url": self._same_origin(data.get("response_url")) or f"{base}/requests/{rid}",
            "cancel_url": self._same_origin(data.get("cancel_url"))
            or f"{base}/requests/{rid}/cancel",
        }
        return ProviderTask(provider=NAME, task_id=rid, model=model, mode=request.mode, meta=meta)

    def _urls(self, task: ProviderTask) -> tuple[str, str, str]:
        base = f"{self.base_url}/{app_base(task.model)}/requests/{task.task_id}"
        meta = task.meta
        return (
            self._same_origin(meta.get("status_url")) or f"{base}/status",
            self._same_origin(meta.get("response_url")) or base,
            self._same_origin(meta.get("cancel_url")) or f"{base}/cancel",
        )

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        status_url, response_url, _ = self._urls(task)
        headers = self._headers(credential)
        response = await send(
            self.client, NAME, "GET", status_url, params={"logs": "1"}, headers=headers
        )
        if response.status_code >= 400:
            raise error_from_response(response)
        data = json_body(NAME, response)
        state = data.get("status") if isinstance(data, dict) else None
        logs = data.get("logs") if isinstance(data, dict) else None
        progress, line = _progress_from_logs(logs if isinstance(logs, list) else [])
        if state == "IN_QUEUE":
            position = data.get("queue_position")
            return TaskUpdate(
                status=TaskStatus.QUEUED,
                progress=0.0,
                message=f"queue position {position}" if position is not None else "queued",
            )
        if state == "IN_PROGRESS":
            return TaskUpdate(status=TaskStatus.RUNNING, progress=progress, message=line)
        if state != "COMPLETED":
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                f"fal: unknown status {state!r}.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        error_type = data.get("error_type")
        status_error = data.get("error")
        if status_error and "cancel" in f"{error_type} {status_error}".lower():
            return TaskUpdate(status=TaskStatus.CANCELED, message=str(status_error))
        failed = None
        if status_error:
            failed = _status_error(str(status_error), error_type, task.task_id)
        return await self._result(task, response_url, headers, line, failed)

    async def _result(
        self,
        task: ProviderTask,
        url: str,
        headers: dict[str, str],
        line: str | None,
        failed: ReelForgeError | None,
    ) -> TaskUpdate:
        """Fetch the result. ``failed`` is the error the status already reported: a request
        can be COMPLETED yet failed, and its result then carries the detailed error body."""
        response = await send(self.client, NAME, "GET", url, headers=headers)
        if response.status_code >= 400:
            error = error_from_response(response)
            if "cancel" in error.message.lower():
                return TaskUpdate(status=TaskStatus.CANCELED, message=error.message)
            # Asking failed (auth, rate limit, a 5xx for a request not known to have
            # failed): raise so the caller retries. Otherwise the task itself failed.
            if error.code in (ErrorCode.AUTH_FAILED, ErrorCode.RATE_LIMITED) or (
                failed is None and error.code is ErrorCode.PROVIDER_ERROR and error.retryable
            ):
                raise error
            error.detail["task_id"] = task.task_id
            return _failed(error)
        if failed is not None:
            return _failed(failed)
        result = json_body(NAME, response)
        outputs = outputs_from_result(result)
        flags = result.get("has_nsfw_concepts") if isinstance(result, dict) else None
        if isinstance(flags, list) and flags and all(flags):
            # FLUX answers a black image and flags it rather than failing the request.
            return _failed(
                ReelForgeError(
                    ErrorCode.SAFETY_FILTER,
                    "fal: the safety checker flagged every output.",
                    detail={"provider": NAME, "task_id": task.task_id},
                )
            )
        if not outputs:
            return _failed(
                ReelForgeError(
                    ErrorCode.PROVIDER_ERROR,
                    "fal: the result holds no media file.",
                    detail={"provider": NAME, "task_id": task.task_id},
                )
            )
        return TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs, message=line)

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        _, _, cancel_url = self._urls(task)
        response = await send(
            self.client, NAME, "PUT", cancel_url, headers=self._headers(credential)
        )
        if response.status_code in (400, 404, 409):
            return False  # ALREADY_COMPLETED / NOT_FOUND: nothing left to cancel
        if response.status_code >= 400:
            raise error_from_response(response)
        data = json_body(NAME, response)
        return isinstance(data, dict) and data.get("status") in (
            "CANCELLATION_REQUESTED",
            "OK",
        )

    async def verify(self, credential: Credential) -> bool:
        """The queue has no account endpoint: ask for the status of a request that cannot
        exist. A bad key answers 401/403; a good one 404 (unknown request)."""
        url = f"{self.base_url}/fal-ai/flux/requests/00000000-0000-0000-0000-000000000000/status"
        response = await send(self.client, NAME, "GET", url, headers=self._headers(credential))
        if response.status_code in (200, 400, 404, 422):
            return True
        raise error_from_response(response)


@hookimpl
def register_providers(register: Any) -> None:
    register(FalProvider)
