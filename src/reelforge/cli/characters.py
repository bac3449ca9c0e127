"""``reelforge characters list|create|show|delete``: characters through /v1/characters.

``create --image`` takes an artifact id or a local file (uploaded first through
/v1/uploads, so the server checks it as any upload); ``--voice`` takes a local TTS voice
id, an audio artifact id or a local audio file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import Api, connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table
from reelforge.domain.errors import ErrorCode, ReelForgeError

characters_app = typer.Typer(
    help="Characters: reference images and a voice, usable as a preset's identity reference.",
    no_args_is_help=True,
)


def _media(api: Api, value: str) -> str:
    """An artifact id as given, or the id of the local file once uploaded."""
    path = Path(value).expanduser()
    if not path.is_file():
        return value
    with path.open("rb") as fh:
        answer = api.request("POST", "/v1/uploads", files={"file": (path.name, fh)})
    return str(answer["id"])


def _metadata(pairs: list[str], as_file: Path | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if as_file is not None:
        loaded = json.loads(as_file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "--metadata-file must hold a JSON object.",
                detail={"field": "metadata"},
            )
        meta.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"--meta takes key=value, not {pair!r}.",
                detail={"field": "metadata"},
            )
        meta[key] = value
    return meta


def _show(c: dict[str, Any]) -> None:
    table = new_table(f"character {c['id']}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for field in ("name", "description", "identity_reference", "voice", "avatar_url"):
        table.add_row(field, "" if c.get(field) is None else str(c[field]))
    table.add_row("reference_images", ", ".join(c.get("reference_images") or []))
    if c.get("metadata"):
        table.add_row("metadata", json.dumps(c["metadata"]))
    table.add_row("created_at", str(c["created_at"])[:19].replace("T", " "))
    console.print(table)


@characters_app.command("list")
def list_characters(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Your characters."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    with connect(server) as api:
        while True:
            params = {"limit": 500, **({"after": after} if after else {})}
            page = api.request("GET", "/v1/characters", params=params)
            found += page["characters"]
            after = page.get("next_after")
            if not after:
                break
    if as_json:
        emit_json({"characters": found})
        return
    table = new_table(f"characters ({len(found)})")
    for col in ("id", "name", "images", "voice"):
        table.add_column(col, overflow="fold")
    for c in found:
        table.add_row(c["id"], c["name"], str(len(c["reference_images"])), c["voice"] or "")
    console.print(table)


@characters_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="1-100 characters.")],
    image: Annotated[
        list[str] | None,
        typer.Option("--image", "-i", help="A reference image: artifact id or file (1-3)."),
    ] = None,
    voice: Annotated[
        str | None,
        typer.Option(help="A TTS voice id (e.g. en_US-joe-medium), audio artifact id or file."),
    ] = None,
    description: Annotated[str | None, typer.Option(help="Up to 1000 characters.")] = None,
    avatar_url: Annotated[str | None, typer.Option(help="An http(s) URL.")] = None,
    meta: Annotated[list[str] | None, typer.Option("--meta", help="key=value, repeatable.")] = None,
    metadata_file: Annotated[
        Path | None, typer.Option(help="A JSON object file of metadata.")
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a character (local files are uploaded first)."""
    body: dict[str, Any] = {"name": name, "metadata": _metadata(meta or [], metadata_file)}
    if description is not None:
        body["description"] = description
    if avatar_url is not None:
        body["avatar_url"] = avatar_url
    with connect(server) as api:
        body["reference_images"] = [_media(api, value) for value in image or []]
        if voice is not None:
            body["voice"] = _media(api, voice)
        made = api.request("POST", "/v1/characters", json=body)
    if as_json:
        emit_json(made)
    else:
        _show(made)


@characters_app.command("show")
def show(
    character_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One character."""
    with connect(server) as api:
        found = api.request("GET", f"/v1/characters/{character_id}")
    if as_json:
        emit_json(found)
    else:
        _show(found)


@characters_app.command("delete")
def delete(
    character_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a character (its images and voice stay your artifacts)."""
    with connect(server) as api:
        api.request("DELETE", f"/v1/characters/{character_id}")
    if as_json:
        emit_json({"deleted": character_id})
    else:
        console.print(f"[green]✓[/] deleted {character_id}", highlight=False)
