"""The fal endpoints the emulator serves, what each requires, and the result JSON it makes.

Results follow the models' published output schemas: FLUX ``{images: [File], seed,
has_nsfw_concepts, prompt, timings}``, video models ``{video: File[, seed]}``, upscalers
``{image: File}``, where File is ``{url, content_type, file_name, width?, height?}``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from starlette.requests import Request

from reelforge.emulators.base import EmulatorState, EmuTask
from reelforge.emulators.base.render import decode_image, render_image, render_video, size_for
from reelforge.emulators.base.schema import Spec

# FLUX ``image_size`` presets (fal docs): name → (width, height).
IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}

# FLUX [dev]/[schnell] inputs (fal's model pages' input schemas; the apps parse them with
# pydantic, whose default mode turns "28" into 28 but no number into a string). image_size
# may also be an object {width, height}: only its preset form is checked here.
_FLUX_COMMON = {
    "prompt": Spec("string"),
    "num_images": Spec("integer", minimum=1, maximum=4),
    "output_format": Spec("string", enum=("jpeg", "png")),
    "enable_safety_checker": Spec("boolean"),
    "sync_mode": Spec("boolean"),
    "seed": Spec("integer", nullable=True),
    "acceleration": Spec("string", enum=("none", "regular", "high")),
}
INPUTS: dict[str, dict[str, Spec]] = {
    "fal-ai/flux/dev": {
        **_FLUX_COMMON,
        "num_inference_steps": Spec("integer", minimum=1, maximum=50),
        "guidance_scale": Spec("number", minimum=1, maximum=20),
    },
    "fal-ai/flux/schnell": {
        **_FLUX_COMMON,
        "num_inference_steps": Spec("integer", minimum=1, maximum=12),
    },
}


def image_size_problem(body: dict[str, Any]) -> str | None:
    """fal's message for an image_size that is neither a preset nor {width, height}."""
    value = body.get("image_size")
    if value is None or value in IMAGE_SIZES:
        return None
    if isinstance(value, dict) and all(
        isinstance(value.get(k), int) and not isinstance(value.get(k), bool)
        for k in ("width", "height")
    ):
        return None
    options = ", ".join(f"'{name}'" for name in IMAGE_SIZES)
    return f"Input should be {options} or an object with width and height"


@dataclass(frozen=True)
class FalModel:
    kind: str  # "image" | "video" | "upscale"
    required: tuple[str, ...]
    # Input fields holding media URLs that the model downloads (fetched at submit).
    media: tuple[str, ...] = ()
    default_upscale: float = 2.0
    upscale_field: str = "scale"


MODELS: dict[str, FalModel] = {
    "fal-ai/flux/dev": FalModel("image", ("prompt",)),
    "fal-ai/flux/schnell": FalModel("image", ("prompt",)),
    "fal-ai/flux-pro/v1.1": FalModel("image", ("prompt",)),
    "fal-ai/flux-pro/v1.1-ultra": FalModel("image", ("prompt",)),
    "fal-ai/flux/dev/image-to-image": FalModel("image", ("prompt", "image_url"), ("image_url",)),
    "fal-ai/minimax/hailuo-02/standard/text-to-video": FalModel("video", ("prompt",)),
    "fal-ai/minimax/hailuo-02/standard/image-to-video": FalModel(
        "video", ("prompt", "image_url"), ("image_url", "end_image_url")
    ),
    "fal-ai/wan-t2v": FalModel("video", ("prompt",)),
    "fal-ai/wan-i2v": FalModel("video", ("prompt", "image_url"), ("image_url",)),
    "fal-ai/esrgan": FalModel("upscale", ("image_url",), ("image_url",), 2.0, "scale"),
    "fal-ai/clarity-upscaler": FalModel(
        "upscale", ("image_url",), ("image_url",), 2.0, "upscale_factor"
    ),
    "fal-ai/aura-sr": FalModel("upscale", ("image_url",), ("image_url",), 4.0, "upscaling_factor"),
}


def missing_fields(model: FalModel, body: dict[str, Any]) -> list[str]:
    return [name for name in model.required if not body.get(name)]


