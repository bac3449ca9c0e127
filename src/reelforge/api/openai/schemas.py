"""Request bodies of the OpenAI surface, field for field as the ``openai`` package sends
them (``types/image_generate_params.py``, ``types/audio/speech_create_params.py``).
Unknown fields are refused (400), as everywhere in ReelForge; OpenAI fields a model has
no use for are accepted and named in ``x-reelforge-ignored``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reelforge.api.schemas import RequestModel

# Fields of OpenAI's image calls that steer GPT-image specifics ReelForge models lack.
IMAGE_EXTRAS = (
    "background",
    "moderation",
    "output_compression",
    "output_format",
    "partial_images",
    "style",
    "complexity",
    "frame_count",
    "frame_duration_ms",
    "svg",
    "input_fidelity",
)


class ReelForgeExtras(RequestModel):
    """Sent with the SDK's ``extra_body``: what only ReelForge has."""

    params: dict[str, Any] = Field(default_factory=dict, description="The model's own params.")
    fallbacks: list[str] = Field(default_factory=list, max_length=10)
    max_micros: int | None = Field(default=None, ge=0)
    seed: int | None = None
    negative_prompt: str | None = None


class ImageGenerationIn(RequestModel):
    prompt: str = Field(max_length=32000)
    model: str | None = None
    n: int | None = Field(default=None, ge=1, le=10)
    size: str | None = None
    quality: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    user: str | None = None
    safety_identifier: str | None = None
    stream: bool | None = None
    background: str | None = None
    moderation: str | None = None
    output_compression: int | None = None
    output_format: str | None = None
    partial_images: int | None = None
    style: str | None = None
    complexity: str | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    svg: dict[str, Any] | None = None
    reelforge: ReelForgeExtras = Field(default_factory=ReelForgeExtras)


class SpeechIn(RequestModel):
    model: str
    input: str = Field(min_length=1, max_length=4096)
    voice: str | dict[str, Any] | None = None
    instructions: str | None = None
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None = None
    speed: float | None = Field(default=None, ge=0.25, le=4.0)
    stream_format: Literal["sse", "audio"] | None = None
    reelforge: ReelForgeExtras = Field(default_factory=ReelForgeExtras)


def given_extras(body: RequestModel, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if getattr(body, n, None) is not None]
