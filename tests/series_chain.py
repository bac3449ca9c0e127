"""An EVM chain emulator for the series' live payouts: the JSON-RPC methods the payout
rail uses, one USDC-like token (6 decimals) with balances, EIP-1559 raw transactions
decoded and their signer recovered; a transaction is mined when sent (receipt status 1,
or 0 when the transfer exceeds the balance: a revert). Served on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_account import Account
from eth_utils import keccak
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Chain:
    chain_id: int
    token: str
    balances: dict[str, int] = field(default_factory=dict)  # lower-case address → units
    nonces: dict[str, int] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: str | None = None  # eth_sendRawTransaction answers this error when set
    calls: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.json()
        method, params = body["method"], body.get("params", [])
        self.calls.append(method)
        try:
            result = getattr(self, "m_" + method)(*params)
        except ValueError as exc:
            return JSONResponse(
                {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": str(exc)}}
            )
        return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "result": result})

    def m_eth_getTransactionCount(self, address: str, _tag: str) -> str:
        return hex(self.nonces.get(address.lower(), 0))

    def m_eth_gasPrice(self) -> str:
        return hex(10_000_000)

    def m_eth_maxPriorityFeePerGas(self) -> str:
        return hex(1_000_000)

    def m_eth_estimateGas(self, call: dict[str, Any]) -> str:
        assert call["to"].lower() == self.token.lower()
        return hex(50_000)

    def m_eth_sendRawTransaction(self, raw: str) -> str:
        if self.refuse:
            raise ValueError(self.refuse)
        data = bytes.fromhex(raw[2:])
        assert data[0] == 2, "EIP-1559 transactions only"
        fields = rlp.decode(data[1:])
        chain_id, nonce = int.from_bytes(fields[0], "big"), int.from_bytes(fields[1], "big")
        to, calldata = "0x" + fields[5].hex(), fields[7]
        sender = Account.recover_transaction(raw).lower()
        if chain_id != self.chain_id:
            raise ValueError("invalid chain id")
        if nonce != self.nonces.get(sender, 0):
            raise ValueError(f"nonce too low/high: got {nonce}")
        if to.lower() != self.token.lower() or calldata[:4].hex() != "a9059cbb":
            raise ValueError("only token transfers")
        recipient = "0x" + calldata[4:36].hex()[-40:]
        amount = int.from_bytes(calldata[36:68], "big")
        self.nonces[sender] = nonce + 1
        tx_hash = "0x" + keccak(data).hex()
        ok = self.balances.get(sender, 0) >= amount
        if ok:
            self.balances[sender] -= amount
            self.balances[recipient] = self.balances.get(recipient, 0) + amount
        self.receipts[tx_hash] = {"transactionHash": tx_hash, "status": "0x1" if ok else "0x0"}
        return tx_hash

    def m_eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        return self.receipts.get(tx_hash)
