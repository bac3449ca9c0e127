"""The series' live money paths against emulators on 127.0.0.1: payouts as USDC transfers
through an EVM JSON-RPC node (signed, hash recorded, broadcast, confirmed by receipt;
refusals and reverts recorded as failed), and Coinbase's x402 facilitator with its CDP
JWT per request."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelforge.apps.series import signing, wallet, x402
from reelforge.apps.series.cdp import CdpFacilitator, cdp_jwt
from reelforge.apps.series.payouts import EvmRail
from reelforge.apps.series.wiring import platform_of
from reelforge.container import Container
from tests.helpers import serve_asgi
from tests.integration.test_series_tips import pay, requirements, voting_production
from tests.series_chain import Chain
from tests.series_helpers import Wallet, payment_header


async def _set_creator(client: httpx.AsyncClient, agent: dict[str, Any], address: str) -> None:
    h = agent["headers"]
    n = (
        await client.get(
            "/api/v1/wallet/nonce",
            params={"operation": "set_creator_wallet", "creatorWalletAddress": address},
            headers=h,
        )
    ).json()
    r = await client.post(
        "/api/v1/wallet/creator",
        json={"message": n["message"], "signature": agent["wallet"].sign(n["message"])},
        headers=h,
    )
    assert r.status_code == 200, r.text


async def test_live_payouts_over_an_evm_node(
    client: httpx.AsyncClient, container: Container
) -> None:
    platform = platform_of(container)
    treasury = Wallet()  # payTo: tips land here and the shares are paid from it
    platform.config.pay_to = treasury.address
    agent = await voting_production(client, container)
    creator = Wallet()
    await _set_creator(client, agent, creator.address)
    for variant in ("clp_0", "clp_1"):
        acc = await requirements(client, variant, cents=50)
        r = await pay(client, variant, payment_header(Wallet(), acc), cents=50)
        assert r.status_code == 200, r.text
    chain_id, token, _ = signing.NETWORKS[platform.config.network]
    chain = Chain(chain_id=chain_id, token=token, balances={treasury.address: 1_000_000})
    with serve_asgi(chain.app()) as url:
        rail = EvmRail(url, treasury.key, platform.config.network)
        platform.extras["payout_rail"] = rail
        try:
            sent = await wallet.process_payouts(platform, platform.now())
        finally:
            platform.extras.pop("payout_rail")
    history = (await client.get("/api/v1/wallet/payouts", headers=agent["headers"])).json()
    mine = [p for p in history if p["recipient_type"] != "platform"]
    assert sent == 4 and {p["status"] for p in mine} == {"completed"}, mine
    # Exactly the split arrived: 80 % of 2 × 50 ¢ to the creator, 1 % to the agent.
    assert chain.balances[creator.address] == 800_000
    assert chain.balances[agent["wallet"].address] == 10_000
    assert chain.balances[treasury.address] == 1_000_000 - 810_000
    assert {p["tx_hash"] for p in mine} == set(chain.receipts)
    assert chain.nonces[treasury.address] == 4


async def test_refused_and_reverted_payouts_are_failed_never_retried(
    client: httpx.AsyncClient, container: Container
) -> None:
    platform = platform_of(container)
    treasury = Wallet()
    platform.config.pay_to = treasury.address
    agent = await voting_production(client, container)
    acc = await requirements(client, "clp_0", cents=50)
    assert (await pay(client, "clp_0", payment_header(Wallet(), acc), cents=50)).status_code == 200
    chain_id, token, _ = signing.NETWORKS[platform.config.network]
    # No balance: the agent's 1 % transfer reverts on chain.
    chain = Chain(chain_id=chain_id, token=token)
    with serve_asgi(chain.app()) as url:
        platform.extras["payout_rail"] = EvmRail(url, treasury.key, platform.config.network)
        try:
            await wallet.process_payouts(platform, platform.now())
            history = (await client.get("/api/v1/wallet/payouts", headers=agent["headers"])).json()
            share = next(p for p in history if p["recipient_type"] == "agent")
            assert share["status"] == "failed" and share["tx_hash"] in chain.receipts
            # A node that refuses the transaction: failed with its message, nothing sent.
            creator = Wallet()
            await _set_creator(client, agent, creator.address)
            chain.refuse = "insufficient funds for gas * price + value"
            await wallet.process_payouts(platform, platform.now())
            again = await wallet.process_payouts(platform, platform.now())
        finally:
            platform.extras.pop("payout_rail")
    assert again == 0
    rows = (await client.get("/api/v1/wallet/payouts", headers=agent["headers"])).json()
    creator_row = next(p for p in rows if p["recipient_type"] == "creator")
    assert creator_row["status"] == "failed"
    assert chain.calls.count("eth_sendRawTransaction") == 2  # one revert, one refusal


def _ec_key() -> tuple[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def test_cdp_jwt_claims_for_ec_and_ed25519_keys() -> None:
    pem, public = _ec_key()
    url = "https://api.cdp.coinbase.com/platform/v2/x402/verify"
    token = cdp_jwt("key-1", pem, "post", url, now=int(time.time()))
    claims = jwt.decode(token, public, algorithms=["ES256"], options={"verify_aud": False})
    head = jwt.get_unverified_header(token)
    assert head["kid"] == "key-1" and head["typ"] == "JWT" and len(head["nonce"]) == 16
    assert claims["iss"] == "cdp" and claims["sub"] == "key-1"
    assert claims["exp"] - claims["nbf"] == 120
    assert claims["uris"] == ["POST api.cdp.coinbase.com/platform/v2/x402/verify"]
    ed = ed25519.Ed25519PrivateKey.generate()
    raw = ed.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pub = ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    secret = base64.b64encode(raw + pub).decode()
    token = cdp_jwt("key-2", secret, "POST", url)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    jwt.decode(token, ed.public_key(), algorithms=["EdDSA"], options={"verify_aud": False})


async def test_coinbase_facilitator_with_cdp_jwt(
    client: httpx.AsyncClient, container: Container
) -> None:
    pem, public = _ec_key()
    seen: list[str] = []

    def authorized(request: Request) -> bool:
        try:
            token = request.headers["authorization"].removeprefix("Bearer ")
            claims = jwt.decode(token, public, algorithms=["ES256"], options={"verify_aud": False})
        except (KeyError, jwt.PyJWTError):
            return False
        want = f"POST {request.url.netloc}{request.url.path}"
        return bool(
            claims["uris"] == [want] and "source=x402" in request.headers["correlation-context"]
        )

    async def verify(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"errorMessage": "unauthorized"}, status_code=401)
        body = await request.json()
        req = body["paymentRequirements"]
        requirement = x402.Requirements(
            network=req["network"],
            amount_atomic=int(req["maxAmountRequired"]),
            pay_to=req["payTo"],
            resource=req["resource"],
            description=req["description"],
        )
        try:
            p = x402.verify(body["paymentPayload"], requirement, int(time.time()))
        except x402.PaymentRefused as refused:
            return JSONResponse({"isValid": False, "invalidReason": refused.reason})
        return JSONResponse({"isValid": True, "payer": p.payer})

    async def settle(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"errorMessage": "unauthorized"}, status_code=401)
        seen.append(request.url.path)
        return JSONResponse(
            {"success": True, "transaction": "0x" + "ab" * 32, "network": "base-sepolia"}
        )

    app = Starlette(
        routes=[
            Route("/platform/v2/x402/verify", verify, methods=["POST"]),
            Route("/platform/v2/x402/settle", settle, methods=["POST"]),
        ]
    )
    platform = platform_of(container)
    local = platform.facilitator
    try:
        await voting_production(client, container)
        with serve_asgi(app) as base:
            platform.facilitator = CdpFacilitator("key-1", pem, url=f"{base}/platform/v2/x402")
            acc = await requirements(client, "clp_0")
            r = await pay(client, "clp_0", payment_header(Wallet(), acc))
            assert r.status_code == 200, r.text
            assert r.json()["transaction"] == "0x" + "ab" * 32
            assert seen == ["/platform/v2/x402/settle"]
            # A wrong signer is refused by the facilitator's own verification.
            r = await pay(client, "clp_1", payment_header(Wallet(), acc, signer=Wallet()))
            assert (
                r.status_code == 402 and r.json()["error"] == "invalid_exact_evm_payload_signature"
            )
            # Credentials it does not accept: refused, and nothing recorded.
            other, _ = _ec_key()
            platform.facilitator = CdpFacilitator("key-1", other, url=f"{base}/platform/v2/x402")
            r = await pay(client, "clp_2", payment_header(Wallet(), acc))
            assert r.status_code == 402 and "credentials" in r.json()["message"]
    finally:
        platform.facilitator = local
    votes = (await client.get("/api/v1/voting/series/ser_t/clips")).json()
    assert [v["vote_count"] for v in votes] == [1, 0, 0, 0]
