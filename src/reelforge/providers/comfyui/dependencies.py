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
    models, _invalid = graph_problems(template.with_params(params or {}), infos)
    for model in models:
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
    models, _invalid = graph_problems(template.with_params(params or {}), infos)
    if models:
        return missing_models_error(template.name, models)
    return None
