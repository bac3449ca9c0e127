"""UI/UX code through the OpenAI-compatible chat emulator: what the model was sent, the
code stored, and the HTML rendered to a screenshot in Chromium."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from reelforge.domain.errors import ReelForgeError
from reelforge.emulators import llmchat
from reelforge.providers.llm_chat import ChatLLM
from tests.integration.assets_world import AssetsWorld, open_assets_world


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    async for w in open_assets_world(tmp_path):
        yield w


async def test_html_with_preview_and_react(aw: AssetsWorld) -> None:
    llm = aw.container.extras["uiux_llm"]
    sent = llm.client._transport.app.state.emulator.requests
    r = await aw.member.post(
        "/api/uiux/generate", json={"prompt": "a bakery ordering site", "tool": "landing_page"}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert "<html" in out["code"] and "for a bakery ordering site" in out["code"]
    system, user = sent[-1]["messages"]
    assert "Tailwind" in system["content"] and "a bakery ordering site" in user["content"]
    assert "landing page" in user["content"]  # the UI/UX mode's own scaffolding
    stored = await aw.member.get(out["url"])
    assert stored.text == out["code"] and "attachment" in stored.headers["content-disposition"]
    assert (await aw.guest.get(out["url"])).status_code == 404  # only its owner reads it
    shot = await aw.member.get(out["preview"]["url"])
    img = Image.open(io.BytesIO(shot.content))
    assert img.format == "PNG" and img.size == (1344, 768)
    # The hero is indigo (the page's own CSS applied; nothing was fetched).
    assert img.convert("RGB").getpixel((20, 20)) == (79, 70, 229)
    r = await aw.guest.post(
        "/v1/assets/uiux/generate", json={"prompt": "a habit tracker", "framework": "react"}
    )
    assert r.status_code == 200, r.text
    assert "export default function" in r.json()["code"]
    assert r.json()["preview"] is None
    assert "React" in sent[-1]["messages"][0]["content"]


async def test_adapter_maps_errors() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=llmchat.create_app())) as c:
        bad = ChatLLM(c, "http://llm/v1", "gpt-4o-mini", api_key="sk-wrong")
        with pytest.raises(ReelForgeError) as err:
            await bad.complete([{"role": "user", "content": "x"}])
        assert err.value.code.value == "AUTH_FAILED"
        unknown = ChatLLM(c, "http://llm/v1", "gpt-9", api_key=llmchat.SANDBOX_API_KEY)
        with pytest.raises(ReelForgeError) as err:
            await unknown.complete([{"role": "user", "content": "x"}])
        assert err.value.code.value == "NOT_FOUND"


async def test_guests_code_is_their_own(aw: AssetsWorld) -> None:
    from tests.integration.assets_world import _client

    body = {"prompt": "a pricing table", "framework": "react", "preview": False}
    async with _client(aw.container, None) as a, _client(aw.container, None) as b:
        r = await a.post("/api/uiux/generate", json=body)
        assert r.status_code == 200, r.text
        url = r.json()["url"]
        assert (await a.get(url)).status_code == 200
        assert (await b.get(url)).status_code == 404  # the same shared guest user, not theirs
