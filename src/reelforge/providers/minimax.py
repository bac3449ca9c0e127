"""MiniMax (Hailuo) video generation: submit, query, then file retrieve for the download URL.

Wire contract (reference/providers-video.md §6): ``Authorization: Bearer <key>``;
``POST /v1/video_generation`` → ``{task_id, base_resp}``; ``GET
/v1/query/video_generation?task_id=`` → ``status`` ``Preparing | Queueing | Processing |
Success | Fail`` (+ ``file_id``, ``video_width``, ``video_height``); ``GET
/v1/files/retrieve?file_id=`` → ``file.download_url``. Most failures come back as HTTP 200
with ``base_resp.status_code != 0``, so the envelope is checked before the HTTP status.
"""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Health,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import error_for_status, out_of_credit, parse_retry_after, send

NAME = "minimax"
AUTH_CODES = frozenset({1004, 2049})
RATE_CODES = frozenset({1002, 1039, 1041, 2045, 2056})
CREDIT_CODES = frozenset({1008, 1028, 1030})
MODERATION_CODES = frozenset({1026, 1027})
TRANSIENT_CODES = frozenset({1000, 1001, 1024})
END_SLOTS = ("end_image", "last_frame", "last_frame_image")
STATUSES = {
    "Preparing": TaskStatus.QUEUED,
    "Queueing": TaskStatus.QUEUED,
    "Processing": TaskStatus.RUNNING,
    "Success": TaskStatus.SUCCEEDED,
    # The docs and the MCP server say "Fail"; the MiniMax CLI's types say "Failed".
    "Fail": TaskStatus.FAILED,
    "Failed": TaskStatus.FAILED,
}
PASS_PARAMS = ("prompt_optimizer", "fast_pretreatment", "aigc_watermark")


def code_error(
    code: int, message: str, response: httpx.Response | None = None, **detail: Any
) -> ReelForgeError:
    """A ``base_resp.status_code`` as one of our errors."""
    facts = {"provider": NAME, "provider_code": code, "provider_message": message, **detail}
    if code in AUTH_CODES:
        return ReelForgeError(
            ErrorCode.AUTH_FAILED,
            "minimax: the provider rejected the API key.",
            detail=facts,
            remediation=("Check the MiniMax key (keys are region-specific: global vs China).",),
        )
    if code == 2038:
        return ReelForgeError(
            ErrorCode.AUTH_FAILED,
            "minimax: the account needs real-name verification before it can generate.",
            detail=facts,
            remediation=("Complete the account verification in the MiniMax console.",),
        )
    if code in CREDIT_CODES:
        return out_of_credit(
            "minimax",
            facts,
            remediation=("Top up your MiniMax balance, or use another provider.",),
        )
    if code in RATE_CODES:
        retry_after = parse_retry_after(response.headers) if response is not None else None
        return ReelForgeError(
            ErrorCode.RATE_LIMITED, f"minimax: rate limited ({message}).", detail=facts,
            retry_after=retry_after,
        )  # fmt: skip
    if code in MODERATION_CODES:
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"minimax: {message}", detail=facts)
    if code in (2013, 2061):
        if code == 2061:
            facts["field"] = "model"
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"minimax: {message}", detail=facts)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"minimax: {message or 'error'} (code {code}).",
        detail=facts,
        # Unknown codes are not retried blindly: a repeat could be a second charge.
        retryable=code in TRANSIENT_CODES,
    )


