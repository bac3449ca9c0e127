"""Signing a file with the c2pa library: the manifest embedded where the format allows,
else kept beside the file as a sidecar ``.c2pa`` manifest store. Synchronous: callers run
it in a worker thread (it reads and writes the whole file)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from reelforge.logs import get_logger
from reelforge.storage.content_credentials.claims import Claim, definition, ingredient_definition
from reelforge.storage.content_credentials.png import MAX_BYTES, coalesce_idat
from reelforge.storage.content_credentials.signers import LibrarySigner

log = get_logger("reelforge.content_credentials")

EMBEDDED = "embedded"
SIDECAR = "sidecar"
FAILED = "failed"


@dataclass
class Sealed:
    """The outcome: the signed content (``data`` in memory or ``path`` on disk) when the
    manifest is embedded; the manifest store bytes either way (the sidecar's content)."""

    status: str
    manifest: bytes = b""
    data: bytes | None = None
    path: Path | None = field(default=None)
    error: str | None = None


def library_settings(anchors_pem: bytes = b"") -> dict[str, Any]:
    """One context for signing and reading: no thumbnails (they would decode every image
    and cost more than the signature), no re-reading of what was just signed, and our own
    root CA trusted besides the library's list."""
    settings: dict[str, Any] = {
        "builder": {"thumbnail": {"enabled": False}},
        "verify": {"verify_after_sign": False},
    }
    if anchors_pem:
        settings["trust"] = {"user_anchors": anchors_pem.decode()}
    return settings


class Sealer:
    def __init__(self, signer: LibrarySigner, *, version: str, anchors_pem: bytes = b"") -> None:
        self.signer = signer
        self.version = version
        self.anchors_pem = anchors_pem
        self.context = c2pa.Context.from_dict(library_settings(anchors_pem))

    def _builder(self, claim: Claim, stack: contextlib.ExitStack) -> Any:
        builder = c2pa.Builder(definition(claim, self.version), context=self.context)
        for index, ingredient in enumerate(claim.ingredients):
            fh = stack.enter_context(ingredient.path.open("rb"))
            builder.add_ingredient(ingredient_definition(claim, index), ingredient.content_type, fh)
        return builder

    def _sign(self, builder: Any, content_type: str, source: Any, dest: Any) -> bytes:
        with self.signer.lock:
            manifest: bytes = builder.sign(self.signer.native, content_type, source, dest)
        return manifest

    def seal(self, claim: Claim, content_type: str, source: bytes | Path, tmp_dir: Path) -> Sealed:
        """Sign ``source``; never raises for the media's sake (a file that cannot carry
        credentials is stored as it is, with the reason)."""
        try:
            return self._embed(claim, content_type, source, tmp_dir)
        except c2pa.C2paError as exc:
            embed_error = str(exc)
        try:
            return self._sidecar(claim, content_type, source, embed_error)
        except c2pa.C2paError as exc:
            log.warning("content_credentials_failed", content_type=content_type, error=str(exc))
            return Sealed(FAILED, error=f"{embed_error}; sidecar: {exc}")

    def _embed(self, claim: Claim, content_type: str, source: bytes | Path, tmp: Path) -> Sealed:
        # What the library reads: for PNG, the same image with one IDAT chunk (png.py).
        readable = _coalesced_png(source) if content_type == "image/png" else source
        with contextlib.ExitStack() as stack:
            builder = self._builder(claim, stack)
            src = (
                io.BytesIO(readable)
                if isinstance(readable, bytes)
                else stack.enter_context(readable.open("rb"))
            )
            if isinstance(source, bytes):
                out = io.BytesIO()
                manifest = self._sign(builder, content_type, src, out)
                return Sealed(EMBEDDED, manifest, data=out.getvalue())
            tmp.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="signed-", dir=tmp)
            try:
                with os.fdopen(fd, "w+b") as dest:
                    manifest = self._sign(builder, content_type, src, dest)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)
                raise
            return Sealed(EMBEDDED, manifest, path=Path(name))

    def _sidecar(self, claim: Claim, content_type: str, source: bytes | Path, why: str) -> Sealed:
        with contextlib.ExitStack() as stack:
            builder = self._builder(claim, stack)
            builder.set_no_embed()
            src = (
                io.BytesIO(source)
                if isinstance(source, bytes)
                else stack.enter_context(source.open("rb"))
            )
            manifest = self._sign(builder, content_type, src, _Discard())
        return Sealed(SIDECAR, manifest, error=why)


class _Discard(io.RawIOBase):
    """A destination that keeps nothing: with no embedding, the library still copies the
    asset through, and a sidecar only needs the manifest it returns."""

    def __init__(self) -> None:
        self._pos = 0
        self._end = 0

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = len(b)
        self._pos += n
        self._end = max(self._end, self._pos)
        return n

    def readinto(self, b: Any) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._end}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos


def _coalesced_png(source: bytes | Path) -> bytes | Path:
    """The PNG with one IDAT chunk when that makes signing cheaper (png.py), else as given."""
    if isinstance(source, Path):
        if source.stat().st_size > MAX_BYTES:
            return source
        data = source.read_bytes()
        joined = coalesce_idat(data)
        return joined if joined is not None else source
    joined = coalesce_idat(source)
    return joined if joined is not None else source
