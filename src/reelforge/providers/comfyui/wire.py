"""ComfyUI wire facts: /object_info input specs, /prompt rejections, /history entries.

Pure functions over the server's JSON, so the adapter stays about the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import TaskStatus
from reelforge.providers.comfyui.extensions import extension_of
from reelforge.providers.comfyui.templates import FILE_LOADERS, MODEL_FILE_INPUTS

SETUP_HINT = (
    "Install the missing custom nodes (e.g. with ComfyUI-Manager) or model files on your "
    "ComfyUI server, restart it, then try again. ReelForge never installs them itself."
)
_EXTENSION_KINDS = {
    **dict.fromkeys(("png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"), MediaKind.IMAGE),
    **dict.fromkeys(("mp4", "webm", "mov", "mkv", "gif", "avi"), MediaKind.VIDEO),
    **dict.fromkeys(("wav", "mp3", "flac", "ogg", "m4a", "opus"), MediaKind.AUDIO),
}
# Output lists nodes put in their UI dict: images (SaveImage, SaveVideo), gifs
# (VideoHelperSuite), videos/video/audio (other savers).
OUTPUT_KEYS = ("images", "gifs", "videos", "video", "audio")


def combo_options(spec: Any) -> list[str] | None:
    """The choices of a combo input (``[[...], {...}]`` or newer ``["COMBO", {options}]``)."""
    if not isinstance(spec, list) or not spec:
        return None
    first = spec[0]
    if isinstance(first, list):
        return [str(x) for x in first]
    if first == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return [str(x) for x in spec[1].get("options") or []]
    return None


def input_spec(info: dict[str, Any], name: str) -> Any:
    inputs = info.get("input") or {}
    for group in ("required", "optional"):
        spec = (inputs.get(group) or {}).get(name)
        if spec is not None:
            return spec
    return None


def missing_nodes_error(template: str, missing: list[str]) -> ReelForgeError:
    """DEPENDENCY_MISSING naming each extension to install (or, for core node types, that
    ComfyUI itself is too old), with the extension's address and model files."""
    packs: dict[str, dict[str, Any]] = {}
    core: list[str] = []
    for node in missing:
        ext = extension_of(node)
        if ext is None:
            core.append(node)
        else:
            packs.setdefault(ext.name, {**ext.to_dict(), "missing_nodes": []})
            packs[ext.name]["missing_nodes"].append(node)
    needs = [f"the ComfyUI extension {name} ({p['url']})" for name, p in packs.items()]
    if core:
        needs.append(f"core node type(s) {', '.join(core)} (a newer ComfyUI)")
    remediation = [
        f"Install {name} into ComfyUI/custom_nodes (e.g. with ComfyUI-Manager: {p['url']})"
        + (f", pip install {p['pip']} in ComfyUI's Python" if p.get("pip") else "")
        + f", and put its models in place: {p['models']}."
        for name, p in packs.items()
    ]
    if core:
        remediation.append("Update ComfyUI (git pull, or the latest portable build).")
    remediation.append(
        "Restart ComfyUI, then try again. ReelForge never installs extensions or models itself."
    )
    return ReelForgeError(
        ErrorCode.DEPENDENCY_MISSING,
        f"comfyui: {template} needs {'; '.join(needs)}: node type(s) {', '.join(missing)} "
        "are not installed on the server.",
        detail={
            "provider": "comfyui",
            "template": template,
            "missing_nodes": missing,
            "install": [
                *packs.values(),
                *([{"extension": "ComfyUI core", "missing_nodes": core}] if core else []),
            ],
        },
        remediation=tuple(remediation),
    )


