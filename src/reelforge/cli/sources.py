"""``reelforge sources list|show|add|download|remove|installed``: model files (checkpoints,
LoRAs, upscalers ...) for a local ComfyUI, through the server's ``/v1/sources``.

``download`` starts the download on the server (the file lands in the server's ComfyUI
models folder) and follows its progress events with a progress bar; Ctrl-C stops watching,
not the download.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

from reelforge.cli.client import Api, connect, raise_for_envelope
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, err_console, new_table
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.sources import SourceType

sources_app = typer.Typer(
    help="Model sources: checkpoints, LoRAs, upscalers, VAEs for a local ComfyUI.",
    no_args_is_help=True,
)

AckChecksum = Annotated[
    bool,
    typer.Option(
        "--accept-missing-checksum",
        help="Download a file that has no sha256 (it cannot be verified: at your risk).",
    ),
]


def _size(n: int | None) -> str:
    if not n:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


@sources_app.command("list")
def list_sources(
    type_: Annotated[
        SourceType | None, typer.Option("--type", help="Only this type (checkpoint, lora ...).")
    ] = None,
    recommended: Annotated[bool, typer.Option(help="Only recommended entries.")] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Curated sources and your own (custom-), with what is installed."""
    params: dict[str, str] = {}
    if type_ is not None:
        params["type"] = type_.value
    if recommended:
        params["recommended"] = "true"
    with connect(server) as api:
        listing = api.request("GET", "/v1/sources", params=params)
    if as_json:
        emit_json(listing)
        return
    table = new_table(f"{listing['count']} model sources → {listing['models_dir']}")
    table.add_column("id", overflow="fold", ratio=2)
    table.add_column("type", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("license", overflow="ellipsis", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for s in listing["sources"]:
        marks = ("★ " if s["recommended"] else "") + ("example" if s["example"] else "")
        state = s["installed"]["status"].replace("_", " ")
        table.add_row(
            f"{s['id']} {marks}".strip(), s["type"], _size(s["size_bytes"]), s["license"], state
        )
    console.print(table)


@sources_app.command("show")
def show_source(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One source: file, license, checksum, where it lands."""
    with connect(server) as api:
        view = api.request("GET", f"/v1/sources/{source_id}")
    if as_json:
        emit_json(view)
        return
    say = lambda text: console.print(text, highlight=False)  # noqa: E731
    say(
        f"[bold]{view['name']}[/]  {view['id']}"
        + ("  [yellow](example)[/]" if view["example"] else "")
    )
    say(
        f"type: {view['type']} → models/{view['folder']}/{view['filename']} ({_size(view['size_bytes'])})"
    )
    say(
        f"license: {view['license']}"
        + (f"  {view['license_url']}" if view.get("license_url") else "")
    )
    say(f"sha256: {view['sha256'] or 'none (cannot be verified)'}")
    say(f"url: {view['url']}")
    for label in ("recommended_use", "hardware_notes", "notes"):
        if view.get(label):
            say(f"{label.replace('_', ' ')}: {view[label]}")
    installed = view["installed"]
    say(f"state: {installed['status'].replace('_', ' ')} ({installed['path']})")


@sources_app.command("add")
def add_source(
    name: Annotated[str, typer.Option(help="A name; the id is custom-<name>.")],
    type_: Annotated[SourceType, typer.Option("--type", help="checkpoint, lora, upscaler ...")],
    url: Annotated[str, typer.Option(help="http(s) download URL.")],
    filename: Annotated[str, typer.Option(help="The file name it is saved under.")],
    license_: Annotated[
        str, typer.Option("--license", help="MIT, Apache 2.0, CC0, Custom or Unknown.")
    ],
    sha256: Annotated[str | None, typer.Option(help="The file's SHA-256 (recommended).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeatable).")] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    accept_unknown_license: Annotated[
        bool, typer.Option(help="Add it although its license is Unknown.")
    ] = False,
    accept_missing_checksum: AckChecksum = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add your own model source (custom-...)."""
    body: dict[str, Any] = {
        "name": name,
        "type": type_.value,
        "url": url,
        "filename": filename,
        "license": license_,
        "sha256": sha256,
        "tags": tag or [],
        "notes": notes,
        "acknowledge_unknown_license": accept_unknown_license,
        "acknowledge_missing_checksum": accept_missing_checksum,
    }
    with connect(server) as api:
        view = api.request("POST", "/v1/sources", json=body)
    if as_json:
        emit_json(view)
        return
    console.print(f"added [bold]{view['id']}[/] → models/{view['folder']}/{view['filename']}")


@sources_app.command("remove")
def remove_source(
    source_id: Annotated[str, typer.Argument(metavar="ID")], server: ServerOpt = None
) -> None:
    """Remove one of your own sources (a downloaded file stays)."""
    with connect(server) as api:
        api.request("DELETE", f"/v1/sources/{source_id}")
    console.print(f"removed {source_id}")


@sources_app.command("installed")
def installed(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Model files in the models folder, with the source each came from."""
    with connect(server) as api:
        listing = api.request("GET", "/v1/sources/installed")
    if as_json:
        emit_json(listing)
        return
    table = new_table(f"{listing['count']} files in {listing['models_dir']}")
    for column in ("folder", "filename", "size", "source"):
        table.add_column(column, overflow="fold")
    for f in listing["files"]:
        table.add_row(f["folder"], f["filename"], _size(f["size_bytes"]), f["source_id"] or "")
    console.print(table)


def _follow(api: Api, source_id: str, on_view: Any) -> dict[str, Any]:
    """The download's events until its final one; returns the final view."""
    from httpx_sse import connect_sse

    with connect_sse(
        api.client,
        "GET",
        f"/v1/sources/{source_id}/download/events",
        timeout=httpx.Timeout(10.0, read=60.0),
    ) as source:
        if source.response.status_code >= 400:
            source.response.read()
        raise_for_envelope(source.response)
        for sse in source.iter_sse():
            if not sse.data:
                continue
            view: dict[str, Any] = json.loads(sse.data)
            on_view(view)
            if view["status"] != "running":
                return view
    final: dict[str, Any] = api.request("GET", f"/v1/sources/{source_id}/download")
    return final


@sources_app.command("download")
def download(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    accept_missing_checksum: AckChecksum = False,
    wait: Annotated[bool, typer.Option(help="Follow the progress until it ends.")] = True,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Download a source into the server's models folder (resumes a partial file)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    body = {"acknowledge_missing_checksum": accept_missing_checksum}
    with connect(server) as api:
        job = api.request("POST", f"/v1/sources/{source_id}/download", json=body)
        if wait and job["status"] == "running":
            progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                disable=as_json,
            )
            with progress:
                bar = progress.add_task(source_id, total=job.get("total_bytes"))

                def on_view(view: dict[str, Any]) -> None:
                    progress.update(bar, completed=view["done_bytes"], total=view["total_bytes"])

                try:
                    job = _follow(api, source_id, on_view)
                except KeyboardInterrupt:
                    err_console.print(
                        f"Stopped watching; the download goes on (`reelforge sources download "
                        f"{source_id}` follows it again)."
                    )
                    raise typer.Exit(130) from None
    if as_json:
        emit_json(job)
    if job["status"] == "failed" and job.get("error"):
        err = job["error"]
        code = err.get("code", "INTERNAL_ERROR")
        raise ReelForgeError(
            ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.INTERNAL_ERROR,
            err.get("message"),
            detail=err.get("detail"),
            remediation=tuple(err.get("remediation") or ()) or None,
        )
    if not as_json:
        if job["status"] == "succeeded":
            how = "verified" if job["verified"] else "NOT verified (no sha256)"
            done = "already installed" if job["already_installed"] else "downloaded"
            console.print(f"{done}: {job['path']} ({_size(job['done_bytes'])}, {how})")
        else:
            console.print(f"{job['status']}: {job['path']} ({_size(job['done_bytes'])} so far)")
