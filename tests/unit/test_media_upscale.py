"""Upscaling: lanczos always; a Real-ESRGAN-style tool on PATH is detected and used."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import upscale
from reelforge.media.probe import MediaLimits, probe
from reelforge.media.tools import find_upscaler
from tests.media_helpers import frame_count, leftovers, make_image, make_video

# A stand-in for a user-installed realesrgan-ncnn-vulkan: same command line
# (-i IN -o OUT -s SCALE -n MODEL -f FMT, files or folders), resizing with Pillow and
# leaving a note so the test knows it ran.
FAKE_TOOL = """#!{python}
import sys, pathlib
from PIL import Image
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
src, dst, scale = pathlib.Path(args["-i"]), pathlib.Path(args["-o"]), int(args["-s"])
pathlib.Path({note!r}).write_text(args["-n"])
pairs = [(p, dst / (p.stem + ".png")) for p in sorted(src.iterdir())] if src.is_dir() else [(src, dst)]
for a, b in pairs:
    img = Image.open(a)
    img.resize((img.width * scale, img.height * scale), Image.BICUBIC).save(b, format="PNG")
"""


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "realesrgan-ncnn-vulkan"
    tool.write_text(FAKE_TOOL.format(python=sys.executable, note=str(tmp_path / "tool-ran.txt")))
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return folder


async def test_lanczos_image_and_video(tmp_path: Path) -> None:
    image = await upscale.upscale(
        make_image(tmp_path / "i.png", 40, 30), tmp_path / "o.png", scale=4, engine="lanczos"
    )
    assert (probe(image).width, probe(image).height) == (160, 120)
    clip = make_video(tmp_path / "c.mp4", seconds=1.0, size="80x60")
    out = await upscale.upscale(clip, tmp_path / "o.mp4", scale=2, engine="lanczos")
    info = probe(out)
    assert (info.width, info.height, info.has_audio) == (160, 120, True)
    assert frame_count(out) == frame_count(clip)


async def test_detects_and_uses_installed_tool(tmp_path: Path, tool_dir: Path) -> None:
    assert find_upscaler(str(tool_dir)) == tool_dir / "realesrgan-ncnn-vulkan"
    assert find_upscaler(str(tmp_path / "empty")) is None
    image = make_image(tmp_path / "i.png", 40, 30)
    out = await upscale.upscale(image, tmp_path / "o.png", scale=4, tool_path=str(tool_dir))
    assert (probe(out).width, probe(out).height) == (160, 120)
    assert (tmp_path / "tool-ran.txt").read_text() == "realesrgan-x4plus"


async def test_tool_upscales_video_frame_by_frame(tmp_path: Path, tool_dir: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5, size="48x32", fps=10)
    out = await upscale.upscale(clip, tmp_path / "o.mp4", scale=2, tool_path=str(tool_dir))
    info = probe(out)
    assert (info.width, info.height, info.fps, info.has_audio) == (96, 64, 10.0, True)
    assert frame_count(out) == frame_count(clip)
    assert (tmp_path / "tool-ran.txt").read_text() == "realesr-animevideov3"
    assert leftovers(tmp_path) == []  # the frame folders are gone


async def test_realesrgan_requested_but_missing(tmp_path: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        await upscale.upscale(
            make_image(tmp_path / "i.png"),
            tmp_path / "o.png",
            engine="realesrgan",
            tool_path=str(tmp_path),
        )
    assert err.value.code is ErrorCode.DEPENDENCY_MISSING
    assert not (tmp_path / "o.png").exists()


async def test_upscale_beyond_limits_is_refused(tmp_path: Path) -> None:
    image = make_image(tmp_path / "i.png", 300, 200)
    with pytest.raises(ReelForgeError) as err:
        await upscale.upscale(
            image, tmp_path / "o.png", scale=4, limits=MediaLimits(image_max_side=1000)
        )
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert err.value.detail["width"] == 1200


async def test_failing_tool_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "realesrgan-ncnn-vulkan"
    tool.write_text("#!/bin/sh\necho 'vkCreateInstance failed' >&2\nexit 3\n")
    os.chmod(tool, 0o755)
    with pytest.raises(ReelForgeError) as err:
        await upscale.upscale(
            make_image(tmp_path / "i.png"), tmp_path / "o.png", tool_path=str(folder)
        )
    assert err.value.code is ErrorCode.INTERNAL_ERROR
    assert "vkCreateInstance" in err.value.message
    assert not (tmp_path / "o.png").exists()
    assert leftovers(tmp_path) == []
