"""The diagnostics export: one JSON document a user can attach to a bug report.

System facts, the healthcheck matrix (engines, providers, tools, checks), the model files
a local ComfyUI has, non-secret settings, and the last log lines. Built from rows that
hold no key in the first place, then passed through the log redactor as a whole (every
registered secret value, sensitive field names, tokens in URLs), so a key that slipped
into an error message or a log line is masked too.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

from reelforge import __version__
from reelforge.logs import recent_log_lines, redact

LOG_LINES = 100
# ReelForge API keys ("rf_" + 43 url-safe characters): users' keys are stored only as
# hashes, so they are not registered secrets; their shape is masked instead.
_API_KEY = re.compile(r"\brf_[A-Za-z0-9_-]{20,}")
MAX_MODEL_FILES = 2000


def system_info(matrix: dict[str, Any]) -> dict[str, Any]:
    rows = {row["id"]: row for row in matrix.get("system", [])}
    disk = (rows.get("disk") or {}).get("detail") or {}
    gpu = (rows.get("gpu") or {}).get("detail") or {}
    return {
        "os": f"{platform.system().lower()} {platform.release()}",
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python_version": platform.python_version(),
        "python": sys.executable,
        "cpu_count": os.cpu_count(),
        "reelforge_version": __version__,
        "disk_space": {"free_gb": disk.get("free_gb"), "total_gb": disk.get("total_gb")},
        "gpu": {"available": bool(gpu.get("available")), "model": gpu.get("model")},
    }


def installed_models(comfyui_dir: Path | None) -> dict[str, Any]:
    """Model files under the ComfyUI ``models`` folder (relative path, folder, size)."""
    if comfyui_dir is None:
        return {"source": None, "files": [], "note": "no ComfyUI folder configured"}
    root = comfyui_dir / "models"
    files: list[dict[str, Any]] = []
    truncated = False
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith((".", "put_")):
                continue  # ComfyUI's "put_checkpoints_here" placeholders
            if len(files) >= MAX_MODEL_FILES:
                truncated = True
                break
            rel = path.relative_to(root)
            files.append(
                {
                    "path": str(rel),
                    "folder": rel.parts[0] if len(rel.parts) > 1 else "",
                    "size_bytes": path.stat().st_size,
                }
            )
    return {"source": str(root), "files": files, "truncated": truncated}


def build(
    matrix: dict[str, Any],
    *,
    comfyui_dir: Path | None,
    settings: dict[str, Any],
    engine_logs: dict[str, list[str]],
    generated_at: str,
) -> dict[str, Any]:
    document = {
        "generated_at": generated_at,
        "system_info": system_info(matrix),
        "engines": matrix.get("engines", []) + matrix.get("tools", []),
        "providers": matrix.get("providers", []),
        "checks": matrix.get("system", []),
        "summary": matrix.get("summary", {}),
        "models_installed": installed_models(comfyui_dir),
        "settings": settings,
        "logs": recent_log_lines(LOG_LINES),
        "engine_logs": engine_logs,
    }
    redacted: dict[str, Any] = _mask_api_keys(redact(document))
    return redacted


def _mask_api_keys(value: Any) -> Any:
    if isinstance(value, str):
        return _API_KEY.sub("[redacted]", value)
    if isinstance(value, dict):
        return {k: _mask_api_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_api_keys(v) for v in value]
    return value
