"""The asset studio in the browser (issue 23): the front door, a studio per mode, a batch
generated in two modes (pixel: four variants, exported as a sprite sheet; emoji: one,
exported as a size set), workspaces and galleries that stay in their mode, and UI/UX code
with its Chromium preview. Screenshots of each; axe on each page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tests.browser.axe import assert_accessible


def _loaded(page: Any, img: Any) -> bool:
    return bool(img.evaluate("(el) => el.complete && el.naturalWidth > 0"))


def _keep(page: Any, link: Any, name: str) -> None:
    """Save an exported file next to the screenshots (to look at the output itself)."""
    r = page.request.get(link.get_attribute("href"))
    assert r.ok, r.status
    extra = os.environ.get("REELFORGE_SHOTS_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        (Path(extra) / name).write_bytes(r.body())


def _results(page: Any) -> Any:
    return page.get_by_role("region", name="Results")


def test_generate_in_two_modes_and_export(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    page.goto("/assets")
    page.get_by_role("heading", name="Asset studio", exact=True).wait_for()
    page.get_by_role("link", name="Open the Pixel studio").wait_for()
    assert_accessible(page)
    shot(page, "assets-home", full_page=True)

    # Pixel: a workspace of its own, four variants, a sprite sheet.
    page.get_by_role("link", name="Open the Pixel studio").click()
    page.get_by_role("heading", name="Pixel studio").wait_for()
    page.get_by_label("New workspace name").fill("Knights")
    page.get_by_role("button", name="Create workspace").click()
    page.get_by_label("Workspace", exact=True).locator("option", has_text="Knights").wait_for(
        state="attached"
    )
    assert page.get_by_label("Workspace", exact=True).input_value() != ""
    page.get_by_label("Prompt").fill("a knight with a blue cape")
    page.get_by_role("button", name="Generate 4 variants").click()
    images = _results(page).get_by_role("img", name=re.compile(r"^Variant \d"))
    images.nth(3).wait_for()
    assert images.count() == 4
    for i in range(4):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "(el) => el.complete && el.naturalWidth > 0", arg=images.nth(i).element_handle()
        )
        assert _loaded(page, images.nth(i))
    seeds = _results(page).get_by_text(re.compile(r"^seed \d+")).all_inner_texts()
    assert len({s.split()[1] for s in seeds}) == 4, seeds  # distinct seeds per variant
    page.get_by_role("button", name="Export 4 selected").click()
    page.get_by_role("link", name="Download sheet.png").wait_for()
    page.get_by_role("link", name="Download atlas.json").wait_for()
    sheet = page.get_by_role("img", name="Exported sheet.png")
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=sheet.element_handle())
    assert_accessible(page)
    shot(page, "pixel-export")
    _keep(page, page.get_by_role("link", name="Download sheet.png"), "pixel-sheet.png")
    _results(page).scroll_into_view_if_needed()
    shot(page, "pixel-results")

    # Emoji: nothing carried over from Pixel (results, workspaces, gallery).
    page.get_by_role("navigation", name="Asset modes").get_by_role("link", name="Emoji").click()
    page.get_by_role("heading", name="Emoji studio").wait_for()
    assert _results(page).get_by_role("img").count() == 0
    options = page.get_by_label("Workspace", exact=True).locator("option").all_inner_texts()
    assert "Knights" not in options, options
    page.get_by_label("Prompt").fill("a cat laughing")
    page.get_by_label("Variants").select_option("1")
    page.get_by_role("button", name="Generate 1 variant").click()
    _results(page).get_by_role("img", name=re.compile(r"^Variant 1")).wait_for()
    gallery = page.get_by_role("region", name="Your Emoji gallery").get_by_role("img")
    gallery.first.wait_for()
    assert gallery.count() == 1  # the pixel knights are not in the emoji gallery
    page.get_by_role("button", name="Export 1 selected").click()
    page.get_by_role("link", name="Download emoji_512.png").wait_for()
    page.get_by_role("link", name="Download emoji_16.webp").wait_for()
    assert_accessible(page)
    shot(page, "emoji-export")
    _keep(page, page.get_by_role("link", name="Download emoji_128.png"), "emoji-128.png")
    log = page.rf_log
    assert not log.errors, log.errors
    assert not log.failed, log.failed


def test_every_mode_has_its_studio(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    presets = {
        "business": ("Business", "Logo mark"),
        "vector": ("Vector", "Line icon"),
        "uiux": ("UI/UX", "Landing page"),
    }
    for mode, (name, preset) in presets.items():
        page.goto(f"/{mode}/studio")
        page.get_by_role("radio", name=re.compile(preset)).wait_for()
        assert (
            page.get_by_role("navigation", name="Asset modes")
            .get_by_role("link", name=name, exact=True)
            .get_attribute("aria-current")
            == "page"
        )
        if mode == "uiux":  # code from the chat model, with a screenshot of the page
            page.get_by_label("Prompt").fill("a pricing page for a note-taking app")
            page.get_by_role("button", name="Generate code").click()
            preview = page.get_by_role("img", name="Screenshot of the generated page")
            preview.wait_for(timeout=30_000)
            page.get_by_role("link", name="Download page (.html)").wait_for()
        assert_accessible(page)
        shot(page, f"{mode}-studio", full_page=True)
    assert not page.rf_log.errors, page.rf_log.errors
