"""Replicate routes: create (model or version), get, list, cancel, account, model/version.

``Prefer: wait`` / ``wait=N`` holds the create call until the prediction finishes or the
wait runs out, then answers its current state. Authorization accepts ``Bearer`` (today's
SDK) and ``Token`` (older clients). Errors are problem JSON like the real API's.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
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
from reelforge.emulators.base.state import DEFAULT_FAILURES
from reelforge.emulators.replicate.models import (
    INPUTS,
    MODELS,
    model_for_version,
    render_output,
    version_of,
)

SANDBOX_CREDENTIAL = {"api_token": "r8_sandbox_token"}
_STATUS = {
    "queued": "starting",
    "running": "processing",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}
_ERRORS: dict[str, tuple[int, str, str]] = {
    "auth": (401, "Unauthenticated", "You did not pass a valid authentication token"),
    "insufficient_credit": (
        402,
        "Insufficient credit",
        "You have insufficient credit to run this model. Go to https://replicate.com/account/"
        "billing#billing to purchase credit. Once you purchase credit, please wait a few "
        "minutes before trying again.",
    ),
    "rate_limit": (
        429,
        "Request was throttled.",
        "Request was throttled. Your rate limit resets in ~2s.",
    ),
    "not_found": (404, "Not found", "The requested resource could not be found."),
    "validation": (422, "Input validation failed", "The input is not valid."),
    "moderation": (422, "Input validation failed", "The input was flagged as sensitive."),
}
_FAILURES = {
    "moderation": "NSFW content detected. Try running it again, or try a different prompt.",
    "fail": "Prediction failed: CUDA error: an illegal memory access was encountered",
}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    # Reference §Replicate: RFC 7807 problem JSON with "type" among its members, a string
    # (a URI). Which URI Replicate puts there is not in the reference: "about:blank" is
    # RFC 7807's "no further meaning", never the null the emulator sent before.
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status, media_type="application/problem+json")


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "malformed":
        return malformed_response()
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        return problem(status, "Internal Server Error", message or "Something went wrong.")
    status, title, detail = _ERRORS.get(kind, _ERRORS["validation"])
    response = problem(status, title, message or detail)
    if kind == "rate_limit":
        response.headers.update(retry_after_headers(fault))
    return response


def _iso(seconds_ago: float) -> str:
    when = datetime.now(UTC) - timedelta(seconds=max(0.0, seconds_ago))
    return when.isoformat().replace("+00:00", "Z")


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("replicate", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_token"]}

    def owner_of(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not token:
            raise FaultRaised("auth", message="You did not pass an authentication token")
        if scheme.lower() not in ("bearer", "token") or token.strip() not in accepted:
            raise FaultRaised("auth")
        return token.strip()

    def prediction(request: Request, task: EmuTask) -> dict[str, Any]:
        now = time.monotonic()
        current, progress = task.state(now)
        status = _STATUS[current]
        base = state.base_url(request)
        logs = ""
        if current != "queued":
            logs = f"Using seed: {task.seed}\n"
            done = int(progress * 20)
            logs += f"{int(progress * 100):3d}%|{'█' * done:<20}| {done}/20\n"
        error = None
        output = None
        if status == "failed" and task.failure is not None:
            kind, said = task.failure
            # Replicate's own wording, unless the fault gave its own message.
            error = _FAILURES.get(kind, said) if said == DEFAULT_FAILURES.get(kind) else said
        elif status == "succeeded":
            output = render_output(state, request, task)
        started = task.created + task.queue_seconds
        return {
            "id": task.id,
            "model": task.model,
            "version": version_of(task.model),
            "input": task.params,
            "logs": logs,
            "output": output,
            "data_removed": False,
            "error": error,
            "source": "api",
            "status": status,
            "created_at": _iso(now - task.created),
            "started_at": _iso(now - started) if now >= started else None,
            "completed_at": _iso(now - task.finishes_at)
            if status != "processing" and status != "starting"
            else None,
            "urls": {
                "cancel": f"{base}/v1/predictions/{task.id}/cancel",
                "get": f"{base}/v1/predictions/{task.id}",
                "web": f"https://replicate.com/p/{task.id}",
            },
            "metrics": {"predict_time": round(task.run_seconds, 3)}
            if status == "succeeded"
            else {},
        }

    async def create(
        request: Request, name: str, owner: str, body: dict[str, Any]
    ) -> Response | EmuTask:
        """The new prediction's task, or the 422 its input deserves."""
        model = MODELS[name]
        inputs = body.get("input")
        if not isinstance(inputs, dict):
            return problem(
                422,
                "Input validation failed",
                "- input: input is required",
                invalid_fields=[
                    {"type": "required", "field": "input", "description": "input is required"}
                ],
            )
        for field in model.required:
            if not inputs.get(field):
                return problem(
                    422,
                    "Input validation failed",
                    f"- input: {field} is required",
                    invalid_fields=[
                        {"type": "required", "field": field, "description": f"{field} is required"}
                    ],
                )
        problems = schema.check(inputs, INPUTS.get(name, {}))
        if problems:
            return problem(
                422,
                "Input validation failed",
                "".join(f"- input.{p.field}: {p.message}\n" for p in problems),
                invalid_fields=[
                    {"type": p.kind, "field": f"input.{p.field}", "description": p.message}
                    for p in problems
                ],
            )
        media: dict[str, bytes] = {}
        failure = None
        for field in model.media:
            if inputs.get(field):
                try:
                    media[field] = await state.load_media(str(inputs[field]))
                except Exception:  # a URL the model cannot download fails the prediction
                    failure = ("fail", f"Failed to download {field}")
        task, _ = state.tasks.create(
            "prediction",
            model=name,
            prompt=str(inputs.get("prompt") or ""),
            seed=inputs.get("seed") if isinstance(inputs.get("seed"), int) else None,
            params=inputs,
            inputs=media,
            owner=owner,
            task_id=secrets.token_hex(13)[:26],
            run_seconds=config.image_run_seconds if model.kind != "video" else None,
            callback_url=body.get("webhook"),
        )
        task.failure = failure
        return task

    async def finish_create(request: Request, task: EmuTask, fault: Fault | None) -> Response:
        state.apply_task_fault(task, fault)
        if task.callback_url:
            state.schedule_callback(task, lambda t: prediction(request, t))
        prefer = request.headers.get("prefer", "").strip().lower()
        if prefer.startswith("wait"):
            _, _, value = prefer.partition("=")
            wait = min(60.0, float(value)) if value.strip().isdigit() else 60.0
            # Task state is a function of time: sleep until it finishes or the wait ends.
            until = time.monotonic() + state.config.hold(wait)
            if not task.stuck:
                until = min(until, task.finishes_at + 0.01)
            await asyncio.sleep(max(0.0, until - time.monotonic()))
        return JSONResponse(prediction(request, task), 201)

    async def create_for_model(request: Request) -> Response:
        fault = await state.gate("submit")
        owner = owner_of(request)
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        body = await read_json(request)
        if name not in MODELS:
            raise FaultRaised("not_found")
        if not MODELS[name].official:
            return problem(
                404,
                "Not found",
                f"Model {name} is not an official model; create the prediction with a version.",
            )
        made = await create(request, name, owner, body)
        if isinstance(made, Response):
            return made
        return await finish_create(request, made, fault)

    async def create_for_version(request: Request) -> Response:
        fault = await state.gate("submit")
        owner = owner_of(request)
        body = await read_json(request)
        version = str(body.get("version") or "")
        # "owner/name:version" is accepted too, as the real API does.
        name = model_for_version(version.rpartition(":")[2]) if version else None
        if name is None:
            return problem(
                422,
                "Invalid version or not permitted",
                "The specified version does not exist (or perhaps you don't "
                "have permission to use it?)",
            )
        made = await create(request, name, owner, body)
        if isinstance(made, Response):
            return made
        return await finish_create(request, made, fault)

    def find(request: Request) -> EmuTask:
        task = state.tasks.get(request.path_params["id"], owner_of(request))
        if task is None:
            raise FaultRaised("not_found")
        return task

    async def get(request: Request) -> Response:
        await state.gate("poll")
        return JSONResponse(prediction(request, find(request)))

    async def cancel(request: Request) -> Response:
        await state.gate("cancel")
        task = find(request)
        state.tasks.cancel(task)
        return JSONResponse(prediction(request, task))

    async def list_predictions(request: Request) -> Response:
        await state.gate("poll")
        owner = owner_of(request)
        mine = [t for t in state.tasks.tasks.values() if t.owner == owner]
        mine.sort(key=lambda t: t.created, reverse=True)
        results = [prediction(request, t) for t in mine[:100]]
        return JSONResponse({"next": None, "previous": None, "results": results})

    async def account(request: Request) -> Response:
        await state.gate("account")
        owner_of(request)
        return JSONResponse(
            {"type": "user", "username": "sandbox", "name": "ReelForge Sandbox", "github_url": None}
        )

    def version_body(name: str) -> dict[str, Any]:
        return {
            "id": version_of(name),
            "created_at": "2025-01-01T00:00:00Z",
            "cog_version": "0.14.0",
            "openapi_schema": {},
        }

    async def get_model(request: Request) -> Response:
        await state.gate("poll")
        owner_of(request)
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        if name not in MODELS:
            raise FaultRaised("not_found")
        owner, _, short = name.partition("/")
        return JSONResponse(
            {
                "url": f"https://replicate.com/{name}",
                "owner": owner,
                "name": short,
                "description": None,
                "visibility": "public",
                "github_url": None,
                "paper_url": None,
                "license_url": None,
                "run_count": 0,
                "cover_image_url": None,
                "default_example": None,
                "latest_version": version_body(name),
            }
        )

    async def get_version(request: Request) -> Response:
        await state.gate("poll")
        owner_of(request)
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        if name not in MODELS or model_for_version(request.path_params["version"]) != name:
            raise FaultRaised("not_found")
        return JSONResponse(version_body(name))

    return create_emulator_app(
        state,
        [
            Route("/v1/models/{owner}/{name}/predictions", create_for_model, methods=["POST"]),
            Route("/v1/models/{owner}/{name}/versions/{version}", get_version, methods=["GET"]),
            Route("/v1/models/{owner}/{name}", get_model, methods=["GET"]),
            Route("/v1/predictions", create_for_version, methods=["POST"]),
            Route("/v1/predictions", list_predictions, methods=["GET"]),
            Route("/v1/predictions/{id}", get, methods=["GET"]),
            Route("/v1/predictions/{id}/cancel", cancel, methods=["POST"]),
            Route("/v1/account", account, methods=["GET"]),
        ],
    )
