"""Parameter translation between models, and negative prompts folded into the prompt."""

from __future__ import annotations

import asyncio

import pytest

from reelforge.catalog.catalog import Catalog
from reelforge.catalog.loader import load_curated
from reelforge.catalog.schema import validate_params
from reelforge.domain.catalog import ModelEntry
from reelforge.engine.translate import fold_negative, intent_of, parse_ratio, translate

CATALOG = Catalog(load_curated())


def get(model_id: str) -> ModelEntry:
    return asyncio.run(CATALOG.get(model_id))


def test_ratios_parse_labels_and_pixel_ratios() -> None:
    assert parse_ratio("16:9") == pytest.approx(16 / 9)
    assert parse_ratio("1280:720") == pytest.approx(16 / 9)
    assert parse_ratio("auto") is None and parse_ratio(None) is None


def test_intent_reads_every_vocabulary() -> None:
    assert intent_of({"image_size": "portrait_16_9"}).aspect == pytest.approx(9 / 16)
    assert intent_of({"width": 1024, "height": 512}).aspect == 2.0
    assert intent_of({"num_frames": 81, "frames_per_second": 16}).duration == pytest.approx(
        5.06, 0.01
    )
    assert intent_of({"sound": "on"}).audio is True
    assert intent_of({"n": 3}).count == 3


def test_aspect_ratio_goes_to_the_nearest_supported() -> None:
    runway = translate(get("runway/gen4.5"), {"aspect_ratio": "16:9"})
    assert runway.params["ratio"] == "1280:720" and not runway.notes
    kling = translate(get("kling/kling-v2-master"), {"aspect_ratio": "21:9"})
    assert kling.params["aspect_ratio"] == "16:9"
    assert any("21:9 → 16:9" in n for n in kling.notes)
    fal = translate(get("fal/flux-dev"), {"ratio": "720:1280"})
    assert fal.params["image_size"] == "portrait_16_9"
    sized = translate(get("together/flux-1-schnell-free"), {"aspect_ratio": "1:1"})
    assert sized.params["width"] == sized.params["height"]
    validate_params(get("together/flux-1-schnell-free"), sized.params)


def test_duration_is_rounded_to_what_the_model_supports() -> None:
    kling = translate(get("kling/kling-v2-master"), {"duration": 8})
    assert kling.params["duration"] == "10"  # string enum "5" | "10"; a tie goes longer
    assert any("8 s → 10 s" in n for n in kling.notes)
    veo = translate(get("runway/veo3.1"), {"duration": 5})
    assert veo.params["duration"] == 6
    gen = translate(get("runway/gen4.5"), {"duration": 12})
    assert gen.params["duration"] == 10  # clamped to the schema's maximum
    fixed = translate(get("kling/t2v_5s"), {"duration": 10})
    assert "duration" not in fixed.params and any("fixed" in n for n in fixed.notes)
    for entry_id, result in (("kling/kling-v2-master", kling), ("runway/veo3.1", veo)):
        validate_params(get(entry_id), result.params)


def test_same_name_settings_carry_over_and_others_are_dropped_with_a_note() -> None:
    out = translate(get("kling/kling-v2-6"), {"mode": "pro", "public_figure_threshold": "low"})
    assert out.params["mode"] == "pro"
    assert "public_figure_threshold" not in out.params
    assert any("public_figure_threshold" in n for n in out.notes)


def test_audio_maps_to_each_models_switch() -> None:
    assert translate(get("kling/kling-v2-6"), {"audio": True}).params["sound"] == "on"
    assert translate(get("runway/veo3.1"), {"sound": "on"}).params["audio"] is True
    silent = translate(get("kling/kling-v2-master"), {"audio": True})
    assert any("silent" in n for n in silent.notes)


def test_negative_prompt_folded_only_without_native_support() -> None:
    prompt, negative, note = fold_negative(get("fal/flux-dev"), "a cat", "dogs")
    assert prompt == "a cat\n\nAvoid: dogs" and negative is None and note
    prompt, negative, note = fold_negative(get("together/flux-1-dev"), "a cat", "dogs")
    assert (prompt, negative, note) == ("a cat", "dogs", None)
    runway = get("runway/gen4.5")  # 1000 characters at most
    long_prompt, _, _ = fold_negative(runway, "x" * 995, "blur")
    assert len(long_prompt) <= 1000
