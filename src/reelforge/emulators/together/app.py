"""The Together AI images API, offline.

Errors use the OpenAI-style envelope the official SDK parses:
``{"error": {"message", "type", "param", "code"}}``. Together's exact codes and messages
were not read from source (reference: "error body format not read"); status codes follow
Together's error-code page (401 key, 402 credit, 404 model, 429 rate, 5xx).
"""

from __future__ import annotations

import asyncio
import base64
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
    read_json,
    retry_after_headers,
)
from reelforge.emulators.base.render import render_image

SANDBOX_CREDENTIAL = {"api_key": "tgp_v1_reelforge_sandbox"}

# model id → (max steps, takes image_url)
MODELS: dict[str, tuple[int, bool]] = {
    "black-forest-labs/FLUX.1-schnell": (12, False),
    "black-forest-labs/FLUX.1-schnell-Free": (4, False),
    "black-forest-labs/FLUX.1-dev": (50, False),
    "black-forest-labs/FLUX.1.1-pro": (50, False),
    "black-forest-labs/FLUX.1-pro": (50, False),
    "black-forest-labs/FLUX.1-kontext-pro": (50, True),
    "black-forest-labs/FLUX.1-kontext-max": (50, True),
    "black-forest-labs/FLUX.1-kontext-dev": (50, True),
}
# The API's own value is "base64"; "b64_json" (OpenAI's) is accepted too because
# OpenAI-compatible clients send it and whether Together refuses it is not confirmed.
RESPONSE_FORMATS = ("url", "base64", "b64_json")


def _error(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return _error(
            401,
            message
            or "Invalid API key provided. You can find your API key at "
            "https://api.together.ai/settings/api-keys.",
            code="invalid_api_key",
        )
    if kind == "rate_limit":
        return _error(
            429,
            message or "You have reached the rate limit specific to this model.",
            "rate_limit_exceeded",
            headers=retry_after_headers(fault),
        )
    if kind == "insufficient_credit":
        return _error(
            402,
            message or "Credit limit exceeded. Please add credits to your account to continue.",
            "credit_limit",
            code="insufficient_credits",
        )
    if kind == "moderation":
        return _error(
            422,
            message or "The image was flagged by the safety checker (NSFW content).",
            code="nsfw_content",
        )
    if kind == "not_found":
        return _error(404, message or "Model not found.", code="model_not_available")
    if kind == "validation":
        return _error(400, message or "Invalid request.")
    if kind == "malformed":
        return malformed_response()
    status = fault.status if fault is not None else 500
    return _error(status, message or "Internal server error.", "server_error")


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("together", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_key"]}

    def authorize(request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token not in accepted:
            raise FaultRaised("auth")

    async def generate(request: Request) -> Response:
        authorize(request)
        fault = await state.gate("submit")
        body = await read_json(request)
        problem = _validate(body)
        if problem is not None:
            return problem
        model = body["model"]
        if fault is not None and fault.kind == "moderation":
            return render_error("moderation", fault, fault.message)
        if fault is not None and fault.kind == "fail":
            return render_error("server_error", Fault("server_error", status=500), fault.message)
        if fault is not None and fault.kind == "stuck":
            await asyncio.sleep(fault.seconds or 60.0)
            return render_error("server_error", Fault("server_error", status=504), None)
        source = await state.load_media(body["image_url"]) if body.get("image_url") else None
        task, _ = state.tasks.create(
            "images",
            model=model,
            prompt=body["prompt"],
            seed=body.get("seed"),
            params={k: v for k, v in body.items() if k not in ("model", "prompt")},
            run_seconds=0.0,
        )
        await asyncio.sleep(config.image_run_seconds)
        fmt = body.get("output_format") or "jpeg"
        items: list[dict[str, Any]] = []
        for index in range(int(body.get("n") or 1)):
            seed = None if body.get("seed") is None else int(body["seed"]) + index

            def render(seed: int | None = seed) -> bytes:
                return render_image(
                    body["prompt"],
                    seed,
                    width=body.get("width") or 1024,
                    height=body.get("height") or 768,
                    fmt="JPEG" if fmt == "jpeg" else "PNG",
                    source=source,
                )

            if body.get("response_format", "url") == "url":
                url = state.file_url(request, "jpg" if fmt == "jpeg" else "png", render)
                items.append({"index": index, "type": "url", "url": url})
            else:
                encoded = base64.b64encode(await asyncio.to_thread(render)).decode()
                items.append({"index": index, "type": "b64_json", "b64_json": encoded})
        return JSONResponse({"id": task.id, "model": model, "object": "list", "data": items})

    async def models(request: Request) -> Response:
        authorize(request)
        await state.gate("account")
        # /v1/models answers a bare JSON list on Together (not OpenAI's {"data": [...]}).
        return JSONResponse(
            [
                {
                    "id": model_id,
                    "object": "model",
                    "type": "image",
                    "display_name": model_id.split("/", 1)[1],
                    "organization": "Black Forest Labs",
                }
                for model_id in MODELS
            ]
        )

    return create_emulator_app(
        state,
        [
            Route("/v1/images/generations", generate, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ],
    )


def _validate(body: dict[str, Any]) -> Response | None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return _error(400, "model is required", param="model")
    if model not in MODELS:
        return _error(
            404,
            f"Unable to access model {model}. Please visit https://api.together.ai/models "
            "to view the list of supported models.",
            code="model_not_available",
        )
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return _error(400, "prompt is required", param="prompt")
    max_steps, takes_image = MODELS[model]
    checks: list[tuple[str, int, int]] = [
        ("width", 64, 2048),
        ("height", 64, 2048),
        ("steps", 1, max_steps),
        ("n", 1, 4),
    ]
    for name, low, high in checks:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return _error(400, f"{name} must be an integer between {low} and {high}", param=name)
    if body.get("seed") is not None and not isinstance(body["seed"], int):
        return _error(400, "seed must be an integer", param="seed")
    if body.get("response_format", "url") not in RESPONSE_FORMATS:
        return _error(400, "response_format must be 'url' or 'base64'", param="response_format")
    if body.get("output_format", "jpeg") not in ("jpeg", "png"):
        return _error(400, "output_format must be 'jpeg' or 'png'", param="output_format")
    if body.get("image_url") and not takes_image:
        return _error(400, f"{model} does not take image_url", param="image_url")
    return None