def _image_size(value: Any) -> tuple[int, int]:
    if isinstance(value, dict):
        try:
            return int(value["width"]), int(value["height"])
        except (KeyError, TypeError, ValueError):
            pass
    if isinstance(value, str) and value in IMAGE_SIZES:
        return IMAGE_SIZES[value]
    return IMAGE_SIZES["landscape_4_3"]


def _file(url: str, ctype: str, name: str, size: tuple[int, int] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"url": url, "content_type": ctype, "file_name": name}
    if size is not None:
        item["width"], item["height"] = size
    return item


def _video_duration(params: dict[str, Any]) -> float:
    if params.get("duration") is not None:  # Hailuo: "6" | "10"
        try:
            return float(str(params["duration"]).rstrip("s"))
        except ValueError:
            return 6.0
    frames = params.get("num_frames")  # Wan: frames at frames_per_second
    if frames is not None:
        fps = float(params.get("frames_per_second") or 16)
        return max(0.5, float(frames) / fps)
    return 5.0


def _upscaled(source: bytes, factor: float, black: bool) -> Callable[[], bytes]:
    def render() -> bytes:
        img = decode_image(source)
        # Keep emulated files small: the factor is applied, capped at 2048 px a side.
        scale = min(factor, 2048 / max(img.width, img.height))
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        out = Image.new("RGB", size) if black else img.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        out.save(buf, format="PNG")
        return buf.getvalue()

    return render


def build_result(
    state: EmulatorState, request: Request, task: EmuTask, model: FalModel
) -> dict[str, Any]:
    """The model's output JSON (rendered files stay lazy; URLs are made once per task)."""
    if task.outputs:
        return task.outputs[0]
    p = task.params
    seed = task.seed if task.seed is not None else int(task.id.replace("-", "")[:8], 16)
    flagged = bool(task.failure and task.failure[0] == "moderation")
    result: dict[str, Any]
    if model.kind == "image":
        count = max(1, min(4, int(p.get("num_images") or 1)))
        ext = "png" if p.get("output_format") == "png" else "jpg"
        ctype = "image/png" if ext == "png" else "image/jpeg"
        aspect = p.get("aspect_ratio")
        if isinstance(aspect, str):  # FLUX ultra takes an aspect ratio, the others a size
            size = size_for(aspect)
        else:
            size = size_for(None, *_image_size(p.get("image_size")))
        source = task.inputs.get("image_url")
        images = []
        for i in range(count):
            prompt = "" if flagged else task.prompt

            def render(i: int = i, prompt: str = prompt) -> bytes:
                if flagged:  # FLUX's safety checker answers a black image
                    buf = io.BytesIO()
                    Image.new("RGB", size).save(buf, format=ext.replace("jpg", "JPEG").upper())
                    return buf.getvalue()
                return render_image(
                    prompt, seed + i, width=size[0], height=size[1], fmt=ext, source=source
                )

            url = state.file_url(request, ext, render)
            images.append(_file(url, ctype, f"{task.id[:8]}-{i}.{ext}", size))
        result = {
            "images": images,
            "timings": {"inference": round(task.run_seconds, 3)},
            "seed": seed,
            "has_nsfw_concepts": [flagged] * count,
            "prompt": task.prompt,
        }
    elif model.kind == "video":
        duration = _video_duration(p)
        aspect = p.get("aspect_ratio") if isinstance(p.get("aspect_ratio"), str) else None
        source = task.inputs.get("image_url")
        if aspect == "auto":
            aspect = None
        url = state.file_url(
            request,
            "mp4",
            lambda: render_video(
                task.prompt,
                seed,
                duration=duration,
                aspect_ratio=aspect or (None if source else "16:9"),
                source_image=source,
            ),
        )
        result = {"video": _file(url, "video/mp4", "output.mp4"), "seed": seed}
    else:
        factor = float(p.get(model.upscale_field) or model.default_upscale)
        source = task.inputs["image_url"]
        url = state.file_url(request, "png", _upscaled(source, factor, flagged))
        img = decode_image(source)
        scale = min(factor, 2048 / max(img.width, img.height))
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        result = {"image": _file(url, "image/png", "upscaled.png", size), "seed": seed}
    task.outputs.append(result)
    return result
