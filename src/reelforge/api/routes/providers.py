"""Providers: status, bring-your-own-key credentials, and a connection test."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.schemas import RequestModel
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.setup.connect import check_credential
from reelforge.providers.base import Provider
from reelforge.providers.credentials import check_values
from reelforge.providers.health import credential_key
from reelforge.providers.hub import ResolvedProvider

HEALTH_CHECK_SECONDS = 5.0

router = APIRouter(prefix="/v1/providers", tags=["providers"])


class CredentialIn(RequestModel):
    values: dict[str, str] = Field(
        description="Credential fields by name (see `credential_fields` in GET /v1/providers)."
    )


def _describe(cls: type[Provider]) -> dict[str, Any]:
    return {
        "name": cls.name,
        "display_name": cls.display_name,
        "credential_fields": [
            {"name": f.name, "env_vars": list(f.env_vars), "secret": f.secret}
            for f in cls.credential_fields
        ],
        "credential_optional": cls.credential_optional,
        "supports_cancel": cls.supports_cancel,
        "supports_callbacks": cls.supports_callbacks,
        # How a submission cut short by a crash is settled (engine.recovery).
        "reconciliation": cls.reconciliation(),
        "reconciliation_note": (
            "sent again with the same idempotency key"
            if cls.idempotent_submit
            else cls.reconcile_note
        ),
    }


@router.get("")
async def list_providers(
    container: ContainerDep,
    principal: CurrentPrincipal,
    check: Annotated[
        bool, Query(description="Also run each connected provider's health check now.")
    ] = False,
) -> dict[str, Any]:
    """Every provider: connection, and the health of the credential you would use (status,
    last error, cooldown until, recent error rate, p50 latency) with its request limits."""
    hub = container.hub
    engine = getattr(container, "engine", None)
    if engine is not None:
        await engine.health.refresh(force=True)
    items = []
    checks: list[tuple[dict[str, Any], ResolvedProvider]] = []
    for name in hub.registry.names():
        cls = hub.provider_class(name)
        item: dict[str, Any] = {**_describe(cls)}
        try:
            resolved = await hub.resolve(name, principal.user_id)
        except ReelForgeError:
            item.update(connection="offline", credential_source="none", sandbox=False)
            item["health"] = {"status": "offline"}
            items.append(item)
            continue
        key = credential_key(resolved.credential)
        item.update(
            connection=resolved.connection.value,
            credential_source=resolved.credential.source,
            sandbox=resolved.sandbox,
        )
        if engine is not None:
            item["health"] = engine.health.snapshot(key)
            item["limits"] = engine.limits.snapshot(key)
        if check:
            checks.append((item, resolved))
        items.append(item)
    await asyncio.gather(*(_check(item, resolved) for item, resolved in checks))
    return {"providers": items, "sandbox_mode": hub.sandbox}


async def _check(item: dict[str, Any], resolved: ResolvedProvider) -> None:
    try:
        async with asyncio.timeout(HEALTH_CHECK_SECONDS):
            health = await resolved.provider.health()
        item["check"] = {"ok": health.ok, "detail": health.detail}
    except TimeoutError:
        item["check"] = {"ok": False, "detail": {"error": "health check timed out"}}
    except ReelForgeError as exc:
        item["check"] = {"ok": False, "detail": {"code": str(exc.code), "error": exc.message}}


@router.put("/{name}/credential")
async def put_credential(
    name: str, body: CredentialIn, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Store (or replace) your key for a provider. It is encrypted at rest and never returned."""
    cls = container.hub.provider_class(name)
    if container.hub.engine_urls is not None:  # before anything is stored or reached
        await container.hub.engine_urls.check_values(
            check_values(cls, body.values), principal.user_id, principal.role
        )
    async with container.db.transaction() as session:
        row = await container.vault.put(session, principal.user_id, cls, body.values)
    return {
        "provider": name,
        "fields": row.fields.split(",") if row.fields else [],
        "source": "stored",
        "updated_at": row.updated_at,
    }


@router.delete("/{name}/credential", status_code=204)
async def delete_credential(
    name: str, container: ContainerDep, principal: CurrentPrincipal
) -> None:
    container.hub.provider_class(name)
    async with container.db.transaction() as session:
        if not await container.vault.delete(session, principal.user_id, name):
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No stored credential for {name!r}.")


@router.post("/{name}/test")
async def test_provider(
    name: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Verify the credential with the provider and read its balance where it has one."""
    resolved = await container.hub.resolve(name, principal.user_id)
    # (The setup hub's connect checks a key the same way before storing it.)
    balance = await check_credential(resolved.provider, resolved.credential)
    health = await resolved.provider.health()
    return {
        "provider": name,
        "ok": True,
        "connection": resolved.connection.value,
        "sandbox": resolved.sandbox,
        "credential_source": resolved.credential.source,
        "balance": None
        if balance is None
        else {"amount": balance.amount, "unit": balance.unit, "detail": balance.detail},
        "health": {"ok": health.ok, "detail": health.detail},
    }
