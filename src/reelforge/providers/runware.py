"""Runware: one URL, a JSON array of tasks, task UUIDs chosen by the client.

Contract (shared/reference/providers-other.md §4, runware 0.5.24): ``POST /v1`` with
``[{"taskType": "imageInference" | "imageUpscale" | "videoInference", "taskUUID": ..., ...}]``
answers ``{"data": [item...]}`` and/or ``{"errors": [{code, message, parameter, taskUUID}]}``.
Image tasks are sent ``deliveryMethod: sync`` (the answer carries the image URLs, so the
task returned by ``submit`` carries its outcome and nothing is polled); video is
``async`` and its result is fetched with ``[{"taskType": "getResponse", "taskUUID": ...}]``.
Auth is ``Authorization: Bearer <RUNWARE_API_KEY>``.

The taskUUID is derived from ``GenerationRequest.idempotency_key``, so a step resubmitted
after a crash names the same task instead of paying for a second one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.domain.money import MoneyParseError, parse_usd
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
from reelforge.providers.http import (
    MODERATION_WORDS,
    error_for_status,
    json_body,
    out_of_credit,
    send,
)

NAME = "runware"
# Fixed namespace: the same idempotency key always names the same Runware task.
TASK_NAMESPACE = uuid.UUID("5d0c7a52-58a4-4f5e-9a49-6f0b1f3c2e11")
_AUTH_CODES = frozenset({"invalidApiKey", "missingApiKey", "invalidAPIKey"})
_CREDIT_WORDS = ("credit", "balance", "funds")
_SAFETY_WORDS = (*MODERATION_WORDS, "nsfw")
_DONE = frozenset({"success", "succeeded", "completed"})


def task_uuid(idempotency_key: str | None) -> str:
    """uuid5 of the idempotency key, stamped as version 4: Runware documents v4 task UUIDs,
    and a v4-shaped id passes a strict validator while staying deterministic."""
    if not idempotency_key:
        return str(uuid.uuid4())
    derived = uuid.uuid5(TASK_NAMESPACE, idempotency_key)
    return str(uuid.UUID(bytes=derived.bytes, version=4))


def task_for(request: GenerationRequest, task_id: str) -> dict[str, Any]:
    """The Runware task object for a generation (params use Runware's own names)."""
    base: dict[str, Any] = {"taskUUID": task_id, "outputType": "URL", "includeCost": True}
    image = request.input_of(MediaKind.IMAGE)
    if request.mode is Mode.UPSCALE:
        if image is None:
            raise _missing("inputImage")
        task = {"taskType": "imageUpscale", "inputImage": image.url, "upscaleFactor": 2}
        task.update(base, outputFormat="PNG", deliveryMethod="sync")
    elif request.mode in (Mode.T2V, Mode.I2V):
        task = {"taskType": "videoInference", "model": request.model, "numberResults": 1}
        task.update(base, outputFormat="MP4", deliveryMethod="async")
        frames = [
            {"inputImage": item.url, "frame": "last" if item.slot == "end_image" else "first"}
            for item in request.inputs
            if item.kind is MediaKind.IMAGE
        ]
        if frames:
            task["frameImages"] = frames
    else:
        task = {"taskType": "imageInference", "model": request.model, "numberResults": 1}
        task.update(base, outputFormat="PNG", deliveryMethod="sync", checkNSFW=True)
        task.update(width=1024, height=1024)
        if image is not None:
            task["seedImage"] = image.url
    if request.prompt and task["taskType"] != "imageUpscale":
        task["positivePrompt"] = request.prompt
    if request.negative_prompt:
        task["negativePrompt"] = request.negative_prompt
    if request.seed is not None:
        task["seed"] = request.seed
    if request.callback_url:
        task["webhookURL"] = request.callback_url
    task.update(request.params)
    task["taskUUID"] = task_id  # params never override the id
    return task


def _missing(parameter: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"runware: {parameter} is required.",
        detail={"provider": NAME, "field": parameter},
    )


def error_from_item(item: dict[str, Any], status: int | None = None) -> ReelForgeError:
    code = str(item.get("code") or "")
    message = str(item.get("message") or code or "error")[:300]
    detail: dict[str, Any] = {"provider": NAME, "provider_code": code}
    if status is not None:
        detail["status"] = status
    if item.get("taskUUID"):
        detail["task_id"] = item["taskUUID"]
    lowered = f"{code} {message}".lower()
    if code in _AUTH_CODES or status == 401:
        return ReelForgeError(
            ErrorCode.AUTH_FAILED, "runware: the provider rejected the API key.", detail=detail
        )
    if status == 402 or any(w in lowered for w in _CREDIT_WORDS):
        return out_of_credit(NAME, detail, message="runware: the account is out of credit.")
    if "notfound" in code.lower():
        return ReelForgeError(ErrorCode.NOT_FOUND, f"runware: {message}", detail=detail)
    if any(w in lowered for w in _SAFETY_WORDS):
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"runware: {message}", detail=detail)
    if item.get("parameter"):
        detail["field"] = str(item["parameter"])
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"runware: {message}", detail=detail)
    if status is not None and 400 <= status < 500 and status != 429:
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"runware: {message}", detail=detail)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR, f"runware: {message}", detail=detail, retryable=True
    )


