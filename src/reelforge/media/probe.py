"""What a media file is (kind, codec, size, duration, fps, audio), and whether we accept it.

Images are read by Pillow (header only, so a decompression bomb is refused before any
pixel is decoded); video and audio by PyAV. Every refusal is a ReelForgeError:
FILE_NOT_FOUND, UNSUPPORTED_MEDIA (corrupt, truncated, empty, unknown codec, wrong kind)
or VALIDATION_ERROR (absurd dimensions or duration).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.media import kind_of_content_type, sniff_content_type
from reelforge.domain.modes import MediaKind


@dataclass(frozen=True)
class MediaLimits:
    """Refuse media beyond these before decoding it (decompression bombs, runaway jobs)."""

    image_max_side: int = 20_000
    image_max_pixels: int = 120_000_000
    video_max_side: int = 8_192
    video_max_pixels: int = 8_192 * 4_608
    max_duration_seconds: float = 4 * 3600.0


DEFAULT_LIMITS = MediaLimits()


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    kind: MediaKind
    container: str
    content_type: str | None
    codec: str | None
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds
    fps: float | None = None
    frames: int | None = None
    has_audio: bool = False
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    size_bytes: int = 0
    rotation: int = 0  # degrees the file asks players to turn it; width/height are upright

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["kind"] = str(self.kind)
        return data


def error_reason(exc: BaseException) -> str:
    """Why decoding failed, without the file's path (PyAV's messages name the file, and
    errors reach users: a server path is not theirs to see)."""
    if isinstance(exc, av.FFmpegError):
        return str(exc.strerror or type(exc).__name__)[:200]
    return str(exc)[:200]


def _unsupported(message: str, path: Path, **detail: Any) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.UNSUPPORTED_MEDIA, message, detail={"file": path.name, **detail}
    )


def _check_dimensions(path: Path, kind: MediaKind, w: int, h: int, limits: MediaLimits) -> None:
    max_side, max_pixels = (
        (limits.image_max_side, limits.image_max_pixels)
        if kind is MediaKind.IMAGE
        else (limits.video_max_side, limits.video_max_pixels)
    )
    if w <= 0 or h <= 0:
        raise _unsupported(f"The {kind} has no pixels ({w}x{h}).", path)
    if w > max_side or h > max_side or w * h > max_pixels:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The {kind} is too large to process ({w}x{h}).",
            detail={
                "file": path.name,
                "width": w,
                "height": h,
                "max_side": max_side,
                "max_pixels": max_pixels,
            },
        )


def _probe_image(path: Path, content_type: str, size: int, limits: MediaLimits) -> MediaInfo:
    try:
        with warnings.catch_warnings():
            # We apply our own limit just below; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            # Header only: the pixel data is never decoded here.
            width, height = img.size
            _check_dimensions(path, MediaKind.IMAGE, width, height, limits)
            fmt = (img.format or "").lower()
            img.verify()  # chunk checksums (PNG), structure; still no decode
    except ReelForgeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The image is too large to process.",
            detail={"file": path.name},
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _unsupported(
            "The image is corrupt or truncated.", path, reason=error_reason(exc)
        ) from exc
    return MediaInfo(
        path=path,
        kind=MediaKind.IMAGE,
        container=fmt,
        content_type=content_type,
        codec=fmt,
        width=width,
        height=height,
        size_bytes=size,
    )


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else None


def _probe_av(path: Path, content_type: str | None, size: int, limits: MediaLimits) -> MediaInfo:
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _unsupported(
            "The file is corrupt, truncated or not a media format.", path, reason=error_reason(exc)
        ) from exc
    with container:
        videos = [s for s in container.streams.video if not _is_cover_art(s)]
        audios = list(container.streams.audio)
        fmt = container.format.name
        duration = container.duration / 1e6 if container.duration else None
        if not videos and not audios:
            raise _unsupported("The file has no video or audio stream.", path, container=fmt)
        for stream in (*videos, *audios):
            if stream.codec_context is None or not stream.codec_context.name:
                raise _unsupported(
                    "The media uses a codec ReelForge cannot decode.",
                    path,
                    container=fmt,
                    stream=stream.index,
                )
        audio = audios[0] if audios else None
        audio_facts: dict[str, Any] = {}
        if audio is not None:
            audio_facts = {
                "has_audio": True,
                "audio_codec": audio.codec_context.name,
                "sample_rate": audio.codec_context.sample_rate or None,
                "channels": audio.codec_context.channels or None,
            }
        if not videos:
            return MediaInfo(
                path=path,
                kind=MediaKind.AUDIO,
                container=fmt,
                content_type=content_type,
                codec=audio_facts["audio_codec"],
                duration=duration,
                size_bytes=size,
                **audio_facts,
            )
        video = videos[0]
        if fmt.endswith("_pipe") or fmt == "image2":
            kind = MediaKind.IMAGE  # an image format Pillow did not claim (bmp, tiff, ...)
        else:
            kind = MediaKind.VIDEO
        width, height = video.codec_context.width, video.codec_context.height
        rotation = _rotation(container, video) if kind is MediaKind.VIDEO else 0
        if rotation % 180:
            width, height = height, width  # what ffmpeg and players show
        _check_dimensions(path, kind, width, height, limits)
        if video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        frames = video.frames or None
        if kind is MediaKind.VIDEO and (not duration or duration <= 0 or frames == 0):
            raise _unsupported("The video is empty (no frames).", path, container=fmt)
        if duration and duration > limits.max_duration_seconds:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "The media is too long to process here.",
                detail={
                    "file": path.name,
                    "duration": duration,
                    "max": limits.max_duration_seconds,
                },
            )
        return MediaInfo(
            path=path,
            kind=kind,
            container=fmt,
            content_type=content_type,
            codec=video.codec_context.name,
            width=width,
            height=height,
            duration=duration if kind is MediaKind.VIDEO else None,
            fps=_fps(video) if kind is MediaKind.VIDEO else None,
            frames=frames,
            size_bytes=size,
            rotation=rotation,
            **audio_facts,
        )


def _rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """The display rotation, read from the first decoded frame (PyAV exposes the display
    matrix there only). A file that cannot decode says 0 here and fails later, clearly."""
    try:
        for frame in container.decode(stream):
            return round(getattr(frame, "rotation", 0) or 0) % 360
    except (av.FFmpegError, ValueError):
        return 0
    return 0


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    # An attached picture (album art in an m4a/mp3) is not a video.
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


@lru_cache(maxsize=256)
def _described(path: Path, size: int, mtime_ns: int, limits: MediaLimits) -> MediaInfo:
    # Keyed on size and mtime too: operations probe the same input more than once,
    # and a changed file is described afresh.
    with path.open("rb") as fh:
        head = fh.read(64)
    content_type = sniff_content_type(head)
    if kind_of_content_type(content_type) is MediaKind.IMAGE:
        assert content_type is not None
        return _probe_image(path, content_type, size, limits)
    return _probe_av(path, content_type, size, limits)


def probe(
    path: Path,
    *,
    expect: MediaKind | tuple[MediaKind, ...] | None = None,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> MediaInfo:
    """Describe ``path``; refuse what we cannot or should not process.

    ``expect`` names the kind(s) the caller needs: an image where a video is required
    is UNSUPPORTED_MEDIA, with both kinds in the detail.
    """
    path = Path(path)
    if not path.is_file():
        raise ReelForgeError(
            ErrorCode.FILE_NOT_FOUND, f"No such file: {path.name}.", detail={"file": path.name}
        )
    stat = path.stat()
    if stat.st_size == 0:
        raise _unsupported("The file is empty.", path)
    info = _described(path.resolve(), stat.st_size, stat.st_mtime_ns, limits)
    if expect is not None:
        wanted = (expect,) if isinstance(expect, MediaKind) else expect
        if info.kind not in wanted:
            raise _unsupported(
                f"Expected {' or '.join(str(k) for k in wanted)}, got {info.kind}.",
                path,
                expected=[str(k) for k in wanted],
                got=str(info.kind),
            )
    return info
