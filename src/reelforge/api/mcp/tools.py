"""The MCP server: tools and resources over the ``/v1`` API (see backend.py).

Tool inputs are the API's own Pydantic models (GenerationIn, Pipeline, RunIn), so the
schemas an agent sees are the ones ``/v1`` validates. A failing tool answers
``is_error`` with our error code, message and remediation, as text and structured.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import (
    AudioContent,
    CallToolResult,
    ContentBlock,
    ImageContent,
    ResourceLink,
    TextContent,
)
from pydantic import Field

from reelforge import __version__
from reelforge.api.mcp.backend import Backend
from reelforge.api.routes.generations import GenerationIn
from reelforge.api.routes.runs import RunIn
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.media import sniff_content_type
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import Pipeline

INSTRUCTIONS = """ReelForge makes images, video and audio with many providers' models, billed in
credits. Pick tools in this order:
1. search_models (by mode: t2i, i2i, t2v, i2v, tts, ...; text; max_micros price ceiling) to
   find a model id, then describe_model for its parameters and price.
2. ALWAYS call quote before a costly run (video, several images, any pipeline): it prices
   the request exactly as it would run, without spending anything. Check balance if unsure.
3. generate runs one model and waits for it (progress is notified); it returns the image or
   audio itself, or a resource link (reelforge://artifacts/<id>) for video.
   run_pipeline starts a multi-step pipeline and returns at once: follow it with get_run,
   stop it with cancel_run (the unspent hold comes back).
4. list_artifacts and the reelforge://artifacts/<id> resources give stored results.
Prices are micro-USD (1_000_000 = $1). Errors carry a code (INSUFFICIENT_FUNDS,
NOT_FOUND, PRICE_UNKNOWN, ...) and remediation steps: follow them rather than retrying
blindly. Sandbox results (no provider key connected) are free and labelled sandbox."""

ARTIFACT_URI = "reelforge://artifacts/{artifact_id}"
FINAL = {"succeeded", "failed", "canceled"}
FIRST_WAIT = 2.0  # seconds the generate call waits in its POST (most images are done)
POLL_SECONDS = 0.5
MAX_WAIT = 600.0

BackendFor = Callable[[Context], Backend]


def _ok(data: Any, extra: list[ContentBlock] | None = None) -> CallToolResult:
    text = TextContent(type="text", text=json.dumps(data, default=str))
    structured = data if isinstance(data, dict) else {"result": data}
    return CallToolResult(content=[*(extra or []), text], structured_content=structured)


def _failed(error: ReelForgeError) -> CallToolResult:
    body = {"error": error.to_dict()}
    text = f"{error.code}: {error.message}\n" + "\n".join(f"- {r}" for r in error.remediation)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=body, is_error=True
    )


def _progress(run: dict[str, Any]) -> float:
    steps = [s for s in run["steps"] if not s["implicit"]] or run["steps"]
    if not steps:
        return 0.0
    done = sum(1.0 if s["status"] == "succeeded" else (s.get("progress") or 0.0) for s in steps)
    return min(1.0, done / len(steps))


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["id"],
        "status": run["status"],
        "quote_micros": run["quote_micros"],
        "cost_micros": run["cost_micros"],
        "sandbox": run["sandbox"],
        "error": run["error"],
        "outputs": [
            {**o, "resource": ARTIFACT_URI.format(artifact_id=o["artifact_id"])}
            for o in run.get("outputs", [])
        ],
        "warnings": run.get("warnings", []),
    }


async def _media_blocks(api: Backend, run: dict[str, Any]) -> list[ContentBlock]:
    """Images and audio inline (one read each: the type is the answer's); a video as a
    link to its resource (its facts read, its bytes left for the client to ask for)."""
    modes = {s["node_id"]: s["mode"] for s in run["steps"] if not s["implicit"]}
    blocks: list[ContentBlock] = []
    for output in run.get("outputs", []):
        artifact_id = output["artifact_id"]
        mode = modes.get(output["node_id"])
        if mode is None or Mode(mode).output_kind is not MediaKind.VIDEO:
            answer = await api.send("GET", f"/v1/artifacts/{artifact_id}/content")
            ctype = answer.headers.get("content-type", "application/octet-stream")
            data = base64.b64encode(answer.content).decode()
            if ctype.startswith("image/"):
                blocks.append(ImageContent(type="image", data=data, mime_type=ctype))
                continue
            if ctype.startswith("audio/"):
                blocks.append(AudioContent(type="audio", data=data, mime_type=ctype))
                continue
        meta = await api.call("GET", f"/v1/artifacts/{artifact_id}")
        blocks.append(
            ResourceLink(
                type="resource_link",
                uri=ARTIFACT_URI.format(artifact_id=artifact_id),
                name=meta["name"] or artifact_id,
                mime_type=meta["content_type"],
                size=meta["size"],
            )
        )
    return blocks


class ReelForgeMCP(MCPServer[Any]):
    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        """An artifact's type is known from its bytes, not the template: say it."""
        result = await super().read_resource(uri, context)
        if isinstance(result, list):
            result = [
                ReadResourceContents(
                    c.content, sniff_content_type(c.content[:64]) or c.mime_type, c.meta
                )
                if isinstance(c.content, bytes)
                else c
                for c in result
            ]
        return result


def build_server(backend_for: BackendFor) -> MCPServer[Any]:
    server = ReelForgeMCP(
        name="reelforge", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    async def guarded(ctx: Context, work: Callable[[Backend], Any]) -> CallToolResult:
        try:
            return await work(backend_for(ctx))
        except ReelForgeError as exc:
            return _failed(exc)

    @server.tool()
    async def search_models(
        ctx: Context,
        mode: Mode | None = None,
        text: Annotated[str | None, Field(max_length=200)] = None,
        max_micros: Annotated[int | None, Field(ge=0)] = None,
        limit: Annotated[int, Field(ge=1, le=100)] = 20,
    ) -> CallToolResult:
        """Find models by mode (t2i, i2i, t2v, i2v, v2v, tts, lipsync, ...), text in their
        id/label/tags, and a price ceiling in micro-USD (unknown prices are left out when a
        ceiling is given). Cheapest first within a mode."""

        async def work(api: Backend) -> CallToolResult:
            query = {k: v for k, v in (("mode", mode), ("q", text)) if v}
            listing = await api.call("GET", "/v1/models", params=query)
            found = [
                m
                for m in listing["models"]
                if max_micros is None
                or (m["price"]["micros"] is not None and m["price"]["micros"] <= max_micros)
            ]
            return _ok({"models": found[:limit], "count": len(found)})

        return await guarded(ctx, work)

    @server.tool()
    async def describe_model(ctx: Context, model_id: str) -> CallToolResult:
        """One model: its parameter schema (names, types, ranges, defaults), inputs,
        limits and price."""

        async def work(api: Backend) -> CallToolResult:
            return _ok(await api.call("GET", f"/v1/models/{model_id}"))

        return await guarded(ctx, work)

    @server.tool()
    async def quote(ctx: Context, pipeline: Pipeline) -> CallToolResult:
        """The price of a pipeline (one node for a single generation) before it runs,
        planned exactly as a run would be. Spends nothing: call it before costly work."""

        async def work(api: Backend) -> CallToolResult:
            doc = pipeline.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            return _ok(await api.call("POST", "/v1/quotes", json=doc))

        return await guarded(ctx, work)

    @server.tool()
    async def generate(ctx: Context, generation: GenerationIn) -> CallToolResult:
        """Run one model and wait for the result (progress is notified). Images and audio
        come back as content; a video as a resource link to read. Costs credits: quote
        first when unsure."""

        async def work(api: Backend) -> CallToolResult:
            doc = generation.model_dump(mode="json", exclude_defaults=True)
            await ctx.report_progress(0.0, 1.0, "started")
            run = await api.call(
                "POST", "/v1/generations", json=doc, headers={"Prefer": f"wait={FIRST_WAIT:g}"}
            )
            waited = FIRST_WAIT
            last = -1.0
            while run["status"] not in FINAL and waited < MAX_WAIT:
                now = _progress(run)
                if now != last:
                    await ctx.report_progress(now, 1.0, run["status"])
                    last = now
                await asyncio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
                run = await api.call("GET", f"/v1/runs/{run['id']}")
            await ctx.report_progress(1.0 if run["status"] in FINAL else last, 1.0, run["status"])
            summary = _summary(run)
            if run["status"] != "succeeded":
                return CallToolResult(
                    content=[TextContent(type="text", text=json.dumps(summary, default=str))],
                    structured_content=summary,
                    is_error=run["status"] in FINAL,
                )
            return _ok(summary, await _media_blocks(api, run))

        return await guarded(ctx, work)

    @server.tool()
    async def run_pipeline(ctx: Context, run: RunIn) -> CallToolResult:
        """Start a pipeline (nodes and edges, as POST /v1/runs takes). Its quote is held
        first; answers at once with the run id: follow it with get_run."""

        async def work(api: Backend) -> CallToolResult:
            doc = run.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            return _ok(_summary(await api.call("POST", "/v1/runs", json=doc)))

        return await guarded(ctx, work)

    @server.tool()
    async def get_run(ctx: Context, run_id: str) -> CallToolResult:
        """A run's status, steps (progress, cost, errors) and outputs (artifact resources)."""

        async def work(api: Backend) -> CallToolResult:
            run = await api.call("GET", f"/v1/runs/{run_id}")
            return _ok({**_summary(run), "steps": run["steps"]})

        return await guarded(ctx, work)

    @server.tool()
    async def cancel_run(ctx: Context, run_id: str) -> CallToolResult:
        """Stop a run: pending steps are dropped, provider tasks canceled, the unspent hold
        released."""

        async def work(api: Backend) -> CallToolResult:
            return _ok(_summary(await api.call("POST", f"/v1/runs/{run_id}/cancel")))

        return await guarded(ctx, work)

    @server.tool()
    async def list_artifacts(
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        before: str | None = None,
    ) -> CallToolResult:
        """Your stored media, newest first, each with its resource URI."""

        async def work(api: Backend) -> CallToolResult:
            params: dict[str, Any] = {"limit": limit}
            if before:
                params["before"] = before
            page = await api.call("GET", "/v1/artifacts", params=params)
            for item in page["artifacts"]:
                item["resource"] = ARTIFACT_URI.format(artifact_id=item["id"])
            return _ok(page)

        return await guarded(ctx, work)

    @server.tool()
    async def balance(ctx: Context) -> CallToolResult:
        """Your credits: balance, holds in flight, plan and period."""

        async def work(api: Backend) -> CallToolResult:
            return _ok(await api.call("GET", "/v1/credits"))

        return await guarded(ctx, work)

    @server.resource(ARTIFACT_URI, name="artifact", mime_type="application/octet-stream")
    async def artifact(artifact_id: str, ctx: Context) -> bytes:
        """A stored artifact's bytes (image, video or audio)."""
        try:
            data: bytes = await backend_for(ctx).call("GET", f"/v1/artifacts/{artifact_id}/content")
        except ReelForgeError as exc:
            raise ResourceError(f"{exc.code}: {exc.message}") from exc
        return data

    return server
