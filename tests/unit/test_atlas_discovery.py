"""Atlas discovery rules: classification (every fallback path), prices, schema extraction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from reelforge.catalog.atlas_discovery import (
    base_entry,
    classify,
    classify_by_id,
    kept_kind,
    parse_price,
    with_schema,
)
from reelforge.domain.catalog import PriceBasis
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.atlas_api import clean_input_schema, models_from_body


def props(*names: str) -> dict[str, Any]:
    return {n: {"type": "string"} for n in names}


SCHEMAS: dict[str, dict[str, Any] | None] = {
    # video ids the id rules cannot place: the schema decides
    "bytedance/seedance-v1-pro-i2v-480p": {
        "properties": props("image", "prompt"),
        "required": ["image", "prompt"],
    },
    "bytedance/seedance-v1-pro-t2v-480p": {"properties": props("prompt"), "required": ["prompt"]},
    "decart/lucy-edit-pro": {"properties": props("video_url", "prompt"), "required": ["video_url"]},
    "sync/lipsync-2": {"properties": props("video", "audio"), "required": ["video", "audio"]},
    "runway/act-two": {"properties": props("image", "video"), "required": ["image", "video"]},
    "minimax/hailuo-02/i2v-pro": {"properties": props("first_frame"), "required": ["first_frame"]},
    "wavespeed-ai/infinitetalk": {
        "properties": props("image", "audio"),
        "required": ["model", "image", "audio"],
    },
    # optional media does not make a model image-to-video
    "wavespeed-ai/magi-1-24b": {"properties": props("prompt", "image"), "required": ["prompt"]},
    "mystic/ambient-loop": None,  # no schema: unclassifiable
}


async def load(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    return SCHEMAS.get(str(raw["model"]))


def model(model_id: str, kind: str = "Video", **extra: Any) -> dict[str, Any]:
    return {"model": model_id, "type": kind, "display_console": True, **extra}


@pytest.mark.parametrize(
    ("model_id", "kind", "mode"),
    [
        # images
        ("google/nano-banana/edit", "Image", Mode.I2I),
        ("bytedance/seedream-v4/edit-sequential", "Image", Mode.I2I),
        ("bytedance/seededit-v3", "Image", Mode.I2I),
        ("vidu/reference-to-image", "Image", Mode.I2I),
        ("google/nano-banana/text-to-image", "Image", Mode.T2I),
        ("bytedance/seedream-v5.0-lite", "Image", Mode.T2I),
        # videos, by id
        ("alibaba/wan-2.2/video-to-video-720p", "Video", Mode.V2V),
        ("runway/gen4-aleph/video-edit", "Video", Mode.V2V),
        ("alibaba/wan-2.5/video-extend", "Video", Mode.V2V),
        ("kwaivgi/kling-v2.1-pro/image-to-video", "Video", Mode.I2V),
        ("google/veo3.1/start-end-to-video", "Video", Mode.I2V),
        ("google/veo3.1/reference-to-video", "Video", Mode.I2V),
        ("wavespeed-ai/infinite-image-to-video", "Video", Mode.I2V),
        ("alibaba/wan-2.2/animate-move", "Video", Mode.I2V),
        ("google/veo3/text-to-video", "Video", Mode.T2V),
        # videos, by schema
        ("bytedance/seedance-v1-pro-i2v-480p", "Video", Mode.I2V),
        ("bytedance/seedance-v1-pro-t2v-480p", "Video", Mode.T2V),
        ("decart/lucy-edit-pro", "Video", Mode.V2V),
        ("sync/lipsync-2", "Video", Mode.V2V),
        ("runway/act-two", "Video", Mode.V2V),
        ("minimax/hailuo-02/i2v-pro", "Video", Mode.I2V),
        ("wavespeed-ai/infinitetalk", "Video", Mode.I2V),
        ("wavespeed-ai/magi-1-24b", "Video", Mode.T2V),
        ("mystic/ambient-loop", "Video", None),
    ],
)
async def test_classification(model_id: str, kind: str, mode: Mode | None) -> None:
    assert await classify(model(model_id, kind), load) is mode


def test_id_rules_leave_untelling_video_ids_to_the_schema() -> None:
    assert classify_by_id("bytedance/seedance-v1-pro-i2v-480p", MediaKind.VIDEO) is None
    assert classify_by_id("anything", MediaKind.IMAGE) is Mode.T2I


async def test_v2v_rules_win_over_i2v_rules() -> None:
    # "video-to-video" also contains "to-video"; an id naming both goes to v2v first.
    assert await classify(model("x/image-to-video/video-extend"), load) is Mode.V2V


@pytest.mark.parametrize(
    "raw",
    [
        {"model": "a/b", "type": "Image", "display_console": False},
        {"model": "a/b", "type": "Image"},  # no flag: not for the console
        {"model": "a/b", "type": "Text", "display_console": True},
        {"model": "a/b", "type": "Audio", "display_console": True},
        {"type": "Image", "display_console": True},
    ],
)
async def test_hidden_text_audio_and_idless_models_are_dropped(raw: dict[str, Any]) -> None:
    assert kept_kind(raw) is None
    assert await classify(raw, load) is None


@pytest.mark.parametrize(
    ("price", "micros", "source"),
    [
        ({"actual": {"base_price": "0.096"}, "origin": {"base_price": "0.12"}}, 96_000, "actual"),
        ({"origin": {"base_price": "0.12"}}, 120_000, "origin"),
        ({"actual": {}, "origin": {"base_price": "1.5"}}, 1_500_000, "origin"),
        ({"actual": {"base_price": ""}, "origin": {"base_price": "0.04"}}, 40_000, "origin"),
        ({"actual": {"base_price": "N/A"}, "origin": {"base_price": "0.04"}}, 40_000, "origin"),
        ({"actual": {"base_price": 0.096}}, 96_000, "actual"),
        ({"actual": {"base_price": 2}}, 2_000_000, "actual"),
        ({"discount": "70"}, 0, "no base_price"),
        ({}, 0, "no base_price"),
        (
            {"actual": {"base_price": "contact sales"}, "origin": {"base_price": "N/A"}},
            None,
            "unreadable",
        ),
        ({"actual": {"base_price": "-1"}}, None, "unreadable"),
    ],
)
def test_price_parsing(price: dict[str, Any], micros: int | None, source: str) -> None:
    parsed = parse_price({"price": price})
    assert parsed.micros == micros
    assert parsed.basis is PriceBasis.PER_GENERATION
    assert source in parsed.source and parsed.as_of is not None


def test_price_missing_entirely_or_garbage_block() -> None:
    assert parse_price({}).micros == 0
    assert parse_price({"price": "cheap"}).micros == 0


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.1",
    "components": {
        "schemas": {
            "Input": {
                "type": "object",
                "properties": {
                    "model": {"type": "string"},
                    "prompt": {"type": "string"},
                    "images": {"type": "array", "items": {"type": "string"}},
                    "end_image": {"type": "string"},
                    "duration": {"type": "string", "enum": ["5", "10"], "default": "5"},
                    "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16"]},
                    "negative_prompt": {"type": "string"},
                    "seed": {"type": "integer"},
                    "generate_audio": {"type": "boolean"},
                    "enable_base64_output": {"type": "boolean", "default": False},
                    "enable_sync_mode": {"type": "boolean"},
                },
                "required": ["model", "prompt", "images", "enable_base64_output"],
                "x-order-properties": ["model", "images", "prompt", "enable_base64_output"],
            }
        }
    },
}


def test_schema_extraction_leaves_out_model_and_internal_fields() -> None:
    schema = clean_input_schema(DOCUMENT)
    assert "model" not in schema["properties"]
    assert "enable_base64_output" not in schema["properties"]
    assert "enable_sync_mode" not in schema["properties"]
    assert schema["required"] == ["prompt", "images"]
    assert schema["x-order-properties"] == ["images", "prompt"]
    assert schema["properties"]["duration"]["enum"] == ["5", "10"]


def test_schema_extraction_without_input_is_an_error() -> None:
    with pytest.raises(ReelForgeError):
        clean_input_schema({"components": {"schemas": {}}})


def test_model_list_shapes() -> None:
    assert models_from_body([{"model": "a"}, "junk"]) == [{"model": "a"}]
    grouped = {"groups": [{"models": [{"model": "a"}]}, {"models": [{"model": "b"}]}]}
    assert [m["model"] for m in models_from_body(grouped)] == ["a", "b"]
    with pytest.raises(ReelForgeError):
        models_from_body("nope")


def test_entry_completed_from_its_schema() -> None:
    raw = model("google/veo3.1/reference-to-video", displayName="Veo 3.1 Reference", tags=["video"],
                price={"actual": {"base_price": "0.4"}})  # fmt: skip
    entry = with_schema(base_entry(raw, Mode.I2V), clean_input_schema(DOCUMENT))
    assert entry.id == "atlas/google/veo3.1/reference-to-video"
    assert entry.provider_model == "google/veo3.1/reference-to-video"
    assert entry.label == "Veo 3.1 Reference" and entry.live and entry.price.micros == 400_000
    slots = {s.name: (s.kind, s.required) for s in entry.inputs}
    assert slots == {"images": (MediaKind.IMAGE, True), "end_image": (MediaKind.IMAGE, False)}
    assert entry.limits.durations == [5.0, 10.0] and entry.limits.aspect_ratios == ["16:9", "9:16"]
    features = entry.features
    assert features.negative_prompt and features.seed and features.audio and features.last_frame


def test_entry_without_a_published_schema_accepts_params_unchecked() -> None:
    entry = with_schema(base_entry(model("a/b", "Image"), Mode.T2I), None)
    assert entry.params_schema["additionalProperties"] is True


def test_an_array_field_is_a_list_slot_and_the_prompt_limit_is_kept() -> None:
    schema = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "maxLength": 800},
            "images": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 6},
            "mask_image": {"type": "string"},
        },
        "required": ["prompt", "images"],
    }
    base = base_entry({"model": "x/edit", "type": "Image", "displayName": "x"}, Mode.I2I)
    entry = with_schema(base, schema)
    images, mask = entry.inputs
    assert (images.multiple, images.least, images.most, images.required) == (True, 2, 6, True)
    assert (mask.multiple, mask.most, mask.required) == (False, 1, False)
    assert entry.limits.max_prompt_chars == 800
    odd = with_schema(
        base,
        {
            **schema,
            "properties": {
                **schema["properties"],
                "images": {"type": "array", "minItems": 9, "maxItems": 3},
            },
        },
    )
    assert odd.inputs[0].multiple and odd.inputs[0].max_items is None, "contradictory bounds"
