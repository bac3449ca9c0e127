"""Providers: status, bring-your-own-key credentials, and a connection test."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.schemas import RequestModel
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import Provider

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
    }


@router.get("")
async def list_providers(container: ContainerDep, principal: CurrentPrincipal) -> dict[str, Any]:
    hub = container.hub
    items = []
    for name in hub.registry.names():
        cls = hub.provider_class(name)
        connection, source = await hub.connection(name, principal.user_id)
        items.append(
            {
                **_describe(cls),
                "connection": connection.value,
                "credential_source": source,
                "sandbox": connection.value == "sandbox",
            }
        )
    return {"providers": items, "sandbox_mode": hub.sandbox}


@router.put("/{name}/credential")
async def put_credential(
    name: str, body: CredentialIn, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Store (or replace) your key for a provider. It is encrypted at rest and never returned."""
    cls = container.hub.provider_class(name)
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
    await resolved.provider.verify(resolved.credential)
    balance = await resolved.provider.balance(resolved.credential)
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
