"""``reelforge run`` and ``reelforge generate``: start work on the server and watch it."""

from __future__ import annotations

import json
import mimetypes
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from reelforge.cli.client import Api, connect
from reelforge.cli.output import console, emit_json
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd
from reelforge.settings import Settings

ServerOpt = Annotated[
    str | None, typer.Option("--server", help="ReelForge URL (default from settings).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
_TERMINAL = {"succeeded", "failed", "canceled"}


def _parse_param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"--param needs key=value, got {text!r}.",
            detail={"param": text},
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _kind_of_url(url: str) -> str:
    guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
    for kind in ("image", "video", "audio"):
        if guessed and guessed.startswith(kind + "/"):
            return kind
    raise ReelForgeError(
        ErrorCode.UNSUPPORTED_MEDIA,
        f"Cannot tell whether {url!r} is an image, video or audio.",
        remediation=("Download it and pass the file instead.",),
    )


def _inputs(api: Api, items: list[str]) -> list[dict[str, Any]]:
    result = []
    for item in items:
        if item.startswith(("http://", "https://")):
            result.append({"url": item, "kind": _kind_of_url(item)})
            continue
        path = Path(item).expanduser()
        if not path.is_file():
            raise ReelForgeError(
                ErrorCode.FILE_NOT_FOUND, f"No such file: {item}", detail={"path": item}
            )
        with path.open("rb") as fh:
            uploaded = api.request("POST", "/v1/uploads", files={"file": (path.name, fh)})
        result.append({"artifact_id": uploaded["id"]})
    return result


def _table(run: dict[str, Any]) -> Table:
    table = Table(title=f"run {run['id']} · {run['status']}", expand=False)
    for col in ("step", "model", "status", "progress", "cost"):
        table.add_column(col)
    for step in run["steps"]:
        progress = step.get("progress")
        table.add_row(
            step["node_id"],
            step.get("served_by") or step["model"],
            step["status"] + (" (sandbox)" if step.get("sandbox") else ""),
            f"{progress * 100:.0f}%" if progress is not None else "",
            format_usd(step.get("cost_micros")) if step.get("cost_micros") is not None else "",
        )
    return table


def follow(api: Api, run: dict[str, Any], *, quiet: bool) -> dict[str, Any]:
    """Watch a run until it ends (a live table for people; silence with --json)."""
    if quiet:
        while run["status"] not in _TERMINAL:
            time.sleep(0.3)
            run = api.request("GET", f"/v1/runs/{run['id']}")
        return run
    with Live(_table(run), console=console, refresh_per_second=8) as live:
        while run["status"] not in _TERMINAL:
            time.sleep(0.3)
            run = api.request("GET", f"/v1/runs/{run['id']}")
            live.update(_table(run))
    return run


def _outputs(api: Api, run: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in run.get("outputs", []):
        art = api.request("GET", f"/v1/artifacts/{item['artifact_id']}")
        out.append(
            {
                "artifact_id": art["id"],
                "url": art["url"],
                "media_type": art["media_type"],
                "model": art["provenance"].get("model"),
                "sandbox": art["sandbox"],
                "node_id": item["node_id"],
            }
        )
    return out


def _finish(run: dict[str, Any], outputs: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        first = outputs[0] if outputs else {}
        emit_json(
            {
                **first,
                "run_id": run["id"],
                "status": run["status"],
                "cost_micros": run["cost_micros"],
                "outputs": outputs,
                "error": run.get("error"),
            }
        )
    else:
        for out in outputs:
            label = " (sandbox)" if out["sandbox"] else ""
            console.print(f"[green]✓[/] {out['node_id']}: {out['artifact_id']}{label}")
        console.print(
            f"cost {format_usd(run['cost_micros'])} · quote {format_usd(run['quote_micros'])}"
        )
        if run.get("error"):
            console.print(f"[red]{run['error'].get('code')}[/]: {run['error'].get('message')}")
    if run["status"] != "succeeded":
        raise typer.Exit(1)


def generate(
    model: Annotated[str, typer.Option(help="Catalog id, e.g. kling/t2v_5s.")],
    prompt: Annotated[str, typer.Option(help="What to make.")] = "",
    inputs: Annotated[
        list[str] | None, typer.Option("--input", help="A file or URL; repeat.")
    ] = None,
    params: Annotated[list[str] | None, typer.Option("--param", help="key=value; repeat.")] = None,
    negative_prompt: Annotated[str | None, typer.Option(help="What to avoid.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed, where the model takes one.")] = None,
    consent: Annotated[
        bool, typer.Option(help="I have permission to use this face/voice.")
    ] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate with one model and print the stored artifact."""
    settings = Settings()
    with connect(settings, server) as api:
        body = {
            "model": model,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "params": dict(_parse_param(p) for p in params or []),
            "inputs": _inputs(api, inputs or []),
            "consent": consent,
        }
        run = api.request("POST", "/v1/generations", json=body)
        run = follow(api, run, quiet=as_json)
        _finish(run, _outputs(api, run), as_json)


def run_pipeline(
    pipeline_file: Annotated[Path, typer.Argument(help="A pipeline JSON document.")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a pipeline document and watch its steps."""
    try:
        document = json.loads(pipeline_file.read_text())
    except FileNotFoundError as exc:
        raise ReelForgeError(ErrorCode.FILE_NOT_FOUND, f"No such file: {pipeline_file}") from exc
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, f"{pipeline_file} is not JSON: {exc}"
        ) from exc
    body = document if "pipeline" in document or "preset" in document else {"pipeline": document}
    with connect(Settings(), server) as api:
        run = api.request("POST", "/v1/runs", json=body)
        run = follow(api, run, quiet=as_json)
        _finish(run, _outputs(api, run), as_json)
