"""``components.schemas.Input`` for each emulated Atlas model, by template.

Shaped like the live documents: ``properties`` with type/description/default/enum/
minimum/maximum/items, ``required`` (several include ``model``, as real fixtures do) and
``x-order-properties``; internal switches (``enable_base64_output``, ``enable_sync_mode``)
are present so clients must leave them out. Variation (which optional fields a model has)
comes from a hash of the id, so the same id always gets the same schema.
"""

from __future__ import annotations

import hashlib
from typing import Any

SIZES = ["1024*1024", "1024*1536", "1536*1024", "1280*720", "720*1280", "2048*2048"]
ASPECTS = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"]


def _bits(model: str) -> int:
    return int.from_bytes(hashlib.sha256(f"schema:{model}".encode()).digest()[:4], "big")


def _media(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "uri", "description": description}


def _video_limits(model: str) -> dict[str, dict[str, Any]]:
    if "veo" in model:
        durations, default = [4, 6, 8], 8
    elif "hailuo" in model:
        durations, default = [6, 10], 6
    elif "sora" in model:
        durations, default = [4, 8, 12], 4
    else:
        durations, default = [5, 10], 5
    props: dict[str, dict[str, Any]] = {
        "duration": {
            "type": "integer",
            "enum": durations,
            "default": default,
            "description": "Length of the video in seconds.",
        }
    }
    for res in ("480p", "720p", "1080p"):
        if model.endswith(res):
            props["resolution"] = {"type": "string", "enum": [res], "default": res}
            break
    else:
        props["aspect_ratio"] = {
            "type": "string",
            "enum": ASPECTS[:3],
            "default": "16:9",
            "description": "Aspect ratio of the output video.",
        }
    return props


def input_schema(model: str, kind: str, media: str = "image") -> dict[str, Any]:
    bits = _bits(model)
    props: dict[str, dict[str, Any]] = {
        "model": {"type": "string", "description": "Model id.", "default": model}
    }
    required: list[str] = ["model"] if bits & 1 else []
    prompt = {"type": "string", "description": "The positive prompt for the generation."}
    video_name = media if media.startswith("video") else "video"
    image_name = media if not media.startswith("video") else "image"

    def need(name: str, spec: dict[str, Any], is_required: bool = True) -> None:
        props[name] = spec
        if is_required:
            required.append(name)

    if kind in ("t2i", "i2i", "i2i_multi"):
        need("prompt", prompt)
        if kind == "i2i":
            need(image_name, _media("URL of the image to edit."))
        elif kind == "i2i_multi":
            need(
                image_name,
                {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "URLs of the input images (up to 10).",
                },
            )
        if bits & 2:
            props["size"] = {"type": "string", "enum": SIZES, "default": SIZES[0]}
        else:
            props["aspect_ratio"] = {"type": "string", "enum": ASPECTS, "default": "1:1"}
        if bits & 4:
            props["num_images"] = {"type": "integer", "minimum": 1, "maximum": 4, "default": 1}
        if bits & 8:
            props["guidance_scale"] = {
                "type": "number",
                "minimum": 1,
                "maximum": 20,
                "default": 3.5,
            }
            props["num_inference_steps"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "default": 28,
            }
        props["output_format"] = {
            "type": "string",
            "enum": ["jpeg", "png", "webp"],
            "default": "jpeg",
        }
    elif kind in ("t2v", "i2v", "startend", "ref2v"):
        if kind == "i2v":
            need(image_name, _media("URL of the first frame."))
        elif kind == "startend":
            end_name = "last_frame" if image_name == "first_frame" else "end_image"
            need(image_name, _media("URL of the first frame."))
            need(end_name, _media("URL of the last frame."), "transition" in model)
        elif kind == "ref2v":
            need(
                image_name,
                {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
            )
        need("prompt", prompt, kind != "i2v" or bool(bits & 16))
        props.update(_video_limits(model))
        if bits & 32:
            props["negative_prompt"] = {"type": "string", "description": "What to avoid."}
        if any(k in model for k in ("veo3", "sora", "wan-2.5")):
            props["generate_audio"] = {"type": "boolean", "default": True}
        if "seedance" in model:
            props["camera_fixed"] = {"type": "boolean", "default": False}
    elif kind in ("v2v", "extend"):
        need(video_name, _media("URL of the input video."))
        need("prompt", prompt, kind == "v2v")
        if kind == "extend":
            props.update(_video_limits(model))
    elif kind in ("animate", "motion"):
        need(image_name, _media("URL of the character image."))
        need(video_name, _media("URL of the driving video."))
        props["prompt"] = prompt
    elif kind == "avatar":
        need(image_name, _media("URL of the portrait."))
        need("audio", _media("URL of the speech audio."))
        props["prompt"] = prompt
        props["resolution"] = {"type": "string", "enum": ["480p", "720p"], "default": "480p"}
    elif kind == "lipsync":
        need(video_name, _media("URL of the video to re-sync."))
        need("audio", _media("URL of the new audio."))
        props["sync_mode"] = {
            "type": "string",
            "enum": ["cut_off", "loop", "bounce"],
            "default": "cut_off",
        }
    elif kind == "upscale_video":
        need(video_name, _media("URL of the video to upscale."))
        props["target_resolution"] = {
            "type": "string",
            "enum": ["1080p", "2k", "4k"],
            "default": "1080p",
        }
    elif kind == "tts":
        need("text", {"type": "string", "maxLength": 5000})
        props["voice_id"] = {
            "type": "string",
            "enum": ["narrator", "bright", "calm"],
            "default": "narrator",
        }
        props["speed"] = {"type": "number", "minimum": 0.5, "maximum": 2, "default": 1}
    if kind not in ("tts",):
        props["seed"] = {
            "type": "integer",
            "minimum": -1,
            "maximum": 2147483647,
            "default": -1,
            "description": "Random seed; -1 picks one.",
        }
    props["enable_base64_output"] = {"type": "boolean", "default": False}
    if bits & 64:
        props["enable_sync_mode"] = {"type": "boolean", "default": False}
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "x-order-properties": list(props),
    }
