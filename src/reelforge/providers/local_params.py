"""Typed parameters of the local engine's models (``local/<op>``).

These models validate ``GenerationRequest.params``; ``catalog/data/local.json`` carries the
same fields as JSON Schema for the canvas, and a test keeps the two in agreement.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

QualityName = Literal["fast", "balanced", "best"]
_QUALITY: Any = Field(  # shared by every op that encodes video
    default="fast",
    title="Encode quality",
    description="fast = quick intermediate (large file); best = slow, small file.",
)


class LocalParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParams(LocalParams):
    pass


class ImageFormat(LocalParams):
    format: Literal["png", "jpg", "webp"] = Field(default="png", title="Image format")


class FrameParams(ImageFormat):
    time: float = Field(
        default=0.0, ge=0, le=14400, title="Time (s)", description="0 = first frame."
    )


class GradeParams(LocalParams):
    look: Literal["neutral", "warm", "cool", "cinematic"] = Field(default="cinematic", title="Look")
    strength: float = Field(default=1.0, ge=0, le=1, title="Strength")
    quality: QualityName = _QUALITY


class GrainParams(LocalParams):
    amount: float = Field(default=0.3, ge=0, le=1, title="Grain amount")
    size: float = Field(
        default=1.0, ge=1, le=4, title="Grain size", description="1 = fine, 4 = coarse."
    )
    quality: QualityName = _QUALITY


class FilmLookParams(LocalParams):
    look: Literal["none", "neutral", "warm", "cool", "cinematic"] = Field(
        default="cinematic", title="Look"
    )
    strength: float = Field(default=1.0, ge=0, le=1, title="Look strength")
    grain: float = Field(default=0.25, ge=0, le=1, title="Grain amount")
    grain_size: float = Field(default=1.0, ge=1, le=4, title="Grain size")
    tonemap: bool = Field(default=False, title="Reinhard tone mapping")
    sharpen: float = Field(default=0.0, ge=0, le=3, title="Sharpen")
    quality: QualityName = _QUALITY


class TonemapParams(LocalParams):
    exposure: float = Field(default=1.0, ge=0.1, le=8, title="Exposure")
    white: float = Field(default=2.0, ge=1, le=16, title="White point")
    quality: QualityName = _QUALITY


class SharpenParams(LocalParams):
    amount: float = Field(default=0.6, ge=0, le=3, title="Amount")
    quality: QualityName = _QUALITY


class UpscaleParams(LocalParams):
    scale: Literal[2, 4] = Field(default=2, title="Scale")
    engine: Literal["auto", "lanczos", "realesrgan"] = Field(
        default="auto",
        title="Engine",
        description="auto uses an installed realesrgan-ncnn-vulkan, else lanczos.",
    )
    quality: QualityName = _QUALITY


class DenoiseParams(LocalParams):
    strength: Literal["light", "medium", "strong", "ultra"] = Field(
        default="medium", title="Strength", description="ultra is non-local means: slow."
    )
    quality: QualityName = _QUALITY


class DeflickerParams(LocalParams):
    window: int = Field(default=5, ge=2, le=129, title="Window (frames)")
    quality: QualityName = _QUALITY


class InterpolateParams(LocalParams):
    fps: float = Field(default=60.0, ge=1, le=240, title="Target fps")
    mode: Literal["mci", "blend"] = Field(
        default="mci", title="Mode", description="mci = motion compensated (slow), blend = fast."
    )
    quality: QualityName = _QUALITY


class ExtendParams(LocalParams):
    duration: float = Field(ge=0.1, le=3600, title="Duration (s)", description="Timeline duration.")
    strategy: Literal["hold_last_frame", "loop", "slow_motion"] = Field(
        default="hold_last_frame",
        title="Extend strategy",
        description="How a shorter clip reaches the duration; longer clips are trimmed.",
    )
    quality: QualityName = _QUALITY


class ConcatParams(LocalParams):
    quality: QualityName = _QUALITY


class MuxParams(LocalParams):
    mode: Literal["replace", "mix"] = Field(default="replace", title="Mode")
    volume: float = Field(default=1.0, ge=0, le=4, title="Track volume")
    normalize: bool = Field(default=True, title="Normalise the track's loudness")
    target: float = Field(default=-16.0, ge=-40, le=-5, title="Loudness target (LUFS)")


class LoudnormParams(LocalParams):
    target: float = Field(default=-16.0, ge=-40, le=-5, title="Integrated loudness (LUFS)")
    true_peak: float = Field(default=-1.5, ge=-9, le=0, title="True peak (dBTP)")
    lra: float = Field(default=11.0, ge=1, le=20, title="Loudness range (LU)")


class StoryboardParams(LocalParams):
    captions: str = Field(
        default="", title="Captions", description="One caption per line, in order."
    )
    columns: int = Field(default=0, ge=0, le=16, title="Columns", description="0 = about square.")
    cell_width: int = Field(default=480, ge=64, le=2048, title="Panel width (px)")


class ExportParams(LocalParams):
    preset: Literal["vertical", "square", "landscape"] = Field(
        default="vertical",
        title="Platform format",
        description="vertical 9:16 1080x1920, square 1:1 1080x1080, landscape 16:9 1920x1080.",
    )
    fit: Literal["crop", "pad", "blur"] = Field(default="crop", title="Fit")
    crf: int = Field(default=20, ge=14, le=32, title="CRF", description="Lower = better, bigger.")


class TtsParams(LocalParams):
    voice: str = Field(default="en_US-joe-medium", title="Voice")
    speed: float = Field(default=1.0, ge=0.5, le=2, title="Speed")
    pause: float = Field(default=0.3, ge=0, le=2, title="Pause between sentences (s)")
