"""ComfyUI workflow templates: API-format graphs shipped as data files with named slots.

A template file (``workflows/<name>.json``) holds ``name``, ``label``, ``mode``, ``output``
(image | video), ``required`` (slot names a request must fill), ``slots`` (slot name →
list of ``[node_id, input_name]`` targets) and ``workflow`` (the API-format graph, as
ComfyUI's "Export (API)" writes it). The values already in the graph are the defaults.
Each template has a catalog entry ``comfyui/<name with dashes>`` in catalog/data/comfyui.json.

Slots with a meaning of their own: ``prompt`` and ``negative`` (request texts), ``seed``
(request seed), and the media slots, each uploaded first (the target gets its server-side
name): ``image`` (the input image), ``reference``/``reference_2``/``reference_3`` (1-3
identity reference images, the request's inputs in slot ``reference``; a slot left
empty repeats the first image, which leaves an averaged embedding unchanged) and
``video`` (an input video, read by the core LoadVideo node). Every other slot is a
request parameter of the same name (steps, cfg, checkpoint, lora, width ...), typed by
its default.

Dependencies, checked before anything is submitted or paid for (seed §5.2, §9.3). A
template may use nodes from a ComfyUI extension (``extensions.py`` says which node comes
from which pack: face restore, IP-Adapter, InstantID, ReActor) and model files. Callers
planning a run ask the provider first, with the credential the hub resolved::

    resolved = await hub.resolve("comfyui", owner_id)
    missing = await resolved.provider.missing_dependencies(model, resolved.credential)
    # [] when everything is there, else e.g. ["extension:facerestore_cf",
    #  "model:codeformer-v0.1.0.pth"]; node types of core ComfyUI show as "node:<type>"
    await resolved.provider.check_dependencies(model, resolved.credential)
    # raises DEPENDENCY_MISSING naming exactly what to install (detail.install lists
    # each extension's url, nodes and model files), or ENGINE_OFFLINE when no server answers

``model`` is the template name or the catalog id (``comfyui/face-restore``); ``params``
(optional keyword) checks the model files those parameters name instead of the defaults.
``submit`` runs the same check, so a run that skipped it still fails before its prompt is
queued. ReelForge never installs extensions or model files itself.
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
from reelforge.providers.comfyui.extensions import Extension, extension_of

WORKFLOW_DIR = Path(__file__).parent / "workflows"
REFERENCE_SLOTS = ("reference", "reference_2", "reference_3")
# Slots filled with uploaded media (the kind each takes).
MEDIA_SLOTS: dict[str, MediaKind] = {
    "image": MediaKind.IMAGE,
    "video": MediaKind.VIDEO,
    **dict.fromkeys(REFERENCE_SLOTS, MediaKind.IMAGE),
}
SPECIAL_SLOTS = frozenset({"prompt", "negative", "seed", *MEDIA_SLOTS})
# Nodes that read an uploaded input file, and the input naming it (checked by the server
# against its input folder, not against a list ReelForge could know in advance).
FILE_LOADERS = {"LoadImage": "image", "LoadVideo": "file"}
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
        "instantid_file",
        "swap_model",
        "face_restore_model",
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
    def media_slots(self) -> list[str]:
        """The media slots this template takes, in MEDIA_SLOTS order."""
        return [s for s in MEDIA_SLOTS if s in self.slots]

    @property
    def extensions(self) -> list[Extension]:
        """The ComfyUI extensions whose nodes the graph uses (none: core nodes only)."""
        found = {e.name: e for t in self.node_types if (e := extension_of(t)) is not None}
        return [found[k] for k in sorted(found)]

    def with_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The graph with these parameters set and nothing else (for dependency checks:
        which model files a run with them would load)."""
        graph = copy.deepcopy(self.workflow)
        for slot, value in params.items():
            if slot in self.params:
                for node, name in self.slots[slot]:
                    graph[node]["inputs"][name] = self._coerce(slot, value)
        return graph

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
        if values.get("reference"):
            for extra in REFERENCE_SLOTS[1:]:
                if extra in self.slots and not values.get(extra):
                    values[extra] = values["reference"]
        for slot in self.required:
            if values.get(slot) in (None, "") and self.default(slot) in (None, ""):
                field = "inputs" if slot in ("image", "video") else slot
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


def template_name(model: str) -> str:
    """A template name from either spelling: ``face_restore`` or ``comfyui/face-restore``."""
    if model.startswith("comfyui/"):
        return model.removeprefix("comfyui/").replace("-", "_")
    return model


def get_template(name: str) -> Template:
    template = templates().get(template_name(name))
    if template is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"comfyui: no workflow template {name!r}.",
            detail={"provider": "comfyui", "field": "model", "available": sorted(templates())},
        )
    return template
