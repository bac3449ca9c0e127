"""Node types of popular ComfyUI extensions (custom node packs), as their ``/object_info``
describes them: face restoration (facerestore_cf), IP-Adapter (ComfyUI_IPAdapter_plus),
InstantID (ComfyUI_InstantID) and face swap (ComfyUI-ReActor).

Which packs the emulated server has installed is configurable (``EmulatorConfig.
comfyui_extensions``; the setting REELFORGE_COMFYUI_EMULATOR_EXTENSIONS), so a test or a
sandbox can show a preset both working and failing with DEPENDENCY_MISSING.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reelforge.emulators.comfyui.nodes import float_input, node

FACE_DETECTORS = ["retinaface_resnet50", "retinaface_mobile0.25", "YOLOv5l", "YOLOv5n"]
IPADAPTER_PRESETS = [
    "LIGHT - SD1.5 only (low strength)",
    "STANDARD (medium strength)",
    "VIT-G (medium strength)",
    "PLUS (high strength)",
    "PLUS FACE (portraits)",
    "FULL FACE - SD1.5 only (portraits stronger)",
]
IPADAPTER_WEIGHT_TYPES = [
    "linear",
    "ease in",
    "ease out",
    "ease in-out",
    "reverse in-out",
    "weak input",
    "weak output",
    "weak middle",
    "strong middle",
    "style transfer",
    "composition",
    "strong style transfer",
    "style and composition",
    "style transfer precise",
    "composition precise",
]


def _facerestore(models: dict[str, list[str]]) -> list[dict[str, Any]]:
    mod = "custom_nodes.facerestore_cf"
    return [
        node(
            "FaceRestoreModelLoader",
            {"model_name": [list(models["facerestore_models"]), {}]},
            ("FACERESTORE_MODEL",),
            category="facerestore_cf",
            module=mod,
        ),
        node(
            "FaceRestoreCFWithModel",
            {
                "facerestore_model": ["FACERESTORE_MODEL"],
                "image": ["IMAGE"],
                "facedetection": [list(FACE_DETECTORS), {}],
                "codeformer_fidelity": float_input(0.5, 0.0, 1.0),
            },
            ("IMAGE",),
            category="facerestore_cf",
            module=mod,
        ),
    ]


def _ipadapter(_models: dict[str, list[str]]) -> list[dict[str, Any]]:
    mod = "custom_nodes.ComfyUI_IPAdapter_plus"
    return [
        node(
            "IPAdapterUnifiedLoader",
            {"model": ["MODEL"], "preset": [list(IPADAPTER_PRESETS), {}]},
            ("MODEL", "IPADAPTER"),
            optional={"ipadapter": ["IPADAPTER"]},
            names=("model", "ipadapter"),
            category="ipadapter",
            module=mod,
        ),
        node(
            "IPAdapterAdvanced",
            {
                "model": ["MODEL"],
                "ipadapter": ["IPADAPTER"],
                "image": ["IMAGE"],
                "weight": float_input(1.0, -1.0, 5.0, 0.05),
                "weight_type": [list(IPADAPTER_WEIGHT_TYPES), {}],
                "combine_embeds": [["concat", "add", "subtract", "average", "norm average"], {}],
                "start_at": float_input(0.0, 0.0, 1.0, 0.001),
                "end_at": float_input(1.0, 0.0, 1.0, 0.001),
                "embeds_scaling": [
                    ["V only", "K+V", "K+V w/ C penalty", "K+mean(V) w/ C penalty"],
                    {},
                ],
            },
            ("MODEL",),
            optional={
                "image_negative": ["IMAGE"],
                "attn_mask": ["MASK"],
                "clip_vision": ["CLIP_VISION"],
            },
            category="ipadapter",
            module=mod,
        ),
    ]


def _instantid(models: dict[str, list[str]]) -> list[dict[str, Any]]:
    mod = "custom_nodes.ComfyUI_InstantID"
    return [
        node(
            "InstantIDModelLoader",
            {"instantid_file": [list(models["instantid"]), {}]},
            ("INSTANTID",),
            category="InstantID",
            module=mod,
        ),
        node(
            "InstantIDFaceAnalysis",
            {"provider": [["CPU", "CUDA", "ROCM", "CoreML"], {}]},
            ("FACEANALYSIS",),
            category="InstantID",
            module=mod,
        ),
        node(
            "ApplyInstantID",
            {
                "instantid": ["INSTANTID"],
                "insightface": ["FACEANALYSIS"],
                "control_net": ["CONTROL_NET"],
                "image": ["IMAGE"],
                "model": ["MODEL"],
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "weight": float_input(0.8, 0.0, 5.0),
                "start_at": float_input(0.0, 0.0, 1.0, 0.001),
                "end_at": float_input(1.0, 0.0, 1.0, 0.001),
            },
            ("MODEL", "CONDITIONING", "CONDITIONING"),
            optional={"image_kps": ["IMAGE"], "mask": ["MASK"]},
            names=("MODEL", "positive", "negative"),
            category="InstantID",
            module=mod,
        ),
    ]


def _reactor(models: dict[str, list[str]]) -> list[dict[str, Any]]:
    genders = [["no", "female", "male"], {"default": "no"}]
    return [
        node(
            "ReActorFaceSwap",
            {
                "enabled": ["BOOLEAN", {"default": True, "label_off": "OFF", "label_on": "ON"}],
                "input_image": ["IMAGE"],
                "swap_model": [list(models["insightface"]), {}],
                "facedetection": [list(FACE_DETECTORS), {}],
                "face_restore_model": [["none", *models["facerestore_models"]], {}],
                "face_restore_visibility": float_input(1.0, 0.1, 1.0, 0.05),
                "codeformer_weight": float_input(0.5, 0.0, 1.0, 0.05),
                "detect_gender_input": genders,
                "detect_gender_source": genders,
                "input_faces_index": ["STRING", {"default": "0"}],
                "source_faces_index": ["STRING", {"default": "0"}],
                "console_log_level": [[0, 1, 2], {"default": 1}],
            },
            ("IMAGE", "FACE_MODEL"),
            optional={
                "source_image": ["IMAGE"],
                "face_model": ["FACE_MODEL"],
                "face_boost": ["FACE_BOOST"],
            },
            names=("SWAPPED_IMAGE", "FACE_MODEL"),
            category="🌌 ReActor",
            display="ReActor 🌌 Fast Face Swap",
            module="custom_nodes.ComfyUI-ReActor",
        ),
    ]


# Extension (its custom_nodes folder name) → its node types.
EXTENSION_NODES: dict[str, Callable[[dict[str, list[str]]], list[dict[str, Any]]]] = {
    "facerestore_cf": _facerestore,
    "ComfyUI_IPAdapter_plus": _ipadapter,
    "ComfyUI_InstantID": _instantid,
    "ComfyUI-ReActor": _reactor,
}
ALL_EXTENSIONS = frozenset(EXTENSION_NODES)


def parse_extensions(value: str | None) -> frozenset[str] | None:
    """The setting's text: unset or ``all`` → None (every pack); ``none`` or empty → no
    pack; else comma-separated pack names (unknown names are refused)."""
    if value is None or value.strip().lower() == "all":
        return None
    names = {v.strip() for v in value.split(",") if v.strip()}
    if names <= {"none"}:
        return frozenset()
    unknown = sorted(names - ALL_EXTENSIONS)
    if unknown:
        raise ValueError(
            f"unknown ComfyUI extension(s) {', '.join(unknown)}; known: "
            + ", ".join(sorted(ALL_EXTENSIONS))
        )
    return frozenset(names)


def extension_nodes(
    models: dict[str, list[str]], installed: frozenset[str] | None
) -> list[dict[str, Any]]:
    chosen = ALL_EXTENSIONS if installed is None else installed
    return [n for name in sorted(chosen) for n in EXTENSION_NODES[name](models)]
