"""Reading any file's content credentials (ours or anyone's) and how they validate.

States, as the c2pa library names them: ``Trusted`` (valid, and signed by a certificate
we trust: ours or the library's list), ``Valid`` (intact, signer not in our trust list),
``Invalid`` (tampered, or a broken signature); ``None`` when the file has no manifest."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from reelforge.domain.media import sniff_content_type
from reelforge.storage.content_credentials.claims import ASSERTION
from reelforge.storage.content_credentials.sealing import library_settings

_contexts: dict[bytes, Any] = {}


def _context(anchors_pem: bytes) -> Any:
    if anchors_pem not in _contexts:
        _contexts[anchors_pem] = c2pa.Context.from_dict(library_settings(anchors_pem))
    return _contexts[anchors_pem]


@dataclass
class Credentials:
    state: str | None  # Trusted | Valid | Invalid | None (no manifest)
    embedded: bool = False
    active: dict[str, Any] | None = None
    manifests: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.state in ("Trusted", "Valid")

    def summary(self) -> dict[str, Any]:
        """The parts a person asks about: who signed, what made it, from what."""
        active = self.active or {}
        assertions = {a.get("label"): a.get("data") for a in active.get("assertions", [])}
        actions = (assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}).get(
            "actions", []
        )
        return {
            "state": self.state,
            "embedded": self.embedded,
            "title": active.get("title"),
            "claim_generator": [g.get("name") for g in active.get("claim_generator_info", [])],
            "signer": (active.get("signature_info") or {}).get("common_name")
            or (active.get("signature_info") or {}).get("issuer"),
            "signed_at": (active.get("signature_info") or {}).get("time"),
            "actions": [
                {k: a.get(k) for k in ("action", "digitalSourceType", "description") if a.get(k)}
                for a in actions
            ],
            "generation": assertions.get(ASSERTION),
            "ingredients": [
                {
                    "title": i.get("title"),
                    "relationship": i.get("relationship"),
                    "has_credentials": bool(i.get("active_manifest")),
                }
                for i in active.get("ingredients", [])
            ],
            "failures": self.failures,
            "error": self.error,
        }


def _failures(results: dict[str, Any] | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for part in ("activeManifest", "ingredientDeltas"):
        value = (results or {}).get(part)
        items = value if isinstance(value, list) else [value] if value else []
        for item in items:
            failure = item.get("failure") if isinstance(item, dict) else None
            if failure is None and isinstance(item, dict):
                failure = (item.get("validationDeltas") or {}).get("failure")
            found.extend(
                {"code": f.get("code"), "explanation": f.get("explanation")} for f in failure or []
            )
    return found


def read_stream(
    stream: Any,
    content_type: str | None,
    *,
    sidecar: bytes | None = None,
    anchors_pem: bytes = b"",
) -> Credentials:
    """The credentials in ``stream`` (or in ``sidecar`` for it); never raises for a file
    that merely has none or that the library does not know."""
    try:
        reader = c2pa.Reader.try_create(
            content_type or "", stream, sidecar, context=_context(anchors_pem)
        )
    except c2pa.C2paError as exc:
        return Credentials(state="Invalid" if sidecar else None, error=str(exc))
    if reader is None:
        return Credentials(state=None)
    with reader:
        store = reader.json()
        data = json.loads(store)
        active_label = data.get("active_manifest")
        manifests = data.get("manifests") or {}
        return Credentials(
            state=reader.get_validation_state(),
            embedded=reader.is_embedded(),
            active=manifests.get(active_label) if active_label else None,
            manifests=manifests,
            failures=_failures(reader.get_validation_results()),
        )


def read_file(path: Path, *, sidecar: Path | None = None, anchors_pem: bytes = b"") -> Credentials:
    """A file on disk; a sidecar ``<file>.c2pa`` beside it is used when it has one."""
    side = sidecar if sidecar is not None else path.with_name(path.name + ".c2pa")
    manifest = side.read_bytes() if side.exists() else None
    with path.open("rb") as fh:
        head = fh.read(64)
        fh.seek(0)
        return read_stream(fh, sniff_content_type(head), sidecar=manifest, anchors_pem=anchors_pem)


def read_bytes(data: bytes, content_type: str | None, **kwargs: Any) -> Credentials:
    return read_stream(io.BytesIO(data), content_type, **kwargs)
