"""``reelforge run`` and ``reelforge generate``: start work on the server and watch it."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge.cli.client import Api, connect
from reelforge.cli.live import follow
from reelforge.cli.options import JsonOpt, OutputOpt, ServerOpt
from reelforge.cli.output import console, emit_json, price_text, quote_text, show_warnings
from reelforge.domain.errors import ErrorCode, ReelForgeError


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


def finish(
    api: Api,
    run: dict[str, Any],
    *,
    as_json: bool,
    output: str | None = None,
) -> None:
    """Show a finished run's outputs (saved under ``output`` when given) and its cost."""
    from reelforge.cli.artifacts import download

    outputs = _outputs(api, run)
    several = len(outputs) > 1
    for out in outputs:
        if output is not None and run["status"] == "succeeded":
            path = download(api, out["artifact_id"], output, several=several, label=out["node_id"])
            out["output"] = str(path)
    if as_json:
        first = outputs[0] if outputs else {}
        emit_json(
            {
                **first,
                "run_id": run["id"],
                "status": run["status"],
                "cost_micros": run["cost_micros"],
                "quote_micros": run.get("quote_micros"),
                "price_unknown": bool(run.get("price_unknown")),
                "warnings": run.get("warnings") or [],
                "outputs": outputs,
                "error": run.get("error"),
            }
        )
    else:
        for out in outputs:
            label = " (sandbox)" if out["sandbox"] else ""
            where = out.get("output") or out["artifact_id"]
            console.print(
                f"[green]✓[/] {out['node_id']}: {where}{label}", highlight=False, soft_wrap=True
            )
        if outputs and output is None:
            console.print(
                f"[dim]save with: reelforge artifacts get {outputs[0]['artifact_id']} -o .[/]",
                highlight=False,
            )
        console.print(
            f"cost {price_text(run['cost_micros'])} · quote {quote_text(run)}", highlight=False
        )
        if run.get("error"):
            err = run["error"]
            console.print(f"[red]{err.get('code')}[/]: {err.get('message')}", highlight=False)
    if run["status"] != "succeeded":
        raise typer.Exit(1)


def start(
    api: Api,
    path: str,
    body: dict[str, Any],
    *,
    server: str | None,
    as_json: bool,
    output: str | None,
) -> None:
    """Start a run (``POST path``), show its warnings, follow it and finish."""
    run = api.request("POST", path, json=body)
    if not as_json:
        console.print(f"run {run['id']} · quote {quote_text(run)}", highlight=False)
        show_warnings(run)
    posted = run.get("warnings") or []
    run = follow(api, run, quiet=as_json, server=server)
    run["warnings"] = run.get("warnings") or posted  # (a view without them: the POST's)
    finish(api, run, as_json=as_json, output=output)


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
    output: OutputOpt = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate with one model, follow it, and print (or save) the result."""
    with connect(server) as api:
        body = {
            "model": model,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "params": dict(_parse_param(p) for p in params or []),
            "inputs": _inputs(api, inputs or []),
            "consent": consent,
        }
        start(api, "/v1/generations", body, server=server, as_json=as_json, output=output)


def read_document(pipeline_file: Path) -> dict[str, Any]:
    try:
        document = json.loads(pipeline_file.read_text())
    except FileNotFoundError as exc:
        raise ReelForgeError(
            ErrorCode.FILE_NOT_FOUND,
            f"No such file: {pipeline_file}",
            detail={"path": str(pipeline_file)},
        ) from exc
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, f"{pipeline_file} is not JSON: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, f"{pipeline_file} is not a pipeline document (an object)."
        )
    return document


def run_pipeline(
    pipeline_file: Annotated[Path, typer.Argument(help="A pipeline JSON document.")],
    output: OutputOpt = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a pipeline document, follow its steps, and print (or save) the results."""
    document = read_document(pipeline_file)
    body = document if "pipeline" in document or "preset" in document else {"pipeline": document}
    with connect(server) as api:
        start(api, "/v1/runs", body, server=server, as_json=as_json, output=output)
