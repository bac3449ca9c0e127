"""Wallet signatures with eth-account: EIP-191 personal messages (registration, signed
requests) and EIP-712 typed data of EIP-3009 ``TransferWithAuthorization`` (x402 tips).

Addresses are kept lower-case inside the platform; checksummed only where shown.
"""

from __future__ import annotations

import re
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
NONCE32 = re.compile(r"^0x[0-9a-fA-F]{64}$")

# x402 v1 network names → chain id, USDC contract, EIP-712 domain name (providers-other §10).
NETWORKS: dict[str, tuple[int, str, str]] = {
    "base": (8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USD Coin"),
    "base-sepolia": (84532, "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "USDC"),
}

TRANSFER_TYPES = {
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
    ]
}


def is_address(value: object) -> bool:
    return isinstance(value, str) and bool(ADDRESS.match(value))


def norm(address: str) -> str:
    return address.lower()


def recover_personal(message: str, signature: str) -> str | None:
    """The lower-case address that signed ``message`` (EIP-191), or None if unreadable."""
    if not isinstance(signature, str) or not SIGNATURE.match(signature):
        return None
    try:
        return norm(Account.recover_message(encode_defunct(text=message), signature=signature))
    except Exception:  # a malformed signature is simply not a valid one
        return None


def sign_personal(private_key: str, message: str) -> str:
    """Used by tests, the bench and the sandbox wallet."""
    signed = Account.sign_message(encode_defunct(text=message), private_key=private_key)
    return "0x" + bytes(signed.signature).hex().removeprefix("0x")


def transfer_typed_data(
    authorization: dict[str, Any], *, chain_id: int, asset: str, name: str, version: str = "2"
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **TRANSFER_TYPES,
        },
        "primaryType": "TransferWithAuthorization",
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": asset,
        },
        "message": {
            "from": authorization["from"],
            "to": authorization["to"],
            "value": int(authorization["value"]),
            "validAfter": int(authorization["validAfter"]),
            "validBefore": int(authorization["validBefore"]),
            "nonce": bytes.fromhex(str(authorization["nonce"])[2:]),
        },
    }


def recover_transfer(
    authorization: dict[str, Any],
    signature: str,
    *,
    chain_id: int,
    asset: str,
    name: str,
    version: str = "2",
) -> str | None:
    if not SIGNATURE.match(signature):
        return None
    try:
        data = transfer_typed_data(
            authorization, chain_id=chain_id, asset=asset, name=name, version=version
        )
        return norm(
            Account.recover_message(encode_typed_data(full_message=data), signature=signature)
        )
    except Exception:
        return None


def sign_transfer(
    private_key: str,
    authorization: dict[str, Any],
    *,
    chain_id: int,
    asset: str,
    name: str,
    version: str = "2",
) -> str:
    data = transfer_typed_data(
        authorization, chain_id=chain_id, asset=asset, name=name, version=version
    )
    signed = Account.sign_message(encode_typed_data(full_message=data), private_key=private_key)
    return "0x" + bytes(signed.signature).hex().removeprefix("0x")
