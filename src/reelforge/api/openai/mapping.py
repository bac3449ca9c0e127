"""OpenAI request fields → a model's own parameters, and our runs → OpenAI objects.

``size`` ("1024x1536") becomes the model's width/height, its nearest aspect ratio or
preset; ``n`` its count parameter (or n nodes of one run); ``quality`` our levels. What
a model has no parameter for is left out and said in ``x-reelforge-ignored``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError

_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
COUNT_KEYS = ("n", "num_images", "num_outputs", "numberResults", "batch_size")
_RATIO_KEYS = ("aspect_ratio", "ratio")
# fal's preset names, by their pixel size.
_PRESETS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


def parse_size(size: str | None) -> tuple[int, int] | None:
    if size is None or size == "auto":
        return None
    match = _SIZE.match(size.strip())
    if not match or not (16 <= int(match.group(1)) <= 8192 and 16 <= int(match.group(2)) <= 8192):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Invalid size {size!r}: give WIDTHxHEIGHT (e.g. 1024x1024) or 'auto'.",
            detail={"param": "size", "invalid_fields": [{"field": "size", "problem": "format"}]},
        )
    return int(match.group(1)), int(match.group(2))


def _ratio(value: str) -> float | None:
    parts = re.split(r"[:x]", value)
    try:
        return float(parts[0]) / float(parts[1]) if len(parts) == 2 else None
    except (ValueError, ZeroDivisionError):
        return None


def _nearest(options: list[str], want: float, measure: Any) -> str | None:
    scored = [(abs(m - want), o) for o in options if (m := measure(o)) is not None]
    return min(scored)[1] if scored else None


def size_params(entry: ModelEntry, size: tuple[int, int], ignored: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = entry.params_schema.get("properties", {})
    width, height = size
    if "width" in props and "height" in props:
        return {"width": width, "height": height}
    if "width_and_height" in props:
        return {"width_and_height": f"{width}x{height}"}
    want = width / height
    for key in _RATIO_KEYS:
        if key in props:
            options = list(props[key].get("enum") or entry.limits.aspect_ratios)
            chosen = _nearest(options, want, _ratio)
            if chosen is not None:
                return {key: chosen}
    if "image_size" in props:
        presets = [p for p in props["image_size"].get("enum") or [] if p in _PRESETS]
        chosen = _nearest(presets, want, lambda p: _PRESETS[p][0] / _PRESETS[p][1])
        if chosen is not None:
            return {"image_size": chosen}
    ignored.append("size")
    return {}


def count_param(entry: ModelEntry, n: int) -> tuple[dict[str, Any], int]:
    """(params, nodes): the model's own count parameter when its range allows n, else n
    one-image nodes in one run."""
    props: dict[str, Any] = entry.params_schema.get("properties", {})
    for key in COUNT_KEYS:
        if key in props and n <= int(props[key].get("maximum", n)):
            return ({key: n} if n > 1 else {}), 1
    return {}, n


def quality_params(entry: ModelEntry, quality: str | None, ignored: list[str]) -> dict[str, Any]:
    """OpenAI's levels → the model's own quality knob where it has one (Kling's std/pro,
    a ``quality`` enum), else left to the model's default."""
    if quality in (None, "auto"):
        return {}
    high = quality in ("high", "hd", "xhigh", "max")
    props: dict[str, Any] = entry.params_schema.get("properties", {})
    for key in ("quality", "mode"):
        options = [str(o) for o in props.get(key, {}).get("enum") or []]
        for pick in ("pro", "high", "hd") if high else ("standard", "std", "medium", "low"):
            if pick in options:
                return {key: pick}
    ignored.append("quality")
    return {}


def unix(value: datetime | str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return int(value.timestamp())


_VIDEO_STATUS = {
    "queued": "queued",
    "running": "in_progress",
    "canceling": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}


VIDEO_NAME = "openai.video"


def video_name(size: str, seconds: str) -> str:
    """The pipeline name a video run is stored with: what was asked, for ``Video.size``."""
    return f"{VIDEO_NAME} {size} {seconds}"


def video_meta(name: str) -> dict[str, str]:
    parts = name.split()
    if len(parts) == 3 and parts[0] == VIDEO_NAME:
        return {"size": parts[1], "seconds": parts[2]}
    return {}


def video_object(run: dict[str, Any], node: dict[str, Any], meta: dict[str, str]) -> dict[str, Any]:
    """A run of one video node as the SDK's ``Video``: status and progress from the
    durable run, the size and seconds it was asked for."""
    steps = [s for s in run["steps"] if not s["implicit"]] or run["steps"]
    step = steps[0] if steps else {}
    status = _VIDEO_STATUS.get(run["status"], "in_progress")
    progress = step.get("progress") or 0.0
    percent = 100 if status == "completed" else int(min(99, max(0, progress * 100)))
    params = node.get("params") or {}
    error = run.get("error")
    if status == "failed" and not error:
        error = step.get("error") or {"code": "CANCELED", "message": "The run was canceled."}
    return {
        "id": run["id"],
        "object": "video",
        "created_at": unix(run["created_at"]),
        "completed_at": unix(run["finished_at"]) if status == "completed" else None,
        "expires_at": None,
        "model": step.get("served_by") or node.get("model") or step.get("model") or "",
        "progress": percent,
        "prompt": node.get("prompt"),
        "remixed_from_video_id": None,
        "seconds": str(meta.get("seconds") or params.get("duration") or ""),
        "size": str(meta.get("size") or ""),
        "status": status,
        "error": (
            {"code": str(error.get("code", "PROVIDER_ERROR")), "message": error.get("message", "")}
            if status == "failed" and isinstance(error, dict)
            else None
        ),
        "cost_micros": run.get("cost_micros"),
        "sandbox": run.get("sandbox"),
    }
