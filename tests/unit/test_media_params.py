"""Media parameters: which fields carry media, the primary one, and injection."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.domain.modes import MediaKind
from reelforge.providers.media_params import inject_media, media_kind_of, primary_media_param


@pytest.mark.parametrize(
    ("name", "spec", "kind"),
    [
        ("image", {"type": "string"}, MediaKind.IMAGE),
        ("images", {"type": "array", "items": {"type": "string"}}, MediaKind.IMAGE),
        ("image_url", {"type": "string"}, MediaKind.IMAGE),
        ("start_image", {"type": "string"}, MediaKind.IMAGE),
        ("first_frame", {"type": "string"}, MediaKind.IMAGE),
        ("last_frame", {"type": "string"}, MediaKind.IMAGE),
        ("subject_image", {"type": "string"}, MediaKind.IMAGE),
        ("input_image", {"type": "string"}, MediaKind.IMAGE),
        ("video", {"type": "string"}, MediaKind.VIDEO),
        ("video_url", {"type": "string"}, MediaKind.VIDEO),
        ("input_video", {"type": "string"}, MediaKind.VIDEO),
        ("audio", {"type": "string"}, MediaKind.AUDIO),
        ("audio_url", {"type": "string"}, MediaKind.AUDIO),
        ("image_size", {"type": "string"}, None),
        ("num_images", {"type": "integer"}, None),
        ("video_length", {"type": "integer"}, None),
        ("generate_audio", {"type": "boolean"}, None),
        ("audio", {"type": "boolean"}, None),
        ("image", {"type": "string", "enum": ["a", "b"]}, None),
        ("images", {"type": "array", "items": {"type": "integer"}}, None),
        ("ref", {"type": "string", "x-media-kind": "video"}, MediaKind.VIDEO),
        ("prompt", {"type": "string"}, None),
    ],
)
def test_media_kind_of(name: str, spec: dict[str, Any], kind: MediaKind | None) -> None:
    assert media_kind_of(name, spec) is kind


def schema(props: dict[str, dict[str, Any]], required: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"type": "object", "properties": props, "required": list(required)}


def test_primary_image_param_follows_the_preference_order() -> None:
    s = schema({"image_url": {"type": "string"}, "images": {"type": "array"}})
    assert primary_media_param(s, MediaKind.IMAGE) == "images"
    s = schema({"subject_image": {"type": "string"}, "first_frame": {"type": "string"}})
    assert primary_media_param(s, MediaKind.IMAGE) == "first_frame"
    assert primary_media_param(schema({"prompt": {}}), MediaKind.IMAGE) is None


def test_required_media_param_is_preferred() -> None:
    s = schema({"image": {"type": "string"}, "start_image": {"type": "string"}}, ["start_image"])
    assert primary_media_param(s, MediaKind.IMAGE) == "start_image"


def test_primary_video_param() -> None:
    s = schema({"input_video": {"type": "string"}, "video_url": {"type": "string"}})
    assert primary_media_param(s, MediaKind.VIDEO) == "video_url"


def test_array_param_receives_the_list() -> None:
    s = schema({"images": {"type": "array", "items": {"type": "string"}}, "prompt": {}})
    out = inject_media(s, {"prompt": "p"}, images=["u1", "u2"])
    assert out == {"prompt": "p", "images": ["u1", "u2"]}


def test_string_param_receives_the_first_url() -> None:
    s = schema({"image": {"type": "string"}, "video_url": {"type": "string"}})
    out = inject_media(s, {}, images=["u1", "u2"], videos=["v1"])
    assert out == {"image": "u1", "video_url": "v1"}


def test_explicit_value_is_kept() -> None:
    s = schema({"image": {"type": "string"}})
    assert inject_media(s, {"image": "mine"}, images=["piped"]) == {"image": "mine"}
    assert inject_media(s, {"image": ""}, images=["piped"]) == {"image": "piped"}