def graph_problems(
    graph: dict[str, Any], infos: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(model files the server lacks, other combo values it does not offer); node types
    missing from ``infos`` are skipped (missing_nodes_error names those)."""
    models: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    for node_id, node in graph.items():
        info = infos.get(node["class_type"])
        if info is None:
            continue
        for name, value in node["inputs"].items():
            # Links are [node, index]; a loader's file was uploaded a moment ago.
            if isinstance(value, list) or FILE_LOADERS.get(node["class_type"]) == name:
                continue
            options = combo_options(input_spec(info, name))
            # combo_options gives strings; some combos hold numbers (log levels).
            if options is None or value in options or str(value) in options:
                continue
            fact = {
                "node": node_id,
                "class_type": node["class_type"],
                "input": name,
                "value": value,
            }
            if name in MODEL_FILE_INPUTS:
                models.append({**fact, "available": options[:25]})
            else:
                invalid.append({**fact, "allowed": options[:25]})
    return models, invalid


def missing_models_error(template: str, models: list[dict[str, Any]]) -> ReelForgeError:
    names = ", ".join(str(m["value"]) for m in models)
    return ReelForgeError(
        ErrorCode.DEPENDENCY_MISSING,
        f"comfyui: model file(s) not on the server: {names}.",
        detail={"provider": "comfyui", "template": template, "missing_models": models},
        remediation=(
            "Download the file into the matching ComfyUI models folder, or pick one of "
            "the files listed in `detail` (e.g. params.checkpoint).",
        ),
    )


def check_graph(template: str, graph: dict[str, Any], infos: dict[str, dict[str, Any]]) -> None:
    """Every node installed, every model file present, every other combo value allowed."""
    missing = sorted({n["class_type"] for n in graph.values()} - set(infos))
    if missing:
        raise missing_nodes_error(template, missing)
    models, invalid = graph_problems(graph, infos)
    if models:
        raise missing_models_error(template, models)
    if invalid:
        first = invalid[0]
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"comfyui: {first['input']}={first['value']!r} is not offered by the server.",
            detail={"provider": "comfyui", "field": first["input"], "invalid": invalid},
        )


def prompt_rejection(status: int, body: Any) -> ReelForgeError:
    """A 400 from POST /prompt: ``{"error": {type, message, details}, "node_errors": {...}}``
    (older servers: ``{"error": "no prompt", "node_errors": []}``)."""
    error = body.get("error") if isinstance(body, dict) else None
    node_errors = body.get("node_errors") if isinstance(body, dict) else None
    if isinstance(error, str):
        error = {"type": "", "message": error}
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or "the server refused the workflow")
    detail: dict[str, Any] = {"provider": "comfyui", "status": status, "type": error.get("type")}
    found = re.search(r"node (.+) does not exist", message)
    if found:
        return missing_nodes_error("the workflow", [found.group(1)])
    problems = []
    for node_id, entry in (node_errors or {}).items() if isinstance(node_errors, dict) else []:
        for err in entry.get("errors") or []:
            problems.append(
                {
                    "node": node_id,
                    "class_type": entry.get("class_type"),
                    "type": err.get("type"),
                    "message": err.get("message"),
                    "details": err.get("details"),
                }
            )
    if problems:
        detail["node_errors"] = problems
        first = problems[0]
        missing_model = first["type"] == "value_not_in_list" and any(
            f"{name}:" in str(first["details"] or "") for name in MODEL_FILE_INPUTS
        )
        if missing_model:
            return ReelForgeError(
                ErrorCode.DEPENDENCY_MISSING,
                f"comfyui: {first['details']}",
                detail=detail,
                remediation=(SETUP_HINT,),
            )
        detail["field"] = str(first["details"] or "").split(":", 1)[0] or "workflow"
        return ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"comfyui: node {first['node']} ({first['class_type']}): {first['message']}",
            detail=detail,
        )
    return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"comfyui: {message}", detail=detail)


@dataclass(frozen=True)
class FileRef:
    filename: str
    subfolder: str
    type: str

    @property
    def kind(self) -> MediaKind:
        ext = self.filename.rsplit(".", 1)[-1].lower()
        return _EXTENSION_KINDS.get(ext, MediaKind.IMAGE)

    def query(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}


@dataclass(frozen=True)
class Finished:
    status: TaskStatus
    files: list[FileRef]
    error: ReelForgeError | None = None


def read_history(prompt_id: str, entry: dict[str, Any]) -> Finished:
    """A finished prompt's history entry → status, its output files, or its error."""
    status = entry.get("status") or {}
    events = {
        m[0]: m[1] if len(m) > 1 and isinstance(m[1], dict) else {}
        for m in status.get("messages") or []
        if isinstance(m, list | tuple) and m
    }
    if "execution_interrupted" in events:
        return Finished(TaskStatus.CANCELED, [])
    if status.get("status_str") == "error" or "execution_error" in events:
        return Finished(
            TaskStatus.FAILED, [], execution_error(prompt_id, events.get("execution_error", {}))
        )
    files: list[FileRef] = []
    for output in (entry.get("outputs") or {}).values():
        for key in OUTPUT_KEYS:
            for item in output.get(key) or []:
                if isinstance(item, dict) and item.get("filename"):
                    files.append(
                        FileRef(
                            str(item["filename"]),
                            str(item.get("subfolder") or ""),
                            str(item.get("type") or "output"),
                        )
                    )
    saved = [f for f in files if f.type == "output"]
    return Finished(TaskStatus.SUCCEEDED, saved or files)


def execution_error(prompt_id: str, data: dict[str, Any]) -> ReelForgeError:
    kind = str(data.get("exception_type") or "")
    text = str(data.get("exception_message") or "the workflow failed")[:300]
    # Out of memory may pass on a quieter GPU; other node exceptions repeat as they are.
    oom = "outofmemory" in kind.lower().replace(" ", "") or "out of memory" in text.lower()
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"comfyui: node {data.get('node_id')} ({data.get('node_type')}) failed: {text}",
        detail={
            "provider": "comfyui",
            "task_id": prompt_id,
            "node_id": data.get("node_id"),
            "node_type": data.get("node_type"),
            "exception_type": kind,
        },
        retryable=oom,
    )
