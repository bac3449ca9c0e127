"""Bring-your-own-key: credentials encrypted at rest, resolved at call time.

Encryption: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF-SHA256 from the
data-directory secret, so the database alone never reveals a key. Lookup order at call
time: the owner's stored credential, then the provider's documented environment variables.
Replacing a stored key takes effect on the next call: nothing is cached.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.logs import register_secret
from reelforge.providers.base import Credential, Provider
from reelforge.storage.credential_tables import CredentialRow
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

STORED_TTL_SECONDS = 2.0


def derive_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"reelforge", info=b"credentials-v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


class CredentialVault:
    def __init__(self, db: Database, secret: str) -> None:
        self.db = db
        self._fernet = Fernet(derive_key(secret))
        # owner → (providers with a stored key, read at): every run asks, keys rarely change.
        # A change made here is seen at once; one made by another process within the TTL,
        # the same as for a run queued just before the change.
        self._stored_cache: dict[str, tuple[frozenset[str], float]] = {}

    def _encrypt(self, values: Mapping[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(values), sort_keys=True).encode())

    def _decrypt(self, token: bytes, provider: str) -> dict[str, str]:
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ReelForgeError(
                ErrorCode.AUTH_FAILED,
                "A stored credential cannot be decrypted (was the data-directory secret changed?).",
                detail={"provider": provider},
                remediation=(
                    f"Store the provider key again: PUT /v1/providers/{provider}/credential.",
                ),
            ) from exc
        return {str(k): str(v) for k, v in data.items()}

    def _changed(self, owner_id: str) -> None:
        self._stored_cache.pop(owner_id, None)

    async def put(
        self,
        session: AsyncSession,
        owner_id: str,
        provider: type[Provider],
        values: Mapping[str, str],
    ) -> CredentialRow:
        """Store (or replace) the owner's credential for a provider; fields are checked."""
        cleaned = check_values(provider, values)
        for value in cleaned.values():
            register_secret(value)
        row = (
            await session.execute(
                select(CredentialRow).where(
                    CredentialRow.owner_id == owner_id, CredentialRow.provider == provider.name
                )
            )
        ).scalar_one_or_none()
        now = utcnow()
        if row is None:
            row = CredentialRow(
                id=new_id("cred"),
                owner_id=owner_id,
                provider=provider.name,
                created_at=now,
            )
            session.add(row)
        row.ciphertext = self._encrypt(cleaned)
        row.fields = ",".join(sorted(cleaned))
        row.updated_at = now
        await session.flush()
        self._changed(owner_id)
        return row

    async def delete(self, session: AsyncSession, owner_id: str, provider: str) -> bool:
        result = await session.execute(
            delete(CredentialRow).where(
                CredentialRow.owner_id == owner_id, CredentialRow.provider == provider
            )
        )
        self._changed(owner_id)
        return bool(getattr(result, "rowcount", 0))

    async def stored(self, owner_id: str, provider: str) -> dict[str, str] | None:
        if provider not in await self.stored_providers(owner_id):
            return None  # the common case (sandbox, env keys): no row to read or decrypt
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(CredentialRow).where(
                        CredentialRow.owner_id == owner_id, CredentialRow.provider == provider
                    )
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        values = self._decrypt(row.ciphertext, provider)
        for value in values.values():
            register_secret(value)
        return values

    async def stored_providers(self, owner_id: str) -> set[str]:
        """The providers the owner has stored a key for (one query, nothing decrypted;
        remembered for ``STORED_TTL_SECONDS``)."""
        now = time.monotonic()
        cached = self._stored_cache.get(owner_id)
        if cached is not None and cached[1] > now - STORED_TTL_SECONDS:
            return set(cached[0])
        async with self.db.session() as session:
            rows = await session.execute(
                select(CredentialRow.provider).where(CredentialRow.owner_id == owner_id)
            )
            found = frozenset(r[0] for r in rows)
        if len(self._stored_cache) > 10_000:
            self._stored_cache.clear()
        self._stored_cache[owner_id] = (found, now)
        return set(found)

    async def resolve(self, owner_id: str | None, provider: type[Provider]) -> Credential | None:
        """Stored credential, then environment variables; None when neither is complete."""
        if not provider.credential_fields:
            return Credential(provider.name, {}, "none")
        if owner_id is not None:
            values = await self.stored(owner_id, provider.name)
            if values:
                return Credential(provider.name, values, "stored")
        env = env_credential(provider)
        if env is not None:
            return env
        return None


def check_values(provider: type[Provider], values: Mapping[str, str]) -> dict[str, str]:
    """The credential fields, trimmed, once they are known to the provider and complete
    (CONTRACT_MISMATCH / VALIDATION_ERROR otherwise); nothing is stored or sent."""
    allowed = {f.name for f in provider.credential_fields}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"Unknown credential field(s) for {provider.name}: {', '.join(unknown)}.",
            detail={"unknown_fields": unknown, "allowed": sorted(allowed)},
        )
    cleaned = {k: v.strip() for k, v in values.items() if v and v.strip()}
    missing = sorted(
        f.name for f in provider.credential_fields if f.secret and f.name not in cleaned
    )
    if missing and provider.credential_fields and not provider.credential_optional:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Missing credential field(s) for {provider.name}: {', '.join(missing)}.",
            detail={"missing_fields": missing},
        )
    for value in cleaned.values():
        register_secret(value)
    return cleaned


def env_credential(provider: type[Provider]) -> Credential | None:
    values: dict[str, str] = {}
    for field in provider.credential_fields:
        for var in field.env_vars:
            value = os.environ.get(var, "").strip()
            if value:
                values[field.name] = value
                register_secret(value)
                break
    required = [f.name for f in provider.credential_fields if f.secret]
    if values and all(name in values for name in required):
        return Credential(provider.name, values, "env")
    if values and provider.credential_optional:
        return Credential(provider.name, values, "env")
    return None
