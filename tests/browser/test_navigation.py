"""Every navigation link answers: no 404 page, no console error, and a screenshot each."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

CORE = ["Studio", "Presets", "History", "Gallery", "Credits", "Setup"]


def test_every_navigation_link_answers(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    page.goto("/")
    page.wait_for_url(re.compile(r"/studio"))
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link")
    labels = [links.nth(i).inner_text().strip() for i in range(links.count())]
    for core in CORE:
        assert core in labels, labels
    for label in labels:
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state("networkidle")
        heading = page.locator("main h1, main h2").first
        heading.wait_for()
        assert "not found" not in page.locator("main").inner_text().lower(), label
        # A page's own data may still be arriving after the chunk loaded: wait, bounded.
        expect(page.locator(".page-loading"), f"{label} still loading").to_have_count(0)
        shot(page, f"nav-{label.lower().replace(' ', '-')}")
    log = page.rf_log
    assert not log.errors, log.errors
    assert not log.failed, log.failed


def test_unknown_route_shows_the_not_found_page(page_signed_in: Any) -> None:
    page = page_signed_in
    page.goto("/no/such/page")
    page.get_by_role("heading", name="Page not found").wait_for()
