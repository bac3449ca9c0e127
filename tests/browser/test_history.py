"""History: runs with filters and cursor paging; a run's page with its steps, route,
cost and logs; a failed run's error with remediation and a redacted Copy details."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Studio
from tests.browser.runs_helpers import (
    failed_run,
    preset_run,
    real_errors,
    start_failing_run,
    wait_run,
)


def statuses_shown(page: Any) -> list[str]:
    return page.locator("table.runs-table tbody [data-status]").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )


def test_history_filters_narrow_the_runs(page_signed_in: Any, studio: Studio, shot: Any) -> None:
    ok = preset_run(studio, "photoreal_portrait_v1", {"prompt": "a sailor, weathered skin"})
    assert ok["status"] == "succeeded", ok
    bad = failed_run(studio)
    page = page_signed_in
    page.goto("/history")
    table = page.get_by_role("table", name="Runs", exact=True)
    table.wait_for()
    assert table.get_by_text(ok["id"]).is_visible()
    assert table.get_by_text(bad["id"]).is_visible()
    assert_accessible(page)
    shot(page, "history")

    page.get_by_label("Status").select_option("failed")
    page.wait_for_url(re.compile(r"status=failed"))
    table.get_by_text(bad["id"]).wait_for()
    page.wait_for_function(
        "() => !document.querySelector('.runs-table [data-status=\"succeeded\"]')"
    )
    assert set(statuses_shown(page)) == {"failed"}
    assert "DEPENDENCY_MISSING" in table.inner_text()

    page.get_by_label("Status").select_option("")
    page.get_by_label("Preset").select_option("photoreal_portrait_v1")
    table.get_by_text(ok["id"]).wait_for()
    page.wait_for_function(
        "id => !document.querySelector('.runs-table').innerText.includes(id)", arg=bad["id"]
    )
    assert "Photoreal Portrait" in table.inner_text()

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    page.get_by_label("From").fill(tomorrow)
    page.get_by_text("No run matches these filters.").wait_for()
    shot(page, "history-empty-filter")
    page.get_by_role("button", name="Clear filters").click()
    table.get_by_text(bad["id"]).wait_for()
    assert not real_errors(page), real_errors(page)


def test_history_pages_with_the_cursor(page_signed_in: Any, studio: Studio) -> None:
    missing = 26 - len(studio.api("GET", "/v1/runs?limit=26")["runs"])
    for run_id in [start_failing_run(studio) for _ in range(missing)]:
        wait_run(studio, run_id)
    page = page_signed_in
    page.goto("/history")
    rows = page.locator("table.runs-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 25
    page.get_by_role("button", name="Load older runs").click()
    page.wait_for_function(
        "() => document.querySelectorAll('table.runs-table tbody tr').length > 25"
    )


def test_failed_run_shows_remediation_and_copies_redacted_details(
    page_signed_in: Any, studio: Studio, shot: Any
) -> None:
    bad = failed_run(studio)
    page = page_signed_in
    page.goto(f"/history/{bad['id']}")
    panel = page.get_by_role("region", name="This run failed")
    panel.wait_for()
    text = panel.inner_text()
    assert "DEPENDENCY_MISSING" in text
    assert "no_such_checkpoint.safetensors" in text
    assert "What to do" in text and "Download the file" in text
    steps = page.get_by_role("table", name="Steps of the run")
    assert "comfyui/sdxl-txt2img" in steps.inner_text()
    assert "failed" in steps.inner_text().lower()
    logs = page.get_by_role("table", name="Log lines")
    logs.get_by_text("step.failed").wait_for()
    canvas = page.get_by_role("link", name="Open on canvas")
    assert canvas.get_attribute("href") == f"/studio?run={bad['id']}"
    assert_accessible(page)
    shot(page, "run-failed", full_page=True)

    panel.get_by_role("button", name="Copy details").click()
    panel.get_by_text("Copied, secrets redacted.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert bad["id"] in copied
    assert "Error: DEPENDENCY_MISSING" in copied
    assert "Step: portrait" in copied
    assert "Request ID: req_" in copied
    assert "Versions: ReelForge" in copied
    assert "Logs (last" in copied
    assert studio.key not in copied
    assert studio.key[:12] not in copied

    # The repair preset opens with the failed run filled in.
    page.get_by_role("link", name="Repair with safer settings").click()
    page.get_by_role("heading", name=re.compile("Repair Pipeline")).wait_for()
    assert page.get_by_role("textbox", name="Failed run").input_value() == bad["id"]
    assert not real_errors(page), real_errors(page)


def test_succeeded_run_page_shows_route_cost_and_outputs(
    page_signed_in: Any, studio: Studio, shot: Any
) -> None:
    ok = preset_run(studio, "photoreal_portrait_v1", {"prompt": "a chef, flour on the hands"})
    page = page_signed_in
    page.goto(f"/history/{ok['id']}")
    page.get_by_role("heading", name="Photoreal Portrait (Anti-Plastic)").wait_for()
    steps = page.get_by_role("table", name="Steps of the run")
    served = ok["steps"][0]["served_by"]
    assert served in steps.inner_text()
    page.get_by_role("img", name=re.compile("^Result 1")).wait_for()
    assert page.get_by_role("region", name="This run failed").count() == 0
    assert page.get_by_role("term").filter(has_text="Cost").is_visible()
    assert_accessible(page)
    shot(page, "run-succeeded", full_page=True)
