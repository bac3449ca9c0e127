"""Choosing the signer at start: a remote signer the operator names, else the operator's
PEM chain and key, else the local chain in the data directory (made on first start)."""

from __future__ import annotations

import importlib
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.logs import get_logger, register_secret
from reelforge.storage.content_credentials.keys import (
    ROOT_FILE,
    SigningMaterial,
    ensure_local,
    load_configured,
)
from reelforge.storage.content_credentials.sealing import Sealer
from reelforge.storage.content_credentials.signers import LibrarySigner, LocalSigner, RemoteSigner

log = get_logger("reelforge.content_credentials")


def _guard(material: SigningMaterial) -> None:
    """The key never reaches a log line, whole or by its base64 lines."""
    text = material.key_pem.decode()
    register_secret(text.strip())
    for line in text.splitlines():
        if not line.startswith("-----"):
            register_secret(line)


def load_remote(spec: str) -> RemoteSigner:
    """``package.module:factory``: a callable returning a RemoteSigner."""
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "signer")
        signer = factory()
    except (ImportError, AttributeError, TypeError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The content-credentials signer {spec!r} cannot be loaded.",
            detail={"setting": "REELFORGE_C2PA_SIGNER", "reason": type(exc).__name__},
            remediation=("Name a callable as package.module:factory that returns a signer.",),
        ) from None
    if not isinstance(signer, RemoteSigner):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{spec!r} did not return a signer (alg, certificate_chain, timestamp_url, sign).",
            detail={"setting": "REELFORGE_C2PA_SIGNER"},
        )
    return signer


def open_sealer(
    *,
    folder: Path,
    version: str,
    cert_chain: Path | None = None,
    private_key: Path | None = None,
    remote: str | None = None,
    trust_anchors: Path | None = None,
) -> Sealer:
    anchors = trust_anchors.read_bytes() if trust_anchors is not None else b""
    signer: RemoteSigner
    if remote:
        signer = load_remote(remote)
    elif cert_chain is not None or private_key is not None:
        if cert_chain is None or private_key is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "Content credentials need both a certificate chain and its private key.",
                detail={"settings": ["REELFORGE_C2PA_CERT_CHAIN", "REELFORGE_C2PA_PRIVATE_KEY"]},
            )
        material = load_configured(cert_chain, private_key)
        _guard(material)
        signer = LocalSigner(material)
    else:
        material, made = ensure_local(folder)
        _guard(material)
        if made:
            log.info("content_credentials_key_created", folder=str(folder))
        signer = LocalSigner(material)
    # Files this deployment signed with its local chain (now or before) validate as ours.
    local_root = folder / ROOT_FILE
    if local_root.exists():
        anchors += b"\n" + local_root.read_bytes()
    return Sealer(LibrarySigner(signer), version=version, anchors_pem=anchors.strip())


def local_anchors(folder: Path) -> bytes:
    """The local root CA, for readers outside the server (the CLI)."""
    path = folder / ROOT_FILE
    return path.read_bytes() if path.exists() else b""
