"""What a manifest says, as plain data: the action (made by a model, or a local edit of
generated media), the generator (provider, model, ReelForge version), whether it came
from the sandbox, and the parent artifacts as ingredients."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = "trainedAlgorithmicMedia"
COMPOSITE = "compositeWithTrainedAlgorithmicMedia"
# The provider whose work is an edit of its inputs (ffmpeg, Pillow, PyAV on this machine).
LOCAL_PROVIDER = "local"
ASSERTION = "com.reelforge.generation"
SANDBOX_NOTE = "Made in ReelForge sandbox mode by an emulated provider: not a real generation."


@dataclass(frozen=True)
class Ingredient:
    """A parent artifact, read from its stored file (its own manifest comes along)."""

    path: Path
    content_type: str
    title: str
    artifact_id: str


@dataclass(frozen=True)
class Claim:
    title: str
    provider: str
    model: str
    provider_model: str | None = None
    mode: str | None = None
    run_id: str | None = None
    step_id: str | None = None
    sandbox: bool = False
    ingredients: tuple[Ingredient, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def edit(self) -> bool:
        """A local operation on media it was given is an edit; anything else a model made."""
        return self.provider == LOCAL_PROVIDER and bool(self.ingredients)

    @property
    def action(self) -> str:
        return "c2pa.edited" if self.edit else "c2pa.created"

    @property
    def source_type(self) -> str:
        return COMPOSITE if self.edit else TRAINED

    def relationship(self, index: int) -> str:
        """For an edit the first parent is the one edited (parentOf) and the rest are
        mixed in (componentOf); a model's inputs are inputTo."""
        if not self.edit:
            return "inputTo"
        return "parentOf" if index == 0 else "componentOf"


def claim_from_provenance(
    provenance: dict[str, Any], title: str, parents: list[tuple[str, Path, str, str]]
) -> Claim:
    """``parents``: (artifact id, stored file, content type, name), in provenance order."""
    ingredients = tuple(
        Ingredient(path=path, content_type=ctype, title=name or art_id, artifact_id=art_id)
        for art_id, path, ctype, name in parents
    )
    return Claim(
        title=title,
        provider=str(provenance.get("provider") or ""),
        model=str(provenance.get("model") or ""),
        provider_model=provenance.get("provider_model"),
        mode=provenance.get("mode"),
        run_id=provenance.get("run_id"),
        step_id=provenance.get("step_id"),
        sandbox=bool(provenance.get("sandbox")),
        ingredients=ingredients,
    )


def definition(claim: Claim, version: str) -> dict[str, Any]:
    """The manifest definition handed to the c2pa Builder (prompts and parameters stay on
    the server: they are the user's, and the provenance endpoint shows them to the owner)."""
    agent = {"name": claim.model or claim.provider, "version": claim.provider_model or ""}
    main: dict[str, Any] = {
        "action": claim.action,
        "digitalSourceType": IPTC + claim.source_type,
        "softwareAgent": {k: v for k, v in agent.items() if v},
        "description": (
            f"{'Edited' if claim.edit else 'Generated'} by {claim.model or claim.provider} "
            f"through ReelForge {version}" + (f". {SANDBOX_NOTE}" if claim.sandbox else "")
        ),
    }
    actions: list[dict[str, Any]] = []
    if claim.edit:
        # An edit opens its parent first (C2PA: the first action is created or opened).
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": [_label(0)]}})
    elif claim.ingredients:
        main["parameters"] = {"ingredientIds": [_label(i) for i in range(len(claim.ingredients))]}
    actions.append(main)
    generation = {
        "reelforge_version": version,
        "provider": claim.provider,
        "model": claim.model,
        "provider_model": claim.provider_model,
        "mode": claim.mode,
        "run_id": claim.run_id,
        "step_id": claim.step_id,
        "sandbox": claim.sandbox,
        "parents": [i.artifact_id for i in claim.ingredients],
        **claim.extra,
    }
    return {
        "claim_generator_info": [{"name": "ReelForge", "version": version}],
        "title": claim.title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": ASSERTION, "data": {k: v for k, v in generation.items() if v is not None}},
        ],
    }


def ingredient_definition(claim: Claim, index: int) -> dict[str, Any]:
    ingredient = claim.ingredients[index]
    return {
        "title": ingredient.title,
        "relationship": claim.relationship(index),
        "label": _label(index),
        "format": ingredient.content_type,
    }


def _label(index: int) -> str:
    return f"reelforge-ingredient-{index}"
