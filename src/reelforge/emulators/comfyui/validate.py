"""``POST /prompt`` validation as ComfyUI's execution.validate_prompt answers it.

Prompt-level errors (missing class_type, unknown node, no outputs) stop at the first one;
input errors are gathered per node under ``node_errors`` with the outputs they block.
Not emulated: link type checks (return_type_mismatch) and custom VALIDATE_INPUTS beyond
LoadImage's file check.
"""

from __future__ import annotations

import re
from typing import Any

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _err(kind: str, message: str, details: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def prompt_error(kind: str, message: str, details: str = "") -> dict[str, Any]:
    return {"error": _err(kind, message, details), "node_errors": {}}


def check_prompt_id(value: Any) -> dict[str, Any] | None:
    if value is None or (isinstance(value, str) and _UUID.match(value)):
        return None
    return prompt_error(
        "invalid_prompt_id", "Invalid prompt_id", "prompt_id must be a canonical lowercase UUID"
    )


def validate(
    graph: Any, info: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[str]]:
    """(error body or None, output node ids)."""
    if not isinstance(graph, dict):
        return prompt_error("invalid_prompt", "Invalid prompt", "prompt must be an object"), []
    outputs: list[str] = []
    for node_id, node in graph.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return (
                prompt_error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                ),
                [],
            )
        class_type = node["class_type"]
        if class_type not in info:
            return (
                prompt_error(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                ),
                [],
            )
        if info[class_type].get("output_node"):
            outputs.append(str(node_id))
    if not outputs:
        return prompt_error("prompt_no_outputs", "Prompt has no outputs"), []
    node_errors: dict[str, Any] = {}
    for output in outputs:
        for node_id in upstream(graph, output):
            errors = _node_errors(graph, node_id, info)
            if errors:
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": errors,
                        "dependent_outputs": [],
                        "class_type": graph[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)
    if node_errors:
        body = prompt_error("prompt_outputs_failed_validation", "Prompt outputs failed validation")
        body["node_errors"] = node_errors
        return body, outputs
    return None, outputs


def upstream(graph: dict[str, Any], output: str) -> list[str]:
    """The nodes an output needs, dependencies first (ComfyUI's execution order)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen or node_id not in graph:
            return
        seen.add(node_id)
        for value in (graph[node_id].get("inputs") or {}).values():
            if _is_link(value):
                visit(str(value[0]))
        order.append(node_id)

    visit(output)
    return order


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def _node_errors(graph: dict[str, Any], node_id: str, info: dict[str, dict[str, Any]]) -> list[Any]:
    node = graph[node_id]
    spec = info[node["class_type"]]["input"]
    inputs = node.get("inputs") or {}
    errors: list[Any] = []
    for group in ("required", "optional"):
        for name, config in (spec.get(group) or {}).items():
            if name not in inputs:
                if group == "required":
                    errors.append(
                        _err(
                            "required_input_missing",
                            "Required input is missing",
                            name,
                            input_name=name,
                        )
                    )
                continue
            problem = _check_value(graph, node["class_type"], name, inputs[name], config, info)
            if problem is not None:
                errors.append(problem)
    return errors


def _check_value(
    graph: dict[str, Any],
    class_type: str,
    name: str,
    value: Any,
    config: list[Any],
    info: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    kind = config[0]
    options = config[1] if len(config) > 1 and isinstance(config[1], dict) else {}
    extra = {"input_name": name, "input_config": config, "received_value": value}
    if isinstance(value, list):
        if not _is_link(value) or str(value[0]) not in graph:
            return _err(
                "bad_linked_input",
                "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                f"{name}, {value}",
                **extra,
            )
        source = info[graph[str(value[0])]["class_type"]]
        if not 0 <= value[1] < len(source["output"]):
            return _err("bad_linked_input", "Bad linked input", f"{name}, {value}", **extra)
        return None
    if (class_type, name) in (("LoadImage", "image"), ("LoadVideo", "file")):
        if value not in kind:
            return _err(
                "custom_validation_failed",
                "Custom validation failed for node",
                f"{name} - Invalid {name.replace('file', 'video')} file: {value}",
                **extra,
            )
        return None
    if isinstance(kind, list):
        if value not in kind:
            shown = kind if len(kind) < 20 else [*kind[:20], "..."]
            return _err(
                "value_not_in_list",
                "Value not in list",
                f"{name}: '{value}' not in {shown}",
                **extra,
            )
        return None
    if kind in ("INT", "FLOAT"):
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_ok or (kind == "INT" and isinstance(value, float) and not value.is_integer()):
            return _err(
                "invalid_input_type",
                f"Failed to convert an input value to a {kind} value",
                f"{name}, {value}",
                **extra,
            )
        if "min" in options and value < options["min"]:
            return _err(
                "value_smaller_than_min",
                f"Value {value} smaller than min of {options['min']}",
                name,
                **extra,
            )
        if "max" in options and value > options["max"]:
            return _err(
                "value_bigger_than_max",
                f"Value {value} bigger than max of {options['max']}",
                name,
                **extra,
            )
    if kind == "STRING" and not isinstance(value, str):
        return _err(
            "invalid_input_type",
            "Failed to convert an input value to a STRING value",
            name,
            **extra,
        )
    return None
