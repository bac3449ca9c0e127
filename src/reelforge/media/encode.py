"""Encoder settings: one place that says how we write video, images and audio."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from reelforge.media.probe import MediaInfo
from reelforge.media.values import choice

# Audio codecs an MP4 can carry as they are (copying is lossless and costs nothing).
_MP4_AUDIO = {"aac", "mp3", "alac", "opus", "ac3", "eac3"}


class Quality(StrEnum):
    """Intermediate encodes trade file size for speed; the export step encodes for delivery."""

    FAST = "fast"
    BALANCED = "balanced"
    BEST = "best"


_X264: dict[Quality, tuple[str, str]] = {
    # (preset, crf). FAST is for intermediates that a later export re-encodes: lower
    # CRFs cost much more time on grainy frames (noise is expensive to keep).
    Quality.FAST: ("ultrafast", "21"),
    Quality.BALANCED: ("veryfast", "18"),
    Quality.BEST: ("slow", "16"),
}


def video_args(quality: Quality | str = Quality.FAST) -> list[str]:
    preset, crf = _X264[choice(Quality, quality, "quality")]
    return ["-c:v", "libx264", "-preset", preset, "-crf", crf, "-pix_fmt", "yuv420p"]


def audio_args(info: MediaInfo, dst: Path) -> list[str]:
    """Keep the source's audio (copied when the container allows it), or none."""
    if not info.has_audio:
        return ["-an"]
    if dst.suffix.lower() in (".mp4", ".m4v", ".mov") and info.audio_codec in _MP4_AUDIO:
        return ["-c:a", "copy"]
    return ["-c:a", "aac", "-b:a", "192k"]


def image_args(dst: Path) -> list[str]:
    """One frame to an image file; PNG unless the suffix says otherwise."""
    suffix = dst.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        codec = ["-c:v", "mjpeg", "-q:v", "2"]
    elif suffix == ".webp":
        codec = ["-c:v", "libwebp", "-lossless", "1"]
    else:
        codec = ["-c:v", "png", "-compression_level", "3"]
    return ["-frames:v", "1", "-update", "1", *codec]


def pcm_args() -> list[str]:
    return ["-c:a", "pcm_s16le"]


def audio_output_args(dst: Path) -> list[str]:
    """An audio-only output, by suffix."""
    suffix = dst.suffix.lower()
    if suffix == ".wav":
        return pcm_args()
    if suffix == ".mp3":
        return ["-c:a", "libmp3lame", "-q:a", "2"]
    if suffix == ".flac":
        return ["-c:a", "flac"]
    return ["-c:a", "aac", "-b:a", "192k"]
