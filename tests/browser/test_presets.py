"""Presets: the card gallery with price ranges, and a preset run from its form (inputs,
quality with a price per level, consent, Generate, live progress, the result)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Studio
from tests.browser.runs_helpers import png_bytes, real_errors


def test_preset_gallery_shows_cards_with_prices(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    page.goto("/presets")
    grid = page.get_by_role("list", name="Presets", exact=True)
    grid.wait_for()
    cards = grid.get_by_role("listitem")
    assert cards.count() >= 12, cards.count()
    card = cards.filter(has=page.get_by_role("link", name="Image-to-Video (Short Motion)"))
    assert "Makes a video" in card.inner_text()
    # Every card's price range arrives (one preset answer each).
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.price-chip')].some(c => c.textContent.includes('pricing'))"
    )
    assert "$" in card.locator(".price-chip").inner_text()
    page.get_by_role("button", name="Polish").click()
    assert page.get_by_role("link", name="Upscale + De-Noise (Image)").is_visible()
    assert page.get_by_role("link", name="Image-to-Video (Short Motion)").count() == 0
    page.get_by_role("button", name="All").click()
    assert_accessible(page)
    shot(page, "presets-gallery", full_page=True)
    assert not real_errors(page), real_errors(page)


def test_a_preset_runs_from_its_form(
    page_signed_in: Any, studio: Studio, shot: Any, tmp_path: Path
) -> None:
    page = page_signed_in
    page.goto("/presets")
    page.get_by_role("link", name="Identity Lock Portrait (Consistency)").click()
    page.get_by_role("heading", name="Identity Lock Portrait (Consistency)").wait_for()
    page.get_by_label("Prompt", exact=True).fill("a portrait by a window, soft light")
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes())
    page.get_by_label("Upload identity reference photo").set_input_files(str(face))
    page.get_by_role("img", name="Reference photo 1").wait_for()
    # Each level shows its price for these inputs (the quote endpoint).
    for level in ("low", "standard", "pro"):
        assert "$" in page.get_by_test_id(f"price-{level}").inner_text()
    page.get_by_role("radio", name=re.compile("^Low")).check()
    assert page.get_by_role("button", name=re.compile(r"^Generate · ")).is_visible()
    assert_accessible(page)
    shot(page, "preset-form")

    # Without consent the server refuses: the error says so and how to fix it.
    page.get_by_role("button", name=re.compile("^Generate")).click()
    refusal = page.get_by_role("region", name="Could not start")
    refusal.wait_for()
    assert "CONSENT_MISSING" in refusal.inner_text()
    assert "permission" in refusal.inner_text()
    refusal.get_by_role("button", name="Copy details").click()
    refusal.get_by_text("Copied, secrets redacted.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Error: CONSENT_MISSING" in copied and "Preset: identity_lock_portrait_v1" in copied
    assert "Request ID: req_" in copied
    assert studio.key not in copied

    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if r.url.endswith("/events") else None)
    page.get_by_label("I have permission to use this face/identity for generation").check()
    page.get_by_role("button", name=re.compile("^Generate")).click()
    page.wait_for_url(re.compile(r"\?run=run_"))
    live = page.get_by_role("region", name=re.compile("Generating|Result"))
    live.wait_for()
    result = page.get_by_role("img", name=re.compile("^Result 1"))
    result.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('.run-outputs img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert page.get_by_role("heading", name="Result").is_visible()
    assert "succeeded" in live.inner_text().lower()
    # Progress came live over Server-Sent Events, not only from polling.
    run_id = page.url.split("run=")[1]
    assert any(f"/v1/runs/{run_id}/events" in u for u in streams), streams
    assert not page.get_by_role("region", name="Could not start").is_visible()
    assert_accessible(page)
    shot(page, "preset-result")
    page.get_by_role("link", name="Run details").click()
    page.wait_for_url(re.compile(r"/history/run_"))
    page.get_by_role("link", name="Open on canvas").wait_for()
    assert not real_errors(page), real_errors(page)
