"""Replicate predictions: create (by official model or by version), get, cancel.

Contract (shared/reference/providers-other.md §3 and replicate 1.0.7):
``POST /v1/models/{owner}/{name}/predictions`` or ``POST /v1/predictions`` with
``{"version": ...}``, both with ``{"input": {...}}``; ``GET /v1/predictions/{id}``;
``POST /v1/predictions/{id}/cancel``. Statuses ``starting → processing → succeeded |
failed | canceled``. ``Prefer: wait=N`` holds the create call until the prediction is done
(or N seconds pass): used for image models, whose outputs then arrive with the task.
Errors are RFC 7807 problem JSON. Auth is ``Authorization: Bearer <REPLICATE_API_TOKEN>``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers import reconcile
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
from reelforge.providers.http import MODERATION_WORDS, error_for_status, json_body, send

NAME = "replicate"
_VERSION = re.compile(r"^[0-9a-f]{64}$")
_PROGRESS = re.compile(r"(\d{1,3})%\|")
# Modes short enough to wait for inside the create call (Prefer: wait).
WAIT_MODES = frozenset({Mode.T2I, Mode.I2I, Mode.UPSCALE, Mode.EDIT})
WAIT_SECONDS = 30
_EXTENSIONS: dict[str, MediaKind] = {
    **{ext: MediaKind.IMAGE for ext in ("png", "jpg", "jpeg", "webp", "gif")},
    **{ext: MediaKind.VIDEO for ext in ("mp4", "webm", "mov")},
    **{ext: MediaKind.AUDIO for ext in ("wav", "mp3", "ogg", "flac", "m4a")},
}
_SAFETY_WORDS = (*MODERATION_WORDS, "nsfw", "sensitive", "flagged")


def error_from_response(response: httpx.Response) -> ReelForgeError:
    """Problem JSON ``{title, detail, status}``; a 422 may list ``invalid_fields``."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code == 422 and isinstance(body, dict):
        fields = body.get("invalid_fields")
        if isinstance(fields, list) and fields and isinstance(fields[0], dict):
            field = str(fields[0].get("field") or "input")
            message = str(fields[0].get("description") or body.get("detail") or "invalid")
            if not any(word in message.lower() for word in _SAFETY_WORDS):
                return ReelForgeError(
                    ErrorCode.VALIDATION_ERROR,
                    f"replicate: {message}",
                    detail={"provider": NAME, "status": 422, "field": field},
                )
    return error_for_status(NAME, response)


def split_model(model: str) -> tuple[str | None, str | None]:
    """(``owner/name`` or None, version id or None) from ``owner/name``,
    ``owner/name:version`` or a bare 64-hex version id."""
    ref = model.strip()
    if _VERSION.match(ref):
        return None, ref
    name, _, version = ref.partition(":")
    if name.count("/") != 1 or not all(name.split("/")):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"replicate: model {model!r} is not 'owner/name' or 'owner/name:version'.",
            detail={"provider": NAME, "field": "model"},
        )
    return name, version or None


def kind_of(url: str, fallback: MediaKind) -> MediaKind:
    path = url.split("?", 1)[0].rsplit("/", 1)[-1]
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return _EXTENSIONS.get(ext, fallback)


def outputs_of(output: Any, mode: Mode) -> list[OutputMedia]:
    """Model-defined output: a URL, a list of URLs, or an object holding URLs."""
    urls: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.startswith(("http://", "https://", "data:")):
            urls.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(output)
    return [OutputMedia(url=url, media_type=kind_of(url, mode.output_kind)) for url in urls]


def failure(message: str, task_id: str) -> ReelForgeError:
    detail = {"provider": NAME, "task_id": task_id, "provider_message": message[:300]}
    if any(word in message.lower() for word in _SAFETY_WORDS):
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"replicate: {message[:300]}", detail=detail)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR, f"replicate: {message[:300]}", detail=detail, retryable=True
    )


def update_from(prediction: dict[str, Any], mode: Mode) -> TaskUpdate:
    status = prediction.get("status")
    task_id = str(prediction.get("id"))
    raw_logs = prediction.get("logs")
    logs = raw_logs if isinstance(raw_logs, str) else ""
    last_line = next((ln for ln in reversed(logs.splitlines()) if ln.strip()), None)
    if status == "starting":
        return TaskUpdate(status=TaskStatus.QUEUED, progress=0.0, message=last_line)
    if status == "processing":
        found = _PROGRESS.findall(logs)
        progress = min(1.0, int(found[-1]) / 100) if found else None
        return TaskUpdate(status=TaskStatus.RUNNING, progress=progress, message=last_line)
    if status == "succeeded":
        outputs = outputs_of(prediction.get("output"), mode)
        if not outputs:
            return TaskUpdate(
                status=TaskStatus.FAILED,
                error=failure("the prediction succeeded without a media output", task_id).to_dict(),
            )
        return TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs)
    if status == "failed":
        error = failure(str(prediction.get("error") or "prediction failed"), task_id)
        return TaskUpdate(status=TaskStatus.FAILED, progress=1.0, error=error.to_dict())
    if status == "canceled":
        return TaskUpdate(status=TaskStatus.CANCELED)
    raise ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"replicate: unknown prediction status {status!r}.",
        detail={"provider": NAME, "task_id": task_id},
        retryable=True,
    )


