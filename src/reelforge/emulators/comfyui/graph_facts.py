"""What the emulated server's renderer reads from a graph: the positive prompt, seed,
size, frames, the input image or video, and which passes (upscale, face restore, face
swap) the graph makes."""

from __future__ import annotations

from typing import Any

from reelforge.emulators.comfyui.nodes import SAMPLER_NODES


def batch_size(graph: dict[str, Any]) -> int:
    for node in graph.values():
        if node["class_type"] == "EmptyLatentImage":
            return max(1, min(8, int(node["inputs"].get("batch_size", 1))))
    return 1


def graph_facts(graph: dict[str, Any]) -> dict[str, Any]:
    """What the renderer needs: the positive prompt, seed, size, frames, input image."""
    facts: dict[str, Any] = {
        "text": "",
        "seed": None,
        "width": None,
        "height": None,
        "frames": 33,
        "fps": 16.0,
        "image": None,
        "video": None,
        "upscale": False,
        "restore": False,
        "swap": False,
    }
    for node in graph.values():
        kind, inputs = node["class_type"], node["inputs"]
        if kind in SAMPLER_NODES:
            facts["seed"] = inputs.get("seed")
            facts["text"] = _prompt_text(graph, inputs.get("positive"))
        elif kind in ("EmptyLatentImage", "EmptyHunyuanLatentVideo"):
            facts["width"], facts["height"] = inputs.get("width"), inputs.get("height")
            facts["frames"] = inputs.get("length", facts["frames"])
        elif kind == "CreateVideo":
            fps = inputs.get("fps", 16.0)  # a link when it comes from GetVideoComponents
            facts["fps"] = float(fps) if isinstance(fps, int | float) and fps else 16.0
        elif kind == "LoadImage":
            facts["image"] = inputs.get("image")
        elif kind == "LoadVideo":
            facts["video"] = inputs.get("file")
        elif kind == "ImageUpscaleWithModel":
            facts["upscale"] = True
        elif kind == "FaceRestoreCFWithModel":
            facts["restore"] = True
        elif kind == "ReActorFaceSwap":
            facts["swap"] = True
    return facts


def _prompt_text(graph: dict[str, Any], link: Any) -> str:
    """The text behind a sampler's positive input, through nodes that pass conditioning
    on (ApplyInstantID takes the prompt's and hands on its own)."""
    for _hop in range(8):
        if not (isinstance(link, list) and str(link[0]) in graph):
            return ""
        inputs = graph[str(link[0])]["inputs"]
        if "text" in inputs:
            return str(inputs["text"])
        link = inputs.get("positive")
    return ""
