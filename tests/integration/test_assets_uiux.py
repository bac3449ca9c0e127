"""UI/UX code through the OpenAI-compatible chat emulator: what the model was sent, the
code stored, and the HTML rendered to a screenshot in Chromium."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

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


# --- a preview on a server without Chromium (issue: 500 INTERNAL_ERROR) ----------------------

WRITES = (
    "assets_code",
    "artifacts",
    "runs",
    "ledger_transactions",
    "ledger_entries",
    "ledger_holds",
)


async def _counts(aw: AssetsWorld) -> dict[str, int]:
    """Rows of every table a UI/UX request could write (or charge) to, and stored blobs."""
    counts: dict[str, int] = {}
    async with aw.container.db.session() as session:
        for table in WRITES:
            result = await session.execute(text(f"SELECT count(*) FROM {table}"))
            counts[table] = int(result.scalar_one())
    home = aw.container.settings.home
    counts["blobs"] = sum(1 for p in (home / "artifacts").rglob("*") if p.is_file())
    return counts


def _refused(r: httpx.Response, dependency: str = "chromium") -> dict[str, Any]:
    assert r.status_code == 424, r.text
    error = r.json()["error"]
    assert error["code"] == "DEPENDENCY_MISSING"
    assert error["detail"] == {"dependency": dependency, "setting": "REELFORGE_CHROMIUM_PATH"}
    assert error["retryable"] is False
    assert error["request_id"].startswith("req_")
    assert error["request_id"] == r.headers["x-request-id"]
    assert any('"preview": false' in step for step in error["remediation"])
    return dict(error)


async def test_preview_without_chromium_is_refused_before_anything(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere" / "chromium"
    async for aw in open_assets_world(tmp_path, chromium_path=missing):
        sent = aw.container.extras["uiux_llm"].client._transport.app.state.emulator.requests
        asked, before = len(sent), await _counts(aw)
        body = {"prompt": "a bakery ordering site", "tool": "landing_page"}
        for client, path in (
            (aw.member, "/v1/assets/uiux/generate"),
            (aw.guest, "/api/uiux/generate"),
        ):
            error = _refused(await client.post(path, json=body))
            assert "preview needs Chromium" in error["message"]
            assert "REELFORGE_CHROMIUM_PATH" in error["message"]
            steps = " ".join(error["remediation"])
            assert "REELFORGE_CHROMIUM_PATH" in steps and "apt-get install chromium" in steps
            assert str(missing) not in str(error)  # the server's paths stay in its log
        # Refused before the model was asked: nothing spent, stored or charged.
        assert len(sent) == asked
        assert await _counts(aw) == before
        # The code alone still works, and a React component has no preview to render.
        for extra in ({"preview": False}, {"framework": "react"}):
            r = await aw.member.post("/v1/assets/uiux/generate", json={**body, **extra})
            assert r.status_code == 200, r.text
            assert r.json()["preview"] is None and r.json()["code"]
        after = await _counts(aw)
        assert after["assets_code"] == before["assets_code"] + 2
        assert after["artifacts"] == before["artifacts"]
        # The answer is documented on both paths.
        doc = (await aw.guest.get("/openapi.json")).json()
        for path in ("/v1/assets/uiux/generate", "/api/uiux/generate"):
            assert "424" in doc["paths"][path]["post"]["responses"], path


async def test_no_chromium_anywhere_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default lookup (the setting unset, whatever the environment says): Debian's path,
    then PATH, both empty here; then the playwright package missing."""
    from reelforge.apps.assets import uiux_code

    monkeypatch.setattr(uiux_code, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(uiux_code, "CHROMIUM_NAMES", ("reelforge-no-such-browser",))
    async for aw in open_assets_world(tmp_path, chromium_path=None):
        before = await _counts(aw)
        r = await aw.member.post("/v1/assets/uiux/generate", json={"prompt": "a form"})
        error = _refused(r)
        assert "preview needs Chromium" in error["message"]
        assert "none is installed" in error["message"]
        assert "apt-get install chromium" in error["remediation"][0]
        assert "REELFORGE_CHROMIUM_PATH" in error["remediation"][1]
        monkeypatch.setattr(uiux_code, "playwright_installed", lambda: False)
        r = await aw.member.post("/v1/assets/uiux/generate", json={"prompt": "a form"})
        error = _refused(r, "playwright")
        assert "pip install playwright" in error["remediation"][0]
        assert await _counts(aw) == before


async def test_a_chromium_that_does_not_start_leaves_nothing(tmp_path: Path) -> None:
    """A binary that is there but is no browser: found by the check, refused at launch (after
    the model answered), and its answer dropped with the request, not half stored."""
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    async for aw in open_assets_world(tmp_path, chromium_path=fake):
        before = await _counts(aw)
        r = await aw.member.post("/v1/assets/uiux/generate", json={"prompt": "a login form"})
        error = _refused(r)
        assert "does not start" in error["message"]
        assert "REELFORGE_CHROMIUM_PATH" in " ".join(error["remediation"])
        assert await _counts(aw) == before
