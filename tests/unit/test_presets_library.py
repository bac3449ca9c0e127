"""The preset library: every file valid, the twelve of seed 001 §5.2, a broken file
stopping the load with its name, and the compiler's conditional steps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reelforge.catalog.loader import load_curated
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.presets.compile import Uploaded, compile_preset
from reelforge.engine.presets.inputs import check_inputs, input_schema
from reelforge.engine.presets.library import DATA_DIR, PresetFileError, load_library

TWELVE = {
    "photoreal_portrait_v1",
    "cinematic_portrait_v1",
    "identity_lock_portrait_v1",
    "image_to_video_v1",
    "talking_clip_v1",
    "video_identity_consistency_v1",
    "upscale_denoise_image_v1",
    "upscale_deflicker_video_v1",
    "color_grade_film_grain_v1",
    "storyboard_builder_v1",
    "ugc_clip_builder_v1",
    "repair_pipeline_v1",
}


def everything(_model: str) -> str | None:
    return None


def test_the_twelve_presets_load_and_name_catalog_models() -> None:
    library = load_library()
    assert set(library.presets) == TWELVE
    library.check_models({e.id for e in load_curated()})
    for preset in library.all():
        assert set(preset.quality_levels) == {"low", "standard", "pro"}
        assert preset.failure_modes, preset.id


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["steps"][1]["sources"][0].update({"from": ["input:nope"]}), "input:nope"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["quality_levels"].pop("pro"), "pro"),
        (lambda d: d["steps"][0]["engines"][0].pop("model"), "model"),
    ],
)
def test_a_broken_preset_file_fails_at_load_naming_it(
    tmp_path: Path, change: Any, expected: str
) -> None:
    folder = _copy(tmp_path)
    path = folder / "image_to_video_v1.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(PresetFileError) as caught:
        load_library(folder)
    assert "image_to_video_v1.json" in str(caught.value)
    assert expected in str(caught.value)


def test_bad_json_and_unknown_models_fail_at_load(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "talking_clip_v1.json").write_text("{not json")
    with pytest.raises(PresetFileError, match=r"talking_clip_v1\.json"):
        load_library(folder)
    library = load_library()
    with pytest.raises(PresetFileError, match="not in the catalog"):
        library.check_models({"local/extend"})


def test_conditional_steps_follow_the_quality_and_the_inputs() -> None:
    library = load_library()
    preset = library.get("photoreal_portrait_v1")

    def nodes(quality: str, **given: Any) -> list[str]:
        values = check_inputs(preset, {"prompt": "a face", **given})
        compiled = compile_preset(library, preset, values, quality, everything)  # type: ignore[arg-type]
        return [n.id for n in compiled.pipeline.nodes]

    assert nodes("low") == ["portrait"]
    assert nodes("standard") == ["portrait", "restore", "texture"]
    assert nodes("pro") == ["portrait", "restore", "texture", "upscale"]
    assert nodes("standard", face_restore=False) == ["portrait", "texture"]
    ugc = library.get("ugc_clip_builder_v1")
    for quality, audio, expected in [
        ("low", False, {"motion-motion", "motion-trim"}),
        ("low", True, {"motion-motion", "motion-trim", "voice"}),
        ("pro", True, {"scene", "lipsync-lipsync", "grade-look", "upscale-upscale"}),
    ]:
        values: dict[str, Any] = {"product_image": Uploaded(("art_1",)), "prompt": "a cup"}
        if audio:
            values["audio"] = Uploaded(("art_2",))
        compiled = compile_preset(library, ugc, values, quality, everything)  # type: ignore[arg-type]
        ids = {n.id for n in compiled.pipeline.nodes}
        assert expected <= ids, ids
        assert ("motion-upscale" in ids) is False  # the chained clip is upscaled once, at the end


def test_quality_levels_change_real_params() -> None:
    library = load_library()
    preset = library.get("photoreal_portrait_v1")
    params = {}
    for quality in ("low", "standard", "pro"):
        compiled = compile_preset(library, preset, {"prompt": "x"}, quality, everything)  # type: ignore[arg-type]
        first = compiled.pipeline.nodes[0]
        params[quality] = (first.params, first.fallback_options[0].params)
    assert params["low"][0]["steps"] == 25 and params["low"][0]["cfg"] == 6.5
    assert params["pro"][0]["steps"] == 50 and params["pro"][0]["cfg"] == 8.0
    assert params["standard"][1]["num_inference_steps"] == 40


def test_no_engine_available_is_dependency_missing_naming_what_to_install() -> None:
    library = load_library()
    preset = library.get("identity_lock_portrait_v1")
    values = {"prompt": "x", "identity_reference": Uploaded(("art_1",))}
    with pytest.raises(ReelForgeError) as caught:
        compile_preset(library, preset, values, "standard", lambda m: f"{m} is not connected")
    assert caught.value.code is ErrorCode.DEPENDENCY_MISSING
    assert "ComfyUI_IPAdapter_plus" in caught.value.message
    assert "kling/kling-v1-5-image" in caught.value.detail["engines"]


def test_inputs_are_checked_and_drawn_as_a_schema() -> None:
    preset = load_library().get("talking_clip_v1")
    with pytest.raises(ReelForgeError) as caught:
        check_inputs(preset, {"audio": "art_1", "colour": "red"})
    assert caught.value.code is ErrorCode.CONTRACT_MISMATCH
    with pytest.raises(ReelForgeError) as caught:
        check_inputs(preset, {"audio": "art_1"})
    assert caught.value.detail["missing_fields"] == ["video or image"]
    schema = input_schema(preset)
    assert schema["required"] == ["audio"] and schema["additionalProperties"] is False
    assert schema["properties"]["identity_reference"]["maxItems"] == 3
    identity = load_library().get("identity_lock_portrait_v1")
    with pytest.raises(ReelForgeError, match="1 to 3"):
        check_inputs(identity, {"prompt": "x", "identity_reference": ["a", "b", "c", "d"]})


def test_storyboard_shots_fill_the_template_and_caption_the_sheet() -> None:
    library = load_library()
    preset = library.get("storyboard_builder_v1")
    values = check_inputs(preset, {"prompt_template": "shot {shot_number}: a fox", "seed": 9})
    compiled = compile_preset(library, preset, values, "standard", everything)  # type: ignore[arg-type]
    nodes = {n.id: n for n in compiled.pipeline.nodes}
    shots = [nodes[f"shot_{i}"] for i in range(1, 6)]  # standard: 5 shots
    assert [s.prompt.split(",")[0] for s in shots] == [f"shot {i}: a fox" for i in range(1, 6)]
    assert [s.seed for s in shots] == [9, 10, 11, 12, 13]
    assert nodes["sheet"].params["captions"].splitlines()[1].startswith("shot 2: a fox")
    edges = [(e.source, e.target) for e in compiled.pipeline.edges]
    assert [s for s, t in edges if t == "cut"] == [f"trim_{i}" for i in range(1, 6)]
    assert ("shot_3", "clip_3") in edges


def test_storyboard_with_a_face_locks_every_shot_and_needs_consent() -> None:
    library = load_library()
    preset = library.get("storyboard_builder_v1")
    values = {
        **check_inputs(preset, {"prompt_template": "shot {shot_number}", "shot_count": 3}),
        "identity_reference": Uploaded(("art_face",)),
    }
    compiled = compile_preset(library, preset, values, "low", everything, consent=True)  # type: ignore[arg-type]
    shots = [n for n in compiled.pipeline.nodes if n.id.startswith("shot_identity_")]
    assert len(shots) == 3  # shot_count wins over the level's 2
    assert all(n.inputs[0].artifact_id == "art_face" and n.consent for n in shots)
    assert compiled.needs_consent
