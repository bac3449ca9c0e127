"""axe-core on every core page of the shell, the canvas with a box open, and the sign-in
page: no serious or critical violations (labelled inputs, named buttons, contrast, ...)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import describe as axe_describe
from tests.browser.axe import violations
from tests.browser.canvas_helpers import add_box, box, choose_model


def describe(found: list[dict[str, Any]]) -> str:
    """axe's summary plus the offending markup (what to fix)."""
    lines = [axe_describe(found)]
    for v in found:
        for n in v.get("nodes", [])[:3]:
            lines.append(f"  {v['id']}: {n.get('html', '')[:200]}")
    return "\n".join(lines)


CORE_PAGES = ["/studio", "/presets", "/history", "/gallery", "/credits", "/setup"]


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.locator("main h1, main h2, main [role=toolbar]").first.wait_for()
    expect(page.locator(".page-loading")).to_have_count(0)


@pytest.mark.parametrize("path", CORE_PAGES)
def test_core_page_has_no_serious_axe_violations(page_signed_in: Any, path: str) -> None:
    page = page_signed_in
    page.goto(path)
    _settle(page)
    found = violations(page)
    assert not found, f"axe on {path}:\n" + describe(found)


def test_canvas_with_boxes_and_an_open_picker_is_accessible(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    page.goto("/studio")
    page.get_by_role("button", name="Text → Image").first.click()
    first = page.locator("[data-box]").first.get_attribute("data-box")
    assert first
    choose_model(page, first, "flux dev", "fal/flux-dev")
    box(page, first).locator("details.box-settings summary").click()
    second = add_box(page, "Image → Video")
    box(page, second).locator(".picker-button").click()
    expect(box(page, second).get_by_role("listbox", name="Models")).to_be_visible()
    shot(page, "canvas-model-picker")
    found = violations(page)
    assert not found, "axe on the canvas:\n" + describe(found)
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    shot(page, "canvas-shortcuts")
    found = violations(page)
    assert not found, "axe with the shortcuts panel:\n" + describe(found)


def test_sign_in_page_is_accessible(browser: Any, studio: Any) -> None:
    ctx = browser.new_context(base_url=studio.url)
    try:
        page = ctx.new_page()
        page.goto("/studio")
        expect(page.get_by_role("heading", name=re.compile("Sign in"))).to_be_visible()
        found = violations(page)
        assert not found, "axe on sign-in:\n" + describe(found)
    finally:
        ctx.close()
