"""Text to speech with Piper, fully offline: text → WAV at the voice's sample rate.

Long text is split into sentences (and over-long sentences at clause breaks),
each is synthesised on its own (so progress and cancellation work per sentence), and
the pieces are joined with a short pause. Loaded voices are kept for the process.
"""

from __future__ import annotations

import json
import os
import re
import threading
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
_MIN_PIECE = 40  # phonemes; shorter pieces lose more prosody than they save time
_PAUSES = frozenset({",", ";", ":", "—"})

_lock = threading.Lock()
_loaded: dict[Path, Any] = {}
_registry: VoiceRegistry | None = None
_executor: ThreadPoolExecutor | None = None


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
    """The loaded Piper voice (an ONNX session), made once per process.

    One intra-op thread per run: pieces of the text are synthesised in parallel
    instead, which scales better on few cores than threads inside one run.
    """
    with _lock:
        if voice.model not in _loaded:
            try:
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig
            except ImportError as exc:
                raise ReelForgeError(
                    ErrorCode.DEPENDENCY_MISSING,
                    "Piper (text to speech) is not installed.",
                    detail={"package": "piper-tts"},
                ) from exc
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(voice.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            config = PiperConfig.from_dict(json.loads(voice.config.read_text(encoding="utf-8")))
            _loaded[voice.model] = PiperVoice(session=session, config=config)
        return _loaded[voice.model]


def _split_phonemes(phonemes: list[str], parts: int) -> list[list[str]]:
    """Cut a long sentence's phonemes after commas into about ``parts`` pieces of at
    least ``_MIN_PIECE`` phonemes, so they can be synthesised in parallel. The comma
    stays in its piece, so the model still voices the pause."""
    if parts < 2 or len(phonemes) < 2 * _MIN_PIECE:
        return [phonemes]
    target = max(_MIN_PIECE, len(phonemes) // parts) - _MIN_PIECE // 2
    pieces: list[list[str]] = [[]]
    for index, phoneme in enumerate(phonemes):
        pieces[-1].append(phoneme)
        rest = len(phonemes) - index - 1
        if phoneme in _PAUSES and len(pieces[-1]) >= target and rest >= _MIN_PIECE:
            pieces.append([])
    return pieces


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="tts")
        return _executor


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
    # (sentence index, phoneme ids) for every piece, in reading order.
    pieces = [
        (index, piper.phonemes_to_ids(piece))
        for index, sentence in enumerate(sentences)
        for phonemes in piper.phonemize(sentence)
        if phonemes
        for piece in _split_phonemes(phonemes, _workers())
    ]
    futures = [_pool().submit(piper.phoneme_ids_to_audio, ids, config) for _index, ids in pieces]
    spoken: dict[int, list[np.ndarray]] = {}
    try:
        for done, ((index, _ids), future) in enumerate(zip(pieces, futures, strict=True)):
            if should_stop is not None and should_stop():
                raise ReelForgeError(ErrorCode.CANCELED, "The narration was canceled.")
            spoken.setdefault(index, []).append(np.asarray(future.result(), dtype=np.float32))
            if on_progress is not None:
                on_progress((done + 1) / len(pieces) * 0.98)
    finally:
        for future in futures:
            future.cancel()
    gap = np.zeros(int(rate * pause), dtype=np.float32)
    parts: list[np.ndarray] = []
    for index in sorted(spoken):
        sentence_audio = np.concatenate(spoken[index])
        peak = float(np.abs(sentence_audio).max())
        # Each sentence peaks at full scale, as Piper's own synthesis does.
        parts.append(sentence_audio / peak if peak > 1e-8 else sentence_audio)
        if index != max(spoken):
            parts.append(gap)
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
