"""Helpers for providers whose API answers in the same call (Together, Hugging Face,
Pollinations): there is no remote task to poll, yet the protocol stays submit + poll.

``submit`` performs the call and returns a ProviderTask carrying the outcome
(``ProviderTask.result``): the engine collects it in the same advance, and a worker that
crashed after submit returned resumes from the stored task without calling (and paying)
the provider a second time. ``poll`` hands the stored outcome back.

Image bytes returned by an API become ``data:`` URIs: the protocol speaks URLs, and the
engine ingests data: URIs like any other output URL (no second request to the provider,
no credential forwarded to anybody).
"""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

from PIL import Image, UnidentifiedImageError

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import (
    GenerationRequest,
    OutputMedia,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def sniff_content_type(content: bytes, declared: str | None = None) -> str:
    """The media type from the bytes themselves, else the declared header, else binary."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp":
        return "video/mp4"
    if declared:
        return declared.split(";", 1)[0].strip().lower()
    return "application/octet-stream"


def data_uri(content: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"


def decode_data_uri(uri: str) -> tuple[bytes, str]:
    """(bytes, media type) of a ``data:<type>;base64,<payload>`` URI."""
    header, _, payload = uri.partition(",")
    kind = header[5:].split(";", 1)[0] or "application/octet-stream"
    try:
        return base64.b64decode(payload, validate=True), kind
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "An input data: URI is not valid base64.",
            detail={"field": "inputs"},
        ) from exc


def image_output(provider: str, content: bytes, declared: str | None = None) -> OutputMedia:
    """An image answered as bytes, handed back as a data: URI with its real size."""
    kind = sniff_content_type(content, declared)
    if not kind.startswith("image/"):
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: expected an image, got {kind}.",
            detail={"provider": provider, "content_type": kind},
            retryable=True,
        )
    try:
        with Image.open(io.BytesIO(content)) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: the image the provider sent cannot be decoded.",
            detail={"provider": provider, "content_type": kind},
            retryable=True,
        ) from exc
    return OutputMedia(
        url=data_uri(content, kind),
        media_type=MediaKind.IMAGE,
        content_type=kind,
        width=width,
        height=height,
    )


def completed_task(
    provider: str,
    request: GenerationRequest,
    outputs: list[OutputMedia],
    *,
    task_id: str | None = None,
    **meta: Any,
) -> ProviderTask:
    """A ProviderTask that already carries its outcome (see the module docstring)."""
    if not outputs:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: the provider answered without an image.",
            detail={"provider": provider},
            retryable=True,
        )
    return ProviderTask(
        provider=provider,
        task_id=task_id or str(uuid.uuid4()),
        model=request.model,
        mode=request.mode,
        meta=meta,
        result=TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs),
    )


def stored_update(provider: str, task: ProviderTask) -> TaskUpdate:
    """The outcome kept by ``completed_task``; a task without one cannot be resumed."""
    if task.result is not None:
        return task.result
    raw = task.meta.get("outputs")  # tasks stored before ProviderTask.result existed
    if not raw:
        error = ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: this task carries no result (it was not made by submit).",
            detail={"provider": provider, "task_id": task.task_id},
            retryable=False,
        )
        return TaskUpdate(status=TaskStatus.FAILED, error=error.to_dict())
    outputs = [OutputMedia.model_validate(item) for item in raw]
    return TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs)


def check_params(provider: str, params: dict[str, Any], allowed: frozenset[str]) -> None:
    """Refuse parameters the provider's API does not take, naming them."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{provider}: unknown parameter(s) {', '.join(unknown)}.",
            detail={
                "provider": provider,
                "field": unknown[0],
                "unknown": unknown,
                "allowed": sorted(allowed),
            },
        )
