"""Which ComfyUI extension (custom node pack) provides a node type, and what to install.

A template that needs a node the server lacks fails with DEPENDENCY_MISSING naming the
extension, where it lives and the model files it reads, so the user knows exactly what
to install. ReelForge never installs extensions or models itself (seed §9.3); the user
does, e.g. with ComfyUI-Manager. Node types not listed here are ComfyUI core nodes: a
server without them is older than the template (update ComfyUI).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extension:
    name: str  # the folder under ComfyUI/custom_nodes (and ComfyUI-Manager's id)
    url: str
    nodes: tuple[str, ...]
    models: str  # the model files it reads, and where they go
    pip: str = ""  # Python packages it needs in ComfyUI's environment, if any

    def to_dict(self) -> dict[str, str | list[str]]:
        facts: dict[str, str | list[str]] = {
            "extension": self.name,
            "url": self.url,
            "nodes": list(self.nodes),
            "models": self.models,
        }
        if self.pip:
            facts["pip"] = self.pip
        return facts


EXTENSIONS: tuple[Extension, ...] = (
    Extension(
        "facerestore_cf",
        "https://github.com/mav-rik/facerestore_cf",
        ("FaceRestoreModelLoader", "FaceRestoreCFWithModel"),
        "models/facerestore_models: codeformer-v0.1.0.pth and/or GFPGANv1.4.pth",
    ),
    Extension(
        "ComfyUI_IPAdapter_plus",
        "https://github.com/cubiq/ComfyUI_IPAdapter_plus",
        ("IPAdapterUnifiedLoader", "IPAdapterAdvanced"),
        "models/ipadapter (e.g. ip-adapter-plus-face_sdxl_vit-h.safetensors) and "
        "models/clip_vision (CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors), as its README lists",
    ),
    Extension(
        "ComfyUI_InstantID",
        "https://github.com/cubiq/ComfyUI_InstantID",
        ("InstantIDModelLoader", "InstantIDFaceAnalysis", "ApplyInstantID"),
        "models/instantid/ip-adapter.bin, models/controlnet/instantid/"
        "diffusion_pytorch_model.safetensors and the antelopev2 models in models/insightface",
        pip="insightface onnxruntime",
    ),
    Extension(
        "ComfyUI-ReActor",
        "https://github.com/Gourieff/ComfyUI-ReActor",
        ("ReActorFaceSwap",),
        "models/insightface/inswapper_128.onnx and a face restore model in "
        "models/facerestore_models",
        pip="insightface onnxruntime",
    ),
)

_BY_NODE = {node: ext for ext in EXTENSIONS for node in ext.nodes}


def extension_of(node_type: str) -> Extension | None:
    """The extension a node type comes from; None for ComfyUI core nodes."""
    return _BY_NODE.get(node_type)


def by_name(name: str) -> Extension | None:
    return next((e for e in EXTENSIONS if e.name == name), None)
