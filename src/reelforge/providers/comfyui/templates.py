"""ComfyUI workflow templates: API-format graphs shipped as data files with named slots.

A template file (``workflows/<name>.json``) holds ``name``, ``label``, ``mode``, ``output``
(image | video), ``required`` (slot names a request must fill), ``slots`` (slot name →
list of ``[node_id, input_name]`` targets) and ``workflow`` (the API-format graph, as
ComfyUI's "Export (API)" writes it). The values already in the graph are the defaults.

Slots with a meaning of their own: ``prompt`` and ``negative`` (request texts), ``seed``
(request seed), ``image`` (an input image, uploaded first; the target gets its server-side
name). Every other slot is a request parameter of the same name (steps, cfg, checkpoint,
lora, width ...), typed by its default.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.domain.words import article

WORKFLOW_DIR = Path(__file__).parent / "workflows"
SPECIAL_SLOTS = frozenset({"prompt", "negative", "seed", "image"})
# Inputs naming model files on the server: a value it lacks is a missing dependency
# (the user must download the file), not a bad request.
MODEL_FILE_INPUTS = frozenset(
    {
        "ckpt_name",
        "lora_name",
        "unet_name",
        "clip_name",
        "vae_name",
        "model_name",
        "control_net_name",
        "clip_vision_name",
        "style_model_name",
    }
)
MAX_SEED = 2**64 - 1


@dataclass(frozen=True)
class Template:
    name: str
    label: str
    mode: Mode
    output: MediaKind
    required: tuple[str, ...]
    slots: dict[str, tuple[tuple[str, str], ...]]
    workflow: dict[str, Any]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Template:
        workflow = raw["workflow"]
        slots: dict[str, tuple[tuple[str, str], ...]] = {}
        for slot, targets in raw["slots"].items():
            pairs = tuple((str(node), str(name)) for node, name in targets)
            for node, name in pairs:
                if node not in workflow or name not in workflow[node]["inputs"]:
                    raise ValueError(f"template {raw['name']}: slot {slot} → {node}.{name} missing")
            slots[slot] = pairs
        return cls(
            name=raw["name"],
            label=raw.get("label", raw["name"]),
            mode=Mode(raw["mode"]),
            output=MediaKind(raw.get("output", "image")),
            required=tuple(raw.get("required", ())),
            slots=slots,
            workflow=workflow,
        )

    @property
    def node_types(self) -> list[str]:
        """Every node class the graph needs, for the /object_info check."""
        return sorted({node["class_type"] for node in self.workflow.values()})

    @property
    def params(self) -> list[str]:
        return [s for s in self.slots if s not in SPECIAL_SLOTS]

    def default(self, slot: str) -> Any:
        node, name = self.slots[slot][0]
        return self.workflow[node]["inputs"][name]

    def fill(
        self,
        *,
        prompt: str,
        negative: str | None,
        seed: int,
        params: dict[str, Any],
        images: dict[str, str],
    ) -> dict[str, Any]:
        """A copy of the graph with every slot set; VALIDATION_ERROR names a bad field."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise _invalid(
                f"template {self.name} has no parameter(s) {', '.join(unknown)}",
                unknown[0],
                allowed=self.params,
            )
        values: dict[str, Any] = {k: self._coerce(k, v) for k, v in params.items()}
        if "prompt" in self.slots:
            values["prompt"] = prompt
        if "negative" in self.slots and negative:
            values["negative"] = negative
        if "seed" in self.slots:
            if not 0 <= seed <= MAX_SEED:
                raise _invalid("seed must be between 0 and 2^64-1", "seed")
            values["seed"] = seed
        values.update({slot: name for slot, name in images.items() if slot in self.slots})
        for slot in self.required:
            if values.get(slot) in (None, "") and self.default(slot) in (None, ""):
                field = "inputs" if slot == "image" else slot
                raise _invalid(f"template {self.name} needs {slot}", field)
        graph = copy.deepcopy(self.workflow)
        for slot, value in values.items():
            for node, name in self.slots.get(slot, ()):
                graph[node]["inputs"][name] = value
        return graph

    def _coerce(self, slot: str, value: Any) -> Any:
        default = self.default(slot)
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(default, bool) and isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            value = int(value) if ok else value
        elif isinstance(default, float):
            ok = isinstance(value, int | float)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, str)
        if not ok:
            raise _invalid(f"{slot} must be {article(type(default).__name__)}", slot)
        return value


def _invalid(message: str, field: str, **extra: Any) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"comfyui: {message}.",
        detail={"provider": "comfyui", "field": field, **extra},
    )


@cache
def templates() -> dict[str, Template]:
    """Every shipped template by name (read once; they are package data)."""
    found: dict[str, Template] = {}
    for path in sorted(WORKFLOW_DIR.glob("*.json")):
        template = Template.from_dict(json.loads(path.read_text(encoding="utf-8")))
        found[template.name] = template
    return found


def get_template(name: str) -> Template:
    template = templates().get(name)
    if template is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"comfyui: no workflow template {name!r}.",
            detail={"provider": "comfyui", "field": "model", "available": sorted(templates())},
        )
    return template
