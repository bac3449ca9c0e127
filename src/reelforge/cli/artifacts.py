"""``reelforge artifacts list|show|get``: stored media, downloaded through the server."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import Api, connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table, price_text

artifacts_app = typer.Typer(help="Stored media: list, show, get.", no_args_is_help=True)

_FILENAME = re.compile(r'filename="?([^";]+)"?')


def extension_for(content_type: str | None) -> str:
    from reelforge.domain.media import EXTENSIONS

    return EXTENSIONS.get((content_type or "").split(";")[0].strip(), ".bin")


def _target(dest_text: str, served_name: str, *, several: bool, label: str) -> Path:
    """Where one download goes: into a directory under its served name, or to the file
    asked for (its extension from the media type when it has none; with several outputs
    each gets ``-<label>``)."""
    dest = Path(dest_text).expanduser()
    if dest.is_dir() or dest_text.endswith(("/", os.sep)):
        return dest / served_name
    ext = Path(served_name).suffix
    stem, suffix = (dest.with_suffix(""), dest.suffix) if dest.suffix else (dest, ext)
    if several:
        stem = stem.with_name(f"{stem.name}-{label}")
    return stem.with_name(stem.name + suffix)


def download(
    api: Api, artifact_id: str, dest: str, *, several: bool = False, label: str = ""
) -> Path:
    """Stream an artifact's bytes to ``dest`` (written whole or not at all)."""
    with api.stream(f"/v1/artifacts/{artifact_id}/content") as response:
        match = _FILENAME.search(response.headers.get("content-disposition", ""))
        served = match.group(1) if match else ""
        if not Path(served).suffix:
            served = f"{artifact_id}{extension_for(response.headers.get('content-type'))}"
        path = _target(dest, Path(served).name, several=several, label=label or artifact_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in response.iter_bytes(1024 * 1024):
                    fh.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


@artifacts_app.command("get")
def get(
    artifact_id: Annotated[str, typer.Argument(metavar="ID")],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="A directory (ending in / or existing) or a file name."
        ),
    ] = ".",
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Download an artifact's bytes."""
    with connect(server) as api:
        path = download(api, artifact_id, output)
    if as_json:
        emit_json({"artifact_id": artifact_id, "output": str(path), "size": path.stat().st_size})
    else:
        console.print(f"[green]✓[/] {path}", highlight=False)


@artifacts_app.command("show")
def show(
    artifact_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An artifact's type, size and provenance."""
    with connect(server) as api:
        art = api.request("GET", f"/v1/artifacts/{artifact_id}")
    if as_json:
        emit_json(art)
        return
    prov = art.get("provenance") or {}
    console.print(
        f"[bold]{art['id']}[/]  {art['content_type']}  {art['size']} bytes", highlight=False
    )
    if art.get("sandbox"):
        console.print("sandbox result", highlight=False)
    for key in ("model", "source", "run_id", "node_id"):
        if prov.get(key):
            console.print(f"{key}: {prov[key]}", highlight=False)
    if prov.get("cost_micros") is not None:
        console.print(f"cost: {price_text(prov['cost_micros'])}", highlight=False)
    console.print(f"sha256: {art['sha256']}", highlight=False)


@artifacts_app.command("list")
def list_artifacts(
    kind: Annotated[str | None, typer.Option(help="image, video or audio.")] = None,
    model: Annotated[str | None, typer.Option(help="Made by this model (catalog id).")] = None,
    run: Annotated[str | None, typer.Option(help="Made by this run.")] = None,
    since: Annotated[str | None, typer.Option(help="Stored at or after (ISO, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Stored before (ISO, UTC).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many (newest first).")] = 20,
    before: Annotated[str | None, typer.Option(help="Older than this artifact id.")] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your artifacts (the gallery), newest first."""
    wanted = {
        "kind": kind,
        "model": model,
        "run_id": run,
        "created_after": since,
        "created_before": until,
        "before": before,
    }
    params: dict[str, Any] = {"limit": limit, **{k: v for k, v in wanted.items() if v}}
    with connect(server) as api:
        page = api.request("GET", "/v1/artifacts", params=params)
    if as_json:
        emit_json(page)
        return
    table = new_table(f"{len(page['artifacts'])} artifacts")
    table.add_column("id", overflow="fold")
    table.add_column("type", no_wrap=True)
    table.add_column("model", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("created", no_wrap=True)
    for art in page["artifacts"]:
        prov = art.get("provenance") or {}
        created = str(art.get("created_at") or "")[5:16].replace("T", " ")
        table.add_row(
            art["id"], art["media_type"], prov.get("model") or prov.get("source") or "-",
            str(art["size"]), created,
        )  # fmt: skip
    console.print(table)
    if page.get("next_before"):
        console.print(
            f"more: reelforge artifacts list --before {page['next_before']}", highlight=False
        )


@artifacts_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Any media file, ours or not.")],
    as_json: JsonOpt = False,
) -> None:
    """Validate a file's content credentials (C2PA) and print them; read here, with no
    server. A sidecar FILE.c2pa beside it is used. Exit 1 when they fail validation
    (tampered, or a broken signature); a file without any exits 0 and says so."""
    from reelforge.cli.verify import verify_file

    raise typer.Exit(verify_file(file, as_json=as_json))
