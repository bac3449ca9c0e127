"""Parameter schemas: the JSON-Schema subset → ParamSpecs, and request params checked."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.catalog.schema import SchemaError, entry_params, parse_schema, validate_params
from reelforge.domain.catalog import MediaSlot, ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt": {
            "type": "string",
            "title": "Prompt",
            "description": "What to make.",
            "maxLength": 20,
        },
        "image": {"type": "string", "format": "uri"},
        "end_image": {"type": "string"},
        "duration": {"type": "integer", "enum": [5, 10], "default": 5},
        "guidance": {"type": "number", "minimum": 1, "maximum": 20, "default": 3.5},
        "steps": {"type": "integer", "minimum": 1, "maximum": 50},
        "audio": {"type": "boolean", "default": False},
        "image_size": {"type": "string", "enum": ["1024*1024", "512*512"], "default": "1024*1024"},
        "num_images": {"type": "integer", "default": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "negative_prompt": {"type": ["string", "null"]},
    },
    "required": ["prompt", "image"],
    "x-order-properties": ["image", "prompt"],
}


def entry(**overrides: Any) -> ModelEntry:
    values: dict[str, Any] = {
        "id": "demo/model",
        "provider": "demo",
        "provider_model": "model-1",
        "label": "Demo",
        "modes": [Mode.I2V],
        "output_kind": MediaKind.VIDEO,
        "params_schema": SCHEMA,
    }
    values.update(overrides)
    return ModelEntry(**values)


def test_parse_schema_types_order_and_media_flags() -> None:
    specs = {s.name: s for s in parse_schema(SCHEMA)}
    names = [s.name for s in parse_schema(SCHEMA)]
    assert names[:2] == ["image", "prompt"], "x-order-properties comes first"
    assert specs["prompt"].type == "string" and specs["prompt"].required
    assert specs["prompt"].title == "Prompt" and specs["prompt"].max_length == 20
    assert specs["duration"].enum == [5, 10] and specs["duration"].default == 5
    assert specs["guidance"].minimum == 1 and specs["guidance"].maximum == 20
    assert specs["tags"].type == "array" and specs["tags"].items_type == "string"
    assert specs["tags"].max_length == 2
    assert specs["negative_prompt"].type == "string" and specs["negative_prompt"].nullable
    assert specs["image"].media_kind is MediaKind.IMAGE and specs["end_image"].is_media
    assert specs["image_size"].media_kind is None, "image_size is a setting, not media"
    assert specs["num_images"].media_kind is None
    assert specs["audio"].media_kind is None, "a boolean named audio is a switch"


def test_strict_parsing_rejects_what_the_subset_lacks() -> None:
    with pytest.raises(SchemaError, match="weird"):
        parse_schema({"properties": {"weird": {"type": "tuple"}}}, strict=True)
    lenient = parse_schema({"properties": {"weird": {"type": "tuple"}}})
    assert lenient[0].type == "any"


def test_slots_declared_in_the_entry_flag_their_params() -> None:
    e = entry(
        params_schema={"type": "object", "properties": {"ref": {"type": "string"}}},
        inputs=[MediaSlot(name="ref", kind=MediaKind.IMAGE)],
    )
    assert entry_params(e)[0].media_kind is MediaKind.IMAGE


def test_defaults_applied_and_values_coerced() -> None:
    out = validate_params(entry(), {"prompt": "a fox", "duration": "10", "guidance": 2})
    assert out["duration"] == 10 and out["guidance"] == 2
    assert out["audio"] is False and out["image_size"] == "1024*1024" and out["num_images"] == 1
    assert "image" not in out, "media come from the node's inputs, never from defaults"
    assert "steps" not in out, "no default, not given: left out"


def test_unknown_params_are_contract_mismatch_listing_allowed_ones() -> None:
    with pytest.raises(ReelForgeError) as info:
        validate_params(entry(), {"prompt": "x", "duraton": 5, "colour": "red"})
    err = info.value
    assert err.code is ErrorCode.CONTRACT_MISMATCH
    assert err.detail["unknown_fields"] == ["duraton", "colour"]
    assert "duration" in err.detail["allowed"] and "prompt" in err.detail["allowed"]
    assert err.detail["did_you_mean"] == {"duraton": "duration"}
    assert "duraton" in err.message and "Allowed:" in err.message


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"steps": "many"}, "steps", "expected integer"),
        ({"steps": 51}, "steps", "above the maximum 50"),
        ({"guidance": 0.5}, "guidance", "below the minimum 1"),
        ({"duration": 7}, "duration", "not one of: 5, 10"),
        ({"audio": "yes"}, "audio", "expected boolean"),
        ({"prompt": "x" * 21}, "prompt", "more than the maximum 20"),
        ({"tags": ["a", "b", "c"]}, "tags", "more than the maximum 2"),
        ({"tags": ["a", 3]}, "tags", "item 1: expected string"),
        ({"guidance": float("nan")}, "guidance", "expected number"),
        ({"steps": True}, "steps", "expected integer"),
    ],
)
def test_wrong_types_and_ranges_are_named(params: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ReelForgeError) as info:
        validate_params(entry(), {"prompt": "x", **params})
    err = info.value
    assert err.code is ErrorCode.VALIDATION_ERROR
    assert err.detail["invalid_fields"][0]["field"] == field
    assert words in err.detail["invalid_fields"][0]["problem"]
    assert field in err.message


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ReelForgeError) as info:
        validate_params(entry(), {"prompt": "x", "steps": 0, "duration": 3})
    assert {i["field"] for i in info.value.detail["invalid_fields"]} == {"steps", "duration"}


def test_missing_required_setting_but_not_media_nor_the_prompt() -> None:
    # The prompt parameter is filled from the node's prompt (catalog.prompts), the image
    # from its inputs: neither is required of params (issue 18: "needs: prompt").
    assert validate_params(entry(), {})["duration"] == 5
    specs = {s.name: s for s in entry_params(entry())}
    assert specs["prompt"].fills == "prompt" and specs["negative_prompt"].fills == "negative_prompt"
    assert specs["image"].fills is None and specs["duration"].fills is None
    schema = {**SCHEMA, "required": ["prompt", "image", "steps"]}
    with pytest.raises(ReelForgeError) as info:
        validate_params(entry(params_schema=schema), {})
    assert info.value.code is ErrorCode.CONTRACT_MISMATCH
    assert info.value.detail["missing_fields"] == ["steps"]
    assert validate_params(entry(params_schema=schema), {}, partial=True)["duration"] == 5


def test_a_seed_parameter_gets_no_default_over_the_nodes_seed() -> None:
    schema = {"type": "object", "properties": {"seed": {"type": "integer", "default": -1}}}
    assert validate_params(entry(params_schema=schema), {}) == {}


def test_null_means_unset_unless_nullable() -> None:
    out = validate_params(entry(), {"prompt": "x", "duration": None, "negative_prompt": None})
    assert out["duration"] == 5 and out["negative_prompt"] is None


def test_fixed_params_always_win_and_cannot_be_changed() -> None:
    e = entry(fixed_params={"duration": 5, "mode": "pro"})
    assert validate_params(e, {"prompt": "x"})["duration"] == 5
    assert validate_params(e, {"prompt": "x", "duration": "5"})["mode"] == "pro"
    with pytest.raises(ReelForgeError) as info:
        validate_params(e, {"prompt": "x", "duration": 10})
    assert info.value.detail["invalid_fields"] == [
        {"field": "duration", "problem": "is fixed at 5 for this model"}
    ]


def test_open_schema_passes_unknown_params_through() -> None:
    e = entry(params_schema={"type": "object", "properties": {}, "additionalProperties": True})
    assert validate_params(e, {"anything": 1}) == {"anything": 1}


def test_number_sent_for_a_string_enum() -> None:
    e = entry(params_schema={"properties": {"duration": {"type": "string", "enum": ["5", "10"]}}})
    assert validate_params(e, {"duration": 10}) == {"duration": "10"}
    with pytest.raises(ReelForgeError):
        validate_params(e, {"duration": 7})
