"""Looks: grade, grain, tone mapping, sharpening change pixels the way they should."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import grade, looks
from reelforge.media.filtering import filter_graph
from reelforge.media.probe import probe
from tests.media_helpers import all_frames, frame_count, leftovers, make_image, make_video


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(float)


async def test_warm_and_cool_shift_colour_balance(tmp_path: Path) -> None:
    src = make_image(tmp_path / "g.png", 64, 48, "0x808080")
    warm = _rgb(await grade.grade(src, tmp_path / "w.png", look="warm"))
    cool = _rgb(await grade.grade(src, tmp_path / "c.png", look="cool"))
    assert warm[..., 0].mean() - warm[..., 2].mean() > 8  # red over blue
    assert cool[..., 2].mean() - cool[..., 0].mean() > 8
    none = _rgb(await grade.grade(src, tmp_path / "n.png", look="warm", strength=0.0))
    assert abs(none[..., 0].mean() - none[..., 2].mean()) < 2
    assert leftovers(tmp_path) == []


async def test_cinematic_raises_contrast(tmp_path: Path) -> None:
    src = make_video(tmp_path / "c.mp4", seconds=1.0, audio=False)
    out = await grade.grade(src, tmp_path / "o.mp4", look="cinematic")
    before, after = all_frames(src)[5].astype(float), all_frames(out)[5].astype(float)
    assert after.mean(axis=2).std() > before.mean(axis=2).std()


async def test_grain_adds_changing_luma_noise(tmp_path: Path) -> None:
    flat = make_video(
        tmp_path / "flat.mp4", seconds=0.5, audio=False, extra=("-vf", "geq=lum=128:cb=128:cr=128")
    )
    out = await grade.film_grain(flat, tmp_path / "g.mp4", amount=0.5, size=1.0)
    frames = [f.astype(float) for f in all_frames(out)]
    assert frames[3].std() > 3
    assert np.abs(frames[3] - frames[4]).mean() > 1  # different grain every frame
    coarse = await grade.film_grain(flat, tmp_path / "k.mp4", amount=0.5, size=3.0)
    fine_f, coarse_f = frames[3][..., 0], all_frames(coarse)[3].astype(float)[..., 0]

    # Coarse grain is correlated between neighbouring pixels; fine grain is not.
    def neighbour_corr(a: np.ndarray) -> float:
        return float(np.corrcoef(a[:, :-1].ravel(), a[:, 1:].ravel())[0, 1])

    assert neighbour_corr(coarse_f) > neighbour_corr(fine_f) + 0.2


async def test_tonemap_rolls_off_highlights(tmp_path: Path) -> None:
    ramp = tmp_path / "ramp.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (16, 1))).convert("RGB").save(
        ramp
    )
    out = _rgb(await grade.tonemap(ramp, tmp_path / "t.png", exposure=2.0, white=2.0))[..., 1]
    src = _rgb(ramp)[..., 1]
    # Monotonic, lifts mid-tones with exposure, and compresses the top end.
    assert np.all(np.diff(out[8, 20:235]) >= -1)
    assert out[8, 128] > src[8, 128]
    assert (out[8, 250] - out[8, 200]) < (src[8, 250] - src[8, 200])


async def test_sharpen_increases_edge_contrast(tmp_path: Path) -> None:
    src = make_video(tmp_path / "c.mp4", seconds=0.2, audio=False, size="160x120")
    img = tmp_path / "soft.png"
    Image.fromarray(all_frames(src)[0]).resize((80, 60)).resize((160, 120)).save(img)
    out = _rgb(await grade.sharpen(img, tmp_path / "s.png", amount=1.5))
    base = _rgb(img)
    assert np.abs(np.diff(out, axis=1)).mean() > np.abs(np.diff(base, axis=1)).mean() * 1.1


async def test_film_look_keeps_timing_and_audio(tmp_path: Path) -> None:
    src = make_video(tmp_path / "c.mp4", seconds=2.0, fps=24)
    seen: list[float] = []
    out = await grade.film_look(
        src,
        tmp_path / "o.mp4",
        look="warm",
        grain=0.3,
        tonemap=True,
        sharpen=0.5,
        on_progress=seen.append,
    )
    a, b = probe(src), probe(out)
    assert (b.width, b.height, b.fps, b.has_audio) == (a.width, a.height, a.fps, True)
    assert frame_count(out) == frame_count(src)
    assert seen[-1] == 1.0


def test_filter_graph_splices_fragments() -> None:
    coarse = looks.grain_filter(0.5, 2.0, width=64, height=48, fps=25)
    graph = filter_graph(["eq=contrast=1.1", coarse, "unsharp=5:5:1"])
    assert graph.startswith("[0:v]eq=contrast=1.1[s1];")
    assert graph.endswith("[f1]unsharp=5:5:1[v]")
    assert filter_graph(["null"]) == "[0:v]null[v]"


async def test_invalid_values(tmp_path: Path) -> None:
    src = make_image(tmp_path / "g.png")
    with pytest.raises(ReelForgeError) as err:
        await grade.film_look(src, tmp_path / "o.png", grain=2.0)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as err:
        await grade.grade(src, tmp_path / "o.png", look="sepia")
    assert err.value.detail["allowed"] == ["neutral", "warm", "cool", "cinematic"]
    assert not (tmp_path / "o.png").exists()


async def test_truncated_video_fails_without_output(tmp_path: Path) -> None:
    clip = make_video(
        tmp_path / "c.mp4", seconds=2.0, audio=False, extra=("-movflags", "+faststart")
    )
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size * 2 // 3])
    with pytest.raises(ReelForgeError) as err:
        await grade.film_look(cut, tmp_path / "o.mp4", grain=0.2)
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert not (tmp_path / "o.mp4").exists()
    assert leftovers(tmp_path) == []
