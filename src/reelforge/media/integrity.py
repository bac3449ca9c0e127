"""Is an uploaded file whole? Cheap decode checks, so damaged media is refused at the door
(UNSUPPORTED_MEDIA) instead of failing a paid step later.

- Images: the header and structure (Pillow's ``verify``: PNG chunk checksums, the IEND),
  then, for images up to ``FULL_DECODE_MAX_PIXELS``, a full decode (a truncated JPEG only
  shows there). Dimensions are checked before any pixel is decoded (decompression bombs).
- Video and audio: the container is probed (PyAV), the first frame of the main stream is
  decoded, then the last second: a file cut short fails there, or ends well before the
  duration its header declares. A WAV's RIFF size must fit the bytes that arrived.
"""

from __future__ import annotations

import struct
import warnings
from typing import BinaryIO

import av
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.media import kind_of_content_type
from reelforge.domain.modes import MediaKind
from reelforge.media.probe import DEFAULT_LIMITS, MediaLimits, error_reason

FULL_DECODE_MAX_PIXELS = 40_000_000
TAIL_SECONDS = 1.0


def damaged(name: str, message: str, **detail: object) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.UNSUPPORTED_MEDIA,
        message,
        detail={"file": name, **detail},
        remediation=(
            "The file is damaged or incomplete: export or download it again, then upload "
            "the whole file.",
        ),
    )


def check_whole(
    fh: BinaryIO,
    size: int,
    content_type: str,
    *,
    name: str = "",
    limits: MediaLimits = DEFAULT_LIMITS,
) -> None:
    """Raise UNSUPPORTED_MEDIA when the bytes in ``fh`` (seekable) are not a whole,
    decodable file of ``content_type`` (as sniffed from them). Blocking: run in a thread."""
    fh.seek(0)
    try:
        if kind_of_content_type(content_type) is MediaKind.IMAGE:
            _check_image(fh, name, limits)
        else:
            if content_type in ("audio/wav", "audio/x-wav", "audio/wave"):
                _check_riff(fh, size, name)
            _check_av(fh, name)
    finally:
        fh.seek(0)


def _check_image(fh: BinaryIO, name: str, limits: MediaLimits) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fh) as img:
                width, height = img.size
                if width <= 0 or height <= 0:
                    raise damaged(name, f"The image has no pixels ({width}x{height}).")
                if (
                    width > limits.image_max_side
                    or height > limits.image_max_side
                    or width * height > limits.image_max_pixels
                ):
                    raise ReelForgeError(
                        ErrorCode.VALIDATION_ERROR,
                        f"The image is too large to process ({width}x{height}).",
                        detail={"file": name, "width": width, "height": height},
                    )
                img.verify()
            if width * height <= FULL_DECODE_MAX_PIXELS:
                fh.seek(0)
                with Image.open(fh) as img:
                    img.load()  # every pixel: a truncated file fails here
    except ReelForgeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "The image is too large to process.", detail={"file": name}
        ) from exc
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise damaged(name, "The image is corrupt or truncated.", reason=error_reason(exc)) from exc


def _check_riff(fh: BinaryIO, size: int, name: str) -> None:
    head = fh.read(12)
    fh.seek(0)
    if len(head) < 12 or head[:4] != b"RIFF":
        return
    declared = struct.unpack("<I", head[4:8])[0] + 8
    # 0 and 0xFFFFFFFF are what streaming writers put when the size was unknown.
    if declared not in (8, 0xFFFFFFFF + 8) and declared > size:
        raise damaged(
            name,
            "The audio file is truncated: its header declares more bytes than arrived.",
            declared_bytes=declared,
            received_bytes=size,
        )


def _check_av(fh: BinaryIO, name: str) -> None:
    try:
        container = av.open(fh, mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise damaged(
            name, "The file is corrupt, truncated or not a media format.", reason=error_reason(exc)
        ) from exc
    with container:
        streams = [s for s in container.streams.video if not _is_cover_art(s)]
        stream = streams[0] if streams else next(iter(container.streams.audio), None)
        if stream is None:
            raise damaged(name, "The file has no video or audio stream.")
        duration = container.duration / 1e6 if container.duration else None
        try:
            first = next(iter(container.decode(stream)), None)
            if first is None:
                raise damaged(name, "The file has no frame that decodes.")
            end = _tail_end(container, stream, duration)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise damaged(
                name,
                "The file is truncated or damaged: it does not decode to its end.",
                reason=error_reason(exc),
            ) from exc
        if duration and end is not None and end < duration * 0.9 - 0.1:
            raise damaged(
                name,
                f"The file is truncated: it ends at {end:.2f} s of the {duration:.2f} s "
                "its header declares.",
                decoded_seconds=round(end, 3),
                declared_seconds=round(duration, 3),
            )


def _tail_end(
    container: av.container.InputContainer, stream: av.stream.Stream, duration: float | None
) -> float | None:
    """Decode the last ``TAIL_SECONDS`` and return where the last frame ends (seconds)."""
    target = max(0.0, (duration or 0.0) - TAIL_SECONDS)
    container.seek(int(target * av.time_base), backward=True, any_frame=False)
    end: float | None = None
    for frame in container.decode(stream):
        if not isinstance(frame, av.AudioFrame | av.VideoFrame) or frame.time is None:
            continue
        if isinstance(frame, av.AudioFrame):
            span = frame.samples / (frame.sample_rate or 1)
        else:
            rate = stream.average_rate or stream.guessed_rate
            span = 1 / float(rate) if rate else 0.0
        end = float(frame.time) + span
    return end


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)
