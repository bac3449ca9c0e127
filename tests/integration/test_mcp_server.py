"""The MCP door through the official ``mcp`` client only: over streamable HTTP at /mcp
(Bearer key) and over stdio (``reelforge mcp`` as a subprocess), against a running server."""

from __future__ import annotations

import base64
import io
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import av
import httpx
import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ImageContent, ResourceLink
from PIL import Image

import reelforge
from tests.integration.doors_world import Doors, doors

pytestmark = pytest.mark.slow

IMAGE = "grok/grok-imagine-image"  # sandboxed
VIDEO = "kling/kling-v2-master"
TOOLS = {
    "search_models",
    "describe_model",
    "quote",
    "generate",
    "run_pipeline",
    "get_run",
    "cancel_run",
    "list_artifacts",
    "balance",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    with doors(tmp_path_factory.mktemp("mcp")) as w:
        yield w


@asynccontextmanager
async def over_http(world: Doors, key: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key or world.key}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as client:
        async with streamable_http_client(f"{world.url}/mcp", http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                yield session


@asynccontextmanager
async def over_stdio(world: Doors) -> AsyncIterator[ClientSession]:
    src = str(Path(reelforge.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": src,
        "REELFORGE_SERVER": world.url,
        "REELFORGE_API_KEY": world.key,
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "reelforge.cli.main", "mcp"], env=env
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


async def _generate(session: ClientSession, **body: Any) -> tuple[Any, Progress]:
    progress = Progress()
    result = await session.call_tool("generate", {"generation": body}, progress_callback=progress)
    return result, progress


async def _check_image_round_trip(session: ClientSession) -> None:
    result, progress = await _generate(session, model=IMAGE, prompt="a lighthouse at dusk")
    assert not result.is_error, result.content
    assert len(progress.seen) >= 2 and progress.seen[-1][0] == 1.0
    assert progress.seen[0][0] == 0.0
    images = [c for c in result.content if isinstance(c, ImageContent)]
    assert len(images) == 1
    Image.open(io.BytesIO(base64.b64decode(images[0].data))).load()
    summary = result.structured_content
    assert summary is not None and summary["status"] == "succeeded"
    uri = summary["outputs"][0]["resource"]
    assert uri.startswith("reelforge://artifacts/art_")
    read = await session.read_resource(uri)
    content = read.contents[0]
    assert content.mime_type is not None and content.mime_type.startswith("image/")
    Image.open(io.BytesIO(base64.b64decode(content.blob))).load()  # type: ignore[union-attr]


async def test_tools_come_with_the_api_schemas_and_instructions(world: Doors) -> None:
    headers = {"Authorization": f"Bearer {world.key}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as client:
        async with streamable_http_client(f"{world.url}/mcp", http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = await session.initialize()
                assert init.instructions and "quote" in init.instructions
                tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    schema = str(tools["generate"].input_schema)
    for field in ("capability", "max_micros", "fallbacks", "prompt"):
        assert field in schema  # GenerationIn, the body of POST /v1/generations
    assert "edges" in str(tools["quote"].input_schema)  # the Pipeline document


async def test_generate_over_http_notifies_progress_and_reads_the_resource(world: Doors) -> None:
    async with over_http(world) as session:
        await _check_image_round_trip(session)


async def test_generate_video_returns_a_resource_link(world: Doors, tmp_path: Path) -> None:
    async with over_http(world) as session:
        result, progress = await _generate(session, model=VIDEO, prompt="waves roll in")
        assert not result.is_error, result.content
        assert progress.seen[-1][0] == 1.0
        links = [c for c in result.content if isinstance(c, ResourceLink)]
        assert len(links) == 1 and links[0].mime_type == "video/mp4"
        read = await session.read_resource(links[0].uri)
    path = tmp_path / "v.mp4"
    path.write_bytes(base64.b64decode(read.contents[0].blob))  # type: ignore[union-attr]
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(container.streams.video[0])) > 0


async def test_stdio_server_lists_generates_and_reads(world: Doors) -> None:
    async with over_stdio(world) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert tools == TOOLS
        await _check_image_round_trip(session)
        balance = await session.call_tool("balance", {})
        assert not balance.is_error and balance.structured_content
        assert "balance" in balance.structured_content


async def test_quote_search_and_describe(world: Doors) -> None:
    async with over_http(world) as session:
        quote = await session.call_tool(
            "quote", {"pipeline": {"nodes": [{"id": "a", "model": "fal/flux-dev", "prompt": "x"}]}}
        )
        assert not quote.is_error, quote.content
        assert quote.structured_content and quote.structured_content["total"]["micros"] == 25_000
        found = await session.call_tool("search_models", {"mode": "t2i", "max_micros": 25_000})
        models = found.structured_content["models"]  # type: ignore[index]
        assert models and all(m["price"]["micros"] <= 25_000 for m in models)
        described = await session.call_tool("describe_model", {"model_id": "local/tts"})
        assert described.structured_content["params"]  # type: ignore[index]


async def test_no_key_is_401(world: Doors) -> None:
    r = httpx.post(
        f"{world.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AUTH_FAILED"
    assert r.headers["www-authenticate"] == "Bearer"
    bad = httpx.post(f"{world.url}/mcp", json={}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    with pytest.raises(Exception):  # noqa: B017 - the SDK's own error for an HTTP 401
        async with over_http(world, key="rf_not_a_key"):
            pass


async def test_another_users_run_and_artifact_are_not_found(world: Doors) -> None:
    async with over_http(world) as owner:
        result, _ = await _generate(owner, model=IMAGE, prompt="a private sketch")
        summary = result.structured_content
        assert summary is not None
    _user, key = world.member("stranger")
    async with over_http(world, key) as other:
        for tool in ("get_run", "cancel_run"):
            seen = await other.call_tool(tool, {"run_id": summary["run_id"]})
            assert seen.is_error
            assert seen.structured_content["error"]["code"] == "NOT_FOUND"  # type: ignore[index]
        with pytest.raises(Exception, match="NOT_FOUND"):
            await other.read_resource(summary["outputs"][0]["resource"])
        mine = await other.call_tool("list_artifacts", {})
        assert mine.structured_content == {"artifacts": [], "next_before": None}


async def test_tool_errors_carry_code_and_remediation(world: Doors) -> None:
    async with over_http(world) as session:
        result, _ = await _generate(session, model="fal/flux-dve", prompt="x")
        assert result.is_error
        error = result.structured_content["error"]  # type: ignore[index]
        assert error["code"] == "NOT_FOUND" and error["remediation"]
        assert "fal/flux-dev" in error["message"]
        assert "NOT_FOUND" in result.content[0].text  # type: ignore[union-attr]
        bad = await session.call_tool("generate", {"generation": {"model": IMAGE, "colour": 1}})
        assert bad.is_error  # the API model forbids unknown fields, as /v1 does
