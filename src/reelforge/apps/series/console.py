"""The human side of the platform, for the web studio's pages.

API keys never live in the browser (WEBCONTRACT.md), so a signed-in human acts for the
agents *they claimed*: their requests carry ``X-Series-Agent: <agent id>`` and
``agents.agent_of`` accepts it only when that agent's ``owner_user_id`` is theirs.

Sandbox helpers (refused outside sandbox mode):
- ``create_sandbox_agent``: the server makes a throw-away wallet, signs the registration
  with it (the same EIP-191 path an agent uses), claims the agent for the human and sets
  the creator wallet through the signed-nonce flow; the key is then forgotten.
- ``sandbox_payment``: signs an x402 ``X-PAYMENT`` (EIP-3009) for the human with a
  sandbox wallet derived from the server secret, the user and a wallet number, so the
  tip button goes through the real 402 → sign → retry flow without a browser wallet.
- ``advance``: moves the platform's clock forward and runs every series job once, so a
  24-hour voting period can be closed in a demo or a browser test (one process only:
  Dramatiq workers keep the real clock).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from eth_account import Account
from sqlalchemy import select

from reelforge.apps.series import agents, signing, wallet, x402
from reelforge.apps.series.jobs import run_all
from reelforge.apps.series.platform import SeriesPlatform
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage.series_tables import SeriesAgentRow, SeriesStudioRow


def require_sandbox(platform: SeriesPlatform) -> None:
    if not platform.config.sandbox:
        raise ReelForgeError(
            ErrorCode.FEATURE_DISABLED,
            "This helper exists only in sandbox mode.",
            remediation=("Register agents with their own wallets (POST /api/v1/agents/register)",),
        )


def _key(secret: str, *parts: object) -> str:
    # sha256 output is below secp256k1's order with overwhelming probability.
    digest = hashlib.sha256(":".join(["series-sandbox", secret, *map(str, parts)]).encode())
    return "0x" + digest.hexdigest()


def sandbox_wallet(platform: SeriesPlatform, user_id: str, number: int) -> tuple[str, str]:
    """(private key, lower-case address) of the human's sandbox wallet ``number``."""
    key = _key(str(platform.extras.get("secret", "")), "payer", user_id, number)
    return key, Account.from_key(key).address.lower()


async def my_agents(platform: SeriesPlatform, principal: Principal) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        rows = (
            await session.scalars(
                select(SeriesAgentRow)
                .where(SeriesAgentRow.owner_user_id == principal.user_id)
                .order_by(SeriesAgentRow.created_at)
            )
        ).all()
        out = []
        for row in rows:
            studios = (
                await session.scalars(
                    select(SeriesStudioRow).where(
                        SeriesStudioRow.agent_id == row.id, SeriesStudioRow.status == "active"
                    )
                )
            ).all()
            view = agents.agent_view(row)
            view["creator_wallet_address"] = row.creator_wallet_address
            view["studios"] = [
                {"id": s.id, "category": s.category, "full_name": s.full_name} for s in studios
            ]
            out.append(view)
    return out


async def claim_for(
    platform: SeriesPlatform, principal: Principal, claim_token: str
) -> dict[str, Any]:
    """The claim flow, done by a signed-in human: the agent becomes theirs to act for."""
    result = await agents.claim(platform, claim_token, principal.name or None)
    async with platform.db.transaction() as session:
        row = await session.get(SeriesAgentRow, result["agent"]["id"])
        assert row is not None
        row.owner_user_id = principal.user_id
    return result


async def create_sandbox_agent(
    platform: SeriesPlatform, principal: Principal, name: str
) -> dict[str, Any]:
    require_sandbox(platform)
    account = Account.create()
    key = "0x" + bytes(account.key).hex().removeprefix("0x")
    address = account.address.lower()
    ts = int(platform.wall_now().timestamp())
    message = agents.registration_message(name, address, ts)
    registered = await agents.register(
        platform,
        name=name,
        wallet_address=address,
        timestamp=ts,
        signature=signing.sign_personal(key, message),
        description="Sandbox agent made in the web studio.",
    )
    await claim_for(platform, principal, registered["claim_token"])
    # The human's creator wallet (80 %), set the way an agent sets it: a signed nonce.
    agent_principal = Principal(
        user_id=await _agent_user(platform, registered["agent"]["id"]),
        role=principal.role,
        api_key_id="",
    )
    _pk, creator = sandbox_wallet(platform, principal.user_id, 0)
    nonce = await wallet.issue_nonce(platform, agent_principal, wallet.SET_CREATOR, creator)
    await wallet.set_creator(
        platform, agent_principal, nonce["message"], signing.sign_personal(key, nonce["message"])
    )
    del key  # a sandbox agent's wallet key is never stored
    agent = (await my_agents(platform, principal))[-1]
    return {"success": True, "agent": agent}


async def _agent_user(platform: SeriesPlatform, agent_id: str) -> str:
    async with platform.db.session() as session:
        row = await session.get(SeriesAgentRow, agent_id)
    assert row is not None
    return row.user_id


def sandbox_payment(
    platform: SeriesPlatform, principal: Principal, accepts: dict[str, Any], number: int
) -> dict[str, Any]:
    """An X-PAYMENT header for ``accepts`` (one entry of a 402 answer), signed by the
    human's sandbox wallet ``number``; refused for anything but our own payTo."""
    require_sandbox(platform)
    if signing.norm(str(accepts.get("payTo", ""))) != platform.config.pay_to:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The sandbox wallet pays only this platform's payTo.",
            detail={"invalid_fields": [{"field": "accepts.payTo", "problem": "not ours"}]},
        )
    network = str(accepts.get("network"))
    if network not in signing.NETWORKS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown x402 network {network!r}.",
            detail={"invalid_fields": [{"field": "accepts.network", "problem": "unknown"}]},
        )
    key, address = sandbox_wallet(platform, principal.user_id, number)
    now = int(platform.wall_now().timestamp())
    auth = {
        "from": address,
        "to": str(accepts["payTo"]),
        "value": str(int(accepts["maxAmountRequired"])),
        "validAfter": str(now - 60),
        "validBefore": str(now + int(accepts.get("maxTimeoutSeconds") or 300)),
        "nonce": "0x" + secrets.token_hex(32),
    }
    chain, asset, token = signing.NETWORKS[network]
    signature = signing.sign_transfer(key, auth, chain_id=chain, asset=asset, name=token)
    header = x402.encode_header(
        {
            "x402Version": x402.VERSION,
            "scheme": x402.SCHEME,
            "network": network,
            "payload": {"signature": signature, "authorization": auth},
        }
    )
    return {"x_payment": header, "payer": address, "wallet_number": number}


async def advance(platform: SeriesPlatform, hours: float) -> dict[str, Any]:
    require_sandbox(platform)
    offset: timedelta = platform.extras.get("clock_offset", timedelta())
    offset += timedelta(hours=hours)
    platform.extras["clock_offset"] = offset
    base = platform.extras.setdefault("base_clock", platform.clock)
    platform.clock = lambda: base() + offset
    await run_all(platform, platform.now())
    return {
        "success": True,
        "now": platform.now().isoformat(),
        "offset_hours": offset / timedelta(hours=1),
    }
