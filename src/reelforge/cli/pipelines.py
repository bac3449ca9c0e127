"""``reelforge pipelines list|show|save|delete``: saved pipelines through /v1/pipelines
(the documents the studio's canvas saves; ``reelforge run FILE`` runs one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table
from reelforge.domain.errors import ErrorCode, ReelForgeError

pipelines_app = typer.Typer(
    help="Saved pipelines (the studio's canvas documents), versioned.", no_args_is_help=True
)


def _when(value: str) -> str:
    return str(value)[:19].replace("T", " ")


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{path} is not a readable JSON file ({exc}).",
            remediation=("Give a pipeline document as `reelforge run` takes it.",),
            detail={"path": str(path)},
        ) from exc
    if not isinstance(loaded, dict):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{path} must hold a JSON object (a pipeline document).",
            detail={"path": str(path)},
        )
    return loaded


@pipelines_app.command("list")
def list_pipelines(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Your saved pipelines, newest first."""
    found: list[dict[str, Any]] = []
    before: str | None = None
    with connect(server) as api:
        while True:
            params = {"limit": 200, **({"before": before} if before else {})}
            page = api.request("GET", "/v1/pipelines", params=params)
            found += page["pipelines"]
            before = page.get("next_before")
            if not before:
                break
    if as_json:
        emit_json({"pipelines": found})
        return
    table = new_table(f"saved pipelines ({len(found)})")
    for col in ("id", "name", "version", "nodes", "updated"):
        table.add_column(col, overflow="fold")
    for p in found:
        table.add_row(
            p["id"], p["name"], str(p["version"]), str(p["node_count"]), _when(p["updated_at"])
        )
    console.print(table)


@pipelines_app.command("show")
def show(
    pipeline_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[int | None, typer.Option(help="An earlier version.")] = None,
    document: Annotated[
        bool, typer.Option("--document", help="Print only the document (for `reelforge run`).")
    ] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A saved pipeline (its latest version, or --version N)."""
    path = f"/v1/pipelines/{pipeline_id}"
    with connect(server) as api:
        found = api.request("GET", f"{path}/versions/{version}" if version else path)
    if document:
        emit_json({k: v for k, v in found["document"].items() if k != "layout"})
        return
    if as_json:
        emit_json(found)
        return
    table = new_table(f"pipeline {pipeline_id} v{found['version']}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    table.add_row("name", found["name"])
    table.add_row("version", str(found["version"]))
    nodes = found["document"].get("nodes", [])
    table.add_row(
        "nodes", ", ".join(f"{n['id']} ({n.get('model') or 'capability'})" for n in nodes)
    )
    edges = found["document"].get("edges", [])
    table.add_row("edges", ", ".join(f"{e['from']} → {e['to']}" for e in edges))
    table.add_row("created_at", _when(found["created_at"]))
    console.print(table)


@pipelines_app.command("save")
def save(
    file: Annotated[Path, typer.Argument(help="A pipeline document (JSON), as `run` takes.")],
    name: Annotated[str | None, typer.Option(help="Default: the document's name.")] = None,
    pipeline_id: Annotated[
        str | None, typer.Option("--id", help="Save a new version of this pipeline.")
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(help="With --id: the version you edited (default: its latest)."),
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Save a pipeline document (checked as a run would be; refused ones save nothing)."""
    body: dict[str, Any] = {"document": _read(file)}
    if name is not None:
        body["name"] = name
    with connect(server) as api:
        if pipeline_id is None:
            saved = api.request("POST", "/v1/pipelines", json=body)
        else:
            if version is None:
                version = api.request("GET", f"/v1/pipelines/{pipeline_id}")["version"]
            body["version"] = version
            saved = api.request("PUT", f"/v1/pipelines/{pipeline_id}", json=body)
    if as_json:
        emit_json(saved)
    else:
        console.print(
            f"[green]✓[/] saved {saved['id']} version {saved['version']} ({saved['name']})",
            highlight=False,
        )


@pipelines_app.command("delete")
def delete(
    pipeline_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a saved pipeline and all its versions."""
    with connect(server) as api:
        api.request("DELETE", f"/v1/pipelines/{pipeline_id}")
    if as_json:
        emit_json({"deleted": pipeline_id})
    else:
        console.print(f"[green]✓[/] deleted {pipeline_id}", highlight=False)
