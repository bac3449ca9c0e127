"""The credits page in a real browser: balance, plan and the ledger, paged with the API's
cursor, after a run and a series of top-ups made through the API."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Studio

TOPUPS = 26  # with the plan grant: more than the page's 25 rows, so a second page exists


def _finish_a_run(studio: Studio) -> str:
    run = studio.api("POST", "/v1/generations", json={"model": "fal/flux-dev", "prompt": "a fox"})
    deadline = time.monotonic() + 90  # generous: a loaded machine, not a speed check
    while time.monotonic() < deadline:
        run = studio.api("GET", f"/v1/runs/{run['id']}")
        if run["status"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.1)
    assert run["status"] == "succeeded", run
    return str(run["id"])


def test_credits_page_shows_balance_plan_and_paged_ledger(
    page_signed_in: Any, studio: Studio, shot: Any
) -> None:
    run_id = _finish_a_run(studio)
    me = studio.api("GET", "/v1/me")
    stamp = time.time_ns()
    for i in range(TOPUPS):
        studio.api(
            "POST",
            "/v1/credits/topups",
            json={
                "user_id": me["id"],
                "amount_credits": i + 1,
                "reason": f"browser test top-up {i + 1}",
                "idempotency_key": f"browser-credits-{stamp}-{i}",
            },
        )
    wallet = studio.api("GET", "/v1/credits")
    total = len(studio.api("GET", "/v1/credits/ledger", params={"limit": 200})["entries"])
    assert total > 25

    page = page_signed_in
    page.goto("/credits")
    page.get_by_role("heading", name="Credits", level=1).wait_for()
    balance = page.get_by_test_id("credit-balance")
    balance.wait_for()
    assert balance.inner_text() == wallet["balance"]["display"]
    plan = page.get_by_role("region", name="Plan", exact=True)
    assert wallet["plan"]["name"] in plan.inner_text()
    assert (
        wallet["topup"]["display"]
        in page.get_by_role("region", name="Top-up", exact=True).inner_text()
    )

    ledger = page.get_by_role("table", name="Ledger entries")
    ledger.wait_for()
    rows = ledger.locator("tbody tr")
    assert rows.count() == 25, "the first page"
    newest = rows.first.inner_text()
    assert "Top-up" in newest and f"browser test top-up {TOPUPS}" in newest, newest
    assert f"+{TOPUPS} credits" in newest, newest
    shot(page, "credits")
    assert_accessible(page)

    page.get_by_role("button", name="Load older entries").click()
    page.get_by_text(re.compile(rf"{total} entries · that is all of them")).wait_for()
    assert rows.count() == total
    assert "Plan grant" in ledger.inner_text(), "the oldest entry is the plan's grant"
    assert page.get_by_role("button", name="Load older entries").count() == 0
    page.get_by_text("that is all of them").scroll_into_view_if_needed()
    shot(page, "credits-ledger-all")

    # The owner tops up from the page: the balance and the ledger follow at once.
    page.get_by_role("button", name="Add top-up").click()
    form = page.get_by_role("form", name="Add top-up credits")
    form.get_by_label("Credits").fill("5")
    form.get_by_label("Reason").fill("from the studio")
    form.get_by_role("button", name="Add 5 credits").click()
    form.get_by_role("status").filter(has_text="Added 5 credits").wait_for()
    after = studio.api("GET", "/v1/credits")["balance"]
    assert after["micros"] == wallet["balance"]["micros"] + 5 * wallet["unit"]["micros_per_credit"]
    expect(balance).to_have_text(after["display"])
    expect(rows.first).to_contain_text("from the studio")
    shot(page, "credits-topup")
    assert_accessible(page)

    # A sandbox run is free: filtered on its id, the ledger shows the empty state.
    page.get_by_label("Run ID").fill(run_id)
    page.get_by_role("button", name="Filter", exact=True).click()
    page.get_by_text(f"No ledger entries for {run_id}.").wait_for()
    assert_accessible(page)
    assert not page.rf_log.errors, page.rf_log.errors
    assert not page.rf_log.failed, page.rf_log.failed