def envelope(response: httpx.Response) -> tuple[dict[str, Any], int, str]:
    """(body, base_resp code, message); raises for HTTP errors without a business code."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if not response.is_success:
            raise error_for_status(NAME, response)
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "minimax: the provider sent a malformed response.",
            detail={"provider": NAME, "status": response.status_code},
            retryable=True,
        )
    raw_base = data.get("base_resp")
    base: dict[str, Any] = raw_base if isinstance(raw_base, dict) else {}
    try:
        code = int(base.get("status_code") or 0)
    except (TypeError, ValueError):
        code = 1000
    message = str(base.get("status_msg") or "")
    if code == 0 and not response.is_success:
        raise error_for_status(NAME, response)
    if response.status_code >= 500:
        raise error_for_status(NAME, response, message=message or None)
    return data, code, message


class MiniMaxProvider(Provider):
    name = NAME
    display_name = "MiniMax (Hailuo)"
    reconcile_note = "tasks are known only by the task_id the create call answers; the v2 task listing is documented only in the China docs, without a schema"
    credential_fields = (CredentialField("api_key", ("MINIMAX_API_KEY",)),)
    default_base_url = "https://api.minimax.io"  # mainland China: https://api.minimaxi.com
    default_poll_interval = 10.0

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}"}

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        body = self._body(request)
        response = await send(
            self.client,
            NAME,
            "POST",
            f"{self.base_url}/v1/video_generation",
            headers=self._headers(credential),
            json=body,
        )
        data, code, message = envelope(response)
        if code != 0:
            raise code_error(code, message, response)
        task_id = str(data.get("task_id") or "")
        if not task_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "minimax: the task was accepted without a task_id.",
                detail={"provider": NAME},
                retryable=False,
            )
        return ProviderTask(
            provider=NAME,
            task_id=task_id,
            model=request.model,
            mode=request.mode,
            meta={"duration": body.get("duration", 6)},
            poll_interval_seconds=self.default_poll_interval,
        )

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {"model": request.model}
        if request.prompt:
            body["prompt"] = request.prompt
        if params.get("duration") is not None:
            body["duration"] = int(float(params["duration"]))
        if params.get("resolution"):
            body["resolution"] = str(params["resolution"]).upper()
        for key in PASS_PARAMS:
            if params.get(key) is not None:
                body[key] = params[key]
        # First/last frames and subject references take a URL or a data: URI as given.
        for item in request.inputs:
            if item.kind is not MediaKind.IMAGE:
                continue
            if request.model.startswith("S2V"):
                refs = body.setdefault("subject_reference", [{"type": "character", "image": []}])
                refs[0]["image"].append(item.url)
            elif item.slot in END_SLOTS:
                body.setdefault("last_frame_image", item.url)
            else:
                body.setdefault("first_frame_image", item.url)
        return body

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/query/video_generation",
            headers=self._headers(credential),
            params={"task_id": task.task_id},
        )
        data, code, message = envelope(response)
        raw = str(data.get("status") or "")
        status = STATUSES.get(raw)
        if status is TaskStatus.FAILED:
            # The task's own failure (moderation 1026/1027 ...), not a failure to ask.
            if code == 0:
                error = ReelForgeError(
                    ErrorCode.PROVIDER_ERROR,
                    "minimax: the generation failed.",
                    detail={"provider": NAME, "task_id": task.task_id},
                    retryable=True,
                )
            else:
                error = code_error(code, message, task_id=task.task_id)
            return TaskUpdate(status=status, error=error.to_dict())
        if code != 0:
            raise code_error(code, message, response, task_id=task.task_id)
        if status is None:
            return TaskUpdate(status=TaskStatus.RUNNING, message=f"minimax status {raw!r}")
        if status is not TaskStatus.SUCCEEDED:
            return TaskUpdate(status=status, message=raw)
        url = await self._download_url(str(data.get("file_id") or ""), task, credential)
        output = OutputMedia(
            url=url,
            media_type=MediaKind.VIDEO,
            content_type="video/mp4",
            width=_int(data.get("video_width")),
            height=_int(data.get("video_height")),
            duration_seconds=float(task.meta.get("duration") or 6),
        )
        return TaskUpdate(status=status, progress=1.0, outputs=[output])

    async def _download_url(self, file_id: str, task: ProviderTask, credential: Credential) -> str:
        if not file_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "minimax: the task succeeded without a file_id.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/files/retrieve",
            headers=self._headers(credential),
            params={"file_id": file_id},  # an int64 in the schema, a string in examples
        )
        data, code, message = envelope(response)
        if code != 0:
            raise code_error(code, message, response, task_id=task.task_id)
        url = (data.get("file") or {}).get("download_url")
        if not url:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "minimax: the file has no download_url.",
                detail={"provider": NAME, "task_id": task.task_id, "file_id": file_id},
                retryable=True,
            )
        return str(url)

    async def verify(self, credential: Credential) -> bool:
        """No balance endpoint for pay-as-you-go accounts: query a task that cannot exist;
        only an auth code means the key is bad."""
        response = await send(
            self.client,
            NAME,
            "GET",
            f"{self.base_url}/v1/query/video_generation",
            headers=self._headers(credential),
            params={"task_id": "0"},
        )
        if response.status_code == 401:
            raise error_for_status(NAME, response)
        _data, code, message = envelope(response)
        if code in AUTH_CODES or code == 2038:
            raise code_error(code, message, response)
        return True

    async def health(self) -> Health:
        """Reachability without a key: any answer below 500 means the API is up."""
        try:
            response = await send(
                self.client, NAME, "GET", f"{self.base_url}/v1/query/video_generation"
            )
        except ReelForgeError as exc:
            return Health(ok=False, detail={"error": str(exc.code)})
        return Health(ok=response.status_code < 500, detail={"status": response.status_code})


def _int(value: Any) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@hookimpl
def register_providers(register: Any) -> None:
    register(MiniMaxProvider)
