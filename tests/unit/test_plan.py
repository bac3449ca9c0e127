"""Pipeline validation and planning: every failure names its node and field."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.domain.catalog import MediaSlot, ModelEntry, Price
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.catalog_access import PlanningView
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import ArtifactFacts, plan_pipeline


def entry(
    id_: str, modes: list[Mode], out: MediaKind, micros: int | None = 1000, **kw: Any
) -> ModelEntry:
    return ModelEntry(
        id=id_,
        provider=id_.split("/")[0],
        provider_model=id_.split("/", 1)[1],
        label=id_,
        modes=modes,
        output_kind=out,
        price=Price(micros=micros),
        **kw,
    )


ENTRIES = {
    e.id: e
    for e in [
        entry("p/t2i", [Mode.T2I], MediaKind.IMAGE, 40_000),
        entry("p/t2v", [Mode.T2V], MediaKind.VIDEO, 250_000),
        entry("p/i2v", [Mode.I2V], MediaKind.VIDEO, 500_000),
        entry("p/i2v-cheap", [Mode.I2V], MediaKind.VIDEO, 100_000),
        entry("p/v2v", [Mode.V2V], MediaKind.VIDEO, 300_000),
        entry("p/lipsync", [Mode.LIPSYNC], MediaKind.VIDEO, 200_000),
        entry("p/unpriced", [Mode.T2I], MediaKind.IMAGE, None),
        entry(
            "p/avatar",
            [Mode.AVATAR],
            MediaKind.VIDEO,
            100_000,
            inputs=[
                MediaSlot(name="face", kind=MediaKind.IMAGE, identity=True),
                MediaSlot(name="audio", kind=MediaKind.AUDIO),
            ],
        ),
        entry(
            "local/last-frame",
            [Mode.EDIT],
            MediaKind.IMAGE,
            0,
            inputs=[MediaSlot(name="video", kind=MediaKind.VIDEO)],
        ),
        entry(
            "local/upscale",
            [Mode.UPSCALE, Mode.V2V, Mode.I2I],
            MediaKind.VIDEO,
            0,
            inputs=[
                MediaSlot(name="video", kind=MediaKind.VIDEO, required=False),
                MediaSlot(name="image", kind=MediaKind.IMAGE, required=False),
            ],
        ),
    ]
}


def view() -> PlanningView:
    errors = {}
    return _View(ENTRIES, errors)


class _View(PlanningView):
    def get(self, model_id: str) -> ModelEntry:
        if model_id not in self.entries:
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"Unknown model {model_id!r}.")
        return self.entries[model_id]


def plan(doc: dict[str, Any], artifacts: dict[str, ArtifactFacts] | None = None):  # type: ignore[no-untyped-def]
    return plan_pipeline(Pipeline.model_validate(doc), view(), artifacts or {})


def problems(
    doc: dict[str, Any], artifacts: dict[str, ArtifactFacts] | None = None
) -> ReelForgeError:
    with pytest.raises(ReelForgeError) as info:
        plan(doc, artifacts)
    return info.value


def test_chain_image_to_video_to_upscale_is_ordered_and_quoted() -> None:
    p = plan(
        {
            "nodes": [
                {"id": "up", "model": "local/upscale", "mode": "upscale"},
                {"id": "img", "model": "p/t2i", "prompt": "a fox"},
                {"id": "vid", "model": "p/i2v", "fallbacks": ["p/i2v-cheap"]},
            ],
            "edges": [{"from": "img", "to": "vid"}, {"from": "vid", "to": "up"}],
        }
    )
    assert [s.node_id for s in p.steps] == ["img", "vid", "up"]
    assert p.steps[1].inputs[0].from_node == "img" and p.steps[1].depends_on == ["img"]
    assert p.steps[2].output_kind is MediaKind.VIDEO  # upscale keeps the kind it receives
    assert p.total_micros == 40_000 + 500_000  # the fallback's cheaper price is not counted
    assert len({s.cache_key for s in p.steps}) == 3


def test_video_into_image_slot_gets_an_implicit_last_frame_step() -> None:
    p = plan(
        {
            "nodes": [
                {"id": "a", "model": "p/t2v", "prompt": "sea"},
                {"id": "b", "model": "p/i2v"},
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )
    assert [s.node_id for s in p.steps] == ["a", "b~image~last-frame", "b"]
    helper = p.steps[1]
    assert helper.implicit and helper.entry.id == "local/last-frame"
    assert p.steps[2].inputs[0].from_node == helper.node_id


def test_image_into_v2v_fails_naming_the_node() -> None:
    err = problems(
        {
            "nodes": [
                {"id": "a", "model": "p/t2i", "prompt": "fox"},
                {"id": "b", "model": "p/v2v"},
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )
    assert "Video→Video needs a video input" in err.message
    assert err.detail["problems"][0]["node"] == "b"


def test_t2v_ignores_incoming_media_with_a_warning() -> None:
    p = plan(
        {
            "nodes": [
                {"id": "a", "model": "p/t2i", "prompt": "fox"},
                {"id": "b", "model": "p/t2v", "prompt": "sea"},
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )
    assert p.warnings and "ignores" in p.warnings[0]


def test_cycle_unknown_model_wrong_mode_missing_inputs() -> None:
    cyc = problems(
        {
            "nodes": [{"id": "a", "model": "p/i2v"}, {"id": "b", "model": "p/i2v"}],
            "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}],
        }
    )
    assert "cycle" in cyc.message
    unknown = problems({"nodes": [{"id": "a", "model": "p/nope"}]})
    assert unknown.code is ErrorCode.NOT_FOUND and unknown.detail["problems"][0]["field"] == "model"
    wrong = problems({"nodes": [{"id": "a", "model": "p/t2i", "mode": "i2v"}]})
    assert wrong.detail["problems"][0]["field"] == "mode"
    missing = problems({"nodes": [{"id": "a", "model": "p/lipsync"}]})
    fields = {p["field"] for p in missing.detail["problems"]}
    assert fields == {"video", "audio"}


def test_uploaded_inputs_and_consent() -> None:
    arts = {
        "art_face": ArtifactFacts(MediaKind.IMAGE, "a" * 64),
        "art_voice": ArtifactFacts(MediaKind.AUDIO, "b" * 64),
    }
    doc: dict[str, Any] = {
        "nodes": [
            {
                "id": "av",
                "model": "p/avatar",
                "inputs": [{"artifact_id": "art_face"}, {"artifact_id": "art_voice"}],
            }
        ]
    }
    err = problems(doc, arts)
    assert err.code is ErrorCode.CONSENT_MISSING and err.detail["problems"][0]["field"] == "consent"
    doc["nodes"][0]["consent"] = True
    p = plan(doc, arts)
    assert {i.slot for i in p.steps[0].inputs} == {"face", "audio"}
    gone = problems(
        {"nodes": [{"id": "x", "model": "p/i2v", "inputs": [{"artifact_id": "art_x"}]}]}, arts
    )
    assert gone.code in (ErrorCode.FILE_NOT_FOUND, ErrorCode.VALIDATION_ERROR)


def test_unknown_price_is_flagged_not_invented() -> None:
    p = plan({"nodes": [{"id": "a", "model": "p/unpriced", "prompt": "fox"}]})
    assert p.price_unknown and p.total_micros == 0 and not p.steps[0].price_known


def test_optional_slots_still_need_some_media() -> None:
    err = problems({"nodes": [{"id": "u", "model": "local/upscale", "mode": "upscale"}]})
    assert err.detail["problems"][0]["node"] == "u" and "needs" in err.message


def test_duplicate_node_ids_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Pipeline.model_validate(
            {
                "nodes": [
                    {"id": "a", "model": "p/t2i", "prompt": "fox"},
                    {"id": "a", "model": "p/t2i", "prompt": "fox"},
                ]
            }
        )
