"""Runware's single endpoint: ``POST /v1`` with a JSON array of tasks.

Auth: ``Authorization: Bearer <key>`` or an ``authentication`` task first in the array.
A generation task's ``taskUUID`` names it: sending the same UUID again returns the same
task and is not counted as a second submission. Image tasks default to
``deliveryMethod: sync`` (the answer waits for the images); ``async`` answers an ack and the
result comes from ``getResponse``. Request-level errors (auth, credit, rate, bad
parameters) answer 4xx with ``errors``; a generation that fails is reported in ``errors``
with HTTP 200 (the reference does not pin this; the adapter accepts both).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    Fault,
    FaultRaised,
    create_emulator_app,
    malformed_response,
    retry_after_headers,
)
from reelforge.emulators.runware.work import (
    GENERATION_TYPES,
    TaskError,
    answer_for,
    check_uuid,
    media_refs,
    validate,
)

SANDBOX_CREDENTIAL = {"api_key": "runware-sandbox-key"}
SYNC_WAIT_SECONDS = 30.0
_ERRORS: dict[str, tuple[int, str, str]] = {
    "auth": (401, "invalidApiKey", "Invalid API key. Get one at https://my.runware.ai/signup"),
    "insufficient_credit": (
        402,
        "insufficientCredits",
        "Insufficient credits. Please top up your account balance to continue.",
    ),
    "rate_limit": (429, "rateLimitExceeded", "Too many requests. Please slow down."),
    "not_found": (404, "notFound", "The requested resource was not found."),
    "moderation": (400, "contentModerated", "The request was flagged by content moderation."),
    "validation": (400, "invalidRequest", "The request body must be a JSON array of tasks."),
}


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "malformed":
        return malformed_response()
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        body = {
            "errors": [
                {"code": "internalServerError", "message": message or "An internal error occurred."}
            ]
        }
        return JSONResponse(body, status)
    status, code, text = _ERRORS.get(kind, _ERRORS["validation"])
    headers = retry_after_headers(fault) if kind == "rate_limit" else None
    return JSONResponse(
        {"errors": [{"code": code, "message": message or text}]}, status, headers=headers
    )


def _op(tasks: list[Any]) -> str:
    kinds = {t.get("taskType") for t in tasks if isinstance(t, dict)} - {"authentication"}
    if not kinds:
        return "account"
    return "poll" if kinds == {"getResponse"} else "submit"


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("runware", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_key"]}

    def key_of(request: Request, tasks: list[Any]) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            key = key.strip()
        elif tasks and isinstance(tasks[0], dict) and tasks[0].get("taskType") == "authentication":
            key = str(tasks[0].get("apiKey") or "")
        else:
            raise FaultRaised("auth", message="Missing API key.")
        if key not in accepted:
            raise FaultRaised("auth")
        return key

    async def generation(
        request: Request, raw: dict[str, Any], owner: str, fault: Fault | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        task_id = check_uuid(raw)
        existing = state.tasks.get(task_id)
        if existing is not None and existing.owner != owner:
            raise TaskError("duplicateTaskUUID", "This taskUUID is already in use.", "taskUUID")
        checked: dict[str, Any] = {}
        media: dict[str, bytes] = {}
        if existing is None:
            checked = validate(raw)
            for role, ref in media_refs(raw).items():
                try:
                    media[role] = await state.load_media(ref)
                except Exception as exc:  # the caller's URL or data is unusable
                    raise TaskError(
                        "invalidInputImage",
                        "The input image could not be read.",
                        "inputImage" if raw["taskType"] == "imageUpscale" else "seedImage",
                    ) from exc
        kind = raw["taskType"]
        task, created = state.tasks.create(
            kind,
            model=str(raw.get("model") or kind),
            prompt=str(raw.get("positivePrompt") or ""),
            seed=raw.get("seed") if isinstance(raw.get("seed"), int) else None,
            params={"raw": raw, "checked": checked},
            inputs=media,
            owner=owner,
            idempotency_key=task_id,  # the same taskUUID is the same task
            task_id=task_id,
            run_seconds=config.image_run_seconds if kind != "videoInference" else None,
            callback_url=raw.get("webhookURL"),
        )
        if created:
            state.apply_task_fault(task, fault)
            if task.callback_url:
                state.schedule_callback(task, lambda t: envelope(*answer_for(state, request, t)))
        delivery = str(
            raw.get("deliveryMethod") or ("async" if kind == "videoInference" else "sync")
        ).lower()
        if delivery == "sync":
            until = time.monotonic() + state.config.hold(SYNC_WAIT_SECONDS)
            if not task.stuck:
                until = min(until, task.finishes_at + 0.01)
            if not state.replaying:  # a replay rebuilds the task; nobody waits for it
                await asyncio.sleep(max(0.0, until - time.monotonic()))
            return answer_for(state, request, task)
        return [{"taskType": kind, "taskUUID": task.id}], []

    def envelope(data: list[dict[str, Any]], errors: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return body or {"data": []}

    async def handle(request: Request) -> Response:
        try:
            tasks = await request.json()
        except ValueError:
            tasks = None
        if isinstance(tasks, dict):
            tasks = [tasks]  # a lone object is read as a one-task array
        if not isinstance(tasks, list):
            await state.gate("submit")
            raise FaultRaised("validation")
        fault = await state.gate(_op(tasks))
        owner = key_of(request, tasks)
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        rejected = False  # a request-level problem (bad parameter) → HTTP 400
        for raw in tasks:
            if not isinstance(raw, dict):
                errors.append({"code": "invalidTask", "message": "Each task must be an object."})
                rejected = True
                continue
            kind = raw.get("taskType")
            try:
                if kind == "authentication":
                    data.append(
                        {"taskType": "authentication", "connectionSessionUUID": str(uuid.uuid4())}
                    )
                elif kind == "getResponse":
                    task = state.tasks.get(check_uuid(raw), owner)
                    if task is None:
                        raise TaskError(
                            "taskNotFound", "No task found for this taskUUID.", "taskUUID"
                        )
                    d, e = answer_for(state, request, task)
                    data += d
                    errors += e
                elif kind in GENERATION_TYPES:
                    d, e = await generation(request, raw, owner, fault)
                    data += d
                    errors += e
                else:
                    raise TaskError("invalidTaskType", f"Unknown taskType {kind!r}.", "taskType")
            except TaskError as exc:
                errors.append(exc.item(raw))
                rejected = True
        status = 400 if rejected and not data else 200
        return JSONResponse(envelope(data, errors), status)

    return create_emulator_app(
        state,
        [Route("/v1", handle, methods=["POST"]), Route("/", handle, methods=["POST"])],
    )
