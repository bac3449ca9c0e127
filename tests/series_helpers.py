"""Helpers of the series platform's tests and bench: wallets, agents, scripts, x402 payments."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

import httpx
from eth_account import Account

from reelforge.apps.series import signing, x402
from reelforge.apps.series.agents import registration_message


class Wallet:
    def __init__(self, key: str | None = None) -> None:
        self.account = Account.from_key(key) if key else Account.create()
        self.key = "0x" + bytes(self.account.key).hex().removeprefix("0x")
        self.address = self.account.address.lower()

    def sign(self, message: str) -> str:
        return signing.sign_personal(self.key, message)


async def register(
    client: httpx.AsyncClient, name: str, wallet: Wallet | None = None, *, claim: bool = True
) -> dict[str, Any]:
    wallet = wallet or Wallet()
    ts = int(time.time())
    body = {
        "name": name,
        "wallet_address": wallet.address,
        "timestamp": ts,
        "signature": wallet.sign(registration_message(name, wallet.address, ts)),
    }
    r = await client.post("/api/v1/agents/register", json=body, headers={"Authorization": ""})
    assert r.status_code == 201, r.text
    out = r.json()
    out["wallet"] = wallet
    out["headers"] = {"Authorization": f"Bearer {out['api_key']}"}
    if claim:
        c = await client.post(
            "/api/v1/agents/claim", json={"claim_token": out["claim_token"], "owner_name": "h"}
        )
        assert c.status_code == 200, c.text
    return out


SHOT = {
    "prompt": {
        "camera": "wide_establishing",
        "scene": "A lone figure walks across a desert at sunset",
        "details": "Golden hour lighting, dust particles visible",
        "motion": "static",
    },
    "gen_clip_seconds": 5,
    "duration_seconds": 6,
    "edit_extend_strategy": "hold_last_frame",
    "audio": {"type": "narration", "text": "The desert keeps its secrets."},
}


def script_data(
    genre: str = "sci_fi", shots: int = 6, title: str = "Dust Protocol"
) -> dict[str, Any]:
    return {
        "title": title,
        "logline": "A courier crosses a dead desert carrying the last seed vault key.",
        "genre": genre,
        "arc": {
            "beat_1": "The courier receives the key at a ruined outpost.",
            "beat_2": "Raiders chase her through a sandstorm.",
            "beat_3": "She plants the first seed as rain begins.",
        },
        "series_bible": {
            "global_style_bible": "Bleached colours, long lenses, wind everywhere.",
            "location_anchors": [{"id": "L1", "name": "Outpost", "description": "Rusted towers"}],
            "character_anchors": [{"id": "C1", "name": "Ada", "description": "Red scarf"}],
            "do_not_change": ["Ada's red scarf"],
        },
        "shots": [copy.deepcopy(SHOT) for _ in range(shots)],
        "poster_spec": {"key_visual": "Ada against a red sun", "style": "retro sci-fi"},
    }


def payment_header(
    wallet: Wallet,
    accepts: dict[str, Any],
    *,
    value: int | None = None,
    to: str | None = None,
    valid_after: int | None = None,
    valid_before: int | None = None,
    nonce: str | None = None,
    signer: Wallet | None = None,
) -> str:
    now = int(time.time())
    auth = {
        "from": wallet.address,
        "to": to or accepts["payTo"],
        "value": str(value if value is not None else int(accepts["maxAmountRequired"])),
        "validAfter": str(valid_after if valid_after is not None else now - 60),
        "validBefore": str(valid_before if valid_before is not None else now + 300),
        "nonce": nonce or "0x" + secrets.token_hex(32),
    }
    chain, asset, name = signing.NETWORKS[accepts["network"]]
    sig = signing.sign_transfer(
        (signer or wallet).key, auth, chain_id=chain, asset=asset, name=name
    )
    return x402.encode_header(
        {
            "x402Version": 1,
            "scheme": "exact",
            "network": accepts["network"],
            "payload": {"signature": sig, "authorization": auth},
        }
    )


class EmulatedCustody:
    """A custodian's staking API in memory (the Custody interface), idempotent by key."""

    def __init__(self) -> None:
        self.staked: dict[str, int] = {}
        self.done: dict[str, dict[str, Any]] = {}
        self.calls = 0

    async def pools(self) -> list[dict[str, Any]]:
        return [{"asset": "ETH", "apy_bps": 320, "min_wei": "1"}]

    async def submit(
        self, operation: str, account: str, asset: str, amount_wei: int, idempotency_key: str
    ) -> dict[str, Any]:
        self.calls += 1
        if idempotency_key in self.done:
            return self.done[idempotency_key]
        sign = {"stake": 1, "unstake": -1}.get(operation, 0)
        self.staked[account] = self.staked.get(account, 0) + sign * amount_wei
        result = {
            "success": True,
            "operation": operation,
            "asset": asset,
            "staked_wei": str(self.staked[account]),
            "activity_id": f"act_{len(self.done)}",
        }
        self.done[idempotency_key] = result
        return result

    async def status(self, account: str) -> dict[str, Any]:
        return {"staked_wei": str(self.staked.get(account, 0))}

    async def earnings(self, account: str) -> dict[str, Any]:
        return {"earned_wei": "0"}


# An audio series' pack: five narrated episodes (seed 003's audio format).
AUDIO_PACK: dict[str, Any] = {
    "title": "Night Shift",
    "logline": "A radio host solves crimes on air.",
    "genre": "crime",
    "episodes": [
        {
            "episode_number": i,
            "title": f"Part {i}",
            "narration_script": f"Part {i}. The phone rings at midnight again.",
        }
        for i in range(5)
    ],
}
