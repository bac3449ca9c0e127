"""What a template needs that a server lacks: extensions, core node types, model files.

Pure over ``/object_info`` answers, so the adapter's plan-time check and its submit give
the same verdict (see the API described at the top of templates.py).
"""

from __future__ import annotations

from typing import Any

from reelforge.domain.errors import ReelForgeError
from reelforge.providers.comfyui.extensions import extension_of
from reelforge.providers.comfyui.templates import Template
from reelforge.providers.comfyui.wire import (
    graph_problems,
    missing_models_error,
    missing_nodes_error,
)


def missing_nodes(template: Template, infos: dict[str, dict[str, Any]]) -> list[str]:
    return [t for t in template.node_types if t not in infos]


def _missing_models(
    template: Template, infos: dict[str, dict[str, Any]], params: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Model files the graph would load that the server lacks; a file the request has not
    chosen yet (an empty required parameter, e.g. the LoRA) is the request's to fill."""
    models, _invalid = graph_problems(template.with_params(params or {}), infos)
    return [m for m in models if m["value"] not in (None, "")]


def missing_names(
    template: Template, infos: dict[str, dict[str, Any]], params: dict[str, Any] | None = None
) -> list[str]:
    """``extension:<name>`` for each extension to install, ``node:<type>`` for a core node
    type the server lacks, ``model:<file>`` for each model file it lacks; [] when none."""
    names: list[str] = []
    for node in missing_nodes(template, infos):
        ext = extension_of(node)
        name = f"extension:{ext.name}" if ext is not None else f"node:{node}"
        if name not in names:
            names.append(name)
    for model in _missing_models(template, infos, params):
        name = f"model:{model['value']}"
        if name not in names:
            names.append(name)
    return names


def dependency_error(
    template: Template, infos: dict[str, dict[str, Any]], params: dict[str, Any] | None = None
) -> ReelForgeError | None:
    """The DEPENDENCY_MISSING error submit would raise, or None when nothing is missing."""
    missing = missing_nodes(template, infos)
    if missing:
        return missing_nodes_error(template.name, missing)
    models = _missing_models(template, infos, params)
    if models:
        return missing_models_error(template.name, models)
    return None
