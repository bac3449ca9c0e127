"""Planning fallbacks: settings translated and validated per model, quoted at the dearest,
problems found before the run starts."""

from __future__ import annotations

from typing import Any

import pytest

from reelforge.domain.catalog import Features, Limits, MediaSlot, ModelEntry, Price
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import plan_pipeline
from reelforge.engine.service import _step_hold
from tests.unit.test_plan import ENTRIES, _View


def video(model_id: str, micros: int | None, **kw: Any) -> ModelEntry:
    return ModelEntry(
        id=model_id,
        provider=model_id.split("/")[0],
        provider_model=model_id,
        label=model_id,
        modes=[Mode.T2V],
        output_kind=MediaKind.VIDEO,
        price=Price(micros=micros, basis="per_second"),
        **kw,
    )


MORE = {
    "k/vid": video(
        "k/vid",
        50_000,
        params_schema={
            "type": "object",
            "properties": {
                "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16", "1:1"]},
                "duration": {"type": "string", "enum": ["5", "10"], "default": "5"},
            },
        },
        limits=Limits(durations=[5, 10]),
        features=Features(negative_prompt=True),
    ),
    "r/vid": video(
        "r/vid",
        120_000,
        params_schema={
            "type": "object",
            "properties": {
                "ratio": {"type": "string", "enum": ["1280:720", "720:1280"]},
                "duration": {"type": "integer", "minimum": 2, "maximum": 10},
            },
        },
    ),
    "u/vid": video("u/vid", None),
    "f/face": ModelEntry(
        id="f/face",
        provider="f",
        provider_model="face",
        label="face",
        modes=[Mode.T2V],
        output_kind=MediaKind.VIDEO,
        inputs=[MediaSlot(name="face", kind=MediaKind.IMAGE)],
    ),
}


def plan(node: dict[str, Any]):  # type: ignore[no-untyped-def]
    view = _View({**ENTRIES, **MORE}, {})
    return plan_pipeline(
        Pipeline.model_validate({"nodes": [{"id": "n", "prompt": "a storm", **node}]}), view, {}
    )


def test_fallback_gets_translated_settings_and_the_node_the_dearest_quote() -> None:
    p = plan(
        {
            "model": "k/vid",
            "params": {"aspect_ratio": "9:16", "duration": "10"},
            "fallbacks": ["r/vid"],
        }
    )
    step = p.steps[0]
    alt = step.alternatives[0]
    assert alt.model == "r/vid" and alt.params == {"ratio": "720:1280", "duration": 10}
    assert step.own_quote_micros == 500_000 and alt.quote_micros == 1_200_000
    assert step.quote_micros == 1_200_000 and p.total_micros == 1_200_000
    doc = step.request_doc()
    assert doc["fallbacks"] == ["r/vid"] and doc["alternatives"][0]["quote_micros"] == 1_200_000


def test_explicit_fallback_params_are_validated_for_that_model() -> None:
    with pytest.raises(ReelForgeError) as info:
        plan({"model": "k/vid", "fallbacks": [{"model": "r/vid", "params": {"ratio": "4:3"}}]})
    problem = info.value.detail["problems"][0]
    assert problem["node"] == "n" and problem["field"] == "fallbacks"
    assert "r/vid" in problem["message"]


def test_a_fallback_that_needs_media_the_node_lacks_is_refused() -> None:
    with pytest.raises(ReelForgeError) as info:
        plan({"model": "k/vid", "fallbacks": ["f/face"]})
    assert "needs image input" in info.value.detail["problems"][0]["message"]


def test_unknown_fallback_price_makes_the_quote_unknown_but_holds_the_known() -> None:
    p = plan({"model": "k/vid", "fallbacks": ["u/vid"]})
    assert p.price_unknown and p.steps[0].quote_micros == 250_000


def test_hold_covers_the_dearest_live_option_only() -> None:
    step = plan({"model": "k/vid", "params": {"duration": "10"}, "fallbacks": ["r/vid"]}).steps[0]
    assert _step_hold(step, sandboxed=set()) == 1_200_000
    assert _step_hold(step, sandboxed={"r"}) == 500_000  # the fallback is emulated: free
    assert _step_hold(step, sandboxed={"k", "r"}) == 0


def test_a_node_names_a_model_or_a_capability() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Pipeline.model_validate({"nodes": [{"id": "n"}]})
    with pytest.raises(ValueError, match="exactly one"):
        Pipeline.model_validate(
            {"nodes": [{"id": "n", "model": "k/vid", "capability": {"mode": "t2v"}}]}
        )
