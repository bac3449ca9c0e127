"""``response_format`` of ``audio.speech``: the stored audio re-encoded with ffmpeg into
the format asked for (OpenAI's default is mp3), so a file the client names ``.mp3`` is
one. The artifact itself stays as the model made it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from reelforge.media.runner import run_ffmpeg

# format → (file suffix, ffmpeg output args, content type)
FORMATS: dict[str, tuple[str, list[str], str]] = {
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-q:a", "2"], "audio/mpeg"),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "64k", "-f", "ogg"], "audio/ogg"),
    "aac": (".aac", ["-c:a", "aac", "-b:a", "160k", "-f", "adts"], "audio/aac"),
    "flac": (".flac", ["-c:a", "flac"], "audio/flac"),
    "wav": (".wav", ["-c:a", "pcm_s16le"], "audio/wav"),
    # OpenAI's pcm: raw 24 kHz, 16-bit signed little-endian, mono samples, no header.
    "pcm": (
        ".pcm",
        ["-f", "s16le", "-acodec", "pcm_s16le", "-ar", "24000", "-ac", "1"],
        "audio/pcm",
    ),
}


async def encode_speech(source: Path, response_format: str) -> tuple[bytes, str]:
    suffix, args, content_type = FORMATS[response_format]
    with tempfile.TemporaryDirectory(prefix="rf-speech-") as tmp:
        target = Path(tmp) / f"speech{suffix}"
        await run_ffmpeg(["-i", str(source), "-vn", *args, str(target)], timeout=120)
        return target.read_bytes(), content_type
