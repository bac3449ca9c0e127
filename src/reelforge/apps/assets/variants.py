"""Batch variants (seed 004, "Batch Generation"): slot 0 canonical, slot 1 perspective or
pose, slot 2 lighting or mood, slot 3 detail density or colour, from the mode's mutation
table; each slot's seed is ``seed + i × 137``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reelforge.domain.errors import ErrorCode, ReelForgeError

SEED_STRIDE = 137
MAX_BATCH = 4
SEED_MAX = 2**31 - 1  # providers take a 32-bit signed seed


@dataclass(frozen=True)
class Variant:
    slot: int
    seed: int
    mutation: str | None  # None for slot 0

    def apply(self, prompt: str) -> str:
        return prompt if not self.mutation else f"{prompt}, {self.mutation}"


def build_variants(
    seed: int, count: int, mutations: Mapping[int, tuple[str, ...]]
) -> list[Variant]:
    if not 1 <= count <= MAX_BATCH:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"batchCount must be 1 to {MAX_BATCH} (got {count}).",
            detail={"batchCount": count},
        )
    variants = []
    for slot in range(count):
        phrases = mutations.get(slot) or ()
        # The phrase within the slot's table follows the seed, so two batches with
        # different seeds explore different mutations of the same kind.
        mutation = phrases[seed % len(phrases)] if slot and phrases else None
        variants.append(Variant(slot, (seed + slot * SEED_STRIDE) % (SEED_MAX + 1), mutation))
    return variants
