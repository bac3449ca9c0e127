"""Characters: a user's named identity that presets take as an identity reference.

A character holds 1-3 reference images (artifact ids of images its owner stored) and an
optional voice (a voice id the local TTS knows, or an audio artifact id of the owner).
Only its owner ever sees it: another user's id answers NOT_FOUND, exactly as an id that
does not exist, so ids leak nothing.

Presets turn ``identity_reference: "character:<id>"`` into images with
``reference_artifacts(owner_id, character_id)``, which re-checks that each image still
exists and is the owner's, right when the run is planned. Consent is not stored here:
it belongs to each run (seed §9.5), so a character never stands in for it.

Deleting a character removes only the row: the images and the voice stay the owner's
artifacts (other characters and past runs may name them), and runs already planned keep
the artifact ids they resolved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.modes import MediaKind
from reelforge.media.voices import VoiceRegistry
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.character_tables import CharacterRow
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

CHARACTER_PREFIX = "character:"
MAX_REFERENCE_IMAGES = 3
MAX_METADATA_BYTES = 16_384  # serialized JSON: notes and tags, not a file store
_ARTIFACT_PREFIX = "art_"
_UNSET: Any = object()


def character_id_of(reference: str) -> str | None:
    """``"character:chr_…"`` → ``"chr_…"``; anything else (an artifact id, a path) → None."""
    if reference.startswith(CHARACTER_PREFIX):
        return reference[len(CHARACTER_PREFIX) :].strip() or None
    return None


def _default_voices() -> VoiceRegistry:
    # The very registry local TTS speaks with (imported late: it brings numpy and Piper).
    from reelforge.media import tts

    return tts.registry()


@dataclass(frozen=True, slots=True)
class Character:
    id: str
    owner_id: str
    name: str
    description: str | None
    avatar_url: str | None
    metadata: dict[str, Any]
    reference_images: list[str]
    voice: str | None
    created_at: Any
    updated_at: Any

    @property
    def voice_kind(self) -> str | None:
        """``tts`` (a local voice id), ``audio`` (an artifact) or None."""
        if self.voice is None:
            return None
        return "audio" if self.voice.startswith(_ARTIFACT_PREFIX) else "tts"

    @property
    def shown_avatar(self) -> str | None:
        """The avatar a client draws: the one given, else the first reference image."""
        if self.avatar_url:
            return self.avatar_url
        if self.reference_images:
            return f"/v1/artifacts/{self.reference_images[0]}/content"
        return None

    @classmethod
    def of(cls, row: CharacterRow) -> Character:
        return cls(
            id=row.id,
            owner_id=row.owner_id,
            name=row.name,
            description=row.description,
            avatar_url=row.avatar_url,
            metadata=dict(row.meta or {}),
            reference_images=list(row.reference_images or []),
            voice=row.voice,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _invalid(
    message: str, field: str, remediation: str | None = None, **detail: Any
) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        message,
        detail={"field": field, **detail},
        remediation=(remediation,) if remediation else None,
    )


def _not_found(character_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.NOT_FOUND,
        f"No character {character_id!r}.",
        detail={"character_id": character_id},
        remediation=("GET /v1/characters lists yours.",),
    )


class CharacterService:
    """Create, read, change and delete a user's characters; resolve one into images.

    ``voices`` gives the TTS voice registry (called when a voice id is checked).
    """

    def __init__(self, db: Database, voices: Callable[[], VoiceRegistry] | None = None) -> None:
        self.db = db
        self._voices = voices or _default_voices

    # -- reads ---------------------------------------------------------------------------

    async def get(self, owner_id: str, character_id: str) -> Character:
        async with self.db.session() as session:
            return Character.of(await self._row(session, owner_id, character_id))

    async def list_characters(
        self, owner_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[Character]:
        """The owner's characters, oldest first (ids sort by creation), a page at a time."""
        stmt = select(CharacterRow).where(CharacterRow.owner_id == owner_id)
        if after:
            stmt = stmt.where(CharacterRow.id > after)
        stmt = stmt.order_by(CharacterRow.id).limit(max(1, min(limit, 500)))
        async with self.db.session() as session:
            rows = (await session.execute(stmt)).scalars().all()
        return [Character.of(r) for r in rows]

    async def reference_artifacts(self, owner_id: str, character_id: str) -> list[str]:
        """The character's reference image artifact ids, in order, for an identity
        reference. NOT_FOUND when it is not the owner's; VALIDATION_ERROR (field
        ``identity_reference``) when it has no images or one of them is gone."""
        async with self.db.session() as session:
            row = await self._row(session, owner_id, character_id)
            images = list(row.reference_images or [])
            if not images:
                raise _invalid(
                    f"Character {character_id!r} has no reference images.",
                    "identity_reference",
                    character_id=character_id,
                    remediation="Add 1-3 with PATCH /v1/characters/{id} {reference_images}.",
                )
            found = await self._images(session, owner_id, images)
        gone = [i for i in images if i not in found]
        if gone:
            raise _invalid(
                f"Character {character_id!r} names image(s) that are no longer stored: "
                f"{', '.join(gone)}.",
                "identity_reference",
                character_id=character_id,
                missing_artifacts=gone,
            )
        return images

    async def identity_images(self, owner_id: str, references: list[str]) -> list[str]:
        """A preset's ``identity_reference`` list as image artifact ids: each entry is
        ``character:<id>`` (its images) or an image artifact id of the owner's (kept).
        Order is kept, repeats dropped; more than 3 images in all is VALIDATION_ERROR."""
        images: list[str] = []
        plain: list[str] = []
        for ref in references:
            cid = character_id_of(ref)
            found = await self.reference_artifacts(owner_id, cid) if cid else [ref]
            if cid is None:
                plain.append(ref)
            images += [i for i in found if i not in images]
        if plain:
            async with self.db.session() as session:
                await self._check_images(session, owner_id, plain, field="identity_reference")
        if len(images) > MAX_REFERENCE_IMAGES:
            raise _invalid(
                f"identity_reference comes to {len(images)} images; at most "
                f"{MAX_REFERENCE_IMAGES} are used.",
                "identity_reference",
                given=len(images),
            )
        return images

    # -- writes --------------------------------------------------------------------------

    async def create(
        self,
        owner_id: str,
        *,
        name: str,
        description: str | None = None,
        avatar_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        reference_images: list[str] | None = None,
        voice: str | None = None,
    ) -> Character:
        images = list(reference_images or [])
        metadata = dict(metadata or {})
        _check_metadata(metadata)
        _check_image_list(images)
        now = utcnow()
        async with self.db.transaction() as session:
            await self._check_images(session, owner_id, images)
            await self._check_voice(session, owner_id, voice)
            row = CharacterRow(
                id=new_id("chr"),
                owner_id=owner_id,
                name=_name(name),
                description=description,
                avatar_url=avatar_url,
                meta=metadata,
                reference_images=images,
                voice=voice,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            return Character.of(row)

    async def update(
        self,
        owner_id: str,
        character_id: str,
        *,
        name: Any = _UNSET,
        description: Any = _UNSET,
        avatar_url: Any = _UNSET,
        metadata: Any = _UNSET,
        reference_images: Any = _UNSET,
        voice: Any = _UNSET,
    ) -> Character:
        """Change the fields given (the others keep their values); ``None`` clears the
        optional ones. Everything is checked before anything is written."""
        if metadata is not _UNSET:
            metadata = dict(metadata or {})
            _check_metadata(metadata)
        if reference_images is not _UNSET:
            reference_images = list(reference_images or [])
            _check_image_list(reference_images)
        async with self.db.transaction() as session:
            row = await self._row(session, owner_id, character_id)
            if reference_images is not _UNSET:
                await self._check_images(session, owner_id, reference_images)
                row.reference_images = reference_images
            if voice is not _UNSET:
                await self._check_voice(session, owner_id, voice)
                row.voice = voice
            if name is not _UNSET:
                row.name = _name(name)
            if description is not _UNSET:
                row.description = description
            if avatar_url is not _UNSET:
                row.avatar_url = avatar_url
            if metadata is not _UNSET:
                row.meta = metadata
            row.updated_at = utcnow()
            await session.flush()
            return Character.of(row)

    async def delete(self, owner_id: str, character_id: str) -> None:
        async with self.db.transaction() as session:
            row = await self._row(session, owner_id, character_id)
            await session.delete(row)

    # -- checks --------------------------------------------------------------------------

    async def _row(self, session: AsyncSession, owner_id: str, character_id: str) -> CharacterRow:
        stmt = select(CharacterRow).where(
            CharacterRow.id == character_id, CharacterRow.owner_id == owner_id
        )
        row = (await session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise _not_found(character_id)
        return row

    async def _images(
        self, session: AsyncSession, owner_id: str, ids: list[str]
    ) -> dict[str, ArtifactRow]:
        stmt = select(ArtifactRow).where(ArtifactRow.id.in_(ids), ArtifactRow.owner_id == owner_id)
        return {r.id: r for r in (await session.execute(stmt)).scalars().all()}

    async def _check_images(
        self,
        session: AsyncSession,
        owner_id: str,
        ids: list[str],
        *,
        field: str = "reference_images",
    ) -> None:
        if not ids:
            return
        found = await self._images(session, owner_id, ids)
        for index, artifact_id in enumerate(ids):
            row = found.get(artifact_id)
            where = f"{field}[{index}]"
            # Another user's artifact reads as one that does not exist: ids leak nothing.
            if row is None:
                raise _invalid(
                    f"{where}: you have no artifact {artifact_id!r}.",
                    where,
                    artifact_id=artifact_id,
                    remediation="Upload the photo with POST /v1/uploads, then use its id.",
                )
            if row.kind != MediaKind.IMAGE.value:
                raise _invalid(
                    f"{where}: artifact {artifact_id!r} is {row.kind}, not an image.",
                    where,
                    artifact_id=artifact_id,
                    media_type=row.kind,
                )

    async def _check_voice(self, session: AsyncSession, owner_id: str, voice: str | None) -> None:
        if voice is None:
            return
        if voice.startswith(_ARTIFACT_PREFIX):
            row = (await self._images(session, owner_id, [voice])).get(voice)
            if row is None:
                raise _invalid(f"voice: you have no artifact {voice!r}.", "voice", voice=voice)
            if row.kind != MediaKind.AUDIO.value:
                raise _invalid(
                    f"voice: artifact {voice!r} is {row.kind}, not audio.",
                    "voice",
                    voice=voice,
                    media_type=row.kind,
                )
            return
        registry = self._voices()
        known = sorted(v.id for v in registry.list())
        if voice not in known:
            raise _invalid(
                f"voice: {voice!r} is neither a local TTS voice nor an audio artifact id.",
                "voice",
                voice=voice,
                available=known,
            )


def _name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= 100:
        raise _invalid("name must be 1-100 characters.", "name")
    return text


def _check_image_list(ids: list[str]) -> None:
    if len(ids) > MAX_REFERENCE_IMAGES:
        raise _invalid(
            f"reference_images takes at most {MAX_REFERENCE_IMAGES} images.",
            "reference_images",
            given=len(ids),
        )
    if len(set(ids)) != len(ids):
        raise _invalid("reference_images names an image twice.", "reference_images")


def _check_metadata(metadata: dict[str, Any]) -> None:
    try:
        size = len(json.dumps(metadata, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        raise _invalid("metadata must be plain JSON.", "metadata") from exc
    if size > MAX_METADATA_BYTES:
        raise _invalid(
            f"metadata is {size} bytes as JSON; at most {MAX_METADATA_BYTES} are kept.",
            "metadata",
            limit_bytes=MAX_METADATA_BYTES,
        )
