"""Opening generated media for contract tests: real files, decoded with Pillow / PyAV."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.helpers import serve_asgi


@dataclass
class VideoInfo:
    width: int
    height: int
    duration: float
    frames: list[np.ndarray]
    has_audio: bool


def video_info(data: bytes) -> VideoInfo:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        has_audio = bool(container.streams.audio)
        duration = float(container.duration or 0) / 1e6
        return VideoInfo(stream.width, stream.height, duration, frames, has_audio)


def image_of(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def mean_rgb(frame: np.ndarray) -> np.ndarray:
    return np.asarray(frame, dtype=np.float32).reshape(-1, 3).mean(axis=0)


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


@dataclass
class Hooks:
    """A tiny local web server: serves given files and records callback POSTs."""

    base_url: str = ""
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base_url}/media/{name}"


@contextmanager
def hooks_server() -> Iterator[Hooks]:
    hooks = Hooks()

    async def media(request: Request) -> Response:
        item = hooks.files.get(request.path_params["name"])
        if item is None:
            return Response(status_code=404)
        return Response(item[0], media_type=item[1])

    async def hook(request: Request) -> Response:
        hooks.received.append(await request.json())
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/media/{name}", media, methods=["GET"]),
            Route("/hook", hook, methods=["POST"]),
        ]
    )
    with serve_asgi(app) as url:
        hooks.base_url = url
        yield hooks
