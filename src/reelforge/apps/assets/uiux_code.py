"""UI/UX code (seed 004: ``POST /api/uiux/generate``): the UI/UX mode's own prompt for an
OpenAI-compatible chat model, the code taken out of its fenced answer and checked, stored
as an artifact, and for HTML a preview screenshot rendered in headless Chromium."""

from __future__ import annotations

import re
from typing import Any, Literal

from reelforge.apps.assets.caller import Caller, owns
from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.prompt_engine import sanitize
from reelforge.apps.assets.tables import CodeRow
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.providers.llm_chat import ChatLLM
from reelforge.storage.tables import utcnow

Framework = Literal["html_tailwind", "react"]
CHROMIUM = "/usr/bin/chromium"
_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.S)
SYSTEM = {
    "html_tailwind": (
        "You write one complete, self-contained HTML page styled with Tailwind CSS classes. "
        "Answer with the code in one fenced block, nothing else."
    ),
    "react": (
        "You write one React function component (JSX, Tailwind classes, default export, no "
        "imports besides React). Answer with the code in one fenced block, nothing else."
    ),
}


def extract_code(answer: str, framework: Framework) -> str:
    match = _FENCE.search(answer)
    code = (match.group(1) if match else answer).strip()
    ok = (
        "export default" in code
        if framework == "react"
        else bool(re.search(r"<(html|body|div|main)\b", code, re.I))
    )
    if not ok:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"The UI/UX model's answer has no usable {framework} code.",
            remediation=("Try again, or describe the screen more concretely.",),
            detail={"framework": framework, "chars": len(code)},
        )
    return code


async def screenshot(html_code: str, width: int, height: int) -> bytes:
    """The page rendered in headless Chromium with no network (the sandbox has none, and a
    generated page must not fetch anything): PNG bytes."""
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        except Error as exc:  # no browser where it is looked for (was a 500)
            raise ReelForgeError(
                ErrorCode.DEPENDENCY_MISSING,
                "The preview renderer (headless Chromium) cannot be started.",
                remediation=(
                    f"Install Chromium at {CHROMIUM}.",
                    "Or send preview=false for the code alone.",
                ),
                detail={"renderer": CHROMIUM},
            ) from exc
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            await page.route("**/*", lambda route: route.abort())  # nothing leaves the page
            await page.set_content(html_code, wait_until="domcontentloaded")
            return await page.screenshot(type="png")
        finally:
            await browser.close()


async def generate_code(
    container: Container,
    modes: ModeRegistry,
    caller: Caller,
    prompt: str,
    *,
    tool: str | None,
    framework: Framework,
    preview: bool,
) -> dict[str, Any]:
    owner_id = caller.user_id
    llm: ChatLLM | None = container.extras.get("uiux_llm")
    if llm is None:
        raise ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            "No UI/UX code model is configured.",
            remediation=(
                "Set REELFORGE_UIUX_LLM_BASE_URL and UIUX_LLM_API_KEY (or OPENAI_API_KEY).",
            ),
        )
    mode = modes.get("uiux")
    preset = mode.preset(tool)
    subject = sanitize(mode, prompt)
    brief = mode.build_prompt(subject, preset, {"framework": framework})
    answer = await llm.complete(
        [{"role": "system", "content": SYSTEM[framework]}, {"role": "user", "content": brief}]
    )
    code = extract_code(answer, framework)
    code_id = new_id("acd")
    result: dict[str, Any] = {
        "id": code_id,
        "mode": "uiux",
        "tool": preset.id,
        "framework": framework,
        "model": llm.model,
        "code": code,
        "url": f"/v1/assets/uiux/code/{code_id}",
        "preview": None,
    }
    if preview and framework == "html_tailwind":
        png = await screenshot(code, preset.width, preset.height)
        shot = await container.artifacts.put_bytes(
            png,
            owner_id=owner_id,
            name=f"uiux-{preset.id}-preview.png",
            provenance={"generator": "assets:uiux:preview", "code": code_id},
        )
        result["preview"] = {
            "artifact_id": shot.id,
            "url": f"/v1/assets/uiux/code/{code_id}/preview",
            "width": preset.width,
            "height": preset.height,
        }
    async with container.db.transaction() as session:
        session.add(
            CodeRow(
                id=code_id,
                owner_id=owner_id,
                guest_key=caller.guest_key,
                preset=preset.id,
                framework=framework,
                model=llm.model,
                prompt=subject,
                code=code,
                preview_artifact_id=(result["preview"] or {}).get("artifact_id"),
                created_at=utcnow(),
            )
        )
    return result


async def get_code(container: Container, caller: Caller, code_id: str) -> CodeRow:
    """The caller's own code only (guests: by their guest key, never another guest's)."""
    async with container.db.session() as session:
        row = await session.get(CodeRow, code_id)
    if row is None or not owns(caller, row.owner_id, row.guest_key):
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No UI/UX code {code_id!r}.")
    return row


async def get_preview(container: Container, caller: Caller, code_id: str) -> bytes:
    row = await get_code(container, caller, code_id)
    if row.preview_artifact_id is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"UI/UX code {code_id!r} has no preview.")
    art = await container.artifacts.get(row.preview_artifact_id, owner_id=row.owner_id)
    return await container.artifacts.read_bytes(art)
