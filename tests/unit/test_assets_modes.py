"""Mode contracts, variants, negative banks, the quality matrix and the prompt engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reelforge.apps.assets.contract import ModeContract, ModeStatus, Preset
from reelforge.apps.assets.modes import base
from reelforge.apps.assets.modes.registry import (
    DEFAULT_MODES,
    default_modes,
    hookimpl,
    load_modes,
    plugin_manager,
)
from reelforge.apps.assets.negatives import assemble
from reelforge.apps.assets.prompt_engine import OssPromptEngine, prompt_engine, sanitize
from reelforge.apps.assets.quality_matrix import model_params, resolve_chain
from reelforge.apps.assets.variants import build_variants
from reelforge.catalog.loader import load_curated
from reelforge.catalog.schema import entry_params
from reelforge.domain.errors import ReelForgeError


def test_five_sealed_modes_registered_as_plugins() -> None:
    modes = default_modes()
    assert modes.ids() == ["pixel", "business", "uiux", "vector", "emoji"]
    paths = {m.id: m.studio_path for m in modes.all()}
    assert paths == {m: f"/{m}/studio" for m in paths}
    contracts = modes.all()
    # No two modes share presets, negative banks, mutation tables or prompt builders.
    for a in contracts:
        assert a.presets and a.default_preset in a.presets and a.routes
        for b in contracts:
            if a is b:
                continue
            assert not set(a.presets) & set(b.presets)
            assert a.negative_bank != b.negative_bank and a.mutations != b.mutations
            assert a.build_prompt is not b.build_prompt
    assert {m.id for m in contracts if m.status is ModeStatus.STABLE} >= {"vector", "emoji"}


def test_a_third_party_mode_is_one_plugin() -> None:
    base = default_modes().get("emoji")
    extra = ModeContract(**{**base.__dict__, "id": "sticker", "name": "Sticker"})

    class Plugin:
        @hookimpl
        def register_asset_modes(self, register: Callable[[ModeContract], None]) -> None:
            register(extra)

    pm = plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="sticker-plugin")
    modes = load_modes(pm)
    assert modes.get("sticker") is extra and len(modes.ids()) == len(DEFAULT_MODES) + 1
    with pytest.raises(ReelForgeError) as err:
        modes.get("nope")
    assert "sticker" in err.value.detail["modes"]


def test_variants_seeds_and_mutations() -> None:
    table = default_modes().get("pixel").mutations
    vs = build_variants(2**31 - 100, 4, table)
    assert [v.seed for v in vs] == [2**31 - 100, 37, 174, 311]  # wrapped to 32 bits
    assert vs[0].mutation is None and all(vs[i].mutation in table[i] for i in (1, 2, 3))
    other = build_variants(1, 4, table)
    assert [v.mutation for v in other[1:]] != [v.mutation for v in vs[1:]]
    with pytest.raises(ReelForgeError):
        build_variants(1, 5, table)


def test_negative_bank_order_and_dedup() -> None:
    text = assemble(("blurry", "Watermark"), ("text, blurry",), ["watermark , extra  fingers"])
    assert text == "blurry, Watermark, text, extra fingers"
    assert len(assemble(["x" * 30 + str(i) for i in range(40)])) <= 500


def test_quality_matrix_follows_the_seed_diagram() -> None:
    pixel = default_modes().get("pixel")
    chain = [c.route.model for c in resolve_chain(pixel, "tileset", "standard")]
    # Together (standard) first; Hugging Face does not serve tilesets natively; the no-key
    # providers last, Pollinations at the very end.
    assert chain[0] == "together/flux-1-schnell"
    assert chain.index("huggingface/flux-1-schnell") > 0
    assert chain[-2:] == ["comfyui/sd15-txt2img", "pollinations/flux"]
    hd = [c.route.model for c in resolve_chain(pixel, "sprite", "hd")]
    assert hd[0] == "fal/flux-dev" and hd[-1] == "pollinations/flux"
    offline = resolve_chain(pixel, "sprite", "hd", connected={"replicate"})
    assert offline[0].route.model == "replicate/flux-1.1-pro"
    assert "provider not connected" in offline[1].reasons


def test_routes_agree_with_the_catalog() -> None:
    catalog = {e.id: e for e in load_curated()}
    for mode in default_modes().all():
        for route in mode.routes:
            entry = catalog[route.model]
            assert entry.features.negative_prompt == route.native_negative, route.model
            names = {p.name for p in entry_params(entry)}
            for preset in mode.presets.values():
                assert set(model_params(route, preset)) <= names, (mode.id, route.model)


def test_model_facts_agree_with_the_catalog() -> None:
    catalog = {e.id: e for e in load_curated()}
    preset = Preset("p", "P", ("t",), width=1344, height=768)
    for model, facts in base.MODEL_FACTS.items():
        entry = catalog[model]
        assert entry.features.negative_prompt == facts.native_negative, model
        names = {p.name for p in entry_params(entry)}
        assert set(model_params(base.route(model, "standard"), preset)) <= names, model
    with pytest.raises(ValueError, match="MODEL_FACTS"):
        base.route("nobody/nothing", "hd")
    with pytest.raises(ValueError, match="twice"):
        base.presets(preset, preset)


def test_prompt_engine_oss_builds_per_mode() -> None:
    modes = default_modes()
    engine = prompt_engine("oss")
    assert isinstance(engine, OssPromptEngine)
    built = {m.id: engine.build(m, m.preset(None), "a lighthouse", {}, "fog") for m in modes.all()}
    assert len({b.prompt for b in built.values()}) == 5
    for mode_id, b in built.items():
        assert "a lighthouse" in b.prompt and b.negative_prompt.endswith("fog"), mode_id
    with pytest.raises(ReelForgeError):
        prompt_engine("wokspec")
    with pytest.raises(ReelForgeError):
        sanitize(modes.get("pixel"), " \x00 \t ")
    assert sanitize(modes.get("pixel"), "a\x07  cat\n") == "a cat"
