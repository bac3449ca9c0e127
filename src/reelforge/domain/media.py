"""References to media: an uploaded or generated artifact, or a URL to fetch."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from reelforge.domain.modes import MediaKind


class MediaRef(BaseModel):
    """Points at media by artifact id (stored by us) or URL (to be fetched safely)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MediaKind
    artifact_id: str | None = None
    url: str | None = None
    content_type: str | None = None
    sha256: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> MediaRef:
        if not self.artifact_id and not self.url:
            raise ValueError("a media reference needs an artifact_id or a url")
        return self


_CONTENT_TYPES: dict[str, MediaKind] = {
    "image/png": MediaKind.IMAGE,
    "image/jpeg": MediaKind.IMAGE,
    "image/webp": MediaKind.IMAGE,
    "image/gif": MediaKind.IMAGE,
    "video/mp4": MediaKind.VIDEO,
    "video/webm": MediaKind.VIDEO,
    "video/quicktime": MediaKind.VIDEO,
    "audio/wav": MediaKind.AUDIO,
    "audio/x-wav": MediaKind.AUDIO,
    "audio/mpeg": MediaKind.AUDIO,
    "audio/ogg": MediaKind.AUDIO,
    "audio/flac": MediaKind.AUDIO,
    "audio/mp4": MediaKind.AUDIO,
}


def kind_of_content_type(content_type: str | None) -> MediaKind | None:
    if not content_type:
        return None
    base = content_type.split(";", 1)[0].strip().lower()
    if base in _CONTENT_TYPES:
        return _CONTENT_TYPES[base]
    return None


def sniff_content_type(head: bytes) -> str | None:
    """The media type from a file's first bytes (magic numbers), or None.

    Trust the bytes, never a file name or a server's Content-Type header alone.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"qt  ",):
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    return None


EXTENSIONS: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
}
