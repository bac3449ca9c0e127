"""Negative bank assembly (step 5): the mode's global bank, then the tool's (preset's)
own negatives, then what the user added, de-duplicated in that order."""

from __future__ import annotations

from collections.abc import Iterable

MAX_NEGATIVE_CHARS = 500


def assemble(*banks: Iterable[str]) -> str:
    seen: set[str] = set()
    terms: list[str] = []
    for bank in banks:
        for raw in bank:
            for term in raw.split(","):
                term = " ".join(term.split()).strip()
                if term and term.lower() not in seen:
                    seen.add(term.lower())
                    terms.append(term)
    text = ", ".join(terms)
    if len(text) > MAX_NEGATIVE_CHARS:
        # Cut at a term boundary: the mode's own bank comes first and always fits.
        text = text[:MAX_NEGATIVE_CHARS].rsplit(",", 1)[0]
    return text
