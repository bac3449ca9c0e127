"""Connect a provider in one call: check the key with the provider, then store it.

The key is verified before anything is written, so a key the provider refuses is never
stored (and a stored key it replaces stays in place). Storing goes through the credential
vault, which invalidates its cache at once: the next call uses the new key.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import Balance, Credential, Provider
from reelforge.providers.credentials import check_values
from reelforge.providers.hub import ProviderHub
from reelforge.storage.db import Database


async def check_credential(provider: Provider, credential: Credential) -> Balance | None:
    """The provider's cheapest authenticated call, then its balance where it has one.
    A refused key is AUTH_FAILED naming the provider (not the caller's ReelForge key)."""
    try:
        await provider.verify(credential)
        return await provider.balance(credential)
    except ReelForgeError as exc:
        if exc.code is ErrorCode.AUTH_FAILED and not exc.detail.get("provider"):
            raise ReelForgeError(
                exc.code, exc.message, detail={**exc.detail, "provider": provider.name}
            ) from exc
        raise


def can_verify(cls: type[Provider]) -> bool:
    """False for an adapter (a third-party plugin, say) with neither ``verify`` nor
    ``balance``: the base ones make no call, so nothing was really checked."""
    return cls.verify is not Provider.verify or cls.balance is not Provider.balance


def balance_view(balance: Balance | None) -> dict[str, Any] | None:
    if balance is None:
        return None
    return {"amount": balance.amount, "unit": balance.unit, "detail": balance.detail}


def balance_text(balance: Balance | None) -> str:
    if balance is None or balance.amount is None:
        return "the provider reports no balance"
    amount = int(balance.amount) if float(balance.amount).is_integer() else balance.amount
    return f"balance {amount} {balance.unit}"


async def connect_provider(
    hub: ProviderHub,
    db: Database,
    owner_id: str,
    name: str,
    values: dict[str, str],
    *,
    timeout: float,
) -> dict[str, Any]:
    cls = hub.provider_class(name)
    if not cls.credential_fields:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{cls.display_name} needs no key: there is nothing to connect.",
            detail={"provider": name},
        )
    cleaned = check_values(cls, values)
    if hub.engine_urls is not None:  # an engine URL obeys the address rules before any call
        await hub.engine_urls.check_values(cleaned, owner_id)
    credential = Credential(name, cleaned, "stored")
    try:
        async with asyncio.timeout(timeout):
            balance = await check_credential(hub.live(name), credential)
    except TimeoutError as exc:
        raise ReelForgeError(
            ErrorCode.ENGINE_TIMEOUT,
            f"{cls.display_name} did not answer within {timeout:g} s; the key was not stored.",
            detail={"provider": name, "stored": False, "timeout_seconds": timeout},
            remediation=("Check the provider's status page and connect again.",),
        ) from exc
    except ReelForgeError as exc:
        remediation = exc.remediation
        if exc.code is ErrorCode.AUTH_FAILED:
            remediation = (
                f"{cls.display_name} refused this key: copy it again from the provider's "
                "dashboard (no spaces), check it is active and has API access.",
                f"Then connect again: POST /v1/setup/providers/{name}/connect "
                f"(or `reelforge setup connect {name}`).",
            )
        raise ReelForgeError(
            exc.code,
            f"{exc.message} The key was not stored.",
            detail={**exc.detail, "provider": name, "stored": False},
            retryable=exc.retryable,
            retry_after=exc.retry_after,
            remediation=remediation,
        ) from exc
    async with db.transaction() as session:
        row = await hub.vault.put(session, owner_id, cls, cleaned)
    verified = can_verify(cls)
    message = f"Connected to {cls.display_name} ({balance_text(balance)})."
    if not verified:
        message = (
            f"Stored the key for {cls.display_name}; it offers no way to check a key "
            "before use, so the first run will tell."
        )
    return {
        "ok": True,
        "provider": name,
        "verified": verified,
        "balance": balance_view(balance),
        "message": message,
        "fields": row.fields.split(",") if row.fields else [],
        "updated_at": row.updated_at,
    }


async def disconnect_provider(
    hub: ProviderHub, db: Database, owner_id: str, name: str
) -> dict[str, Any]:
    cls = hub.provider_class(name)
    async with db.transaction() as session:
        removed = await hub.vault.delete(session, owner_id, name)
    if not removed:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No stored key for {cls.display_name}: it is not connected.",
            detail={"provider": name},
            remediation=(f"Connect it with POST /v1/setup/providers/{name}/connect.",),
        )
    return {
        "ok": True,
        "provider": name,
        "message": f"Disconnected {cls.display_name}: its stored key was removed.",
    }
