"""The Replicate models the emulator serves: required inputs, media inputs, output shape."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from starlette.requests import Request

from reelforge.emulators.base import EmulatorState, EmuTask
from reelforge.emulators.base.render import decode_image, encode_image, render_image, render_video
from reelforge.emulators.base.schema import Spec

# A real published version of nightmareai/real-esrgan (community model: version only).
REAL_ESRGAN_VERSION = "42fed1c4974146d4d2414e2be2c5277c7fcf05fcc3a73abf41610695738c1d7b"


@dataclass(frozen=True)
class ReplicateModel:
    kind: str  # "image" | "video" | "upscale"
    required: tuple[str, ...] = ("prompt",)
    media: tuple[str, ...] = ()  # inputs holding media URLs (fetched at create)
    official: bool = True  # official models take POST /v1/models/{owner}/{name}/predictions
    list_output: bool = False  # FLUX schnell/dev answer a list, most others one URL
    default_format: str = "webp"
    versions: tuple[str, ...] = field(default_factory=tuple)


MODELS: dict[str, ReplicateModel] = {
    "black-forest-labs/flux-schnell": ReplicateModel("image", list_output=True),
    "black-forest-labs/flux-dev": ReplicateModel("image", media=("image",), list_output=True),
    "black-forest-labs/flux-1.1-pro": ReplicateModel("image"),
    "black-forest-labs/flux-kontext-pro": ReplicateModel(
        "image", media=("input_image",), default_format="png"
    ),
    "minimax/hailuo-02": ReplicateModel("video", media=("first_frame_image",)),
    "minimax/video-01": ReplicateModel("video", media=("first_frame_image",)),
    "nightmareai/real-esrgan": ReplicateModel(
        "upscale",
        required=("image",),
        media=("image",),
        official=False,
        default_format="png",
        versions=(REAL_ESRGAN_VERSION,),
    ),
}


# Typed inputs from the models' published OpenAPI schemas (replicate.com/<model>/api/schema,
# as remembered: the FLUX schnell fields are well known; others are left unchecked rather
# than guessed). Replicate validates ``input`` against them before the prediction exists.
_FLUX_ASPECTS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
INPUTS: dict[str, dict[str, Spec]] = {
    "black-forest-labs/flux-schnell": {
        "prompt": Spec("string"),
        "aspect_ratio": Spec("string", enum=_FLUX_ASPECTS),
        "num_outputs": Spec("integer", minimum=1, maximum=4),
        "num_inference_steps": Spec("integer", minimum=1, maximum=4),
        "output_format": Spec("string", enum=("webp", "jpg", "png")),
        "output_quality": Spec("integer", minimum=0, maximum=100),
        "go_fast": Spec("boolean"),
        "disable_safety_checker": Spec("boolean"),
        "megapixels": Spec("string", enum=("1", "0.25")),
        "seed": Spec("integer"),
    },
}


def version_of(name: str) -> str:
    """The model's latest version id (a stable made-up one for official models)."""
    model = MODELS[name]
    if model.versions:
        return model.versions[0]
    return hashlib.sha256(name.encode()).hexdigest()


def model_for_version(version: str) -> str | None:
    for name in MODELS:
        if version == version_of(name) or version in MODELS[name].versions:
            return name
    return None


_ASPECTS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "3:2", "2:3"}


def render_output(state: EmulatorState, request: Request, task: EmuTask) -> Any:
    """The prediction's ``output`` (files render lazily; URLs are made once per task)."""
    if task.outputs:
        return task.outputs[0]["output"]
    model = MODELS[task.model]
    p = task.params
    seed = task.seed if task.seed is not None else int(task.id.encode().hex()[:8], 16)
    aspect = p.get("aspect_ratio") if p.get("aspect_ratio") in _ASPECTS else None
    output: Any
    if model.kind == "image":
        fmt = str(p.get("output_format") or model.default_format).lower()
        ext = "jpg" if fmt in ("jpg", "jpeg") else fmt
        source = next((task.inputs[m] for m in model.media if m in task.inputs), None)
        count = max(1, min(4, int(p.get("num_outputs") or 1))) if model.list_output else 1

        def render(i: int) -> Callable[[], bytes]:
            return lambda: render_image(
                task.prompt, seed + i, aspect_ratio=aspect or "1:1", fmt=ext, source=source
            )

        urls = [state.file_url(request, ext, render(i)) for i in range(count)]
        output = urls if model.list_output else urls[0]
    elif model.kind == "video":
        try:
            duration = float(p.get("duration") or 6)
        except (TypeError, ValueError):
            duration = 6.0
        source = task.inputs.get("first_frame_image")
        output = state.file_url(
            request,
            "mp4",
            lambda: render_video(
                task.prompt,
                seed,
                duration=duration,
                aspect_ratio=None if source else "16:9",
                source_image=source,
            ),
        )
    else:
        source = task.inputs["image"]
        scale = float(p.get("scale") or 4)

        def upscale() -> bytes:
            img = decode_image(source)
            factor = min(scale, 2048 / max(img.width, img.height))
            size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
            return encode_image(np.asarray(img.resize(size)), "PNG")

        output = state.file_url(request, "png", upscale)
    task.outputs.append({"output": output})
    return output
