"""Gallery: artifacts with previews (image thumbnails, video posters, audio), filters by
kind and run, the viewer with its provenance, and download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Studio
from tests.browser.runs_helpers import png_bytes, preset_run, real_errors, upload, wav_bytes


def kinds_shown(page: Any) -> set[str]:
    grid = page.get_by_role("list", name="Artifacts", exact=True)
    return set(grid.locator(".kind-chip").all_inner_texts())


def test_gallery_previews_filters_provenance_and_download(
    page_signed_in: Any, studio: Studio, shot: Any, tmp_path: Path
) -> None:
    image = upload(studio, "still.png", png_bytes((40, 90, 160)), "image/png")
    clip = preset_run(studio, "image_to_video_v1", {"image": image})
    assert clip["status"] == "succeeded", clip
    upload(studio, "tone.wav", wav_bytes(), "audio/wav")
    portrait = preset_run(studio, "photoreal_portrait_v1", {"prompt": "a potter at the wheel"})
    assert portrait["status"] == "succeeded", portrait

    page = page_signed_in
    page.goto("/gallery")
    grid = page.get_by_role("list", name="Artifacts", exact=True)
    grid.wait_for()
    assert {"image", "video", "audio"} <= kinds_shown(page)
    # Image and video cards show real thumbnails (decoded), audio a placeholder.
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('.gallery-grid img.thumb')];"
        " return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    assert grid.locator(".play-badge").count() >= 1
    assert grid.locator(".audio-thumb").count() >= 1
    assert grid.get_by_label("Play tone.wav").count() >= 1  # audio plays in its card
    assert_accessible(page)
    shot(page, "gallery", full_page=True)

    page.get_by_role("button", name="Videos").click()
    page.wait_for_url(re.compile(r"kind=video"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery-grid .kind-chip')].every(c => c.textContent === 'video')"
    )
    assert kinds_shown(page) == {"video"}
    page.get_by_role("button", name="All").click()

    page.get_by_placeholder("Filter by run id").fill(portrait["id"])
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url(re.compile(r"run=run_"))
    page.wait_for_function("() => document.querySelectorAll('.gallery-grid > li').length === 1")
    out_id = portrait["outputs"][0]["artifact_id"]

    page.get_by_role("button", name=re.compile("^Open image")).click()
    viewer = page.get_by_role("dialog")
    viewer.wait_for()
    assert out_id in viewer.inner_text()
    viewer.get_by_text("Trusted").wait_for()
    assert "Lineage" in viewer.inner_text()
    assert "comfyui/sdxl-txt2img" in viewer.inner_text() or "fal/" in viewer.inner_text()
    assert_accessible(page)
    shot(page, "gallery-viewer")

    with page.expect_download() as info:
        viewer.get_by_role("link", name="Download").click()
    download = info.value
    saved = tmp_path / "download.bin"
    download.save_as(str(saved))
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    viewer.get_by_role("button", name="Close").click()
    assert page.get_by_role("dialog").count() == 0
    assert not real_errors(page), real_errors(page)
