"""Characters (seed §6.2): ``POST/GET /v1/characters``, ``GET/PATCH/DELETE
/v1/characters/{id}``.

The request is the seed's contract (name 1-100, description ≤ 1000, avatar_url,
metadata; unknown fields refused with CONTRACT_MISMATCH) plus what makes a character
usable as an identity reference: ``reference_images`` (0-3 image artifact ids the caller
uploaded) and ``voice`` (a local TTS voice id or an audio artifact id). Each caller sees
only their own characters: any other id is NOT_FOUND.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.paging import id_cursor
from reelforge.api.schemas import NOT_BLANK, SPACE, RequestModel, ResponseModel, not_null
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.characters import MAX_REFERENCE_IMAGES, Character, CharacterService

router = APIRouter(prefix="/v1/characters", tags=["characters"])

# An avatar a browser may draw: a web address, or one of our own artifact paths.
_AVATAR = re.compile(r"^(https?://[^\s]+|/v1/artifacts/[A-Za-z0-9_]+/content)$")
_AVATAR_SCHEMA: dict[str, Any] = {  # _AVATAR, its \s spelled out as Python's
    "pattern": rf"^(https?://[^{SPACE}]+|/v1/artifacts/[A-Za-z0-9_]+/content)$"
}
_ID = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]


def _avatar(value: str | None) -> str | None:
    if value is not None and not _AVATAR.match(value):
        raise ValueError("must be an http(s) URL or /v1/artifacts/<id>/content")
    return value


class CreateCharacterRequest(RequestModel):
    name: str = Field(..., min_length=1, max_length=100, json_schema_extra=NOT_BLANK)
    description: str | None = Field(default=None, max_length=1000)
    avatar_url: str | None = Field(default=None, max_length=2000, json_schema_extra=_AVATAR_SCHEMA)
    metadata: dict[str, Any] = Field(default_factory=dict)
    reference_images: list[_ID] = Field(
        default_factory=list,
        max_length=MAX_REFERENCE_IMAGES,
        description="1-3 artifact ids of images you uploaded (POST /v1/uploads); the "
        "first is the avatar when avatar_url is not set.",
    )
    voice: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="A local TTS voice id (e.g. en_US-joe-medium) or an audio artifact id.",
    )

    _check_avatar = field_validator("avatar_url")(_avatar)


def _name(schema: dict[str, Any]) -> None:
    not_null(schema)
    schema.update(NOT_BLANK)


class UpdateCharacterRequest(RequestModel):
    """Only the fields sent change; ``null`` clears description, avatar_url and voice."""

    # May be left out, not cleared: the schema has no null for it.
    name: str | None = Field(default=None, min_length=1, max_length=100, json_schema_extra=_name)
    description: str | None = Field(default=None, max_length=1000)
    avatar_url: str | None = Field(default=None, max_length=2000, json_schema_extra=_AVATAR_SCHEMA)
    metadata: dict[str, Any] | None = None
    reference_images: list[_ID] | None = Field(default=None, max_length=MAX_REFERENCE_IMAGES)
    voice: str | None = Field(default=None, min_length=1, max_length=300)

    _check_avatar = field_validator("avatar_url")(_avatar)


class CharacterResponse(ResponseModel):
    id: str
    name: str
    description: str | None
    avatar_url: str | None
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    reference_images: list[str]
    voice: str | None
    voice_kind: str | None = Field(description="`tts`, `audio` or null.")
    identity_reference: str = Field(description="What a preset's identity_reference takes.")


class CharacterList(ResponseModel):
    characters: list[CharacterResponse]
    next_after: str | None


def characters(container: Container) -> CharacterService:
    service: CharacterService = container.characters
    return service


def _out(c: Character) -> CharacterResponse:
    return CharacterResponse(
        id=c.id,
        name=c.name,
        description=c.description,
        avatar_url=c.shown_avatar,
        created_at=c.created_at,
        updated_at=c.updated_at,
        metadata=c.metadata,
        reference_images=c.reference_images,
        voice=c.voice,
        voice_kind=c.voice_kind,
        identity_reference=f"character:{c.id}",
    )


@router.post("", response_model=CharacterResponse, status_code=201)
async def create_character(
    body: CreateCharacterRequest, container: ContainerDep, principal: CurrentPrincipal
) -> CharacterResponse:
    """Create a character from images you uploaded (and optionally a voice)."""
    made = await characters(container).create(principal.user_id, **body.model_dump())
    return _out(made)


@router.get("", response_model=CharacterList)
async def list_characters(
    container: ContainerDep,
    principal: CurrentPrincipal,
    after: Annotated[str | None, id_cursor("`next_after` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CharacterList:
    """Your characters, oldest first, a page at a time."""
    found = await characters(container).list_characters(principal.user_id, after=after, limit=limit)
    items = [_out(c) for c in found]
    return CharacterList(characters=items, next_after=items[-1].id if len(items) == limit else None)


@router.get("/{character_id}", response_model=CharacterResponse)
async def get_character(
    character_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> CharacterResponse:
    return _out(await characters(container).get(principal.user_id, character_id))


@router.patch("/{character_id}", response_model=CharacterResponse)
async def update_character(
    character_id: str,
    body: UpdateCharacterRequest,
    container: ContainerDep,
    principal: CurrentPrincipal,
) -> CharacterResponse:
    """Change the fields sent; the others keep their values."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "name cannot be cleared (1-100 characters).",
            detail={"field": "name"},
        )
    updated = await characters(container).update(principal.user_id, character_id, **changes)
    return _out(updated)


@router.delete("/{character_id}", status_code=204)
async def delete_character(
    character_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> None:
    """Delete the character; its images and voice stay your artifacts."""
    await characters(container).delete(principal.user_id, character_id)
