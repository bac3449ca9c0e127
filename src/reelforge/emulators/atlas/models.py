"""The Atlas emulator's model list: ~270 entries in Atlas's real naming style, made
deterministically (same ids, prices and schemas on every start).

It mirrors what discovery has to cope with on the live list: ids whose suffix names the
mode (``/text-to-video``, ``/edit``) and ids that do not (``seedance-v1-pro-i2v-480p``,
``lucy-edit-pro``, ``infinitetalk``) so the schema fallback decides; prices in
``price.actual`` and ``price.origin`` (some with only one, a few with neither); hidden
entries (``display_console: false``); text and audio models that an image/video catalog
leaves out; one video model with no schema and no telling id (unclassifiable).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from reelforge.emulators.atlas.schemas import input_schema

_PRICES = ("0.003", "0.012", "0.02", "0.027", "0.035", "0.04", "0.06", "0.096", "0.12", "0.15",
           "0.2", "0.25", "0.3", "0.4", "0.5", "0.6", "0.8", "1.2", "1.6", "2.4")  # fmt: skip
_DISCOUNTS = ("100", "90", "85", "80", "70")


@dataclass(frozen=True)
class EmuModel:
    model: str
    type: str  # "Image" | "Video" | "Text" | "Audio"
    kind: str  # schema template, see schemas.input_schema
    media: str = "image"  # the image field name the schema uses
    visible: bool = True
    has_schema: bool = True
    price: str = "both"  # "both" | "origin" | "actual" | "none" | "garbage"


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _video() -> list[EmuModel]:
    out: list[EmuModel] = []
    add = out.append
    for tier in ("v1-pro", "v1-lite", "v1-pro-fast"):
        for task in ("t2v", "i2v"):
            for res in ("480p", "720p", "1080p"):
                add(EmuModel(f"bytedance/seedance-{tier}-{task}-{res}", "Video", task))
    for version in ("v1.6", "v2.0", "v2.1", "v2.5-turbo", "v2.6"):
        for tier in ("std", "pro", "master"):
            add(EmuModel(f"kwaivgi/kling-{version}-{tier}/text-to-video", "Video", "t2v"))
            add(EmuModel(f"kwaivgi/kling-{version}-{tier}/image-to-video", "Video", "i2v"))
    add(EmuModel("kwaivgi/kling-v2.1-pro/start-end-to-video", "Video", "startend", "start_image"))
    add(
        EmuModel("kwaivgi/kling-v2.1-master/start-end-to-video", "Video", "startend", "start_image")
    )
    add(EmuModel("kwaivgi/kling-lipsync/audio-to-video", "Video", "lipsync"))
    add(EmuModel("kwaivgi/kling-v2-ai-avatar-standard", "Video", "avatar"))
    add(EmuModel("kwaivgi/kling-v2-ai-avatar-pro", "Video", "avatar"))
    for family in ("veo2", "veo3", "veo3-fast", "veo3.1", "veo3.1-fast"):
        add(EmuModel(f"google/{family}/text-to-video", "Video", "t2v"))
        add(EmuModel(f"google/{family}/image-to-video", "Video", "i2v"))
    add(EmuModel("google/veo3.1/reference-to-video", "Video", "ref2v", "images"))
    add(EmuModel("google/veo3.1/start-end-to-video", "Video", "startend", "first_frame"))
    add(EmuModel("google/veo3.1-fast/start-end-to-video", "Video", "startend", "first_frame"))
    for task in ("t2v-480p", "t2v-720p", "i2v-480p", "i2v-720p"):
        add(EmuModel(f"alibaba/wan-2.1/{task}", "Video", task[:3]))
    for task in (
        "t2v-480p",
        "t2v-720p",
        "t2v-plus-1080p",
        "i2v-480p",
        "i2v-720p",
        "i2v-plus-1080p",
    ):
        add(EmuModel(f"alibaba/wan-2.2/{task}", "Video", task[:3]))
    add(EmuModel("alibaba/wan-2.2/animate-move", "Video", "animate"))
    add(EmuModel("alibaba/wan-2.2/animate-replace", "Video", "animate"))
    add(EmuModel("alibaba/wan-2.2/video-to-video-720p", "Video", "v2v"))
    add(EmuModel("alibaba/wan-2.2/s2v-480p", "Video", "avatar"))
    for task in ("text-to-video", "image-to-video", "text-to-video-fast", "image-to-video-fast"):
        add(
            EmuModel(
                f"alibaba/wan-2.5/{task}",
                "Video",
                "t2v" if task.startswith("text") else "i2v",
                "image_url",
            )
        )
    add(EmuModel("alibaba/wan-2.5/video-extend", "Video", "extend"))
    for version in ("hailuo-02", "hailuo-2.3"):
        for task in ("t2v-standard", "t2v-pro", "i2v-standard", "i2v-pro", "i2v-fast"):
            add(EmuModel(f"minimax/{version}/{task}", "Video", task[:3], "first_frame"))
    add(EmuModel("minimax/hailuo-02/start-end-to-video", "Video", "startend", "first_frame"))
    for family in ("sora-2", "sora-2-pro"):
        add(EmuModel(f"openai/{family}/text-to-video", "Video", "t2v"))
        add(EmuModel(f"openai/{family}/image-to-video", "Video", "i2v"))
    add(EmuModel("openai/sora-2/video-remix", "Video", "v2v", price="origin"))
    for version in ("q1", "q2", "q2-pro", "q2-turbo"):
        add(EmuModel(f"vidu/{version}/text-to-video", "Video", "t2v"))
        add(EmuModel(f"vidu/{version}/image-to-video", "Video", "i2v"))
        add(EmuModel(f"vidu/{version}/reference-to-video", "Video", "ref2v", "images"))
        add(EmuModel(f"vidu/{version}/start-end-to-video", "Video", "startend", "start_image"))
    for version in ("v4.5", "v5", "v5.5"):
        add(EmuModel(f"pixverse/pixverse-{version}/t2v", "Video", "t2v"))
        add(EmuModel(f"pixverse/pixverse-{version}/i2v", "Video", "i2v"))
        add(EmuModel(f"pixverse/pixverse-{version}/transition", "Video", "startend", "first_frame"))
        add(EmuModel(f"pixverse/pixverse-{version}/extend", "Video", "extend", "video_url"))
    for family in ("ltx-2-pro", "ltx-2-fast"):
        add(EmuModel(f"lightricks/{family}/text-to-video", "Video", "t2v"))
        add(EmuModel(f"lightricks/{family}/image-to-video", "Video", "i2v", "image_url"))
    for family in ("ray-2", "ray-2-flash"):
        add(EmuModel(f"luma/{family}/text-to-video", "Video", "t2v"))
        add(EmuModel(f"luma/{family}/image-to-video", "Video", "i2v", "image_url"))
    add(EmuModel("luma/ray-2/modify-video", "Video", "v2v", "video_url"))
    add(EmuModel("runway/gen4-turbo/image-to-video", "Video", "i2v", "image_url"))
    add(EmuModel("runway/gen4-aleph/video-edit", "Video", "v2v", "video_url"))
    add(EmuModel("runway/act-two", "Video", "motion", price="actual"))
    add(EmuModel("wavespeed-ai/infinitetalk", "Video", "avatar"))
    add(EmuModel("wavespeed-ai/infinitetalk/video-to-video", "Video", "lipsync"))
    add(EmuModel("wavespeed-ai/infinite-image-to-video", "Video", "i2v"))
    add(EmuModel("wavespeed-ai/multitalk", "Video", "avatar"))
    add(EmuModel("wavespeed-ai/video-upscaler", "Video", "upscale_video"))
    add(EmuModel("wavespeed-ai/video-upscaler-pro", "Video", "upscale_video", price="none"))
    add(EmuModel("wavespeed-ai/hunyuan-video/t2v", "Video", "t2v"))
    add(EmuModel("wavespeed-ai/hunyuan-video/i2v", "Video", "i2v", "image"))
    add(EmuModel("wavespeed-ai/wan-2.1/mocha", "Video", "motion"))
    add(EmuModel("wavespeed-ai/magi-1-24b", "Video", "t2v"))
    add(EmuModel("decart/lucy-edit-pro", "Video", "v2v", "video_url"))
    add(EmuModel("decart/lucy-edit-dev", "Video", "v2v", "video_url", price="garbage"))
    add(EmuModel("sync/lipsync-2", "Video", "lipsync"))
    add(EmuModel("sync/lipsync-2-pro", "Video", "lipsync"))
    # Unclassifiable: no telling id and no schema to decide from.
    add(EmuModel("mystic/ambient-loop", "Video", "t2v", has_schema=False))
    return out


def _image() -> list[EmuModel]:
    out: list[EmuModel] = []
    add = out.append
    for model in ("seedream-v3", "seedream-v3.1", "seedream-v4", "seedream-v4/sequential",
                  "seedream-v4.5", "seedream-v5.0-lite"):  # fmt: skip
        add(EmuModel(f"bytedance/{model}", "Image", "t2i"))
    for model in ("seedream-v4/edit", "seedream-v4/edit-sequential", "seedream-v4.5/edit",
                  "seedream-v5.0-lite/edit", "seededit-v3"):  # fmt: skip
        add(EmuModel(f"bytedance/{model}", "Image", "i2i_multi", "images"))
    for family in ("nano-banana", "nano-banana-pro"):
        add(EmuModel(f"google/{family}/text-to-image", "Image", "t2i"))
        add(EmuModel(f"google/{family}/edit", "Image", "i2i_multi", "images"))
    add(EmuModel("google/nano-banana-pro/text-to-image-ultra", "Image", "t2i"))
    add(EmuModel("google/nano-banana-pro/edit-ultra", "Image", "i2i_multi", "images"))
    for model in ("imagen3", "imagen4", "imagen4-fast", "imagen4-ultra"):
        add(EmuModel(f"google/{model}", "Image", "t2i"))
    for model in ("flux-dev", "flux-schnell", "flux-1.1-pro", "flux-1.1-pro-ultra", "flux-dev-lora",
                  "flux-2-pro/text-to-image", "flux-2-dev/text-to-image",
                  "flux-kontext-pro/text-to-image", "flux-kontext-max/text-to-image"):  # fmt: skip
        add(EmuModel(f"black-forest-labs/{model}", "Image", "t2i"))
    for model in ("flux-2-pro/edit", "flux-2-dev/edit", "flux-kontext-pro/edit",
                  "flux-kontext-max/edit", "flux-kontext-dev/edit"):  # fmt: skip
        add(EmuModel(f"black-forest-labs/{model}", "Image", "i2i", "image"))
    add(EmuModel("black-forest-labs/flux-kontext-pro/multi-edit", "Image", "i2i_multi", "images"))
    for model in ("qwen-image/text-to-image", "qwen-image/text-to-image-lora"):
        add(EmuModel(f"qwen/{model}", "Image", "t2i"))
    for model in ("qwen-image/edit", "qwen-image/edit-plus", "qwen-image/edit-lora"):
        add(EmuModel(f"qwen/{model}", "Image", "i2i", "image"))
    for family in ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"):
        add(EmuModel(f"openai/{family}/text-to-image", "Image", "t2i"))
        add(EmuModel(f"openai/{family}/edit", "Image", "i2i_multi", "images"))
    add(EmuModel("openai/dall-e-3", "Image", "t2i"))
    add(EmuModel("alibaba/wan-2.5/text-to-image", "Image", "t2i"))
    add(EmuModel("alibaba/wan-2.5/image-edit", "Image", "i2i_multi", "images"))
    add(EmuModel("alibaba/wan-2.2/text-to-image", "Image", "t2i"))
    for model in ("ideogram-v3-turbo", "ideogram-v3-balanced", "ideogram-v3-quality"):
        add(EmuModel(f"ideogram-ai/{model}", "Image", "t2i"))
    add(EmuModel("ideogram-ai/ideogram-v3/edit", "Image", "i2i", "image_url"))
    add(EmuModel("ideogram-ai/ideogram-v3/reframe", "Image", "t2i"))
    add(EmuModel("recraft-ai/recraft-v3", "Image", "t2i"))
    add(EmuModel("recraft-ai/recraft-v3-svg", "Image", "t2i", price="origin"))
    add(EmuModel("kwaivgi/kling-image-o1/text-to-image", "Image", "t2i"))
    add(EmuModel("kwaivgi/kling-v2/reference-to-image", "Image", "i2i", "subject_image"))
    add(EmuModel("vidu/reference-to-image", "Image", "i2i_multi", "images"))
    add(EmuModel("vidu/q2/text-to-image", "Image", "t2i"))
    for model in ("sd3.5-large", "sd3.5-medium", "sdxl"):
        add(EmuModel(f"stability-ai/{model}", "Image", "t2i"))
    for model in ("flux-dev-ultra-fast", "hidream-i1-full", "hidream-i1-dev", "z-image/turbo",
                  "omnigen-v2", "uno", "instant-character", "image-upscaler"):  # fmt: skip
        add(EmuModel(f"wavespeed-ai/{model}", "Image", "t2i", has_schema=model != "uno"))
    for model in ("step1x-edit", "hidream-e1-full/edit", "image-eraser-edit"):
        add(EmuModel(f"wavespeed-ai/{model}", "Image", "i2i", "input_image"))
    add(EmuModel("minimax/image-01/text-to-image", "Image", "t2i"))
    add(EmuModel("minimax/image-01/reference-to-image", "Image", "i2i", "subject_image"))
    add(EmuModel("tencent/hunyuan-image-2.1", "Image", "t2i"))
    add(EmuModel("bytedance/dreamina-v3.1/text-to-image", "Image", "t2i"))
    add(EmuModel("luma/photon-1/text-to-image", "Image", "t2i"))
    add(EmuModel("luma/photon-flash-1/text-to-image", "Image", "t2i"))
    add(EmuModel("tencent/hunyuan-image-3", "Image", "t2i", price="none"))
    return out


def _others() -> list[EmuModel]:
    hidden = [
        EmuModel("bytedance/seedance-v1-pro-t2v-480p-internal", "Video", "t2v", visible=False),
        EmuModel("kwaivgi/kling-v1-std/text-to-video", "Video", "t2v", visible=False),
        EmuModel("kwaivgi/kling-v1-std/image-to-video", "Video", "i2v", visible=False),
        EmuModel("google/veo2/image-to-video-preview", "Video", "i2v", visible=False),
        EmuModel("atlascloud/test-video-model", "Video", "t2v", visible=False),
        EmuModel("atlascloud/test-image-model", "Image", "t2i", visible=False),
        EmuModel("black-forest-labs/flux-pro-internal", "Image", "t2i", visible=False),
        EmuModel("openai/gpt-image-1/edit-beta", "Image", "i2i_multi", "images", visible=False),
        EmuModel("wavespeed-ai/video-upscaler-beta", "Video", "upscale_video", visible=False),
        EmuModel("alibaba/wan-2.2/i2v-720p-lora-internal", "Video", "i2v", visible=False),
    ]
    text = [
        EmuModel(m, "Text", "text")
        for m in (
            "deepseek-ai/deepseek-v3.1",
            "deepseek-ai/deepseek-r1-0528",
            "qwen/qwen3-235b-a22b-instruct-2507",
            "qwen/qwen3-coder-480b-a35b-instruct",
            "moonshotai/kimi-k2-instruct",
            "openai/gpt-oss-120b",
            "zai-org/glm-4.6",
            "meta-llama/llama-4-maverick",
        )
    ]
    audio = [
        EmuModel(m, "Audio", "tts")
        for m in (
            "minimax/speech-2.5-hd",
            "minimax/speech-2.5-turbo",
            "elevenlabs/eleven-v3",
            "elevenlabs/turbo-v2.5",
            "mirelo-ai/sfx-v1/video-to-audio",
        )
    ]
    return hidden + text + audio


def _price(entry: EmuModel) -> dict[str, Any]:
    digest = _digest(entry.model)
    if entry.type == "Text":
        per_m = Decimal(_PRICES[digest % 8 + 4])
        block = {"input_price": str(per_m), "output_price": str(per_m * 4)}
        return {"discount": "100", "actual": block, "origin": block}
    # Video generations cost more than images, as on the live list.
    choices = _PRICES[6:] if entry.type == "Video" else _PRICES[:12]
    actual = Decimal(choices[digest % len(choices)])
    discount = _DISCOUNTS[(digest >> 8) % len(_DISCOUNTS)]
    origin = (actual * 100 / Decimal(discount)).quantize(Decimal("0.001"))
    price: dict[str, Any] = {"discount": discount}
    if entry.price in ("both", "actual"):
        price["actual"] = {"base_price": str(actual)}
    if entry.price in ("both", "origin"):
        price["origin"] = {"base_price": str(origin.normalize())}
    if entry.price == "garbage":
        price["actual"] = {"base_price": "contact sales"}
        price["origin"] = {"base_price": "N/A"}
    return price


def _label(model: str) -> str:
    tail = model.split("/", 1)[1]
    return " ".join(part.replace("-", " ").title() for part in tail.split("/"))


@cache
def catalog() -> tuple[EmuModel, ...]:
    return tuple(_video() + _image() + _others())


@cache
def by_id() -> dict[str, EmuModel]:
    return {m.model: m for m in catalog()}


def listing(base_url: str) -> list[dict[str, Any]]:
    """The ``data`` of ``GET /api/v1/models``, with schema URLs under ``base_url``."""
    rows = []
    for index, entry in enumerate(catalog()):
        org = entry.model.split("/", 1)[0]
        row: dict[str, Any] = {
            "uuid": f"{_digest(entry.model):016x}",
            "model": entry.model,
            "type": entry.type,
            "displayName": _label(entry.model),
            "profile": f"{_label(entry.model)} by {org} on Atlas Cloud.",
            "organization": org,
            "familyName": entry.model.split("/")[1].split("-")[0],
            "tags": [entry.type.lower(), entry.kind],
            "categories": [entry.type],
            "display_console": entry.visible,
            "price": _price(entry),
            "avatar": f"{base_url}/static/avatars/{org}.png",
            "readme": f"{base_url}/docs/{entry.model}",
            "sort": index,
        }
        if entry.has_schema and entry.type in ("Image", "Video", "Audio"):
            row["schema"] = f"{base_url}/api/v1/schema/{entry.model}.json"
        if entry.type == "Text":
            row.update({"contextLength": 131072, "maxCompletionTokens": 8192})
        rows.append(row)
    return rows


def openapi_document(entry: EmuModel) -> dict[str, Any]:
    """A per-model OpenAPI document shaped like the ones Atlas links from ``schema``."""
    endpoint = {"Image": "generateImage", "Video": "generateVideo"}.get(entry.type, "generateAudio")
    return {
        "openapi": "3.0.1",
        "info": {"title": entry.model, "version": "1.0.0"},
        "paths": {
            f"/api/v1/model/{endpoint}": {
                "post": {
                    "x-api-name": "model_run",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Input"}}
                        }
                    },
                }
            },
            "/api/v1/model/result/{request_id}": {"get": {"x-api-name": "model_result"}},
        },
        "components": {
            "schemas": {
                "Input": input_schema(entry.model, entry.kind, entry.media),
                "Output": {"type": "object", "properties": {"outputs": {"type": "array"}}},
            }
        },
    }
