"""Bring-your-own-key: encrypted at rest, never returned, resolved at call time."""

from __future__ import annotations

from typing import ClassVar

import httpx
import pytest
from sqlalchemy import select

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.hub import Connection, SandboxEndpoint
from reelforge.storage.credential_tables import CredentialRow

SECRET_VALUE = "echo-secret-4f9d2c7b1a"


class EchoProvider(Provider):
    name: ClassVar[str] = "echo"
    display_name: ClassVar[str] = "Echo"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_key", ("ECHO_API_KEY",)),
    )

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        return ProviderTask(provider=self.name, task_id="t", model=request.model, mode=request.mode)

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        return TaskUpdate(status=TaskStatus.SUCCEEDED)

    async def verify(self, credential: Credential) -> bool:
        if credential.get("api_key") == "bad":
            raise ReelForgeError(ErrorCode.AUTH_FAILED, "echo: the provider rejected the API key.")
        return True


@pytest.fixture
def echo(container: Container) -> Container:
    container.hub.registry.register(EchoProvider)
    return container


async def _owner_id(client: httpx.AsyncClient) -> str:
    return str((await client.get("/v1/me")).json()["id"])


async def test_stored_credential_is_encrypted_and_never_returned(
    echo: Container, client: httpx.AsyncClient
) -> None:
    r = await client.put(
        "/v1/providers/echo/credential", json={"values": {"api_key": SECRET_VALUE}}
    )
    assert r.status_code == 200 and r.json()["fields"] == ["api_key"]
    assert SECRET_VALUE not in r.text
    async with echo.db.session() as s:
        row = (await s.execute(select(CredentialRow))).scalar_one()
    assert SECRET_VALUE.encode() not in row.ciphertext
    listing = await client.get("/v1/providers")
    assert SECRET_VALUE not in listing.text
    echo_item = next(p for p in listing.json()["providers"] if p["name"] == "echo")
    assert echo_item["connection"] == "live" and echo_item["credential_source"] == "stored"
    resolved = await echo.hub.resolve("echo", await _owner_id(client))
    assert resolved.credential.values["api_key"] == SECRET_VALUE
    assert SECRET_VALUE not in repr(resolved.credential)


async def test_replacing_takes_effect_at_once_and_env_is_the_fallback(
    echo: Container, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await _owner_id(client)
    monkeypatch.setenv("ECHO_API_KEY", "from-env-123456")
    assert (await echo.hub.resolve("echo", owner)).credential.source == "env"
    await client.put("/v1/providers/echo/credential", json={"values": {"api_key": "first-123456"}})
    assert (await echo.hub.resolve("echo", owner)).credential.values["api_key"] == "first-123456"
    await client.put("/v1/providers/echo/credential", json={"values": {"api_key": "second-123456"}})
    assert (await echo.hub.resolve("echo", owner)).credential.values["api_key"] == "second-123456"
    assert (await client.delete("/v1/providers/echo/credential")).status_code == 204
    assert (await echo.hub.resolve("echo", owner)).credential.source == "env"


async def test_unknown_fields_and_bad_key(echo: Container, client: httpx.AsyncClient) -> None:
    r = await client.put("/v1/providers/echo/credential", json={"values": {"token": "x"}})
    assert r.json()["error"]["code"] == "CONTRACT_MISMATCH"
    assert r.json()["error"]["detail"]["allowed"] == ["api_key"]
    await client.put("/v1/providers/echo/credential", json={"values": {"api_key": "bad"}})
    test = await client.post("/v1/providers/echo/test")
    # The provider refused its key: not a ReelForge authentication failure (that is 401).
    assert test.status_code == 424 and test.json()["error"]["code"] == "AUTH_FAILED"
    assert test.json()["error"]["detail"]["provider"] == "echo"
    assert "www-authenticate" not in test.headers
    assert "PUT /v1/providers/echo/credential" in " ".join(test.json()["error"]["remediation"])
    own = await client.get("/v1/me", headers={"Authorization": "Bearer rf_wrong"})
    assert own.status_code == 401 and own.json()["error"]["code"] == "AUTH_FAILED"
    assert own.headers["www-authenticate"] == "Bearer"


async def test_offline_without_key_and_sandbox_route(
    echo: Container, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECHO_API_KEY", raising=False)
    owner = await _owner_id(client)
    with pytest.raises(ReelForgeError) as info:
        await echo.hub.resolve("echo", owner)
    assert info.value.code is ErrorCode.ENGINE_OFFLINE
    assert "ECHO_API_KEY" in " ".join(info.value.remediation)
    sandbox_client = httpx.AsyncClient(base_url="http://echo.sandbox")
    echo.hub.sandbox_endpoints["echo"] = SandboxEndpoint(
        sandbox_client, "http://echo.sandbox", {"api_key": "sandbox"}
    )
    resolved = await echo.hub.resolve("echo", owner)
    assert resolved.connection is Connection.SANDBOX and resolved.sandbox
    assert resolved.provider.base_url == "http://echo.sandbox"
    test = (await client.post("/v1/providers/echo/test")).json()
    assert test["sandbox"] is True and test["ok"] is True
    await sandbox_client.aclose()


async def test_connection_state_follows_a_stored_key_at_once(
    echo: Container, client: httpx.AsyncClient
) -> None:
    """The set of providers with stored keys is remembered briefly (every run asks); a key
    stored or removed in this process is seen by the next run at once."""
    owner = await _owner_id(client)
    assert (await echo.hub.connections({"echo"}, owner))["echo"] is Connection.OFFLINE
    await client.put("/v1/providers/echo/credential", json={"values": {"api_key": "k-123456"}})
    assert (await echo.hub.connections({"echo"}, owner))["echo"] is Connection.LIVE
    assert (await client.delete("/v1/providers/echo/credential")).status_code == 204
    assert (await echo.hub.connections({"echo"}, owner))["echo"] is Connection.OFFLINE
