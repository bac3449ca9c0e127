"""The series platform's pages in a real browser (sandbox): a human makes two sandbox
agents, a studio and a pilot, votes as the other agent, skips the period's 24 hours,
watches the production make a poster and four clips, tip-votes over x402 with two
sandbox wallets (the second tip of one wallet on one clip is refused), and sees the
80/19/1 split land in the creator dashboard."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import pytest

from reelforge.apps.series import signing
from tests.browser.axe import assert_accessible
from tests.series_helpers import Wallet


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.locator(".page-loading").first.wait_for(state="detached")


@pytest.mark.slow  # ~40 s: waits for the scheduler's ticks (5 s) and real sandbox runs
def test_series_studio_vote_produce_tip(page_signed_in: Any, shot: Any) -> None:
    page = page_signed_in
    tag = secrets.token_hex(2)
    browser_wallet = _inject_wallet(page)
    author, critic = f"penwright{tag}", f"critic{tag}"

    page.goto("/series/dashboard")
    page.get_by_role("heading", name="Creator dashboard").wait_for()
    for name in (critic, author):  # the author last: it becomes the acting agent
        page.get_by_label("Agent name").fill(name)
        page.get_by_role("button", name="Create agent").click()
        page.get_by_role("cell", name=name, exact=True).wait_for()
    _settle(page)
    assert_accessible(page)

    page.get_by_role("navigation", name="Series sections").get_by_role(
        "link", name="Studios"
    ).click()
    page.get_by_label("Acting as").select_option(label=f"{author}")
    page.get_by_label("Genre").select_option(label="Sci-Fi")
    page.get_by_label("Name suffix").fill("Night Shift")
    page.get_by_role("button", name="Create studio").click()
    studio = f"{author} Sci-Fi Night Shift"
    page.get_by_role("link", name=studio).click()
    page.get_by_role("heading", name=studio).wait_for()

    page.get_by_label("Title").fill("The Last Keeper")
    page.get_by_label("Logline").fill("A lighthouse keeper keeps one ship from the rocks.")
    page.get_by_label("Beat 1 · setup").fill("The storm comes; the lamp fails.")
    page.get_by_label("Beat 2 · confrontation").fill("She climbs the tower with the last match.")
    page.get_by_label("Beat 3 · resolution").fill("The ship turns; dawn.")
    page.get_by_label("Style bible").fill("Desaturated, handheld, salt on every lens")
    page.get_by_role("button", name="Submit for voting").click()
    page.get_by_role("status").filter(has_text="Script saved").wait_for()
    row = page.get_by_role("row").filter(has_text="The Last Keeper")
    row.get_by_text("submitted").wait_for()
    _settle(page)
    assert_accessible(page)
    shot(page, "series-studio")

    # The periods job (every few seconds) puts submitted scripts into the open period.
    page.goto("/series/voting")
    page.get_by_label("Vote as").select_option(label=f"{critic}")
    card = page.get_by_role("listitem").filter(has_text="The Last Keeper")
    card.wait_for(timeout=20_000)
    card.get_by_role("button", name="Upvote The Last Keeper").click()
    card.get_by_text("▲ 1").wait_for()
    # A second vote by the same agent is refused with the seed's code.
    card.get_by_role("button", name="Upvote The Last Keeper").click()
    page.get_by_role("alert").filter(has_text="DUPLICATE_VOTE").wait_for()
    _settle(page)
    assert_accessible(page)
    shot(page, "series-voting")

    page.goto("/series/dashboard")
    page.get_by_role("button", name=re.compile(r"Skip ahead")).click()
    page.get_by_role("status").filter(has_text="Platform clock now").wait_for()

    page.goto("/series/studios")
    page.get_by_label("Acting as").select_option(label=f"{author}")
    page.get_by_role("link", name=studio).click()
    page.get_by_role("row").filter(has_text="The Last Keeper").get_by_role(
        "link", name="Production"
    ).click(timeout=20_000)
    page.get_by_role("heading", name="The Last Keeper").wait_for()
    page.get_by_role("button", name="Tip-vote take 4").wait_for(timeout=60_000)
    assert page.locator("video").count() == 4
    assert page.get_by_role("img", name="Poster of The Last Keeper").is_visible()
    split = page.get_by_role("listitem").filter(has_text="Take 1").first.locator("table")
    assert "80%" in split.inner_text() and "$0.2" in split.inner_text()
    _settle(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1440, "height": 1800})  # the four clips in one shot
    shot(page, "series-production")

    take1 = page.get_by_role("listitem").filter(has_text="Take 1").first
    take1.get_by_role("button", name="Tip-vote take 1").click()
    take1.get_by_role("status").filter(has_text="Paid $0.25").wait_for()
    take1.get_by_text("1 vote ·").wait_for()
    take1.get_by_role("button", name="Tip-vote take 1").click()  # same wallet, same clip
    take1.get_by_role("alert").filter(has_text="DUPLICATE_VOTE").wait_for()
    take2 = page.get_by_role("listitem").filter(has_text="Take 2").first
    take2.get_by_label("Pay with").select_option(label="Sandbox wallet 2")
    take2.get_by_label("Tip (cents)").fill("40")
    take2.get_by_role("button", name="Tip-vote take 2").click()
    take2.get_by_role("status").filter(has_text="Paid $0.4").wait_for()
    # An injected browser wallet (EIP-1193, eth_signTypedData_v4) pays the same way.
    take3 = page.get_by_role("listitem").filter(has_text="Take 3").first
    take3.get_by_label("Pay with").select_option(label="Browser wallet")
    take3.get_by_role("button", name="Tip-vote take 3").click()
    take3.get_by_role("status").filter(has_text=browser_wallet.address[:6]).wait_for()
    shot(page, "series-tipped")

    page.get_by_role("link", name="Series page").click()
    page.get_by_role("heading", name="Clip votes").wait_for()
    page.get_by_role("heading", name="Episodes").wait_for()
    _settle(page)
    assert_accessible(page)
    shot(page, "series-detail")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/series")
    page.get_by_role("link", name="The Last Keeper").wait_for()
    _settle(page)
    assert_accessible(page)
    shot(page, "series-overview")

    # The creator's 80 % of 25 + 40 + 25 cents, paid out by the sandbox payout job.
    page.goto("/series/dashboard")
    page.get_by_label("Show earnings of").select_option(label=f"{author}")
    page.get_by_text("$0.72", exact=True).wait_for()
    paid = page.get_by_role("row").filter(has_text="Creator").filter(has_text="completed")
    paid.nth(2).wait_for(timeout=20_000)  # the creator shares sent by the payout job
    _settle(page)
    assert_accessible(page)
    shot(page, "series-dashboard")
    log = page.rf_log
    assert not log.failed, log.failed
    unexpected = [e for e in log.errors if "402" not in e and "409" not in e]
    assert not unexpected, unexpected


def _inject_wallet(page: Any) -> Wallet:
    """A browser wallet (window.ethereum) whose key lives in the test: the page builds the
    EIP-712 typed data itself; a wrong domain or message would not verify on the server."""
    wallet = Wallet()

    def sign(typed_json: str) -> str:
        typed = json.loads(typed_json)
        d = typed["domain"]
        return signing.sign_transfer(
            wallet.key,
            typed["message"],
            chain_id=int(d["chainId"]),
            asset=d["verifyingContract"],
            name=d["name"],
            version=d["version"],
        )

    page.expose_function("rfTestSign", sign)
    script = """window.ethereum = { request: async ({ method, params }) => {
         if (method === "eth_requestAccounts") return ["ADDRESS"];
         if (method === "eth_signTypedData_v4") return await window.rfTestSign(params[1]);
         throw new Error("unsupported " + method); } };"""
    page.add_init_script(script.replace("ADDRESS", wallet.address))
    return wallet
