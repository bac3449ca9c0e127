"""The Pollinations image API, offline.

``GET /prompt/{prompt}`` (legacy host, anonymous allowed) and ``GET /image/{prompt}`` (new
gateway, key required) answer JPEG bytes; a key goes in ``Authorization: Bearer`` or as
``?token=`` / ``?key=``. A wrong key is refused on both paths. Pollinations has no stable
error schema (reference); errors here are ``{"error", "message"}`` JSON.
"""

from __future__ import annotations

import asyncio

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
    route_path,
)
from reelforge.emulators.base.render import render_image

# Anonymous access is the point of this provider: sandbox mode calls it with no key.
SANDBOX_CREDENTIAL: dict[str, str] = {}
# A key the emulator accepts besides config.keys (for tests of the keyed path).
TEST_KEY = "sk_reelforge_sandbox"
MODELS = ("flux", "turbo", "gptimage")


def _error(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return _error(401, "Unauthorized", message or "Invalid API key.")
    if kind == "rate_limit":
        return _error(
            429,
            "Too Many Requests",
            message or "Queue full for IP: 1 request at a time, one every 5 seconds.",
            headers=retry_after_headers(fault, default=5.0),
        )
    if kind == "insufficient_credit":
        return _error(402, "Payment Required", message or "Insufficient pollen balance.")
    if kind == "moderation":
        return _error(
            400, "Content moderation", message or "NSFW content detected (safe mode is on)."
        )
    if kind == "validation":
        return _error(400, "Bad Request", message or "Invalid parameters.")
    if kind == "not_found":
        return _error(404, "Not Found", message or "Model not found.")
    if kind == "malformed":
        return malformed_response()
    status = fault.status if fault is not None else 500
    return _error(status, "Internal Server Error", message or "Image generation failed.")


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("pollinations", config, render_error)
    accepted = set(config.keys) | {TEST_KEY}

    def key_of(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.query_params.get("token") or request.query_params.get("key")

    async def image(request: Request) -> Response:
        key = key_of(request)
        gateway = route_path(request).startswith("/image/")
        if (key is not None and key not in accepted) or (gateway and key is None):
            raise FaultRaised("auth", message=None if key else "An API key is required.")
        fault = await state.gate("submit")
        prompt = request.path_params["prompt"]
        q = request.query_params
        model = q.get("model", "flux")
        if model not in MODELS:
            return _error(400, "Bad Request", f"Model {model} not found. Available: {MODELS}")
        try:
            width = int(q.get("width", "1024"))
            height = int(q.get("height", "1024"))
            seed = int(q["seed"]) if "seed" in q else None
        except ValueError:
            return _error(400, "Bad Request", "width, height and seed must be integers.")
        if not (16 <= width <= 2048 and 16 <= height <= 2048):
            return _error(400, "Bad Request", "width and height must be between 16 and 2048.")
        if fault is not None and fault.kind == "moderation":
            return render_error("moderation", fault, fault.message)
        if fault is not None and fault.kind == "fail":
            return render_error("server_error", Fault("server_error", status=500), fault.message)
        if fault is not None and fault.kind == "stuck":
            await asyncio.sleep(fault.seconds or 60.0)
            return render_error("server_error", Fault("server_error", status=504), None)
        state.tasks.create(
            "image",
            model=model,
            prompt=prompt,
            seed=seed,
            params=dict(q),
            owner=key or "",
            run_seconds=0.0,
        )
        await asyncio.sleep(config.image_run_seconds)
        content = await asyncio.to_thread(
            render_image, prompt, seed, width=width, height=height, fmt="JPEG"
        )
        return Response(content, media_type="image/jpeg")

    async def models(_request: Request) -> Response:
        await state.gate("account")
        return JSONResponse(list(MODELS))

    return create_emulator_app(
        state,
        [
            Route("/prompt/{prompt:path}", image, methods=["GET"]),
            Route("/image/models", models, methods=["GET"]),
            Route("/image/{prompt:path}", image, methods=["GET"]),
            Route("/models", models, methods=["GET"]),
        ],
    )
