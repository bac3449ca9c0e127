"""``reelforge quote FILE``: the price of a pipeline (or one model) before it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import Api, connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table, price_text
from reelforge.domain.errors import ErrorCode, ReelForgeError


def _ask(api: Api, pipeline: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/quotes with the pipeline document as it is (the server plans it as a run)."""
    return api.request("POST", "/v1/quotes", json=pipeline)


def quote(
    pipeline_file: Annotated[
        Path | None, typer.Argument(help="A pipeline JSON document (or use --model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Quote one model instead.")] = None,
    prompt: Annotated[
        str | None, typer.Option(help="The prompt, with --model (text-to-* models need one).")
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Price a pipeline before it runs; unknown prices are said, never shown as $0."""
    from reelforge.cli.runs import read_document

    if (pipeline_file is None) == (model is None):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Give a pipeline file or --model, one of the two.",
            remediation=("reelforge quote pipeline.json", "reelforge quote --model fal/flux-dev"),
        )
    if pipeline_file is not None:
        document = read_document(pipeline_file)
        pipeline = document.get("pipeline", document)
    else:
        node: dict[str, Any] = {"id": "gen", "model": model}
        if prompt is not None:
            node["prompt"] = prompt
        pipeline = {"nodes": [node]}
    with connect(server) as api:
        answer = _ask(api, pipeline)
    if as_json:
        emit_json(answer)
        return
    table = new_table("quote")
    table.add_column("node", overflow="fold")
    table.add_column("model", overflow="fold")
    table.add_column("price", no_wrap=True, justify="right")
    for given, node in zip(pipeline.get("nodes") or (), answer["nodes"], strict=False):
        counted = node.get("counted_model")
        name = node["model"] + (
            f" (counts {counted})" if counted and counted != node["model"] else ""
        )
        table.add_row(
            node.get("id") or given.get("id", ""), name, price_text(node["micros"], node["known"])
        )
    console.print(table)
    total = answer["total"]
    console.print(f"total {price_text(total['micros'], total['known'])}", highlight=False)
