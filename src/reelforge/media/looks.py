"""Filter graphs for the "polish" passes: colour looks, film grain, tone mapping,
sharpening, denoise, deflicker, frame interpolation. Pure functions → ffmpeg filter text.

Looks work in YUV with lookup tables (``eq``, ``lutyuv``), never through an RGB round
trip, so a 1080p grade costs a few milliseconds a frame and the encoder sets the pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reelforge.media.values import choice


class Look(StrEnum):
    NEUTRAL = "neutral"
    WARM = "warm"
    COOL = "cool"
    CINEMATIC = "cinematic"


@dataclass(frozen=True)
class LookSpec:
    contrast: float = 1.0
    saturation: float = 1.0
    gamma: float = 1.0
    brightness: float = 0.0
    u_shift: float = 0.0  # + towards blue, - towards yellow (code values)
    v_shift: float = 0.0  # + towards red, - towards cyan
    s_curve: float = 0.0  # 0..1, a filmic S on luma


LOOKS: dict[Look, LookSpec] = {
    Look.NEUTRAL: LookSpec(contrast=1.04, saturation=1.03),
    Look.WARM: LookSpec(contrast=1.05, saturation=1.08, u_shift=-7.0, v_shift=6.0, gamma=1.02),
    Look.COOL: LookSpec(contrast=1.04, saturation=0.98, u_shift=7.0, v_shift=-5.0),
    # Teal-leaning shadows against warm skin is approximated globally: muted saturation,
    # a filmic S-curve, lifted contrast and a slight teal/orange balance.
    Look.CINEMATIC: LookSpec(
        contrast=1.1, saturation=0.88, gamma=0.97, u_shift=3.0, v_shift=3.0, s_curve=0.6
    ),
}


def _mix(neutral: float, target: float, strength: float) -> float:
    return neutral + (target - neutral) * strength


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def grade_filter(look: Look | str, strength: float = 1.0) -> str:
    """A colour look as one ``lutyuv`` (three 256-entry tables: the cheapest possible
    pass); ``strength`` 0..1 blends from untouched to the full look.

    Luma: contrast about mid-grey, brightness, gamma, then a filmic S-curve, on
    normalised limited-range values. Chroma: saturation scales the distance from
    neutral (128), then the colour-balance shift.
    """
    spec = LOOKS[choice(Look, look, "look")]
    s = max(0.0, min(1.0, strength))
    contrast, saturation = _mix(1.0, spec.contrast, s), _mix(1.0, spec.saturation, s)
    gamma, brightness = _mix(1.0, spec.gamma, s), spec.brightness * s
    curve = spec.s_curve * s
    x = "clip((val-16)/219,0,1)"
    x = f"clip(({x}-0.5)*{_num(contrast)}+0.5+{_num(brightness)},0,1)"
    if gamma != 1.0:
        x = f"pow({x},{_num(1 / gamma)})"
    if curve:
        x = f"((1-{_num(curve)})*{x}+{_num(curve)}*{x}*{x}*(3-2*{x}))"
    y = f"clip(16+219*{x},0,255)"

    def chroma(shift: float) -> str:
        return f"clip(128+(val-128)*{_num(saturation)}+{_num(shift * s)},0,255)"

    return f"lutyuv=y='{y}':u='{chroma(spec.u_shift)}':v='{chroma(spec.v_shift)}'"


def grain_filter(
    amount: float, size: float = 1.0, *, width: int = 0, height: int = 0, fps: float = 0.0
) -> str:
    """Film grain on luma only, changing every frame.

    ``amount`` 0..1 is the grain strength; ``size`` ≥ 1 its coarseness. Fine grain (size
    1) is ffmpeg's ``noise`` filter in place; coarser grain is noise drawn at a lower
    resolution, scaled up and overlaid, which needs the frame size (and fps, for video).
    Returns a filter_complex fragment taking ``[in]`` and giving ``[out]`` when coarse.
    """
    strength = max(0, min(30, round(amount * 30)))
    if strength == 0:
        return "null"
    if size <= 1.0 or not (width and height):
        return f"noise=c0s={strength}:c0f=t+u"
    gw, gh = max(2, int(width / size) // 2 * 2), max(2, int(height / size) // 2 * 2)
    rate = _num(fps or 25.0)
    return (
        f"color=c=0x808080:s={gw}x{gh}:r={rate},format=yuv420p,"
        f"noise=c0s={strength}:c0f=t+u,scale={width}:{height}:flags=bicubic[grain];"
        # normal at full opacity keeps the first input's chroma (opacity 0 would take the
        # grey grain's: a black-and-white result).
        "[in][grain]blend=c0_mode=overlay:c1_mode=normal:c2_mode=normal:shortest=1[out]"
    )


def tonemap_filter(exposure: float = 1.0, white: float = 2.0) -> str:
    """Extended Reinhard on luma: x·e·(1 + x·e/w²)/(1 + x·e), with the output scaled so
    the brightest input maps to white. Rolls off highlights, lifts nothing else much."""
    e, w = max(0.1, exposure), max(1.0, white)
    x = f"(clip((val-16)/219,0,1)*{_num(e)})"
    curve = f"{x}*(1+{x}/{_num(w * w)})/(1+{x})"
    top = e * (1 + e / (w * w)) / (1 + e)  # the curve at input 1, to renormalise
    return f"lutyuv=y='clip(16+219*{curve}/{_num(top)},0,255)'"


def sharpen_filter(amount: float = 0.6, radius: int = 5) -> str:
    r = max(3, min(13, radius | 1))  # unsharp needs an odd matrix size
    return f"unsharp={r}:{r}:{_num(max(0.0, min(3.0, amount)))}:{r}:{r}:0"


class Strength(StrEnum):
    LIGHT = "light"
    MEDIUM = "medium"
    STRONG = "strong"
    ULTRA = "ultra"


_HQDN3D = {
    Strength.LIGHT: "hqdn3d=2:1.5:3:2.25",
    Strength.MEDIUM: "hqdn3d=4:3:6:4.5",
    Strength.STRONG: "hqdn3d=7:5.5:10:8",
}


_NLMEANS_STRENGTH = {
    Strength.LIGHT: 3.0,
    Strength.MEDIUM: 6.0,
    Strength.STRONG: 10.0,
    Strength.ULTRA: 15.0,
}


def denoise_filter(strength: Strength | str = Strength.MEDIUM, *, still: bool = False) -> str:
    """Video: hqdn3d (fast, spatial + temporal); ``ultra`` is non-local means (slow, best).
    A still image has no neighbouring frames to borrow from, so it always gets
    non-local means, which is affordable for one frame."""
    level = choice(Strength, strength, "strength")
    if still or level is Strength.ULTRA:
        return f"nlmeans=s={_NLMEANS_STRENGTH[level]:g}:p=7:r=15"
    return _HQDN3D[level]


def deflicker_filter(size: int = 5, mode: str = "am") -> str:
    """Even out frame-to-frame brightness over a window of ``size`` frames."""
    return f"deflicker=size={max(2, min(129, size))}:mode={mode}"


def interpolate_filter(fps: float, mode: str = "mci") -> str:
    """Motion-compensated (``mci``) or blended (``blend``) frames up to ``fps``."""
    if mode == "mci":
        return f"minterpolate=fps={_num(fps)}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
    return f"minterpolate=fps={_num(fps)}:mi_mode={mode}"
