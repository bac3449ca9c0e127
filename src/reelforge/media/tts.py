"""Text to speech with Piper, fully offline: text → WAV at the voice's sample rate.

Long text is split into sentences (and over-long sentences at clause breaks),
each is synthesised on its own (so progress and cancellation work per sentence), and
the pieces are joined with a short pause. Loaded voices are kept for the process.
"""

from __future__ import annotations

import re
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media.files import atomic_output
from reelforge.media.runner import ProgressFn
from reelforge.media.voices import Voice, VoiceRegistry, default_registry

MAX_CHARS = 20_000
_MAX_SENTENCE = 300
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+|\n\s*\n")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—])\s+")

_lock = threading.Lock()
_loaded: dict[Path, Any] = {}
_registry: VoiceRegistry | None = None


def registry() -> VoiceRegistry:
    global _registry
    if _registry is None:
        _registry = default_registry()
    return _registry


def split_sentences(text: str) -> list[str]:
    """Sentences, with any longer than ~300 characters cut at commas/semicolons."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        while len(sentence) > _MAX_SENTENCE:
            pieces = _CLAUSE_BREAK.split(sentence[:_MAX_SENTENCE])
            if len(pieces) > 1:
                head = " ".join(pieces[:-1])
            else:  # no clause break: cut at the last space (or hard, for one huge word)
                cut = sentence.rfind(" ", 0, _MAX_SENTENCE)
                head = sentence[: cut if cut > 0 else _MAX_SENTENCE]
            out.append(head.strip())
            sentence = sentence[len(head) :].strip()
        if sentence:
            out.append(sentence)
    return out


def load_voice(voice: Voice) -> Any:
    """The loaded Piper voice (an ONNX session), made once per process."""
    with _lock:
        if voice.model not in _loaded:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise ReelForgeError(
                    ErrorCode.DEPENDENCY_MISSING,
                    "Piper (text to speech) is not installed.",
                    detail={"package": "piper-tts"},
                ) from exc
            _loaded[voice.model] = PiperVoice.load(voice.model, config_path=voice.config)
        return _loaded[voice.model]


@dataclass(frozen=True)
class Narration:
    path: Path
    voice: str
    sample_rate: int
    duration: float
    sentences: int


def synthesize(
    text: str,
    dst: Path,
    *,
    voice: str | None = None,
    speed: float = 1.0,
    pause: float = 0.3,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    voices: VoiceRegistry | None = None,
) -> Narration:
    """Speak ``text`` into WAV file ``dst``. ``speed`` > 1 talks faster."""
    sentences = split_sentences(text)
    if not sentences:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "There is no text to speak.", detail={"field": "text"}
        )
    if len(text) > MAX_CHARS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The text is too long (at most {MAX_CHARS} characters).",
            detail={"field": "text", "length": len(text), "max": MAX_CHARS},
        )
    if not 0.5 <= speed <= 2.0 or not 0.0 <= pause <= 2.0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "speed must be 0.5..2 and pause 0..2 seconds.",
            detail={"speed": speed, "pause": pause},
        )
    chosen = (voices or registry()).get(voice)
    piper = load_voice(chosen)
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / speed)
    rate = int(piper.config.sample_rate)
    gap = np.zeros(int(rate * pause), dtype=np.float32)
    parts: list[np.ndarray] = []
    for index, sentence in enumerate(sentences):
        if should_stop is not None and should_stop():
            raise ReelForgeError(ErrorCode.CANCELED, "The narration was canceled.")
        for chunk in piper.synthesize(sentence, syn_config=config):
            parts.append(chunk.audio_float_array)
        if index < len(sentences) - 1:
            parts.append(gap)
        if on_progress is not None:
            on_progress((index + 1) / len(sentences) * 0.98)
    audio = np.concatenate(parts) if parts else gap
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    with atomic_output(dst) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    if on_progress is not None:
        on_progress(1.0)
    return Narration(dst, chosen.id, rate, len(pcm) / rate, len(sentences))
