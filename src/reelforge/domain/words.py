"""Small grammar helpers for messages people read."""

from __future__ import annotations

_VOWEL_SOUNDS = ("a", "e", "i", "o", "u")


def article(word: str) -> str:
    """``"an image"``, ``"a video"``, ``"an audio"``: the word with its indefinite article."""
    text = str(word)
    return f"{'an' if text[:1].lower() in _VOWEL_SOUNDS else 'a'} {text}"
