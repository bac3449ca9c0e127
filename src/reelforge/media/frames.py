"""Single frames out of a video: first, at a time, and last.

The last frame is found the cheap way: seek (in process, with PyAV) to the last keyframe
and decode only the tail, instead of decoding the whole clip or shelling out to ffmpeg.
Its pixels equal the last frame of a full decode: decoding from an IDR keyframe
reproduces every later frame exactly, and we keep the frame with the greatest
timestamp so leading frames of an open GOP can never be chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.files import atomic_output
from reelforge.media.probe import MediaInfo, error_reason, probe


def _corrupt(path: Path, exc: Exception) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.UNSUPPORTED_MEDIA,
        "The video is corrupt or truncated: its frames cannot be decoded.",
        detail={"file": path.name, "reason": error_reason(exc)},
    )


def _open_video(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    container = av.open(str(path))
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame + slice threads: the tail decodes on every core
    return container, stream


def _latest(decoded: Iterable[av.VideoFrame]) -> av.VideoFrame | None:
    """The frame with the greatest timestamp (the last one shown)."""
    best: av.VideoFrame | None = None
    for frame in decoded:
        if best is None or (
            frame.pts is not None and best.pts is not None and frame.pts >= best.pts
        ):
            best = frame
    return best


def decode_last_frame(path: Path) -> av.VideoFrame:
    """The last frame of the first video stream, decoding from the last keyframe only."""
    try:
        container, stream = _open_video(path)
        with container:
            frame: av.VideoFrame | None = None
            end = _end_timestamp(container, stream)
            if end is not None:
                try:
                    # backward=True lands on the last keyframe at or before the end.
                    container.seek(end, stream=stream, backward=True, any_frame=False)
                    frame = _latest(container.decode(stream))
                except av.FFmpegError:
                    frame = None  # unseekable (no index): fall back to decoding it all
            if frame is None:
                container.seek(0)
                frame = _latest(container.decode(stream))
    except av.FFmpegError as exc:
        raise _corrupt(path, exc) from exc
    if frame is None:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The video has no decodable frame.",
            detail={"file": path.name},
        )
    return frame


def _end_timestamp(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> int | None:
    if stream.time_base is None:
        return None
    start = stream.start_time or 0
    if stream.duration:
        return int(start + stream.duration)
    if container.duration:
        return int(start + container.duration / 1e6 / stream.time_base)
    return None


def decode_frame_at(path: Path, seconds: float) -> av.VideoFrame:
    """The frame shown at ``seconds`` (the last one if the time is past the end)."""
    if seconds < 0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The time must be zero or positive.",
            detail={"time": seconds},
        )
    try:
        container, stream = _open_video(path)
        with container:
            assert stream.time_base is not None
            target = int(seconds / stream.time_base) + (stream.start_time or 0)
            if seconds > 0:
                container.seek(target, stream=stream, backward=True, any_frame=False)
            shown: av.VideoFrame | None = None
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts > target and shown is not None:
                    break
                shown = frame
    except av.FFmpegError as exc:
        raise _corrupt(path, exc) from exc
    if shown is None:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The video has no decodable frame.",
            detail={"file": path.name},
        )
    return shown


def frame_array(frame: av.VideoFrame) -> np.ndarray:
    """RGB pixels (height × width × 3, uint8), converted as a full decode would be, and
    turned upright as players (and ffmpeg) show it when the file says it is rotated."""
    pixels = frame.to_ndarray(format="rgb24")
    turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(pixels, turns)) if turns else pixels


def save_image(pixels: np.ndarray, dst: Path) -> Path:
    """Write pixels to ``dst`` (format from the suffix), atomically."""
    suffix = dst.suffix.lower()
    with atomic_output(dst) as tmp:
        image = Image.fromarray(pixels)
        if suffix in (".jpg", ".jpeg"):
            image.save(tmp, format="JPEG", quality=95)
        elif suffix == ".webp":
            image.save(tmp, format="WEBP", lossless=True)
        else:
            # Fast zlib level: the pixels are what matter, and the file is re-stored anyway.
            image.save(tmp, format="PNG", compress_level=1)
    return dst


def last_frame(src: Path, dst: Path, *, info: MediaInfo | None = None) -> Path:
    """Write the last frame of video ``src`` to image ``dst``."""
    info = info or probe(src, expect=MediaKind.VIDEO)
    return save_image(frame_array(decode_last_frame(info.path)), dst)


def first_frame(src: Path, dst: Path, *, info: MediaInfo | None = None) -> Path:
    info = info or probe(src, expect=MediaKind.VIDEO)
    return save_image(frame_array(decode_frame_at(info.path, 0.0)), dst)


def frame_at(src: Path, dst: Path, seconds: float, *, info: MediaInfo | None = None) -> Path:
    info = info or probe(src, expect=MediaKind.VIDEO)
    return save_image(frame_array(decode_frame_at(info.path, seconds)), dst)
