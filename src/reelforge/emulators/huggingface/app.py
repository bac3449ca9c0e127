"""Hugging Face Inference text-to-image, offline.

``POST /hf-inference/models/{model_id}`` (router) and ``POST /models/{model_id}`` (legacy
api-inference host) take ``{"inputs": prompt, "parameters": {...}}`` and answer image bytes
(PNG when ``Accept: image/png``, else JPEG). Errors are ``{"error": "..."}``; a
``server_error`` fault with status 503 answers the cold-model body
``{"error": "Model ... is currently loading", "estimated_time": s}`` (from the reference's
memory of the docs, not from source). ``GET /api/whoami-v2`` checks a token.
"""

from __future__ import annotations

import asyncio
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

SANDBOX_CREDENTIAL = {"api_key": "hf_reelforge_sandbox"}
MODELS = (
    "black-forest-labs/FLUX.1-schnell",
    "black-forest-labs/FLUX.1-dev",
    "stabilityai/stable-diffusion-xl-base-1.0",
    "stabilityai/stable-diffusion-3.5-large",
)
PARAMETERS: dict[str, type | tuple[type, ...]] = {
    "negative_prompt": str,
    "height": int,
    "width": int,
    "num_inference_steps": int,
    "guidance_scale": (int, float),
    "scheduler": str,
    "seed": int,
}


def _error(status: int, message: str, **extra: Any) -> Response:
    headers = extra.pop("headers", None)
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return _error(401, message or "Invalid credentials in Authorization header")
    if kind == "rate_limit":
        return _error(
            429,
            message or "Rate limit reached. Please retry later.",
            headers=retry_after_headers(fault),
        )
    if kind == "insufficient_credit":
        return _error(
            402,
            message
            or "You have exceeded your monthly included credits for Inference Providers. "
            "Subscribe to PRO to get 20x more monthly included credits.",
        )
    if kind == "moderation":
        return _error(400, message or "The output was flagged as NSFW by the safety checker.")
    if kind == "validation":
        return _error(400, message or "Invalid request.")
    if kind == "not_found":
        return _error(404, message or "Model not found.")
    if kind == "malformed":
        return malformed_response()
    status = fault.status if fault is not None else 500
    if status == 503:
        estimated = fault.seconds if fault is not None and fault.seconds else 20.0
        return _error(
            503,
            message or "Model is currently loading",
            estimated_time=estimated,
        )
    return _error(status, message or "Internal Server Error")


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("huggingface", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_key"]}

    def authorize(request: Request) -> str:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token not in accepted:
            raise FaultRaised("auth")
        return token

    async def text_to_image(request: Request) -> Response:
        token = authorize(request)
        fault = await state.gate("submit")
        model = request.path_params["model"]
        if model not in MODELS:
            return _error(404, f"Model {model} does not exist")
        body = await read_json(request)
        prompt = body.get("inputs")
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, "Input should be a valid string: inputs")
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            return _error(400, "parameters must be an object")
        for name, value in parameters.items():
            kind = PARAMETERS.get(name)
            # Unknown parameters are ignored, as diffusers pipelines' extra kwargs are.
            if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                return _error(400, f"Input should be a valid {name}: parameters.{name}")
        if fault is not None and fault.kind == "moderation":
            return render_error("moderation", fault, fault.message)
        if fault is not None and fault.kind == "fail":
            return render_error("server_error", Fault("server_error", status=500), fault.message)
        if fault is not None and fault.kind == "stuck":
            await asyncio.sleep(fault.seconds or 60.0)
            return render_error("server_error", Fault("server_error", status=504), None)
        seed = parameters.get("seed")
        state.tasks.create(
            "text-to-image",
            model=model,
            prompt=prompt,
            seed=seed,
            params=parameters,
            owner=token,
            run_seconds=0.0,
        )
        await asyncio.sleep(config.image_run_seconds)
        png = "image/png" in request.headers.get("accept", "")
        content = await asyncio.to_thread(
            render_image,
            prompt,
            seed,
            width=parameters.get("width") or 1024,
            height=parameters.get("height") or 1024,
            fmt="PNG" if png else "JPEG",
        )
        return Response(content, media_type="image/png" if png else "image/jpeg")

    async def whoami(request: Request) -> Response:
        authorize(request)
        await state.gate("account")
        return JSONResponse({"type": "user", "name": "reelforge-sandbox", "auth": {}})

    return create_emulator_app(
        state,
        [
            Route("/hf-inference/models/{model:path}", text_to_image, methods=["POST"]),
            Route("/models/{model:path}", text_to_image, methods=["POST"]),
            Route("/api/whoami-v2", whoami, methods=["GET"]),
        ],
    )
