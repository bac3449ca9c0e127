"""The OpenAI-compatible door, ``/openai/v1``: the ``openai`` SDK's images, audio
(speech), videos and models calls, translated onto the same run service as ``/v1``.

It is a sub-application so its errors take OpenAI's shape while ``/v1`` keeps ours.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelforge.api.openai import audio, images, models, videos
from reelforge.api.openai.errors import install_openai_errors
from reelforge.container import Container

PREFIX = "/openai/v1"
UPLOAD_PATHS = ("/images/edits", "/videos")  # multipart with media: the upload size limit


def create_openai_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="ReelForge (OpenAI-compatible)",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.container = container
    install_openai_errors(app)
    for module in (images, audio, videos, models):
        app.include_router(module.router)
    return app
