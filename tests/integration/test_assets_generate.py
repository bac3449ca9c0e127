"""Every mode generates a 4-variant batch in sandbox: distinct seeds (seed + i×137),
mutated prompts per slot, the mode's negative bank, the quality matrix's chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelforge.apps.assets.modes.registry import default_modes
from tests.integration.assets_world import AssetsWorld, open_assets_world


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    async for w in open_assets_world(tmp_path):
        yield w


@pytest.mark.parametrize("mode", ["pixel", "business", "uiux", "vector", "emoji"])
async def test_four_variant_batch_per_mode(aw: AssetsWorld, mode: str) -> None:
    contract = default_modes().get(mode)
    r = await aw.member.post(
        "/api/generate",
        json={"mode": mode, "prompt": "a fox knight", "batchCount": 4, "seed": 1000},
    )
    assert r.status_code == 200, r.text
    batch = r.json()
    assert batch["status"] == "succeeded", batch
    jobs = batch["jobs"]
    assert [j["seed"] for j in jobs] == [1000, 1137, 1274, 1411]
    prompts = [j["prompt"] for j in jobs]
    assert len(set(prompts)) == 4
    assert jobs[0]["mutation"] is None
    for slot in (1, 2, 3):
        assert jobs[slot]["mutation"] in contract.mutations[slot]
        assert prompts[slot].endswith(jobs[slot]["mutation"])
        assert prompts[slot].startswith(prompts[0])
    # The mode's own bank reached the job record; standard goes to Together first.
    assert all(contract.negative_bank[0] in j["negative_prompt"] for j in jobs)
    assert batch["provider_chain"][0] == "together/flux-1-schnell"
    assert batch["provider_chain"][-1] == "pollinations/flux"
    # Together received each slot's own prompt and seed (checked at the emulator).
    seen = {(t.prompt, t.seed) for t in aw.tasks("together")}
    assert {(j["prompt"], j["seed"]) for j in jobs} <= seen
    for j in jobs:
        content = await aw.member.get(j["url"])
        assert content.status_code == 200 and content.content[:4] in (
            b"\x89PNG",
            b"\xff\xd8\xff\xe0",
            b"\xff\xd8\xff\xe1",
            b"\xff\xd8\xff\xdb",
        )
