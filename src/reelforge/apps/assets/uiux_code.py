"""UI/UX code (seed 004: ``POST /api/uiux/generate``): the UI/UX mode's own prompt for an
OpenAI-compatible chat model, the code taken out of its fenced answer and checked, stored
as an artifact, and for HTML a preview screenshot rendered in headless Chromium.

The preview needs the Python ``playwright`` package and a Chromium binary (Debian's
``/usr/bin/chromium``, one on PATH, or ``REELFORGE_CHROMIUM_PATH``). Both are looked for
before the model is asked, so a server without them refuses a preview request with
DEPENDENCY_MISSING having spent and stored nothing."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from typing import Any, Literal

from reelforge.apps.assets.caller import Caller, owns
from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.prompt_engine import sanitize
from reelforge.apps.assets.tables import CodeRow
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.logs import get_logger
from reelforge.providers.llm_chat import ChatLLM
from reelforge.storage.tables import utcnow

Framework = Literal["html_tailwind", "react"]
CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install chromium)
CHROMIUM_NAMES = ("chromium", "chromium-browser")  # else looked up on PATH
CHROMIUM_SETTING = "REELFORGE_CHROMIUM_PATH"
log = get_logger("reelforge.assets.uiux")
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


def _missing(message: str, *steps: str, dependency: str = "chromium") -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.DEPENDENCY_MISSING,
        message,
        detail={"dependency": dependency, "setting": CHROMIUM_SETTING},
        remediation=(
            *steps,
            'Or send "preview": false to get the code without a screenshot.',
        ),
    )


def _install_steps() -> tuple[str, str]:
    return (
        "Install Chromium on the server (Debian/Ubuntu: `apt-get install chromium`), "
        "then try again.",
        f"Or set {CHROMIUM_SETTING} to the path of a Chromium or Chrome binary and restart "
        "ReelForge.",
    )


def _executable(path: str | os.PathLike[str]) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def playwright_installed() -> bool:
    return importlib.util.find_spec("playwright") is not None


def find_chromium(configured: str | os.PathLike[str] | None) -> str:
    """The browser that renders previews: ``REELFORGE_CHROMIUM_PATH`` when set (and then
    only it), else Debian's ``/usr/bin/chromium``, else ``chromium`` on PATH. Raises
    DEPENDENCY_MISSING saying how to install one (the path itself stays in the log: the
    route answers guests too)."""
    if not playwright_installed():
        raise _missing(
            "The UI/UX preview needs the Python package playwright (it drives Chromium), "
            "and it is not installed.",
            "Install it into ReelForge's environment: `pip install playwright` (no browser "
            "download is needed: ReelForge uses the system's Chromium).",
            *_install_steps()[:1],
            dependency="playwright",
        )
    if configured:
        if _executable(configured):
            return str(configured)
        log.warning("chromium_not_executable", path=str(configured))
        raise _missing(
            f"The UI/UX preview needs Chromium, and {CHROMIUM_SETTING} names no executable file.",
            f"Point {CHROMIUM_SETTING} at a Chromium or Chrome binary (or unset it to use "
            f"{CHROMIUM}) and restart ReelForge.",
            "Debian/Ubuntu: `apt-get install chromium` installs it at /usr/bin/chromium.",
        )
    if _executable(CHROMIUM):
        return CHROMIUM
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise _missing(
        f"The UI/UX preview needs Chromium, and none is installed ({CHROMIUM} is missing "
        "and no chromium is on PATH).",
        *_install_steps(),
    )


async def screenshot(html_code: str, width: int, height: int, *, chromium: str = CHROMIUM) -> bytes:
    """The page rendered in headless Chromium with no network (the sandbox has none, and a
    generated page must not fetch anything): PNG bytes."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(executable_path=chromium, headless=True)
        except PlaywrightError as exc:
            # There, but it does not start (missing libraries, not a browser): refused like
            # a missing one. The model's answer is dropped with the request (nothing stored).
            log.warning("chromium_launch_failed", path=chromium, error=str(exc)[:300])
            raise _missing(
                "The UI/UX preview needs Chromium, and the one installed does not start.",
                "Reinstall Chromium on the server (Debian/Ubuntu: `apt-get install --reinstall "
                "chromium`) and check that `chromium --version` runs there.",
                f"Or set {CHROMIUM_SETTING} to a Chromium or Chrome binary that does, and "
                "restart ReelForge.",
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
    # Before the model is asked: a preview that cannot be rendered refuses the request
    # whole, so nothing is spent on the model and nothing is stored.
    render = preview and framework == "html_tailwind"
    chromium = find_chromium(container.settings.chromium_path) if render else None
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
    if chromium is not None:
        png = await screenshot(code, preset.width, preset.height, chromium=chromium)
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