class ReplicateProvider(Provider):
    name = NAME
    display_name = "Replicate"
    credential_fields = (CredentialField("api_token", ("REPLICATE_API_TOKEN",)),)
    default_base_url = "https://api.replicate.com"
    default_poll_interval = 2.0
    supports_cancel = True
    supports_callbacks = True
    idempotent_submit = False  # predictions have no idempotency key
    reconcilable = True
    reconcile_note = "predictions are listed with their input and creation time"

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_token')}"}

    def build_input(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = dict(request.params)
        if request.prompt:
            body["prompt"] = request.prompt
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            body["seed"] = request.seed
        for item in request.inputs:
            # Catalog slots carry the model's own input names (image, input_image, ...).
            body[item.slot or item.kind.value] = item.url
        return body

    async def _raise(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise error_from_response(response)

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        name, version = split_model(request.model)
        body: dict[str, Any] = {"input": self.build_input(request)}
        if version is not None:
            url = f"{self.base_url}/v1/predictions"
            body["version"] = version
        else:
            url = f"{self.base_url}/v1/models/{name}/predictions"
        if request.callback_url:
            body["webhook"] = request.callback_url
            body["webhook_events_filter"] = ["completed"]
        headers = self._headers(credential)
        timeout: float | None = None
        if request.mode in WAIT_MODES:
            headers["Prefer"] = f"wait={WAIT_SECONDS}"
            timeout = WAIT_SECONDS + 10.0
        extra = {"timeout": timeout} if timeout is not None else {}
        response = await send(self.client, NAME, "POST", url, json=body, headers=headers, **extra)
        await self._raise(response)
        prediction = json_body(NAME, response)
        if not isinstance(prediction, dict) or not prediction.get("id"):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "replicate: the create answer has no prediction id.",
                detail={"provider": NAME},
                retryable=True,
            )
        result = None
        if prediction.get("status") in ("succeeded", "failed", "canceled"):
            # Prefer: wait already brought the outcome: the task carries it, unpolled.
            result = update_from(prediction, request.mode)
        return ProviderTask(
            provider=NAME,
            task_id=str(prediction["id"]),
            model=request.model,
            mode=request.mode,
            result=result,
        )

    async def find_submitted(
        self, request: GenerationRequest, credential: Credential, *, sent_at: float
    ) -> list[ProviderTask]:
        """``GET /v1/predictions`` (newest first, cursor pages): a prediction of the same
        model and input created around ``sent_at``."""
        name, _version = split_model(request.model)
        sent = self.build_input(request)
        url: str | None = f"{self.base_url}/v1/predictions"
        found: list[ProviderTask] = []
        for _page in range(reconcile.MAX_PAGES):
            if url is None:
                break
            # Only our own host gets the token, whatever the ``next`` link says.
            if not url.startswith(self.base_url):
                break
            response = await send(self.client, NAME, "GET", url, headers=self._headers(credential))
            await self._raise(response)
            data = json_body(NAME, response)
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise ReelForgeError(
                    ErrorCode.PROVIDER_ERROR,
                    "replicate: the predictions listing is malformed.",
                    detail={"provider": NAME},
                    retryable=True,
                )
            for item in results:
                if not isinstance(item, dict):
                    continue
                if reconcile.older_than_window(item.get("created_at"), sent_at):
                    return found[::-1]
                if (
                    reconcile.near(item.get("created_at"), sent_at)
                    and item.get("model") == name
                    and reconcile.same_fields(sent, item.get("input"), ("prompt", "seed"))
                ):
                    found.append(
                        ProviderTask(
                            provider=NAME,
                            task_id=str(item.get("id")),
                            model=request.model,
                            mode=request.mode,
                        )
                    )
            nxt = data.get("next")
            url = nxt if isinstance(nxt, str) and nxt else None
        return found[::-1]  # oldest first: the first of two identical requests

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        if task.in_hand is not None:
            return task.in_hand
        done = task.meta.get("prediction")  # stored before ProviderTask.result existed
        if isinstance(done, dict):
            return update_from(done, task.mode)
        # Built from our base URL, not the prediction's ``urls.get``: the token goes to
        # the configured host only.
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/predictions/{task.task_id}",
            headers=self._headers(credential),
        )
        await self._raise(response)
        prediction = json_body(NAME, response)
        if not isinstance(prediction, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "replicate: the prediction is not a JSON object.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        return update_from(prediction, task.mode)

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        if task.in_hand is not None or isinstance(task.meta.get("prediction"), dict):
            return False  # already finished inside the create call
        response = await send(
            self.client,
            NAME,
            "POST",
            f"{self.base_url}/v1/predictions/{task.task_id}/cancel",
            headers=self._headers(credential),
        )
        await self._raise(response)
        prediction = json_body(NAME, response)
        return isinstance(prediction, dict) and prediction.get("status") == "canceled"

    async def verify(self, credential: Credential) -> bool:
        """``GET /v1/account``: the cheapest authenticated call (Replicate has no balance API)."""
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/account",
            headers=self._headers(credential),
        )
        await self._raise(response)
        return True


@hookimpl
def register_providers(register: Any) -> None:
    register(ReplicateProvider)
