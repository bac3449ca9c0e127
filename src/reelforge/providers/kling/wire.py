"""Kling wire format: which endpoint serves a request, its JSON body, and the task result.

Endpoints (reference §2): text2video, image2video, images/generations, the talking avatar
(avatar/image2video) and the legacy lip-sync. Media fields take a URL or **raw** base64
(no ``data:`` prefix), so data URIs are unwrapped here.
"""

from __future__ import annotations

from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.base import GenerationRequest, OutputMedia

TEXT2VIDEO = "/v1/videos/text2video"
IMAGE2VIDEO = "/v1/videos/image2video"
IMAGES = "/v1/images/generations"
AVATAR = "/v1/videos/avatar/image2video"
LIPSYNC = "/v1/videos/lip-sync"

PATH_FOR_MODE: dict[Mode, str] = {
    Mode.T2V: TEXT2VIDEO,
    Mode.I2V: IMAGE2VIDEO,
    Mode.T2I: IMAGES,
    Mode.I2I: IMAGES,
    Mode.AVATAR: AVATAR,
    Mode.LIPSYNC: LIPSYNC,
}

# Params passed through per endpoint (our param names are Kling's own field names).
_PASS: dict[str, tuple[str, ...]] = {
    TEXT2VIDEO: ("cfg_scale", "mode", "aspect_ratio", "duration", "sound", "camera_control",
                 "watermark_info"),
    IMAGE2VIDEO: ("cfg_scale", "mode", "duration", "sound", "voice_list", "camera_control",
                  "static_mask", "dynamic_masks", "watermark_info"),
    IMAGES: ("image_reference", "image_fidelity", "human_fidelity", "resolution", "n",
             "aspect_ratio", "watermark_info"),
    AVATAR: ("mode", "audio_id", "watermark_info"),
}  # fmt: skip
_LIPSYNC_PASS = ("video_id", "voice_id", "voice_language", "voice_speed")

# Kling's field name → ours (slots and params), for naming the field in errors.
OUR_FIELD = {
    "image": "image",
    "image_tail": "end_image",
    "sound_file": "audio",
    "audio_file": "audio",
    "audio_url": "audio",
    "video_url": "video",
    "model_name": "model",
    "text": "prompt",
}


def media_value(url: str) -> str:
    """A URL as is; a data: URI as the raw base64 Kling asks for."""
    if url.startswith("data:"):
        return url.partition(",")[2]
    return url


def _need(request: GenerationRequest, kind: MediaKind, slot: str) -> str:
    item = request.input_of(kind, slot)
    if item is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"kling: this model needs an input {slot}.",
            detail={"provider": "kling", "field": slot},
        )
    return item.url


def build(request: GenerationRequest) -> tuple[str, dict[str, Any]]:
    """(path, body) for a request."""
    path = PATH_FOR_MODE.get(request.mode)
    if path is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"kling does not support mode {request.mode}.",
            detail={"provider": "kling", "field": "mode"},
        )
    params = request.params
    body: dict[str, Any]
    if path == LIPSYNC:
        body = {"input": _lipsync_input(request)}
    else:
        body = {k: params[k] for k in _PASS[path] if k in params}
        if path != AVATAR:
            body["model_name"] = request.model
        if request.prompt:
            body["prompt"] = request.prompt
        if request.negative_prompt and path in (TEXT2VIDEO, IMAGE2VIDEO, IMAGES):
            body["negative_prompt"] = request.negative_prompt
        if "duration" in body:
            body["duration"] = str(body["duration"])  # Kling takes "5" / "10" as strings
    if path == IMAGE2VIDEO:
        images = [i for i in request.inputs if i.kind is MediaKind.IMAGE]
        first = next((i for i in images if i.slot in (None, "image")), None)
        last = next((i for i in images if i.slot == "end_image"), None)
        if first is not None:
            body["image"] = media_value(first.url)
        if last is not None:
            body["image_tail"] = media_value(last.url)
        if "image" not in body and "image_tail" not in body:
            _need(request, MediaKind.IMAGE, "image")
    elif path == IMAGES:
        image = request.input_of(MediaKind.IMAGE)
        if request.mode is Mode.I2I and image is None:
            _need(request, MediaKind.IMAGE, "image")
        if image is not None:
            body["image"] = media_value(image.url)
            body.pop("negative_prompt", None)  # not allowed together with an image
    elif path == AVATAR:
        body["image"] = media_value(_need(request, MediaKind.IMAGE, "image"))
        if "audio_id" not in body:
            body["sound_file"] = media_value(_need(request, MediaKind.AUDIO, "audio"))
    if request.callback_url:
        body["callback_url"] = request.callback_url
    if request.idempotency_key and path != LIPSYNC:
        body["external_task_id"] = request.idempotency_key
    return path, body


def _lipsync_input(request: GenerationRequest) -> dict[str, Any]:
    params = request.params
    data: dict[str, Any] = {k: params[k] for k in _LIPSYNC_PASS if k in params}
    if "video_id" not in data:
        video = _need(request, MediaKind.VIDEO, "video")
        if video.startswith("data:"):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "kling: lip-sync takes the video by URL (or a Kling video_id), not inline data.",
                detail={"provider": "kling", "field": "video"},
            )
        data["video_url"] = video
    audio = request.input_of(MediaKind.AUDIO)
    if audio is not None:
        data["mode"] = "audio2video"
        if audio.url.startswith("data:"):
            data["audio_type"], data["audio_file"] = "file", media_value(audio.url)
        else:
            data["audio_type"], data["audio_url"] = "url", audio.url
    else:
        # Without audio, Kling speaks the prompt text with one of its voices.
        if not request.prompt or "voice_id" not in data:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "kling: lip-sync needs an audio input, or a prompt and a voice_id to speak it.",
                detail={"provider": "kling", "field": "audio"},
            )
        data["mode"] = "text2video"
        data["text"] = request.prompt
    return data


def outputs(result: Any) -> list[OutputMedia]:
    """OutputMedia from ``data.task_result`` (videos and/or images)."""
    found: list[OutputMedia] = []
    if not isinstance(result, dict):
        return found
    for video in result.get("videos") or []:
        if isinstance(video, dict) and video.get("url"):
            duration = _float(video.get("duration"))
            found.append(
                OutputMedia(
                    url=video["url"],
                    media_type=MediaKind.VIDEO,
                    content_type="video/mp4",
                    duration_seconds=duration,
                )
            )
    for image in result.get("images") or []:
        if isinstance(image, dict) and image.get("url"):
            found.append(OutputMedia(url=image["url"], media_type=MediaKind.IMAGE))
    return found


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
