"""``GET /models`` in OpenAI's list shape: every catalog id is a valid ``model``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.catalog.views import summary_view

router = APIRouter(tags=["openai"])
_CREATED = 1_700_000_000  # catalog entries have no creation time; a fixed one, not "now"


def model_object(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": summary["id"],
        "object": "model",
        "created": _CREATED,
        "owned_by": summary["provider"],
        # ReelForge's own facts ride along (the SDK keeps extra fields).
        "modes": summary["modes"],
        "output_kind": summary["output_kind"],
        "price": summary["price"],
        "label": summary["label"],
    }


@router.get("/models")
async def list_models(container: ContainerDep, _principal: CurrentPrincipal) -> dict[str, Any]:
    listing = await container.catalog.list_models()
    return {"object": "list", "data": [model_object(summary_view(e)) for e in listing.entries]}


@router.get("/models/{model_id:path}")
async def get_model(
    model_id: str, container: ContainerDep, _principal: CurrentPrincipal
) -> dict[str, Any]:
    return model_object(summary_view(await container.catalog.get(model_id)))
