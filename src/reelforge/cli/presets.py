"""``reelforge presets list|show|run``: the preset library as the server serves it
(``GET /v1/presets``), and runs of presets followed live like ``reelforge run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import Api, connect
from reelforge.cli.options import JsonOpt, OutputOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table
from reelforge.cli.runs import _parse_param, read_document, start
from reelforge.domain.errors import ErrorCode, ReelForgeError

presets_app = typer.Typer(
    help="Presets: named pipelines with typed inputs and quality levels.", no_args_is_help=True
)


@presets_app.command("list")
def list_presets(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """List the presets."""
    with connect(server) as api:
        listing = api.request("GET", "/v1/presets")
    if as_json:
        emit_json(listing)
        return
    table = new_table(f"{len(listing['presets'])} presets")
    table.add_column("id", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("inputs (* required)", overflow="fold")
    table.add_column("goal", overflow="ellipsis", ratio=2)
    for p in listing["presets"]:
        inputs = ", ".join(n + ("*" if i["required"] else "") for n, i in p["inputs"].items())
        consent = " [yellow](consent)[/]" if p["requires_consent"] else ""
        table.add_row(p["id"], p["category"], inputs, p["goal"] + consent)
    console.print(table)


@presets_app.command("show")
def show_preset(
    preset_id: Annotated[str, typer.Argument(help="e.g. image_to_video_v1")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A preset's inputs, quality levels (with the price range of each) and steps."""
    with connect(server) as api:
        preset = api.request("GET", f"/v1/presets/{preset_id}")
    if as_json:
        emit_json(preset)
        return
    console.print(f"[bold]{preset['name']}[/] ({preset['id']})", highlight=False)
    console.print(preset["goal"], highlight=False)
    schema = preset["input_schema"]
    inputs = new_table("inputs")
    for column in ("name", "type", "required", "about"):
        inputs.add_column(column, overflow="fold")
    for name, prop in schema["properties"].items():
        kind = prop.get("x-media-kind") or prop.get("type")
        if prop.get("enum"):
            kind = " | ".join(prop["enum"])
        inputs.add_row(name, str(kind), "yes" if name in schema["required"] else "", prop["title"])
    console.print(inputs)
    levels = new_table("quality levels")
    for column in ("level", "price", "what changes"):
        levels.add_column(column, overflow="fold")
    for name, level in preset["quality_levels"].items():
        price = level.get("price") or {}
        shown = price.get("display") or (price.get("error") or {}).get("code", "")
        levels.add_row(name, shown, level["description"])
    console.print(levels)
    for step in preset["steps"]:
        engines = ", ".join(e["model"] for e in step["engines"]) or f"preset {step['preset']}"
        when = f" [dim](when {step['when']})[/]" if step["when"] else ""
        console.print(f"· {step['title']}: {engines}{when}", highlight=False, soft_wrap=True)
    for note in preset["safety_notes"]:
        console.print(f"[yellow]![/] {note}", highlight=False)


def _upload(api: Api, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        if value.startswith("art_"):
            return value  # an artifact already stored
        raise ReelForgeError(
            ErrorCode.FILE_NOT_FOUND, f"No such file: {value}", detail={"path": value}
        )
    with path.open("rb") as fh:
        return str(api.request("POST", "/v1/uploads", files={"file": (path.name, fh)})["id"])


def collect_inputs(api: Api, schema: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Files named by media inputs are uploaded; their artifact ids are sent instead."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        prop = schema["properties"].get(name, {})
        if prop.get("x-media-kind") and isinstance(value, str):
            out[name] = _upload(api, value)
        elif prop.get("x-identity"):
            values = value if isinstance(value, list) else [value]
            out[name] = [_upload(api, str(v)) for v in values]
        else:
            out[name] = value
    return out


@presets_app.command("run")
def run_preset(
    preset_id: Annotated[str, typer.Argument(help="e.g. image_to_video_v1")],
    input_values: Annotated[
        list[str] | None,
        typer.Option("--input", help="name=value (a file for media inputs); repeat."),
    ] = None,
    inputs_file: Annotated[
        Path | None, typer.Option("--inputs", help="A JSON file of the inputs.")
    ] = None,
    image: Annotated[str | None, typer.Option(help="The image input (a file).")] = None,
    video: Annotated[str | None, typer.Option(help="The video input (a file).")] = None,
    audio: Annotated[str | None, typer.Option(help="The audio input (a file).")] = None,
    identity: Annotated[
        list[str] | None, typer.Option("--identity", help="A reference face photo; up to 3.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="The prompt input.")] = None,
    quality: Annotated[str, typer.Option(help="low, standard or pro.")] = "standard",
    consent: Annotated[
        bool, typer.Option(help="I have permission to use this face/identity.")
    ] = False,
    output: OutputOpt = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a preset, follow its steps live, and print (or save with -o) the results."""
    given: dict[str, Any] = dict(read_document(inputs_file)) if inputs_file else {}
    given.update(dict(_parse_param(v) for v in input_values or []))
    shortcuts = {"image": image, "video": video, "audio": audio, "prompt": prompt}
    given.update({k: v for k, v in shortcuts.items() if v is not None})
    if identity:
        given["identity_reference"] = list(identity)
    with connect(server) as api:
        preset = api.request("GET", f"/v1/presets/{preset_id}")
        body = {
            "preset": preset_id,
            "inputs": collect_inputs(api, preset["input_schema"], given),
            "quality": quality,
            "consent_given": consent,
        }
        start(api, "/v1/runs", body, server=server, as_json=as_json, output=output)


__all__ = ["presets_app"]
