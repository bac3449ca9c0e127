"""Input media for a ComfyUI template: which request input fills which media slot, read
(data: URI or URL) and checked by its bytes, then uploaded to the server's input folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import GenerationRequest, InputMedia
from reelforge.providers.comfyui.templates import MEDIA_SLOTS, REFERENCE_SLOTS, Template
from reelforge.providers.http import json_body, send
from reelforge.providers.immediate import decode_data_uri, sniff_content_type

PROVIDER = "comfyui"
Call = Callable[..., Awaitable[httpx.Response]]
_UPLOAD_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
}


async def upload_inputs(
    call: Call, client: httpx.AsyncClient, base: str, template: Template, request: GenerationRequest
) -> dict[str, str]:
    """Each media slot's input uploaded; slot → the name the server gave it."""
    if not template.media_slots:
        if request.inputs:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"comfyui: template {template.name} takes no input media.",
                detail={"provider": PROVIDER, "field": "inputs"},
            )
        return {}
    names: dict[str, str] = {}
    for slot, item in _chosen_inputs(template, request).items():
        names[slot] = await _upload(call, client, base, item.url, MEDIA_SLOTS[slot])
    return names


async def _upload(
    call: Call, client: httpx.AsyncClient, base: str, url: str, kind: MediaKind
) -> str:
    content, content_type = await _read_input(client, url, kind)
    ext = _UPLOAD_EXTENSIONS.get(content_type, "png" if kind is MediaKind.IMAGE else "mp4")
    # Content-addressed name: re-uploading the same file is harmless. ComfyUI takes
    # videos through /upload/image too (its own front end does the same).
    name = f"reelforge_{hashlib.sha256(content).hexdigest()[:20]}.{ext}"
    response = await call(
        "POST",
        f"{base}/upload/image",
        files={"image": (name, content, content_type)},
        data={"type": "input", "overwrite": "true"},
    )
    data = json_body(PROVIDER, response)
    uploaded = str(data.get("name") or name)
    sub = str(data.get("subfolder") or "")
    return f"{sub}/{uploaded}" if sub else uploaded


async def _read_input(client: httpx.AsyncClient, url: str, want: MediaKind) -> tuple[bytes, str]:
    if url.startswith("data:"):
        content, declared = decode_data_uri(url)
    else:
        response = await send(client, PROVIDER, "GET", url)
        if response.status_code >= 400:
            raise ReelForgeError(
                ErrorCode.FILE_NOT_FOUND,
                f"comfyui: the input {want.value} could not be read.",
                detail={"provider": PROVIDER, "status": response.status_code},
            )
        content, declared = response.content, response.headers.get("content-type", "")
    kind = sniff_content_type(content, declared)
    if not kind.startswith(f"{want.value}/"):
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            f"comfyui: the input is {kind}, not {'an' if want is MediaKind.IMAGE else 'a'} "
            f"{want.value}.",
            detail={"provider": PROVIDER, "field": "inputs"},
        )
    return content, kind


def _chosen_inputs(template: Template, request: GenerationRequest) -> dict[str, InputMedia]:
    """Which request input fills which media slot. ``reference`` takes the inputs in slot
    ``reference`` in order (or, in a template without an ``image`` slot, any image), up to
    as many as the template has reference slots."""
    chosen: dict[str, InputMedia] = {}
    slots = template.media_slots
    if "image" in slots:
        item = request.input_of(MediaKind.IMAGE, "image")
        if item is not None:
            chosen["image"] = item
    if "video" in slots:
        item = request.input_of(MediaKind.VIDEO, "video")
        if item is not None:
            chosen["video"] = item
    places = [s for s in REFERENCE_SLOTS if s in slots]
    if places:
        images = [i for i in request.inputs if i.kind is MediaKind.IMAGE]
        refs = [i for i in images if i.slot == "reference"]
        if not refs and "image" not in slots:
            refs = [i for i in images if i.slot in (None, "image")]
        if len(refs) > len(places):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"comfyui: template {template.name} takes at most {len(places)} reference "
                f"image(s), not {len(refs)}.",
                detail={"provider": "comfyui", "field": "reference", "max_items": len(places)},
            )
        chosen.update(zip(places, refs, strict=False))
    return chosen
