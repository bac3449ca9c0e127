"""Clicking a pipeline together on the Studio canvas, as a user does."""

from __future__ import annotations

from typing import Any


def box(page: Any, box_id: str) -> Any:
    return page.locator(f'[data-box="{box_id}"]')


def add_box(page: Any, mode_label: str) -> str:
    """Add a box of a mode from the toolbar menu; returns its id (the new box is selected)."""
    before = set(page.locator("[data-box]").evaluate_all("els => els.map(e => e.dataset.box)"))
    page.get_by_role("button", name="Add box").click()
    page.get_by_role("menuitem", name=mode_label).click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-box]').length > n", arg=len(before)
    )
    after = page.locator("[data-box]").evaluate_all("els => els.map(e => e.dataset.box)")
    (new,) = [b for b in after if b not in before]
    return str(new)


def choose_model(page: Any, box_id: str, search: str, model_id: str) -> None:
    b = box(page, box_id)
    b.locator(".picker-button").click()
    b.get_by_role("combobox", name="Search models").fill(search)
    b.locator(f'[data-model="{model_id}"]').click()
    # Settings of the new model are loaded (its defaults seeded) before going on.
    b.locator(".picker-label").wait_for()


def set_prompt(page: Any, box_id: str, text: str) -> None:
    box(page, box_id).get_by_label(f"Prompt of {box_id}").fill(text)


def chip(page: Any, box_id: str) -> Any:
    return box(page, box_id).get_by_test_id("price-chip")