def _envelope(response: httpx.Response) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(data items, error items); a non-JSON or shapeless body raises."""
    try:
        body: Any = response.json()
    except ValueError:
        if response.status_code >= 400:
            raise error_for_status(NAME, response) from None
        body = json_body(NAME, response)  # raises the malformed-answer error
    if not isinstance(body, dict):
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "runware: the answer is not a JSON object.",
            detail={"provider": NAME},
            retryable=True,
        )
    errors = body.get("errors")
    if not errors and isinstance(body.get("error"), dict | str):  # older single-error shape
        single = body["error"]
        errors = [single if isinstance(single, dict) else {"message": single}]
    data = body.get("data")
    return (
        [d for d in data if isinstance(d, dict)] if isinstance(data, list) else [],
        [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
    )


def update_from(items: list[dict[str, Any]], task_id: str) -> TaskUpdate:
    mine = [i for i in items if i.get("taskUUID") in (None, task_id)]
    states = {str(i.get("status") or "").lower() for i in mine}
    if any(s == "error" for s in states):
        failed = next(i for i in mine if str(i.get("status")).lower() == "error")
        return TaskUpdate(status=TaskStatus.FAILED, error=error_from_item(failed).to_dict())
    urls = [i for i in mine if i.get("imageURL") or i.get("videoURL") or i.get("audioURL")]
    if not urls or (states - _DONE - {""}):
        status = TaskStatus.QUEUED if not mine or states <= {"pending"} else TaskStatus.RUNNING
        return TaskUpdate(status=status, message=next(iter(states - {""}), None))
    if all(i.get("NSFWContent") is True for i in urls):
        refused = ReelForgeError(
            ErrorCode.SAFETY_FILTER,
            "runware: every output was flagged as NSFW.",
            detail={"provider": NAME, "task_id": task_id},
        )
        return TaskUpdate(status=TaskStatus.FAILED, error=refused.to_dict())
    outputs = []
    cost = Decimal(0)
    for item in urls:
        if item.get("videoURL"):
            outputs.append(OutputMedia(url=item["videoURL"], media_type=MediaKind.VIDEO))
        elif item.get("audioURL"):
            outputs.append(OutputMedia(url=item["audioURL"], media_type=MediaKind.AUDIO))
        else:
            outputs.append(OutputMedia(url=item["imageURL"], media_type=MediaKind.IMAGE))
        try:
            cost += Decimal(str(item.get("cost") or 0))
        except InvalidOperation:
            pass
    try:
        micros: int | None = parse_usd(cost) if any("cost" in i for i in urls) else None
    except MoneyParseError:
        micros = None
    return TaskUpdate(
        status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs, cost_micros=micros
    )


class RunwareProvider(Provider):
    name = NAME
    display_name = "Runware"
    credential_fields = (CredentialField("api_key", ("RUNWARE_API_KEY",)),)
    default_base_url = "https://api.runware.ai/v1"
    default_poll_interval = 2.0
    supports_callbacks = True
    idempotent_submit = True  # the client-chosen taskUUID names the task

    async def _post(self, tasks: list[dict[str, Any]], credential: Credential) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credential.get('api_key')}"}
        # Sync image tasks answer when the images are ready: give them time.
        return await send(
            self.client, NAME, "POST", self.base_url, json=tasks, headers=headers, timeout=120.0
        )

    def _raise_for(self, response: httpx.Response, errors: list[dict[str, Any]]) -> None:
        if response.status_code == 429 or response.status_code >= 500:
            # Rate limits and outages: the shared mapping keeps Retry-After and retryable.
            text = str(errors[0].get("message")) if errors else None
            raise error_for_status(NAME, response, message=text)
        if errors:
            raise error_from_item(errors[0], response.status_code)
        if response.status_code >= 400:
            raise error_for_status(NAME, response)

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        task_id = task_uuid(request.idempotency_key)
        body = task_for(request, task_id)
        response = await self._post([body], credential)
        data, errors = _envelope(response)
        if response.status_code == 429 or response.status_code >= 500:
            self._raise_for(response, errors)
        mine = [e for e in errors if e.get("taskUUID") in (None, task_id)]
        result: TaskUpdate | None = None
        if mine:
            err = error_from_item(mine[0], response.status_code)
            if response.status_code >= 400 or err.code not in (
                ErrorCode.PROVIDER_ERROR,
                ErrorCode.SAFETY_FILTER,
            ):
                raise err
            # The task exists and failed while generating: that is its outcome.
            result = TaskUpdate(status=TaskStatus.FAILED, error=err.to_dict())
        elif response.status_code >= 400:
            self._raise_for(response, errors)
        items = [d for d in data if d.get("taskUUID") == task_id]
        if result is None and any(i.get("imageURL") or i.get("videoURL") for i in items):
            # Sync delivery: the answer carries the outcome, nothing is polled.
            done = update_from(items, task_id)
            result = done if done.status.terminal else None
        return ProviderTask(
            provider=NAME,
            task_id=task_id,
            model=request.model,
            mode=request.mode,
            meta={"taskType": body["taskType"]},
            result=result,
        )

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        if task.in_hand is not None:
            return task.in_hand
        # Tasks stored before ProviderTask.result existed kept the answer in meta.
        if task.meta.get("errors"):
            err = error_from_item(task.meta["errors"][0])
            return TaskUpdate(status=TaskStatus.FAILED, error=err.to_dict())
        if task.meta.get("items"):
            update = update_from(task.meta["items"], task.task_id)
            if update.status.terminal:
                return update
        response = await self._post(
            [{"taskType": "getResponse", "taskUUID": task.task_id}], credential
        )
        data, errors = _envelope(response)
        mine = [e for e in errors if e.get("taskUUID") == task.task_id]
        if mine and response.status_code not in (401, 402, 429) and response.status_code < 500:
            err = error_from_item(mine[0])
            if err.code not in (ErrorCode.AUTH_FAILED, ErrorCode.PROVIDER_OUT_OF_CREDIT):
                return TaskUpdate(status=TaskStatus.FAILED, error=err.to_dict())
        self._raise_for(response, errors)
        return update_from(data, task.task_id)

    async def verify(self, credential: Credential) -> bool:
        """An ``authentication`` task: the cheapest call that checks the key."""
        response = await self._post(
            [{"taskType": "authentication", "apiKey": credential.get("api_key")}], credential
        )
        _, errors = _envelope(response)
        self._raise_for(response, errors)
        return True


@hookimpl
def register_providers(register: Any) -> None:
    register(RunwareProvider)
