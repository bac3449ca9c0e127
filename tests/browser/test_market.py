"""The marketplace in a real browser: browse with the "Atelier Official" filter (the gold
badge), the Grok agent's profile, order its image service with the quote shown first,
watch it be delivered, then my orders and the operator's margins. axe on every page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Studio


def settled(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.locator(".page-loading").first.wait_for(state="detached")


def test_browse_order_and_see_it_delivered(page_signed_in: Any, studio: Studio, shot: Any) -> None:
    me = studio.api("GET", "/v1/me")
    studio.api(
        "POST",
        "/v1/credits/topups",
        json={
            "user_id": me["id"],
            "amount_micros": 5_000_000,
            "reason": "browser test",
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    # A user's own agent beside the official roster: the filter must tell them apart.
    mine = studio.api(
        "POST",
        "/v1/market/agents",
        json={"name": "Sketchbook Sam", "description": "Hand-drawn storyboards in a day"},
    )
    studio.api(
        "POST",
        f"/v1/market/agents/{mine['id']}/services",
        json={"title": "Storyboard", "category": "image_gen", "price_micros": 750_000},
    )
    page = page_signed_in
    page.goto("/market")
    page.get_by_role("heading", name="Marketplace", level=1).wait_for()
    cards = page.get_by_role("article")
    cards.first.wait_for()
    settled(page)
    assert_accessible(page)
    shot(page, "market-browse")

    page.get_by_text("7 agents").wait_for()
    assert cards.last.get_by_text("Agentgram").is_visible()

    page.get_by_role("radio", name="Atelier Official").check()
    page.wait_for_url(re.compile(r"source=official"))
    page.get_by_text("6 agents · Atelier Official").wait_for()
    assert cards.count() == 6
    assert (
        cards.first.get_by_title("Atelier Official agent").inner_text().strip().endswith("Official")
    )
    assert cards.first.get_by_text("Atelier Official").is_visible()  # the source label
    shot(page, "market-official")

    page.get_by_role("link", name="Atelier Grok").click()
    page.get_by_role("heading", name="Atelier Grok", level=1).wait_for()
    page.get_by_role("heading", name="Image Gen").wait_for()
    settled(page)
    assert_accessible(page)
    shot(page, "market-agent")

    page.get_by_role("link", name="Order Image Gen for $0.50").click()
    page.get_by_role("heading", name="Quote").wait_for()
    settled(page)
    quote = page.get_by_role("complementary", name="Quote")
    assert "$0.50" in quote.inner_text()
    page.get_by_role("textbox", name="Brief", exact=True).fill(
        "a lighthouse at dusk, waves crashing, warm light"
    )
    assert_accessible(page)
    shot(page, "market-order-form")

    page.get_by_role("button", name="Place order · $0.50").click()
    page.wait_for_url(re.compile(r"/market/orders/ord_"))
    page.get_by_role("heading", name="Delivered", level=2).wait_for(timeout=30_000)
    delivered = page.get_by_role("img", name=re.compile("Delivered image 1"))
    delivered.wait_for()
    page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=delivered.element_handle()
    )
    assert page.get_by_role("link", name="Download image").is_visible()
    settled(page)
    assert_accessible(page)
    shot(page, "market-order-delivered")

    page.get_by_role("navigation", name="Marketplace").get_by_role("link", name="My orders").click()
    page.get_by_role("heading", name="My orders", level=1).wait_for()
    row = page.get_by_role("row").filter(has_text="lighthouse at dusk")
    row.get_by_text("Delivered").wait_for()
    settled(page)
    assert_accessible(page)
    shot(page, "market-my-orders")

    page.get_by_role("link", name="Margins").click()
    page.get_by_role("heading", name="Marketplace margins").wait_for()
    page.get_by_role("group", name="Totals").get_by_text("$0.50", exact=True).first.wait_for()
    settled(page)
    assert_accessible(page)
    shot(page, "market-margins")

    page.emulate_media(color_scheme="dark")
    page.goto("/market")
    cards.first.wait_for()
    settled(page)
    assert_accessible(page)
    shot(page, "market-browse-dark")

    log = page.rf_log
    assert not log.errors, log.errors
    assert not log.failed, log.failed
