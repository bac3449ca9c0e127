"""Live payouts: the creator's 80 % and the agent's 1 % sent in USDC from the platform's
wallet (payTo, where tips land) over an EVM chain's JSON-RPC, as ERC-20 ``transfer``
transactions (EIP-1559, signed here with eth-account).

Two phases per payout, so a crash never pays twice: (1) ``pending → processing``, the
transaction is signed and its hash written BEFORE it is broadcast; (2) a later run asks
for its receipt: status 1 → ``completed``, 0 → ``failed`` (reverted). A broadcast the
node refuses outright → ``failed`` with its message. Nothing is retried automatically: a
failed payout is for the operator (the money is still in payTo). A processing payout
whose transaction never appears stays processing (its hash tells where to look).

JSON-RPC methods used (the standard Ethereum API): eth_getTransactionCount (pending),
eth_gasPrice, eth_maxPriorityFeePerGas, eth_estimateGas, eth_sendRawTransaction,
eth_getTransactionReceipt. USDC has 6 decimals, so micro-USD are its atomic units.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from eth_account import Account
from eth_utils import to_checksum_address

from reelforge.apps.series import signing

TRANSFER = "a9059cbb"  # keccak("transfer(address,uint256)")[:4]


class PayoutError(Exception):
    """The rail refused a payout (recorded as failed with this message)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    tx_hash: str
    raw: str  # 0x-hex signed transaction (empty for rails without one)


class PayoutRail(Protocol):
    name: str

    async def prepare(self, wallet: str, amount_micros: int) -> Prepared: ...

    async def broadcast(self, prepared: Prepared) -> None: ...

    async def confirm(self, tx_hash: str) -> bool | None:
        """True mined and succeeded, False reverted, None not mined yet."""
        ...

    async def finish_batch(self) -> None: ...


class SandboxRail:
    """Sandbox: a made-up hash, confirmed at once (no chain, no money)."""

    name = "sandbox"

    async def prepare(self, wallet: str, amount_micros: int) -> Prepared:
        return Prepared("0x" + secrets.token_hex(32), "")

    async def broadcast(self, prepared: Prepared) -> None:
        return None

    async def confirm(self, tx_hash: str) -> bool | None:
        return True

    async def finish_batch(self) -> None:
        return None


def transfer_data(to: str, amount: int) -> str:
    return "0x" + TRANSFER + to.lower().removeprefix("0x").rjust(64, "0") + f"{amount:064x}"


class EvmRail:
    name = "evm"

    def __init__(
        self,
        rpc_url: str,
        private_key: str,
        network: str,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.key = private_key
        self.sender = Account.from_key(private_key).address
        self.chain_id, self.token, _name = signing.NETWORKS[network]
        self.client = client or httpx.AsyncClient(timeout=30)
        self._nonce: int | None = None  # next nonce within one batch (one process: a lease)

    async def rpc(self, method: str, *params: Any) -> Any:
        try:
            r = await self.client.post(
                self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            )
            body = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ConnectionError(f"{method}: the RPC node could not be reached: {exc}") from exc
        if body.get("error"):
            raise PayoutError(f"{method}: {body['error'].get('message', body['error'])}")
        return body.get("result")

    async def prepare(self, wallet: str, amount_micros: int) -> Prepared:
        if self._nonce is None:
            self._nonce = int(await self.rpc("eth_getTransactionCount", self.sender, "pending"), 16)
        data = transfer_data(wallet, amount_micros)
        call = {"from": self.sender, "to": self.token, "data": data}
        gas = int(await self.rpc("eth_estimateGas", call), 16)
        price = int(await self.rpc("eth_gasPrice"), 16)
        tip = int(await self.rpc("eth_maxPriorityFeePerGas"), 16)
        tx = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": self._nonce,
            "to": to_checksum_address(self.token),
            "value": 0,
            "data": data,
            "gas": gas * 6 // 5,  # 20 % headroom over the estimate
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": 2 * price + tip,  # room for the base fee to double
            "accessList": [],
        }
        signed = Account.sign_transaction(tx, self.key)
        self._nonce += 1
        return Prepared("0x" + bytes(signed.hash).hex().removeprefix("0x"), _hex(signed))

    async def broadcast(self, prepared: Prepared) -> None:
        await self.rpc("eth_sendRawTransaction", prepared.raw)

    async def confirm(self, tx_hash: str) -> bool | None:
        receipt = await self.rpc("eth_getTransactionReceipt", tx_hash)
        if not receipt:
            return None
        return int(str(receipt.get("status", "0x0")), 16) == 1

    async def finish_batch(self) -> None:
        self._nonce = None  # asked again next run: the chain is the truth


def _hex(signed: Any) -> str:
    raw = getattr(signed, "raw_transaction", None) or signed.rawTransaction
    return "0x" + bytes(raw).hex().removeprefix("0x")
