"""Runware task handling: validation, emulated tasks keyed by the client's taskUUID, and
result items (``imageURL``/``videoURL``, ``cost``, ``seed``, ``NSFWContent``)."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from PIL import Image
from starlette.requests import Request

from reelforge.emulators.base import EmulatorState, EmuTask
from reelforge.emulators.base.render import decode_image, render_image, render_video, size_for

GENERATION_TYPES = ("imageInference", "imageUpscale", "videoInference")
# Emulated charges per item (USD), reported when includeCost is true.
COSTS = {"imageInference": "0.0013", "imageUpscale": "0.002", "videoInference": "0.14"}
_FORMATS = {"PNG": "png", "JPG": "jpg", "JPEG": "jpg", "WEBP": "webp", "MP4": "mp4"}


class TaskError(Exception):
    """One task's entry in the ``errors`` array."""

    def __init__(self, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.parameter = code, message, parameter

    def item(self, task: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "taskType": task.get("taskType"),
            "taskUUID": task.get("taskUUID"),
        }
        if self.parameter:
            entry["parameter"] = self.parameter
        return entry


def _invalid(parameter: str, why: str) -> TaskError:
    code = "invalid" + parameter[0].upper() + parameter[1:]
    return TaskError(code, f"Invalid value for {parameter} parameter. {why}", parameter)


def check_uuid(task: dict[str, Any]) -> str:
    try:
        return str(uuid.UUID(str(task.get("taskUUID"))))
    except ValueError as exc:
        raise _invalid("taskUUID", "It must be a UUID string.") from exc


def _dimension(task: dict[str, Any], name: str, default: int | None) -> int | None:
    """Image sizes are multiples of 64 in 128..2048; video sizes are model-specific
    (Hailuo 02 is 1366x768), so for video any positive size up to 4096 passes."""
    value = task.get(name, default)
    if value is None:
        return None
    if task.get("taskType") == "videoInference":
        if not isinstance(value, int) or not 1 <= value <= 4096:
            raise _invalid(name, "It must be a positive integer.")
        return value
    if not isinstance(value, int) or not 128 <= value <= 2048 or value % 64:
        raise _invalid(name, "It must be an integer multiple of 64 between 128 and 2048.")
    return value


AIR = re.compile(r"[a-z0-9_-]+:[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+")
# Reference §Runware (outputType, outputFormat, deliveryMethod; booleans includeCost and
# checkNSFW). Runware's docs name each enum; a value outside it is its "invalid<Field>".
OUTPUT_TYPES = ("URL", "dataURI", "base64Data")
IMAGE_FORMATS = ("JPG", "PNG", "WEBP", "SVG")
VIDEO_FORMATS = ("MP4", "WEBM")


def _output_fields(task: dict[str, Any], kind: Any) -> None:
    if "outputType" in task and task["outputType"] not in OUTPUT_TYPES:
        raise _invalid("outputType", f"It must be one of: {', '.join(OUTPUT_TYPES)}.")
    formats = VIDEO_FORMATS if kind == "videoInference" else IMAGE_FORMATS
    fmt = task.get("outputFormat")
    if "outputFormat" in task and not (isinstance(fmt, str) and fmt.upper() in formats):
        raise _invalid("outputFormat", f"It must be one of: {', '.join(formats)}.")
    if "deliveryMethod" in task and task["deliveryMethod"] not in ("sync", "async"):
        raise _invalid("deliveryMethod", "It must be one of: sync, async.")
    for flag in ("includeCost", "checkNSFW"):
        if flag in task and not isinstance(task[flag], bool):
            raise _invalid(flag, "It must be a boolean.")
    steps = task.get("steps")
    if "steps" in task and (isinstance(steps, bool) or not isinstance(steps, int)
                            or not 1 <= steps <= 100):  # fmt: skip
        raise _invalid("steps", "It must be an integer between 1 and 100.")


def validate(task: dict[str, Any]) -> dict[str, Any]:
    """The task's checked parameters, or a TaskError naming the first bad one."""
    kind = task.get("taskType")
    if kind == "imageUpscale":
        if not task.get("inputImage"):
            raise _invalid("inputImage", "An input image is required.")
        factor = task.get("upscaleFactor", 2)
        if not isinstance(factor, int) or not 2 <= factor <= 4:
            raise _invalid("upscaleFactor", "It must be an integer between 2 and 4.")
        return {"factor": factor}
    _output_fields(task, kind)
    model = task.get("model")
    if not model:
        raise _invalid("model", "A model AIR identifier is required.")
    if not isinstance(model, str) or not AIR.fullmatch(model):
        # AIR identifiers are "source:id@version" (runware:100@1, civitai:4384@128713).
        raise _invalid("model", "It must be an AIR identifier such as runware:100@1.")
    prompt = task.get("positivePrompt")
    frames = task.get("frameImages") or []
    if not (isinstance(prompt, str) and 2 <= len(prompt) <= 3000) and not (
        kind == "videoInference" and frames
    ):
        raise _invalid("positivePrompt", "It must be a string of 2 to 3000 characters.")
    count = task.get("numberResults", 1)
    if not isinstance(count, int) or not 1 <= count <= 20:
        raise _invalid("numberResults", "It must be an integer between 1 and 20.")
    if kind == "imageInference":
        return {
            "width": _dimension(task, "width", None),
            "height": _dimension(task, "height", None),
            "count": count,
        }
    duration = task.get("duration", 5)
    if not isinstance(duration, int | float) or not 1 <= duration <= 20:
        raise _invalid("duration", "It must be a number of seconds between 1 and 20.")
    return {
        "width": _dimension(task, "width", None),
        "height": _dimension(task, "height", None),
        "count": count,
        "duration": float(duration),
    }


def media_refs(task: dict[str, Any]) -> dict[str, str]:
    """Input media by role: the upscale input, the img2img seed, the first video frame."""
    refs: dict[str, str] = {}
    if task.get("inputImage"):
        refs["source"] = str(task["inputImage"])
    if task.get("seedImage"):
        refs["source"] = str(task["seedImage"])
    for frame in task.get("frameImages") or []:
        ref = frame.get("inputImage") if isinstance(frame, dict) else frame
        where = frame.get("frame", "first") if isinstance(frame, dict) else "first"
        if ref and where in ("first", 0):
            refs["source"] = str(ref)
    return refs


def _upscale(source: bytes, factor: int, fmt: str) -> bytes:
    img = decode_image(source)
    scale = min(factor, 2048 / max(img.width, img.height))
    out = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    buf = io.BytesIO()
    out.save(buf, format="JPEG" if fmt == "jpg" else fmt.upper())
    return buf.getvalue()


def _black(size: tuple[int, int], fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size).save(buf, format="JPEG" if fmt == "jpg" else fmt.upper())
    return buf.getvalue()


def result_items(state: EmulatorState, request: Request, task: EmuTask) -> list[dict[str, Any]]:
    """The finished task's items (made once, so URLs stay stable across getResponse calls)."""
    if task.outputs:
        return task.outputs
    raw, checked = task.params["raw"], task.params["checked"]
    kind = raw["taskType"]
    fmt = _FORMATS.get(
        str(raw.get("outputFormat") or "").upper(), "mp4" if kind == "videoInference" else "png"
    )
    seed = task.seed if task.seed is not None else int(task.id.replace("-", "")[:7], 16)
    source = task.inputs.get("source")
    flagged = bool(task.failure and task.failure[0] == "moderation")
    common: dict[str, Any] = {"taskType": kind, "taskUUID": task.id, "status": "success"}
    if raw.get("includeCost"):
        common["cost"] = float(COSTS[kind])
    items: list[dict[str, Any]] = []
    if kind == "imageUpscale":
        url = state.file_url(request, fmt, lambda: _upscale(source or b"", checked["factor"], fmt))
        items.append({**common, "imageUUID": str(uuid.uuid4()), "imageURL": url})
    elif kind == "imageInference":
        w, h = checked["width"] or 1024, checked["height"] or 1024
        size = size_for(None, w, h)
        for i in range(checked["count"]):

            def render(i: int = i) -> bytes:
                if flagged:  # checkNSFW answers a black image and flags it
                    return _black(size, fmt)
                return render_image(
                    task.prompt, seed + i, width=size[0], height=size[1], fmt=fmt, source=source
                )

            items.append(
                {
                    **common,
                    "imageUUID": str(uuid.uuid4()),
                    "imageURL": state.file_url(request, fmt, render),
                    "seed": seed + i,
                    "NSFWContent": flagged,
                }
            )
    else:
        w, h = checked["width"], checked["height"]
        aspect = None if (w and h) or source else "16:9"
        url = state.file_url(
            request,
            "mp4",
            lambda: render_video(
                task.prompt,
                seed,
                duration=checked["duration"],
                aspect_ratio=aspect,
                width=w,
                height=h,
                source_image=source,
            ),
        )
        items.append({**common, "videoUUID": str(uuid.uuid4()), "videoURL": url, "seed": seed})
    task.outputs.extend(items)
    return items


def answer_for(
    state: EmulatorState, request: Request, task: EmuTask
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(data, errors) describing the task now, as getResponse reports it."""
    current, _ = task.state()
    kind = task.params["raw"]["taskType"]
    if current in ("queued", "running"):
        return [{"taskType": kind, "taskUUID": task.id, "status": "processing"}], []
    if current == "failed" and task.failure is not None:
        fault, message = task.failure
        if fault == "moderation" and kind == "imageInference":
            return result_items(state, request, task), []
        code = "contentModerated" if fault == "moderation" else "inferenceError"
        if fault == "moderation":
            message = "The request was flagged as NSFW by content moderation."
        return [], [{"code": code, "message": message, "taskType": kind, "taskUUID": task.id}]
    return result_items(state, request, task), []
