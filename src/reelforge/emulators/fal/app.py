"""fal queue routes: ``POST /{endpoint id}``, ``GET /{owner}/{alias}/requests/{id}/status``,
``GET /{owner}/{alias}/requests/{id}`` and ``PUT /{owner}/{alias}/requests/{id}/cancel``.

Where the reference is unsure the emulator accepts both variants: ``logs=1|0`` and
``logs=true|false``; input validation happens when the request runs (the queue accepts
any JSON and the result answers 422, which is how fal's queue behaves as far as we know),
and the adapter also handles a 422 at submit.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    Fault,
    FaultRaised,
    create_emulator_app,
    malformed_response,
    read_json,
    retry_after_headers,
    schema,
)
from reelforge.emulators.fal.models import (
    INPUTS,
    MODELS,
    FalModel,
    build_result,
    image_size_problem,
    missing_fields,
)

SANDBOX_CREDENTIAL = {"api_key": "fal-sandbox-key"}
_BAD_KEY = "No user found for Key ID and Secret"
_NO_KEY = "Authentication is required to access this application."
_LOCKED = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    headers = {"x-fal-request-id": "emulated"}
    if kind == "auth":
        return JSONResponse({"detail": message or _BAD_KEY}, 401, headers=headers)
    if kind == "insufficient_credit":
        return JSONResponse({"detail": message or _LOCKED}, 403, headers=headers)
    if kind == "rate_limit":
        return JSONResponse(
            {"detail": message or "Too many requests. Please slow down."},
            429,
            headers={**headers, **retry_after_headers(fault)},
        )
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        return JSONResponse({"detail": message or "Internal Server Error"}, status, headers=headers)
    if kind == "malformed":
        return malformed_response()
    if kind == "moderation":
        detail = [
            {
                "loc": ["body", "prompt"],
                "msg": message
                or "The content could not be processed because it contained material flagged by a content checker.",
                "type": "content_policy_violation",
            }
        ]
        return JSONResponse({"detail": detail}, 422, headers=headers)
    if kind == "not_found":
        return JSONResponse({"detail": message or "Request not found"}, 404, headers=headers)
    return JSONResponse({"detail": message or "Unprocessable Entity"}, 422, headers=headers)


def pydantic_msg(problem: schema.Problem) -> str:
    """pydantic's wording for ``problem`` (what fal's 422 ``detail[].msg`` says)."""
    spec = INPUTS_SPEC_OF.get(problem.field)
    if problem.kind == "enum" and spec is not None:
        options = [f"'{o}'" for o in spec.enum]
        return f"Input should be {', '.join(options[:-1])} or {options[-1]}"
    if problem.kind == "number_out_of_range":
        return f"Input should be {problem.message.removeprefix('Must be ')}"
    valid = {"int": "a valid integer", "float": "a valid number", "bool": "a valid boolean",
             "string": "a valid string"}  # fmt: skip
    return f"Input should be {valid[problem.pydantic_type.split('_')[0]]}"


INPUTS_SPEC_OF = {name: spec for specs in INPUTS.values() for name, spec in specs.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("fal", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_key"]}

    def owner_of(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise FaultRaised("auth", message=_NO_KEY)
        if scheme.lower() != "key" or key.strip() not in accepted:
            raise FaultRaised("auth")
        return key.strip()

    def urls(request: Request, app_path: str, rid: str) -> dict[str, str]:
        base = f"{state.base_url(request)}/{app_path}/requests/{rid}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    def queue_position(task: EmuTask) -> int:
        return state.tasks.queued_ahead(task, time.monotonic())

    async def submit(request: Request) -> Response:
        fault = await state.gate("submit")
        owner = owner_of(request)
        endpoint = request.path_params["path"].strip("/")
        model = MODELS.get(endpoint)
        if model is None:
            raise FaultRaised("not_found", message=f"Application '{endpoint}' not found")
        body = await read_json(request)
        parts = endpoint.split("/")
        app_path = "/".join(parts[:2])
        seed = body.get("seed") if isinstance(body.get("seed"), int) else None
        # Inputs are fetched before the task exists so its queue time starts after them.
        error: tuple[int, str, str, str] | None = None
        missing = missing_fields(model, body)
        inputs: dict[str, bytes] = {}
        if missing:
            error = (422, "missing", missing[0], "Field required")
        elif (size := image_size_problem(body)) is not None and endpoint in INPUTS:
            error = (422, "literal_error", "image_size", size)
        elif problems := schema.check(body, INPUTS.get(endpoint, {}), lax=True):
            error = (422, problems[0].pydantic_type, problems[0].field, pydantic_msg(problems[0]))
        for field in model.media if error is None else ():
            if body.get(field):
                try:
                    inputs[field] = await state.load_media(str(body[field]))
                except Exception:  # any fetch or decoding failure is the caller's URL
                    error = (422, "file_download_error", field, "Failed to download the file.")
        task, _ = state.tasks.create(
            "queue",
            model=endpoint,
            prompt=str(body.get("prompt") or ""),
            seed=seed,
            params=body,
            inputs=inputs,
            owner=owner,
            callback_url=request.query_params.get("fal_webhook"),
            run_seconds=config.image_run_seconds if model.kind != "video" else None,
        )
        task.extra["app"] = app_path
        if error is not None:
            task.extra["error"] = error
            task.failure = ("fail", f"{error[2]}: {error[3]}")
        state.apply_task_fault(task, fault)
        if task.callback_url:
            state.schedule_callback(task, lambda t: webhook_body(request, t, model))
        return JSONResponse(
            {
                "status": "IN_QUEUE",
                "request_id": task.id,
                **urls(request, app_path, task.id),
                "queue_position": queue_position(task),
            }
        )

    def webhook_body(request: Request, task: EmuTask, model: FalModel) -> dict[str, Any]:
        status, body = outcome(request, task, model)
        ok = status == 200
        return {
            "request_id": task.id,
            "gateway_request_id": task.id,
            "status": "OK" if ok else "ERROR",
            "payload": body if ok else None,
            "error": None if ok else str(body.get("detail")),
        }

    def find(request: Request) -> tuple[EmuTask, FalModel]:
        owner = owner_of(request)
        app_path = f"{request.path_params['owner']}/{request.path_params['alias']}"
        task = state.tasks.get(request.path_params["rid"], owner)
        if task is None or task.extra.get("app") != app_path:
            raise FaultRaised("not_found")
        return task, MODELS[task.model]

    def failure_of(task: EmuTask) -> tuple[int, str, str | None, str] | None:
        """(HTTP status of the result, error_type, field, message) for a failed request."""
        if task.canceled_at is not None:
            return (400, "request_cancelled", None, "Request was cancelled by the user.")
        if task.failure is None:
            return None
        if "error" in task.extra:
            error: tuple[int, str, str | None, str] = task.extra["error"]
            return error
        kind, message = task.failure
        if kind == "moderation" and MODELS[task.model].kind == "image":
            return None  # FLUX flags outputs (has_nsfw_concepts) rather than failing
        if kind == "moderation":
            return (422, "content_policy_violation", "prompt", message)
        return (500, "internal_server_error", None, message)

    def outcome(request: Request, task: EmuTask, model: FalModel) -> tuple[int, dict[str, Any]]:
        failure = failure_of(task)
        if failure is None:
            return 200, build_result(state, request, task, model)
        status, etype, field, message = failure
        if field is not None:
            detail: Any = [{"loc": ["body", field], "msg": message, "type": etype}]
            return status, {"detail": detail}
        return status, {"detail": message, "error_type": etype}

    def logs_for(task: EmuTask, progress: float) -> list[dict[str, Any]]:
        steps = 28
        done = int(progress * steps)
        lines = [
            {
                "message": "Loading model weights",
                "level": "INFO",
                "source": "USER",
                "timestamp": _now(),
            }
        ]
        if done:
            lines.append(
                {
                    "message": f"Generating: {int(progress * 100)}% ({done}/{steps})",
                    "level": "INFO",
                    "source": "USER",
                    "timestamp": _now(),
                }
            )
        return lines

    async def status(request: Request) -> Response:
        await state.gate("poll")
        task, _model = find(request)
        with_logs = request.query_params.get("logs", "0").lower() in ("1", "true")
        current, progress = task.state()
        base = {"request_id": task.id, **urls(request, task.extra["app"], task.id)}
        if current == "queued":
            return JSONResponse(
                {**base, "status": "IN_QUEUE", "queue_position": queue_position(task)}
            )
        if current == "running":
            logs = logs_for(task, progress) if with_logs else None
            return JSONResponse({**base, "status": "IN_PROGRESS", "logs": logs})
        body: dict[str, Any] = {
            **base,
            "status": "COMPLETED",
            "logs": logs_for(task, 1.0) if with_logs else None,
            "metrics": {"inference_time": round(task.run_seconds, 3)},
        }
        failure = failure_of(task)
        if failure is not None:
            body["error"], body["error_type"] = failure[3], failure[1]
        return JSONResponse(body)

    async def result(request: Request) -> Response:
        await state.gate("poll")
        task, model = find(request)
        current, _ = task.state()
        if current in ("queued", "running"):
            return JSONResponse({"detail": "Request is still in progress"}, 400)
        code, body = outcome(request, task, model)
        return JSONResponse(body, code, headers={"x-fal-request-id": task.id})

    async def cancel(request: Request) -> Response:
        await state.gate("cancel")
        try:
            task, _ = find(request)
        except FaultRaised as exc:
            if exc.kind != "not_found":
                raise
            return JSONResponse({"status": "NOT_FOUND"}, 404)
        if state.tasks.cancel(task):
            return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)
        return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)

    requests_path = "/{owner}/{alias}/requests/{rid}"
    return create_emulator_app(
        state,
        [
            Route(f"{requests_path}/status", status, methods=["GET"]),
            Route(f"{requests_path}/cancel", cancel, methods=["PUT"]),
            Route(requests_path, result, methods=["GET"]),
            Route("/{path:path}", submit, methods=["POST"]),
        ],
    )
