"""Narration: offline Piper speech from a packaged voice, sentences joined."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import tts
from reelforge.media.voices import VoiceRegistry


def _pcm(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path)) as wav:
        return wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def test_sentence_splitting() -> None:
    text = 'First one. Second? "Third!" she said.\n\nA new paragraph without a stop'
    assert tts.split_sentences(text) == [
        "First one.",
        "Second?",
        '"Third!"',
        "she said.",
        "A new paragraph without a stop",
    ]
    long = "word, " * 120 + "end."
    pieces = tts.split_sentences(long)
    assert len(pieces) >= 3 and all(len(p) <= 300 for p in pieces)
    assert " ".join(pieces).replace("  ", " ") == " ".join(long.split())


def test_registry_lists_the_packaged_voice(tmp_path: Path) -> None:
    voices = tts.registry().list()
    joe = next(v for v in voices if v.id == "en_US-joe-medium")
    assert joe.sample_rate == 22050 and joe.language == "en_US" and joe.model.is_file()
    empty = VoiceRegistry()
    with pytest.raises(ReelForgeError) as err:
        empty.default()
    assert err.value.code is ErrorCode.DEPENDENCY_MISSING
    with pytest.raises(ReelForgeError) as err:
        tts.registry().get("xx_XX-nobody-low")
    assert err.value.code is ErrorCode.VALIDATION_ERROR


@pytest.mark.slow
def test_speaks_sentences_into_one_wav(tmp_path: Path) -> None:
    seen: list[float] = []
    one = tts.synthesize("Hello from the lighthouse.", tmp_path / "one.wav", pause=0.0)
    two = tts.synthesize(
        "Hello from the lighthouse. The ships are safe tonight.",
        tmp_path / "two.wav",
        pause=0.5,
        on_progress=seen.append,
    )
    rate, pcm = _pcm(two.path)
    assert rate == 22050 and two.sample_rate == 22050 and two.sentences == 2
    assert two.duration > one.duration + 0.5  # a second sentence plus the pause
    assert np.abs(pcm).max() > 3000  # speech, not silence
    # The pause is there: a stretch of silence between the two sentences.
    quiet = np.convolve(np.abs(pcm) < 50, np.ones(int(0.4 * rate)), mode="valid")
    assert quiet.max() >= int(0.4 * rate) - 1
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_bad_text_and_stop(tmp_path: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        tts.synthesize("   ", tmp_path / "x.wav")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as err:
        tts.synthesize("x" * (tts.MAX_CHARS + 1), tmp_path / "x.wav")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as err:
        tts.synthesize("One. Two.", tmp_path / "x.wav", should_stop=lambda: True)
    assert err.value.code is ErrorCode.CANCELED
    assert list(tmp_path.iterdir()) == []
