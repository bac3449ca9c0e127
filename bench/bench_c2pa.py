"""Content credentials (issue 24): what signing costs per artifact, next to the local work
that made it. ``python -m bench.run c2pa`` prints the JSON.

Two artifacts, made here: a 1920×1080 PNG (Pillow, a gradient with noise so it compresses
like a picture) and 10 s of 1080p30 H.264 + AAC (ffmpeg). For each:
- ``local_s``: the generation's own local processing (the local engine's cinematic grade);
- ``sign_s``: the c2pa library signing the file (manifest built, parent read as an
  ingredient, file rewritten with the manifest embedded);
- ``store_overhead_s``: what the signing blob writer adds over a plain one when storing
  the file (signing + hashing the signed file), the figure a step really pays;
- both as a percentage of ``local_s`` (goal: under 5 %, and under 150 ms for the PNG).

Medians of interleaved runs (the machine is shared); CPU seconds beside wall times.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.bench_media import make_clip
from reelforge.media import grade
from reelforge.storage.blobs import CHUNK, FileBlobStore
from reelforge.storage.content_credentials import keys
from reelforge.storage.content_credentials.claims import Claim, Ingredient
from reelforge.storage.content_credentials.sealing import Sealer
from reelforge.storage.content_credentials.signers import LibrarySigner, LocalSigner
from reelforge.storage.content_credentials.writer import SealingWriter

RUNS = 5
LOOK = {"look": "cinematic", "strength": 1.0, "grain": 0.25}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    cpu0, wall0 = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - wall0, _cpu() - cpu0


def make_png(path: Path) -> Path:
    rng = np.random.default_rng(7)
    x = np.linspace(0, 255, 1920, dtype=np.float32)
    y = np.linspace(0, 255, 1080, dtype=np.float32)[:, None]
    base = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    noise = rng.normal(0, 12, size=base.shape)
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path, "PNG")
    return path


def _store(store: FileBlobStore, src: Path, writer: Any) -> None:
    async def go() -> None:
        with src.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                writer.write(chunk)
        info = await writer.commit()
        await store.delete(info.sha256)  # the next run stores it anew

    asyncio.run(go())


def _case(
    sealer: Sealer, src: Path, graded: Path, content_type: str, claim: Claim, work: Path
) -> dict[str, Any]:
    store = FileBlobStore(work / "blobs")
    local, sign, plain, sealed = [], [], [], []
    for _ in range(RUNS):  # interleaved: every measure sees the same machine load
        local.append(_timed(lambda: asyncio.run(grade.film_look(src, graded, **LOOK))))  # type: ignore[arg-type]
        result: list[Any] = []
        sign.append(
            _timed(lambda out=result: out.append(sealer.seal(claim, content_type, graded, work)))
        )
        if result[0].path is not None:
            result[0].path.unlink()
        plain.append(_timed(lambda: _store(store, graded, store.writer())))
        sealed.append(
            _timed(
                lambda: _store(store, graded, SealingWriter(store, store.tmp_dir, sealer, claim))
            )
        )

    def med(xs: list[tuple[float, float]], i: int = 0) -> float:
        return statistics.median(x[i] for x in xs)

    local_s, sign_s = med(local), med(sign)
    overhead = max(0.0, med(sealed) - med(plain))
    return {
        "bytes": graded.stat().st_size,
        "local_s": round(local_s, 4),
        "local_cpu_s": round(med(local, 1), 4),
        "sign_s": round(sign_s, 4),
        "sign_cpu_s": round(med(sign, 1), 4),
        "sign_ms": round(sign_s * 1000, 1),
        "store_plain_s": round(med(plain), 4),
        "store_signed_s": round(med(sealed), 4),
        "store_overhead_s": round(overhead, 4),
        "sign_pct_of_local": round(100 * sign_s / local_s, 2),
        "store_overhead_pct_of_local": round(100 * overhead / local_s, 2),
        "runs": RUNS,
    }


def run() -> dict[str, Any]:
    material = keys.generate()
    sealer = Sealer(
        LibrarySigner(LocalSigner(material)), version="bench", anchors_pem=material.anchors_pem
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        png = make_png(work / "in.png")
        clip = make_clip(work)

        def edit(parent: Path, ctype: str) -> Claim:
            # A local edit of generated media: its parent is read as an ingredient.
            return Claim(
                title="graded",
                provider="local",
                model="local/grade",
                mode="edit",
                ingredients=(Ingredient(parent, ctype, "parent", "art_parent"),),
            )

        return {
            "png_1080p": _case(
                sealer, png, work / "graded.png", "image/png", edit(png, "image/png"), work
            ),
            "mp4_10s_1080p": _case(
                sealer, clip, work / "graded.mp4", "video/mp4", edit(clip, "video/mp4"), work
            ),
            "goal": "sign under 5 % of local processing; PNG under 150 ms",
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
