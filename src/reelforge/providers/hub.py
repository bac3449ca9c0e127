"""Which adapter and credential serve a call: live with the user's key, or the sandbox.

With a credential (stored, then environment) a provider is live. Without one, and with
sandbox mode on, it is served by its in-process emulator and every result says
``sandbox: true``. Otherwise it is offline (ENGINE_OFFLINE naming the fix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import Credential, Provider
from reelforge.providers.credentials import CredentialVault, env_credential
from reelforge.providers.plugins import ProviderRegistry
from reelforge.storage.engine_urls import EngineUrlPolicy


class Connection(StrEnum):
    LIVE = "live"
    SANDBOX = "sandbox"
    OFFLINE = "offline"


@dataclass(frozen=True)
class SandboxEndpoint:
    client: httpx.AsyncClient  # bound to the emulator (in-process transport)
    base_url: str
    credential: Mapping[str, str]


@dataclass(frozen=True)
class ResolvedProvider:
    provider: Provider
    credential: Credential
    connection: Connection

    @property
    def sandbox(self) -> bool:
        return self.connection is Connection.SANDBOX


class ProviderHub:
    def __init__(
        self,
        registry: ProviderRegistry,
        vault: CredentialVault,
        client: httpx.AsyncClient,
        *,
        sandbox: bool,
        base_urls: Mapping[str, str] | None = None,
        sandbox_endpoints: Mapping[str, SandboxEndpoint] | None = None,
        engine_urls: EngineUrlPolicy | None = None,
    ) -> None:
        self.registry = registry
        self.vault = vault
        self.client = client
        self.sandbox = sandbox
        self.base_urls = dict(base_urls or {})
        self.sandbox_endpoints = dict(sandbox_endpoints or {})
        # A stored credential's URL fields are checked again at each use (storage.engine_urls).
        self.engine_urls = engine_urls

    def provider_class(self, name: str) -> type[Provider]:
        cls = self.registry.get(name)
        if cls is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"No provider {name!r}.",
                detail={"provider": name, "available": self.registry.names()},
            )
        return cls

    def live(self, name: str) -> Provider:
        cls = self.provider_class(name)
        return cls(self.client, self.base_urls.get(name))

    async def resolve(self, name: str, owner_id: str | None) -> ResolvedProvider:
        cls = self.provider_class(name)
        credential = await self.vault.resolve(owner_id, cls)
        if credential is not None:
            if credential.source == "stored" and self.engine_urls is not None:
                await self.engine_urls.check_values(dict(credential.values), owner_id)
            return ResolvedProvider(self.live(name), credential, Connection.LIVE)
        endpoint = self.sandbox_endpoints.get(name) if self.sandbox else None
        if endpoint is not None:
            provider = cls(endpoint.client, endpoint.base_url)
            return ResolvedProvider(
                provider, Credential(name, dict(endpoint.credential), "sandbox"), Connection.SANDBOX
            )
        if cls.credential_optional:
            return ResolvedProvider(self.live(name), Credential(name, {}, "none"), Connection.LIVE)
        env_vars = [v for f in cls.credential_fields for v in f.env_vars[:1]]
        raise ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            f"{cls.display_name} is not connected.",
            detail={"provider": name, "env_vars": env_vars},
            retryable=False,
        )

    async def connections(self, names: set[str], owner_id: str) -> dict[str, Connection]:
        """How each provider would be reached now, with one database query for them all."""
        stored = await self.vault.stored_providers(owner_id) if names else set()
        result: dict[str, Connection] = {}
        for name in names:
            cls = self.provider_class(name)
            if not cls.credential_fields or name in stored or env_credential(cls) is not None:
                result[name] = Connection.LIVE
            elif self.sandbox and name in self.sandbox_endpoints:
                result[name] = Connection.SANDBOX
            elif cls.credential_optional:
                result[name] = Connection.LIVE
            else:
                result[name] = Connection.OFFLINE
        return result

    async def sources(self, names: set[str], owner_id: str) -> dict[str, str]:
        """Where each provider's credential would come from now: ``stored``, ``env``,
        ``none`` (keyless), ``sandbox`` or ``offline`` (one query for them all). Whose
        money pays follows from it (billing.own_keys)."""
        stored = await self.vault.stored_providers(owner_id) if names else set()
        result: dict[str, str] = {}
        for name in names:
            cls = self.provider_class(name)
            if not cls.credential_fields:
                result[name] = "none"
            elif name in stored:
                result[name] = "stored"
            elif env_credential(cls) is not None:
                result[name] = "env"
            elif self.sandbox and name in self.sandbox_endpoints:
                result[name] = "sandbox"
            elif cls.credential_optional:
                result[name] = "none"
            else:
                result[name] = "offline"
        return result

    async def connection(self, name: str, owner_id: str | None) -> tuple[Connection, str]:
        """(connection, credential source) without raising, for listings."""
        try:
            resolved = await self.resolve(name, owner_id)
        except ReelForgeError:
            return Connection.OFFLINE, "none"
        return resolved.connection, resolved.credential.source
