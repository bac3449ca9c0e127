"""Runway: image-to-video, text-to-video, video-to-video, tasks (poll, cancel/delete),
organization credit balance.

Contract: shared/reference/providers-video.md §3 (+ its SDK corrections). Every call sends
``X-Runway-Version: 2024-11-06``. Task objects carry ``estimatedCost.credits`` while
pending/running and ``cost.credits`` once terminal; credits become micro-USD at the
reference's $0.01 per credit (a third-party figure, [L]).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.base import (
    Balance,
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
from reelforge.providers.http import body_message, error_for_status, json_body, send

NAME = "runway"
API_VERSION = "2024-11-06"
MICROS_PER_CREDIT = 10_000  # $0.01 per credit (reference §3 prices, [L])

_PATHS = {
    Mode.I2V: "/v1/image_to_video",
    Mode.T2V: "/v1/text_to_video",
    Mode.V2V: "/v1/video_to_video",
}
# Our param name → Runway's field. Everything else in params is not sent.
_PARAMS = {
    "ratio": "ratio",
    "duration": "duration",
    "audio": "audio",
    "target_aspect_ratio": "targetAspectRatio",
}
# Runway field (as named in validation issues) → our field name.
_OUR_FIELD = {
    "promptImage": "image",
    "promptText": "prompt",
    "videoUri": "video",
    "references": "reference",
    "negativePrompt": "negative_prompt",
    "targetAspectRatio": "target_aspect_ratio",
}
_STATUS = {
    "PENDING": TaskStatus.QUEUED,
    "THROTTLED": TaskStatus.QUEUED,  # waiting for a concurrency slot of the organisation
    "RUNNING": TaskStatus.RUNNING,
    "SUCCEEDED": TaskStatus.SUCCEEDED,
    "FAILED": TaskStatus.FAILED,
    "CANCELLED": TaskStatus.CANCELED,
}


class RunwayProvider(Provider):
    name: ClassVar[str] = NAME
    display_name: ClassVar[str] = "Runway"
    reconcile_note = (
        "tasks are known only by the id the create call answers (no listing, no client reference)"
    )
    # RUNWAY_API_KEY is ours; RUNWAYML_API_SECRET is what Runway's own SDK reads.
    credential_fields = (CredentialField("api_key", ("RUNWAY_API_KEY", "RUNWAYML_API_SECRET")),)
    default_base_url: ClassVar[str] = "https://api.dev.runwayml.com"
    # Runway updates tasks at most every 5 s; its SDK polls every 6 s.
    default_poll_interval: ClassVar[float] = 6.0
    supports_cancel: ClassVar[bool] = True

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {credential.get('api_key')}",
            "X-Runway-Version": API_VERSION,
        }

    async def _send(
        self, method: str, path: str, credential: Credential, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await send(
            self.client, NAME, method, f"{self.base_url}{path}", json=body,
            headers=self._headers(credential),
        )  # fmt: skip

    # -- submit -------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        path = _PATHS.get(request.mode)
        if path is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"runway does not support mode {request.mode}.",
                detail={"provider": NAME, "field": "mode"},
            )
        body = _body(request)
        response = await self._send("POST", path, credential, body)
        if response.status_code >= 400:
            raise _error(response)
        data = json_body(NAME, response)
        if not isinstance(data, dict) or not data.get("id"):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "runway: the submit answer has no id.",
                detail={"provider": NAME},
                retryable=True,
            )
        return ProviderTask(
            provider=NAME,
            task_id=str(data["id"]),
            model=request.model,
            mode=request.mode,
            poll_interval_seconds=self.default_poll_interval,
        )

    # -- poll / cancel ------------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        response = await self._send("GET", f"/v1/tasks/{task.task_id}", credential)
        if response.status_code >= 400:
            raise _error(response)
        data = json_body(NAME, response)
        if not isinstance(data, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "runway: the task answer is not an object.",
                detail={"provider": NAME},
                retryable=True,
            )
        return task_update(data)

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        """Cancel a running task (or delete a finished one); False if it is unknown."""
        response = await self._send("DELETE", f"/v1/tasks/{task.task_id}", credential)
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise _error(response)
        return True

    # -- account ------------------------------------------------------------------------
    async def balance(self, credential: Credential) -> Balance:
        response = await self._send("GET", "/v1/organization", credential)
        if response.status_code >= 400:
            raise _error(response)
        data = json_body(NAME, response)
        credits = data.get("creditBalance") if isinstance(data, dict) else None
        if isinstance(credits, bool) or not isinstance(credits, int | float):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "runway: the organization answer has no creditBalance.",
                detail={"provider": NAME},
                retryable=True,
            )
        tier = data.get("tier") if isinstance(data.get("tier"), dict) else {}
        return Balance(
            amount=float(credits),
            unit="credits",
            detail={
                "usd_micros": round(credits * MICROS_PER_CREDIT),
                "max_monthly_credit_spend": tier.get("maxMonthlyCreditSpend"),
            },
        )


def _body(request: GenerationRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model}
    if request.prompt:
        body["promptText"] = request.prompt
    for ours, theirs in _PARAMS.items():
        if ours in request.params:
            body[theirs] = request.params[ours]
    if request.seed is not None:
        body["seed"] = request.seed
    threshold = request.params.get("public_figure_threshold")
    if threshold is not None:
        body["contentModeration"] = {"publicFigureThreshold": threshold}
    if request.negative_prompt and request.model.startswith("veo"):
        body["negativePrompt"] = request.negative_prompt
    images = [i for i in request.inputs if i.kind is MediaKind.IMAGE]
    if request.mode is Mode.I2V:
        first = next((i for i in images if i.slot in (None, "image")), None)
        last = next((i for i in images if i.slot == "end_image"), None)
        if first is None:
            raise _missing("image")
        if last is None:
            body["promptImage"] = first.url
        else:
            body["promptImage"] = [
                {"uri": first.url, "position": "first"},
                {"uri": last.url, "position": "last"},
            ]
    elif request.mode is Mode.V2V:
        video = request.input_of(MediaKind.VIDEO)
        if video is None:
            raise _missing("video")
        body["videoUri"] = video.url
        reference = next((i for i in images if i.slot in (None, "reference")), None)
        if reference is not None:
            body["references"] = [{"type": "image", "uri": reference.url}]
    return body


def task_update(data: dict[str, Any]) -> TaskUpdate:
    """A Runway task object in our vocabulary.

    ``cost_micros`` of a pending/running update is Runway's ``estimatedCost``; a terminal
    update carries ``cost``, what was really charged (0 for refunded failures).
    """
    raw = str(data.get("status"))
    status = _STATUS.get(raw)
    if status is None:
        return TaskUpdate(status=TaskStatus.RUNNING, message=raw)
    cost = data.get("cost") if status.terminal else data.get("estimatedCost")
    credits = cost.get("credits") if isinstance(cost, dict) else None
    micros = (
        round(credits * MICROS_PER_CREDIT)
        if isinstance(credits, int | float) and not isinstance(credits, bool)
        else None
    )
    if status is TaskStatus.SUCCEEDED:
        urls = [u for u in data.get("output") or [] if isinstance(u, str)]
        return TaskUpdate(
            status=status,
            progress=1.0,
            outputs=[
                OutputMedia(url=u, media_type=MediaKind.VIDEO, content_type="video/mp4")
                for u in urls
            ],
            cost_micros=micros,
        )
    if status is TaskStatus.FAILED:
        code = str(data.get("failureCode") or "")
        reason = str(data.get("failure") or "The task failed.")
        detail = {"provider": NAME, "failure_code": code or None, "task_id": data.get("id")}
        if "SAFETY" in code:
            err = ReelForgeError(ErrorCode.SAFETY_FILTER, f"runway: {reason}", detail=detail)
        elif code.startswith("ASSET"):
            err = ReelForgeError(ErrorCode.VALIDATION_ERROR, f"runway: {reason}", detail=detail)
        else:
            # INTERNAL.* and THIRD_PARTY.* are worth retrying (reference §3).
            err = ReelForgeError(
                ErrorCode.PROVIDER_ERROR, f"runway: {reason}", detail=detail, retryable=True
            )
        return TaskUpdate(status=status, error=err.to_dict(), cost_micros=micros)
    progress = data.get("progress")
    return TaskUpdate(
        status=status,
        progress=float(progress) if isinstance(progress, int | float) else None,
        cost_micros=micros,
        message="throttled: waiting for a free slot" if raw == "THROTTLED" else None,
    )


def _error(response: httpx.Response) -> ReelForgeError:
    message = body_message(response)
    if response.status_code == 400 and "credit" not in message.lower():
        wire = _issue_field(response) or field_in_message(message, [*_OUR_FIELD, *_PARAMS])
        if wire is not None or "validation" in message.lower():
            issue = _first_issue_message(response)
            return validation_error(
                NAME,
                f"{message}: {issue}" if issue else message,
                field=_OUR_FIELD.get(wire or "", wire),
                status=400,
                extra={"provider_field": wire},
            )
    return error_for_status(NAME, response, message=message)


def _issues(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        return []
    issues = data.get("issues") if isinstance(data, dict) else None
    return [i for i in issues if isinstance(i, dict)] if isinstance(issues, list) else []


def _issue_field(response: httpx.Response) -> str | None:
    for issue in _issues(response):
        path = issue.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            return path[0]
    return None


def _first_issue_message(response: httpx.Response) -> str | None:
    issues = _issues(response)
    return str(issues[0].get("message")) if issues and issues[0].get("message") else None


def _missing(slot: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"runway: this mode needs an input {slot}.",
        detail={"provider": NAME, "field": slot},
    )


@hookimpl
def register_providers(register: Any) -> None:
    register(RunwayProvider)
