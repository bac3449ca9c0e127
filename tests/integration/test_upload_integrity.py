"""Uploads are decoded before they are stored: truncated media is refused, nothing kept."""

from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path

import av
import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from reelforge.container import Container
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.storage.artifact_tables import ArtifactRow


def _png() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (64, 48), random.Random(1).randbytes(64 * 48 * 3)).save(buf, "PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (64, 48), random.Random(2).randbytes(64 * 48 * 3)).save(buf, "JPEG")
    return buf.getvalue()


def _faststart_mp4() -> bytes:
    """An MP4 with its index first (as web exports are): only a decode finds it cut short."""
    source = av.open(io.BytesIO(render_video("a street", 2, duration=2.0)))
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "faststart.mp4"  # faststart rewrites the file: a real one
    out = av.open(str(path), "w", format="mp4", options={"movflags": "faststart"})
    stream = source.streams.video[0]
    copy = out.add_stream_from_template(stream)
    for packet in source.demux(stream):
        if packet.dts is None:
            continue
        packet.stream = copy
        out.mux(packet)
    out.close()
    source.close()
    with folder:
        data = path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # the index comes first
    return data


MEDIA = {
    "png": (_png, "image/png"),
    "jpeg": (_jpeg, "image/jpeg"),
    "mp4": (lambda: render_video("a street", 2, duration=2.0), "video/mp4"),
    "mp4-faststart": (_faststart_mp4, "video/mp4"),
    "wav": (lambda: render_audio("hello there", duration=1.5), "audio/wav"),
}


async def _artifacts(container: Container) -> int:
    async with container.db.session() as session:
        return int((await session.execute(select(func.count(ArtifactRow.id)))).scalar_one())


def _blobs(container: Container) -> list[str]:
    root = container.settings.home / "artifacts"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_whole_media_is_accepted_and_truncated_refused(
    kind: str, client: httpx.AsyncClient, container: Container
) -> None:
    make, content_type = MEDIA[kind]
    data = make()
    whole = await client.post("/v1/uploads", files={"file": (f"ok.{kind}", data, content_type)})
    assert whole.status_code == 201, whole.text
    before = (await _artifacts(container), _blobs(container))
    cut = data[: int(len(data) * 0.7)]
    response = await client.post("/v1/uploads", files={"file": (f"cut.{kind}", cut, content_type)})
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "UNSUPPORTED_MEDIA"
    assert "truncated" in error["message"] or "damaged" in error["message"]
    assert error["detail"]["file"] == f"cut.{kind}"
    assert "/" not in str(error["detail"].get("reason", ""))  # no server paths
    assert (await _artifacts(container), _blobs(container)) == before  # nothing kept
