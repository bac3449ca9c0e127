"""Issue 18: list slots (cardinality, fill order, messages), one prompt rule for every
model (params.prompt, required prompts, prompt limits) and warnings kept with the step."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.domain.catalog import Limits, MediaSlot
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import ArtifactFacts, plan_pipeline
from tests.unit.test_plan import ENTRIES, _View
from tests.unit.test_plan import entry as make

VIDEO, IMAGE = MediaKind.VIDEO, MediaKind.IMAGE
MORE = {
    e.id: e
    for e in [
        make(
            "local/concat",
            [Mode.EDIT, Mode.V2V],
            VIDEO,
            0,
            inputs=[MediaSlot(name="video", kind=VIDEO, multiple=True, min_items=2, max_items=3)],
        ),
        make(
            "local/storyboard",
            [Mode.EDIT, Mode.I2I],
            IMAGE,
            0,
            inputs=[
                MediaSlot(name="image", kind=IMAGE, required=False, multiple=True, max_items=64),
                MediaSlot(name="video", kind=VIDEO, required=False, multiple=True, max_items=64),
            ],
            keeps_input_kind=False,
        ),
        make("k/t2v", [Mode.T2V], VIDEO, 1000, limits=Limits(max_prompt_chars=10)),
        make("k/t2v-long", [Mode.T2V], VIDEO, 2000, limits=Limits(max_prompt_chars=100)),
        make(
            "atlas/tts",
            [Mode.TTS],
            MediaKind.AUDIO,
            10,
            params_schema={
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 12},
                    "voice": {"type": "string", "default": "calm"},
                },
                "required": ["text"],
            },
        ),
        make(
            "atlas/edit",
            [Mode.I2I],
            IMAGE,
            10,
            params_schema={
                "type": "object",
                "properties": {
                    "prompt": {"type": "string"},
                    "images": {"type": "array", "items": {"type": "string"}},
                    "seed": {"type": "integer", "default": -1},
                },
                "required": ["prompt", "images"],
            },
            inputs=[MediaSlot(name="images", kind=IMAGE, multiple=True, max_items=10)],
        ),
    ]
}
ARTS = {f"art_{n}": ArtifactFacts(IMAGE, str(n) * 64) for n in range(1, 5)}


def plan(doc: dict[str, Any], cap: int | None = 20_000):  # type: ignore[no-untyped-def]
    view = _View({**ENTRIES, **MORE}, {})
    return plan_pipeline(Pipeline.model_validate(doc), view, ARTS, max_prompt_chars=cap)


def problems(doc: dict[str, Any], cap: int | None = 20_000) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        plan(doc, cap)
    return info.value


def clips(n: int) -> list[dict[str, Any]]:
    return [{"id": f"c{i}", "model": "p/t2v", "prompt": f"shot {i}"} for i in range(1, n + 1)]


# --- list slots ---------------------------------------------------------------------------


def test_concat_takes_every_edge_in_edge_order() -> None:
    doc = {
        "nodes": [*clips(2), {"id": "cut", "model": "local/concat"}],
        "edges": [{"from": "c2", "to": "cut"}, {"from": "c1", "to": "cut"}],
    }
    step = plan(doc).steps[-1]
    assert [i.from_node for i in step.inputs] == ["c2", "c1"]
    assert [i.slot for i in step.inputs] == ["video", "video"]
    assert step.depends_on == ["c1", "c2"]
    swapped = {**doc, "edges": list(reversed(doc["edges"]))}
    assert plan(swapped).steps[-1].cache_key != step.cache_key, "order is part of the step"


def test_list_slot_bounds_are_checked_with_messages_that_agree() -> None:
    few = problems(
        {
            "nodes": [*clips(1), {"id": "cut", "model": "local/concat"}],
            "edges": [{"from": "c1", "to": "cut"}],
        }
    )
    assert few.detail["problems"][0]["field"] == "video"
    assert "needs 2 to 3 video inputs ('video'); it has 1" in few.message
    many = problems(
        {
            "nodes": [*clips(4), {"id": "cut", "model": "local/concat"}],
            "edges": [{"from": f"c{i}", "to": "cut"} for i in range(1, 5)],
        }
    )
    assert "takes 2 to 3 video inputs ('video'); it already has 3" in many.message
    assert "the edge from 'c4' is one too many" in many.message


def test_a_second_video_into_a_one_video_slot_says_so() -> None:
    err = problems(
        {
            "nodes": [*clips(2), {"id": "v", "model": "p/v2v", "prompt": "x"}],
            "edges": [{"from": "c1", "to": "v"}, {"from": "c2", "to": "v"}],
        }
    )
    # Not "needs a video input; ... gives video" (issue 18: a message that contradicts itself).
    assert "needs a video input" not in err.message
    assert "takes one video input ('video'); it already has 1" in err.message
    assert "the edge from 'c2' is one too many" in err.message


def test_an_image_into_a_video_slot_reads_as_english() -> None:
    err = problems(
        {
            "nodes": [
                {"id": "a", "model": "p/t2i", "prompt": "fox"},
                {"id": "b", "model": "p/v2v"},
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )
    assert "Video→Video needs a video input; the edge from 'a' gives an image" in err.message


def test_storyboard_takes_edges_then_uploads_in_order_across_kinds() -> None:
    doc = {
        "nodes": [
            {"id": "still", "model": "p/t2i", "prompt": "fox"},
            *clips(1),
            {
                "id": "board",
                "model": "local/storyboard",
                "inputs": [{"artifact_id": "art_1"}, {"artifact_id": "art_2"}],
            },
        ],
        "edges": [{"from": "c1", "to": "board"}, {"from": "still", "to": "board"}],
    }
    step = plan(doc).steps[-1]
    order = [(i.slot, i.from_node or i.artifact_id) for i in step.inputs]
    assert order == [("video", "c1"), ("image", "still"), ("image", "art_1"), ("image", "art_2")]
    assert step.output_kind is IMAGE


def test_an_atlas_images_array_takes_every_image() -> None:
    doc = {
        "nodes": [
            {"id": "a", "model": "p/t2i", "prompt": "fox"},
            {
                "id": "e",
                "model": "atlas/edit",
                "prompt": "merge them",
                "inputs": [{"artifact_id": "art_1"}, {"artifact_id": "art_2"}],
            },
        ],
        "edges": [{"from": "a", "to": "e"}],
    }
    step = plan(doc).steps[-1]
    assert [i.slot for i in step.inputs] == ["images"] * 3
    assert [i.from_node or i.artifact_id for i in step.inputs] == ["a", "art_1", "art_2"]


def test_several_videos_into_an_image_list_get_one_last_frame_each() -> None:
    doc = {
        "nodes": [*clips(2), {"id": "e", "model": "atlas/edit", "prompt": "merge"}],
        "edges": [{"from": "c1", "to": "e"}, {"from": "c2", "to": "e"}],
    }
    ids = [s.node_id for s in plan(doc).steps]
    assert ids == ["c1", "c2", "e~images~last-frame", "e~images.2~last-frame", "e"]


def test_a_fallback_that_cannot_take_every_input_is_refused() -> None:
    doc = {
        "nodes": [
            {
                "id": "e",
                "model": "atlas/edit",
                "prompt": "merge",
                "inputs": [{"artifact_id": "art_1"}, {"artifact_id": "art_2"}],
                "fallbacks": ["local/upscale"],
            }
        ]
    }
    err = problems(doc)
    problem = err.detail["problems"][0]
    assert problem["field"] == "fallbacks"
    assert "at most 1 image input(s); the node gets 2" in problem["message"]


def test_slot_cardinality_is_declared_consistently() -> None:
    with pytest.raises(ValueError, match="need multiple"):
        MediaSlot(name="image", kind=IMAGE, max_items=3)
    with pytest.raises(ValueError, match="above max_items"):
        MediaSlot(name="image", kind=IMAGE, multiple=True, min_items=4, max_items=3)


# --- the node's prompt --------------------------------------------------------------------


def test_a_text_to_image_node_without_a_prompt_is_refused_at_validation() -> None:
    err = problems({"nodes": [{"id": "a", "model": "p/t2i"}]})
    assert err.code is ErrorCode.VALIDATION_ERROR
    assert err.detail["problems"][0] == {
        "code": "VALIDATION_ERROR",
        "message": "p/t2i (Text→Image) needs a prompt; the node has none",
        "node": "a",
        "field": "prompt",
    }


def test_params_prompt_is_the_prompt_on_every_model() -> None:
    curated = plan({"nodes": [{"id": "a", "model": "p/t2i", "params": {"prompt": "a fox"}}]})
    assert curated.steps[0].prompt == "a fox" and curated.steps[0].params == {}
    live = plan({"nodes": [{"id": "t", "model": "atlas/tts", "params": {"text": "hello"}}]})
    assert live.steps[0].prompt == "hello" and live.steps[0].params == {"voice": "calm"}
    seeded = plan(
        {
            "nodes": [
                {
                    "id": "e",
                    "model": "atlas/edit",
                    "prompt": "merge",
                    "params": {"seed": "7"},
                    "inputs": [{"artifact_id": "art_1"}],
                }
            ]
        }
    ).steps[0]
    assert seeded.seed == 7 and "seed" not in seeded.params, "no -1 default over the node's seed"
    twice = problems(
        {"nodes": [{"id": "a", "model": "p/t2i", "prompt": "a fox", "params": {"prompt": "a cat"}}]}
    )
    assert twice.detail["problems"][0]["field"] == "params.prompt"
    assert "differ" in twice.message
    same = plan(
        {"nodes": [{"id": "a", "model": "p/t2i", "prompt": "a fox", "params": {"prompt": "a fox"}}]}
    )
    assert same.steps[0].prompt == "a fox"


def test_a_schema_required_prompt_is_the_nodes_prompt() -> None:
    # Atlas "needs: prompt" (issue 18): the schema's required prompt is the node's field.
    step = plan({"nodes": [{"id": "t", "model": "atlas/tts", "prompt": "hello"}]}).steps[0]
    assert step.prompt == "hello"
    err = problems(
        {"nodes": [{"id": "e", "model": "atlas/edit", "inputs": [{"artifact_id": "art_1"}]}]}
    )
    assert err.detail["problems"][0]["field"] == "prompt"


def test_prompts_are_capped_by_the_model_and_the_server() -> None:
    own = problems({"nodes": [{"id": "a", "model": "k/t2v", "prompt": "x" * 11}]})
    assert own.detail["problems"][0]["field"] == "prompt"
    assert "the prompt has 11 characters; k/t2v takes at most 10" in own.message
    schema_limit = problems({"nodes": [{"id": "t", "model": "atlas/tts", "prompt": "y" * 13}]})
    assert "atlas/tts takes at most 12" in schema_limit.message
    server = problems({"nodes": [{"id": "a", "model": "p/t2i", "prompt": "z" * 51}]}, cap=50)
    assert "REELFORGE_MAX_PROMPT_CHARS" in server.message
    negative = problems(
        {"nodes": [{"id": "a", "model": "p/t2i", "prompt": "z", "negative_prompt": "n" * 51}]},
        cap=50,
    )
    assert negative.detail["problems"][0]["field"] == "negative_prompt"
    assert plan({"nodes": [{"id": "a", "model": "k/t2v", "prompt": "x" * 10}]}).steps


def test_a_fallback_with_a_shorter_prompt_limit_is_refused() -> None:
    doc = {
        "nodes": [{"id": "a", "model": "k/t2v-long", "prompt": "x" * 50, "fallbacks": ["k/t2v"]}]
    }
    err = problems(doc)
    assert err.detail["problems"][0]["field"] == "fallbacks"
    assert "at most 10 characters; the node's has 50" in err.message


# --- warnings -----------------------------------------------------------------------------


def test_warnings_are_kept_with_the_step_they_concern() -> None:
    p = plan(
        {
            "nodes": [
                {"id": "a", "model": "p/t2i", "prompt": "fox"},
                {"id": "b", "model": "p/t2v", "prompt": "sea"},
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )
    message = "Text→Video ignores incoming media (the edge from 'a')"
    assert p.warnings == [f"b: {message}"]
    assert p.steps[1].warnings == [message] and p.steps[1].request_doc()["warnings"] == [message]
    assert "warnings" not in p.steps[0].request_doc()


def test_a_last_frame_node_outputs_an_image() -> None:
    last = make(
        "local/frame",
        [Mode.EDIT],
        IMAGE,
        0,
        inputs=[MediaSlot(name="video", kind=VIDEO)],
        keeps_input_kind=False,
    )
    view = _View({**ENTRIES, **MORE, last.id: last}, {})
    doc = {
        "nodes": [
            *clips(1),
            {"id": "f", "model": "local/frame"},
            {"id": "up", "model": "local/upscale"},
        ],
        "edges": [{"from": "c1", "to": "f"}, {"from": "f", "to": "up"}],
    }
    steps = plan_pipeline(Pipeline.model_validate(doc), view, {}).steps
    assert [s.output_kind for s in steps] == [VIDEO, IMAGE, IMAGE]
    assert steps[2].inputs[0].slot == "image", "the still goes to the image slot"
