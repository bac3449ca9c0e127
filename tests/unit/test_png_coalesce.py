"""PNG IDAT coalescing before signing (storage/content_credentials/png.py): lossless, one
IDAT, and the signed result validates."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from reelforge.storage.content_credentials import keys
from reelforge.storage.content_credentials.claims import Claim
from reelforge.storage.content_credentials.png import SIGNATURE, coalesce_idat
from reelforge.storage.content_credentials.reading import read_bytes
from reelforge.storage.content_credentials.sealing import EMBEDDED, Sealer
from reelforge.storage.content_credentials.signers import LibrarySigner, LocalSigner


def _kinds(data: bytes) -> list[bytes]:
    kinds, pos = [], len(SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def _many_idat_png(chunk: int = 512) -> tuple[bytes, np.ndarray]:
    """A PNG written the way ffmpeg writes it: its image data split into small IDATs."""
    pixels = np.random.default_rng(7).integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    data = buf.getvalue()
    out, pos, idat = [SIGNATURE], len(SIGNATURE), b""
    tail = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += body
        elif idat:
            tail.append(data[pos : pos + 12 + length])
        else:
            out.append(data[pos : pos + 12 + length])
        pos += 12 + length
    for i in range(0, len(idat), chunk):
        body = idat[i : i + chunk]
        out.append(struct.pack(">I", len(body)) + b"IDAT" + body)
        out.append(struct.pack(">I", zlib.crc32(b"IDAT" + body)))
    return b"".join(out + tail), pixels


def test_coalescing_keeps_the_pixels_and_leaves_one_idat() -> None:
    data, pixels = _many_idat_png()
    assert _kinds(data).count(b"IDAT") > 50
    joined = coalesce_idat(data)
    assert joined is not None
    assert _kinds(joined).count(b"IDAT") == 1
    assert _kinds(joined)[0] == b"IHDR" and _kinds(joined)[-1] == b"IEND"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(joined))), pixels)


def test_what_is_not_a_fragmented_png_is_left_alone() -> None:
    data, _ = _many_idat_png()
    assert coalesce_idat(b"GIF89a" + data[8:]) is None  # not a PNG
    assert coalesce_idat(data[: len(data) // 2]) is None  # truncated
    one = coalesce_idat(data)
    assert one is not None and coalesce_idat(one) is None  # already one IDAT


def test_a_fragmented_png_signs_and_validates(tmp_path: Path) -> None:
    data, pixels = _many_idat_png()
    material = keys.generate()
    sealer = Sealer(
        LibrarySigner(LocalSigner(material)), version="0.1.0", anchors_pem=material.anchors_pem
    )
    claim = Claim(title="t", provider="fal", model="fal/flux-dev", mode="t2i", sandbox=True)
    src = tmp_path / "in.png"
    src.write_bytes(data)
    sealed = sealer.seal(claim, "image/png", src, tmp_path)
    assert sealed.status == EMBEDDED and sealed.path is not None
    signed = sealed.path.read_bytes()
    creds = read_bytes(signed, "image/png", anchors_pem=material.anchors_pem)
    assert creds.state == "Trusted", creds.failures
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(signed)).convert("RGB")), pixels)
