"""``reelforge artifacts verify FILE``: any file's content credentials, validated here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelforge.cli.output import console, emit_json
from reelforge.domain.errors import ErrorCode, ReelForgeError

_STATE_TEXT = {
    "Trusted": "[green]✓ Trusted[/]: intact, signed by a certificate trusted here",
    "Valid": "[yellow]✓ Valid[/]: intact; the signer is not in this machine's trust list",
    "Invalid": "[red]✗ Invalid[/]: the file or its manifest was changed after signing, or "
    "the signature is broken",
}


def _anchors() -> bytes:
    """The local root CA (and configured anchors) of the deployment on this machine."""
    from reelforge.settings import Settings
    from reelforge.storage.content_credentials.setup import local_anchors

    settings = Settings()
    found = local_anchors(settings.c2pa_dir)
    if settings.c2pa_trust_anchors is not None and settings.c2pa_trust_anchors.exists():
        found += b"\n" + settings.c2pa_trust_anchors.read_bytes()
    return found.strip()


def verify_file(path: Path, *, as_json: bool = False) -> int:
    from reelforge.storage.content_credentials.reading import read_file

    if not path.is_file():
        raise ReelForgeError(
            ErrorCode.FILE_NOT_FOUND, f"No file {str(path)!r}.", detail={"path": str(path)}
        )
    credentials = read_file(path, anchors_pem=_anchors())
    summary: dict[str, Any] = {"file": str(path), **credentials.summary()}
    if as_json:
        emit_json(summary)
    else:
        _print(summary)
    return 1 if credentials.state == "Invalid" else 0


def _print(s: dict[str, Any]) -> None:
    out = console.print
    if s["state"] is None:
        out(f"{s['file']}: no content credentials", highlight=False)
        if s.get("error"):
            out(f"  ({s['error']})", highlight=False)
        return
    out(f"{s['file']}: {_STATE_TEXT.get(s['state'], s['state'])}", highlight=False)
    out(f"  manifest: {'embedded' if s['embedded'] else 'sidecar'}", highlight=False)
    for label, key in (("title", "title"), ("signer", "signer"), ("signed at", "signed_at")):
        if s.get(key):
            out(f"  {label}: {s[key]}", highlight=False)
    if s.get("claim_generator"):
        out(f"  made with: {', '.join(map(str, s['claim_generator']))}", highlight=False)
    for action in s.get("actions") or []:
        source = str(action.get("digitalSourceType") or "").rsplit("/", 1)[-1]
        out(f"  action: {action.get('action')}  {source}", highlight=False)
    gen = s.get("generation") or {}
    if gen:
        what = ", ".join(f"{k}={gen[k]}" for k in ("provider", "model", "mode") if gen.get(k))
        out(f"  generation: {what}", highlight=False)
        if gen.get("sandbox"):
            out("  [yellow]sandbox[/]: made by an emulated provider", highlight=False)
    for ing in s.get("ingredients") or []:
        signed = "with credentials" if ing.get("has_credentials") else "unsigned"
        out(f"  ingredient: {ing.get('title')} ({ing.get('relationship')}, {signed})")
    for failure in s.get("failures") or []:
        out(f"  [red]failure[/]: {failure.get('code')}: {failure.get('explanation')}")
