"""Every provider through `reelforge emulate` (one app, a path prefix each), over real HTTP
on 127.0.0.1: the adapter with the emulator's sandbox credential submits, polls to the
result, and the output it names downloads as real media."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from reelforge.app import emulators_app
from reelforge.emulators import registry
from reelforge.providers.base import Credential
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate
from tests.emulator_requests import REQUESTS, check_media, output_bytes
from tests.helpers import free_port, serve_asgi


@pytest.fixture(scope="module")
def emulate() -> Iterator[dict[str, str]]:
    port = free_port()
    app, names = emulators_app(f"http://127.0.0.1:{port}")
    with serve_asgi(app, port) as url:
        yield {name: f"{url}/{name}" for name in names}


def test_every_emulator_has_a_request_here(emulate: dict[str, str]) -> None:
    assert set(REQUESTS) == set(emulate) == set(registry.names())


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_provider_through_emulate_submit_to_result(
    emulate: dict[str, str], name: str
) -> None:
    cls = load_registry().get(name)
    assert cls is not None
    credential = Credential(name, registry.load(name).sandbox_credential, "env")
    async with httpx.AsyncClient(timeout=20) as client:
        provider = cls(client, emulate[name])
        result = await asyncio.wait_for(
            generate(provider, REQUESTS[name], credential, interval=0.05, timeout=20), 30
        )
        assert result.outputs
        for output in result.outputs:
            carried = output_bytes(output.url)  # the answer carried the bytes
            if carried is not None:
                check_media(carried, output.media_type)
                continue
            # Output URLs point back at the emulator under its own prefix, as handed out.
            assert output.url.startswith(emulate[name] + "/"), output.url
            response = await client.get(output.url)
            assert response.status_code == 200, (output.url, response.text[:200])
            check_media(response.content, output.media_type)
