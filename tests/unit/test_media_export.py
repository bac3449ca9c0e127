"""Social exports: exact frame sizes, H.264 + AAC, moov before mdat (faststart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import export
from reelforge.media.probe import probe
from tests.media_helpers import make_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("ex") / "c.mp4", seconds=0.5, fps=10, size="160x90", audio=False
    )


@pytest.mark.parametrize(
    ("preset", "fit", "size"),
    [
        ("9:16", "crop", (1080, 1920)),
        ("square", "pad", (1080, 1080)),
        ("landscape", "blur", (1920, 1080)),
    ],
)
async def test_presets(
    tmp_path: Path, clip: Path, preset: str, fit: str, size: tuple[int, int]
) -> None:
    out = await export.export(clip, tmp_path / "o.mp4", preset_name=preset, fit=fit, crf=30)
    info = probe(out)
    assert (info.width, info.height) == size
    assert (info.codec, info.audio_codec) == ("h264", "aac")  # silent AAC added
    assert info.duration == pytest.approx(0.5, abs=0.1)
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


async def test_unknown_preset(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        await export.export(clip, tmp_path / "o.mp4", preset_name="4:3")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert "vertical" in err.value.detail["allowed"]
