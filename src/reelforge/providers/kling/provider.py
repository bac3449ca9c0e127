"""The Kling adapter: JWT auth, the ``{code, message, request_id, data}`` envelope, tasks.

Every answer is checked for ``code != 0`` first (an error even when the HTTP status is
200), then the HTTP status. Kling reports an empty account as HTTP 429 with code 1101/1102.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.base import (
    Balance,
    Credential,
    CredentialField,
    GenerationRequest,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.errorfields import field_in_message, validation_error
from reelforge.providers.http import (
    MODERATION_WORDS,
    error_for_status,
    json_body,
    out_of_credit,
    parse_retry_after,
    send,
)
from reelforge.providers.kling import wire
from reelforge.providers.kling.auth import KlingTokens

NAME = "kling"
_STATUS = {
    "submitted": TaskStatus.QUEUED,
    "processing": TaskStatus.RUNNING,
    "succeed": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
}
_AUTH_CODES = frozenset({1000, 1001, 1002, 1003, 1004})
_FUNDS_CODES = frozenset({1101, 1102})
_FORBIDDEN_CODES = frozenset({1100, 1103, 1304})
_RATE_CODES = frozenset({1302, 1303})
# Kling's risk-control wording for refused content, besides the usual moderation words.
_KLING_SAFETY_WORDS = (*MODERATION_WORDS, "risk control", "sensitive")


class KlingError(Exception):
    """A non-zero envelope code, kept until we know how to translate it."""

    def __init__(self, code: int, message: str, response: httpx.Response) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.response = response


class KlingProvider(Provider):
    name: ClassVar[str] = NAME

    @classmethod
    def needs_url(cls, mode: Mode, kind: MediaKind) -> bool:
        # Lip-sync takes the video as video_url (or a Kling video_id), never inline.
        return mode is Mode.LIPSYNC and kind is MediaKind.VIDEO

    display_name: ClassVar[str] = "Kling AI"
    credential_fields = (
        CredentialField("access_key", ("KLING_ACCESS_KEY",)),
        CredentialField("secret_key", ("KLING_SECRET_KEY",)),
    )
    default_base_url: ClassVar[str] = "https://api-singapore.klingai.com"
    default_poll_interval: ClassVar[float] = 10.0
    supports_callbacks: ClassVar[bool] = True
    # The idempotency key travels as external_task_id (unique per account); a repeat is
    # answered with the task that already has it (see submit). The legacy lip-sync
    # endpoint documents no external_task_id, so lip-sync submissions are not covered.
    idempotent_submit: ClassVar[bool] = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, base_url)
        self.tokens = KlingTokens(clock)

    # -- transport ----------------------------------------------------------------------
    async def _call(
        self,
        method: str,
        path: str,
        credential: Credential,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The envelope's ``data``; raises KlingError for a non-zero code."""
        access_key, secret_key = credential.get("access_key"), credential.get("secret_key")
        for attempt in (1, 2):
            token = self.tokens.token(access_key, secret_key)
            response = await send(
                self.client, NAME, method, f"{self.base_url}{path}", json=body, params=params,
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            envelope = _envelope(response)
            if envelope is None:
                if response.status_code >= 400:
                    raise error_for_status(NAME, response)
                json_body(NAME, response)  # raises for a malformed body
                raise ReelForgeError(
                    ErrorCode.PROVIDER_ERROR,
                    "kling: the provider sent an unexpected response.",
                    detail={"provider": NAME, "status": response.status_code},
                    retryable=True,
                )
            code = int(envelope["code"])  # _envelope checked it is an int
            if code == 0:
                return envelope.get("data")
            # An expired token (1004) can be our clock's fault: mint a fresh one, once.
            if code == 1004 and attempt == 1:
                self.tokens.invalidate(access_key, secret_key)
                continue
            raise KlingError(code, str(envelope.get("message") or ""), response)
        raise AssertionError("unreachable")

    # -- submit -------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        path, body = wire.build(request)
        try:
            data = await self._call("POST", path, credential, body=body)
        except KlingError as exc:
            if exc.code == 1201 and "external_task_id" in exc.message and request.idempotency_key:
                # A repeated submit (e.g. after a crash): find the task that already has it.
                found = await self._find_external(path, request.idempotency_key, credential)
                if found is not None:
                    return self._task(request, path, found)
            raise self._translate(exc, body) from None
        if not isinstance(data, dict) or not data.get("task_id"):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "kling: the submit answer has no task_id.",
                detail={"provider": NAME},
                retryable=True,
            )
        return self._task(request, path, str(data["task_id"]))

    def _task(self, request: GenerationRequest, path: str, task_id: str) -> ProviderTask:
        return ProviderTask(
            provider=NAME,
            task_id=task_id,
            model=request.model,
            mode=request.mode,
            meta={"path": path, "external_task_id": request.idempotency_key},
            poll_interval_seconds=self.default_poll_interval,
        )

    async def _find_external(
        self, path: str, external_id: str, credential: Credential
    ) -> str | None:
        # The task list is newest first; a repeat comes soon after the original.
        data = await self._request("GET", path, credential, params={"pageNum": 1, "pageSize": 500})
        for item in data if isinstance(data, list) else []:
            info = item.get("task_info") if isinstance(item, dict) else None
            if isinstance(info, dict) and info.get("external_task_id") == external_id:
                return str(item.get("task_id"))
        return None

    async def _request(self, method: str, path: str, credential: Credential, **kw: Any) -> Any:
        try:
            return await self._call(method, path, credential, **kw)
        except KlingError as exc:
            raise self._translate(exc, kw.get("body") or {}) from None

    # -- poll ---------------------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        path = task.meta.get("path") or wire.PATH_FOR_MODE[task.mode]
        data = await self._request("GET", f"{path}/{task.task_id}", credential)
        if not isinstance(data, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "kling: the task answer has no data.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        status = _STATUS.get(str(data.get("task_status")))
        if status is None:
            return TaskUpdate(status=TaskStatus.RUNNING, message=str(data.get("task_status")))
        if status is TaskStatus.FAILED:
            reason = str(data.get("task_status_msg") or "The task failed.")
            safety = any(w in reason.lower() for w in _KLING_SAFETY_WORDS)
            err = ReelForgeError(
                ErrorCode.SAFETY_FILTER if safety else ErrorCode.PROVIDER_ERROR,
                f"kling: {reason}",
                detail={"provider": NAME, "task_id": task.task_id},
            )
            return TaskUpdate(status=status, error=err.to_dict())
        if status is TaskStatus.SUCCEEDED:
            outputs = wire.outputs(data.get("task_result"))
            # final_unit_deduction is in Kling resource-pack units whose dollar value
            # depends on the pack bought, so it is reported as a message, not a cost.
            units = data.get("final_unit_deduction")
            return TaskUpdate(
                status=status,
                progress=1.0,
                outputs=outputs,
                message=f"{units} units" if units not in (None, "") else None,
            )
        return TaskUpdate(status=status, progress=0.0 if status is TaskStatus.QUEUED else None)

    # -- account ------------------------------------------------------------------------
    async def balance(self, credential: Credential) -> Balance:
        now_ms = int(self.tokens.clock() * 1000)
        params = {"start_time": now_ms - 365 * 86400 * 1000, "end_time": now_ms}
        data = await self._request("GET", "/account/costs", credential, params=params)
        packs = data.get("resource_pack_subscribe_infos") if isinstance(data, dict) else None
        packs = packs if isinstance(packs, list) else []
        remaining = sum(
            float(p.get("remaining_quantity") or 0)
            for p in packs
            if isinstance(p, dict) and p.get("status") == "online"
        )
        return Balance(amount=remaining, unit="units", detail={"resource_packs": len(packs)})

    # -- errors -------------------------------------------------------------------------
    def _translate(self, exc: KlingError, sent: dict[str, Any]) -> ReelForgeError:
        code, message, response = exc.code, exc.message, exc.response
        detail: dict[str, Any] = {
            "provider": NAME,
            "status": response.status_code,
            "provider_code": code,
            "provider_message": message,
        }
        if code in _AUTH_CODES:
            return ReelForgeError(
                ErrorCode.AUTH_FAILED,
                "kling: the provider rejected the access key / secret key.",
                detail=detail,
                remediation=(
                    "Check KLING_ACCESS_KEY and KLING_SECRET_KEY (or PUT /v1/providers/kling/credential).",
                ),
            )
        if code in _FUNDS_CODES:
            return out_of_credit(
                "kling", detail, remediation=("Buy a Kling resource pack or settle the account.",)
            )
        if code in _FORBIDDEN_CODES:
            return ReelForgeError(ErrorCode.FORBIDDEN, f"kling: {message}", detail=detail)
        if code in _RATE_CODES:
            return ReelForgeError(
                ErrorCode.RATE_LIMITED,
                "kling: rate limited.",
                detail=detail,
                retry_after=parse_retry_after(response.headers),
            )
        if code in (1300, 1301):
            return ReelForgeError(ErrorCode.SAFETY_FILTER, f"kling: {message}", detail=detail)
        if code in (1200, 1201):
            names = [*sent, *(sent.get("input") or {})]
            wire_field = field_in_message(message, names)
            return validation_error(
                NAME,
                message,
                field=wire.OUR_FIELD.get(wire_field or "", wire_field),
                status=response.status_code,
                extra={"provider_code": code, "provider_field": wire_field},
            )
        if code in (1202, 1203):
            if "model" in message.lower():
                return validation_error(NAME, message, field="model", status=response.status_code)
            return ReelForgeError(ErrorCode.NOT_FOUND, f"kling: {message}", detail=detail)
        if 5000 <= code < 6000:
            return ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                f"kling: the provider failed ({code}).",
                detail=detail,
                retryable=True,
                retry_after=parse_retry_after(response.headers),
            )
        return error_for_status(NAME, response, message=message)


def _envelope(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("code"), int):
        return data
    return None
