"""Modes (what a model does) and the media kinds they take and make."""

from __future__ import annotations

from enum import StrEnum


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"


class Mode(StrEnum):
    T2I = "t2i"
    I2I = "i2i"
    T2V = "t2v"
    I2V = "i2v"
    V2V = "v2v"
    LIPSYNC = "lipsync"
    AVATAR = "avatar"
    UPSCALE = "upscale"
    TTS = "tts"
    EDIT = "edit"

    @property
    def output_kind(self) -> MediaKind:
        return _OUTPUT[self]

    @property
    def input_kinds(self) -> tuple[MediaKind, ...]:
        """Media a node of this mode must receive (text prompts aside)."""
        return _INPUTS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_OUTPUT: dict[Mode, MediaKind] = {
    Mode.T2I: MediaKind.IMAGE,
    Mode.I2I: MediaKind.IMAGE,
    Mode.T2V: MediaKind.VIDEO,
    Mode.I2V: MediaKind.VIDEO,
    Mode.V2V: MediaKind.VIDEO,
    Mode.LIPSYNC: MediaKind.VIDEO,
    Mode.AVATAR: MediaKind.VIDEO,
    # upscale and edit keep the kind of what they receive; image is the common case and
    # the engine uses the actual input kind when one is wired in.
    Mode.UPSCALE: MediaKind.IMAGE,
    Mode.EDIT: MediaKind.IMAGE,
    Mode.TTS: MediaKind.AUDIO,
}

_INPUTS: dict[Mode, tuple[MediaKind, ...]] = {
    Mode.T2I: (),
    Mode.T2V: (),
    Mode.I2I: (MediaKind.IMAGE,),
    Mode.I2V: (MediaKind.IMAGE,),
    Mode.V2V: (MediaKind.VIDEO,),
    Mode.LIPSYNC: (MediaKind.VIDEO, MediaKind.AUDIO),
    Mode.AVATAR: (MediaKind.IMAGE, MediaKind.AUDIO),
    Mode.UPSCALE: (MediaKind.IMAGE,),
    Mode.EDIT: (MediaKind.IMAGE,),
    Mode.TTS: (MediaKind.TEXT,),
}

_LABELS: dict[Mode, str] = {
    Mode.T2I: "Text→Image",
    Mode.I2I: "Image→Image",
    Mode.T2V: "Text→Video",
    Mode.I2V: "Image→Video",
    Mode.V2V: "Video→Video",
    Mode.LIPSYNC: "Lip-sync",
    Mode.AVATAR: "Talking avatar",
    Mode.UPSCALE: "Upscale",
    Mode.TTS: "Text→Speech",
    Mode.EDIT: "Edit",
}
