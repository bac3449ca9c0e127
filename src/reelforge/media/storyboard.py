"""A storyboard sheet: a grid of frames (images, or the first frame of videos) with
numbered captions underneath, drawn with Pillow."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.files import atomic_output
from reelforge.media.frames import decode_frame_at, frame_array
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.runner import ProgressFn

MAX_PANELS = 64


def _picture(info: MediaInfo) -> Image.Image:
    if info.kind is MediaKind.VIDEO:
        return Image.fromarray(frame_array(decode_frame_at(info.path, 0.0)))
    with Image.open(info.path) as img:
        img.load()
        return img.convert("RGB")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def storyboard(
    sources: Sequence[Path],
    dst: Path,
    *,
    captions: Sequence[str] = (),
    columns: int = 0,
    cell_width: int = 480,
    gap: int = 16,
    number: bool = True,
    background: str = "#141414",
    on_progress: ProgressFn | None = None,
) -> Path:
    """Lay ``sources`` out in a grid (``columns`` 0 = about square) and write ``dst``."""
    if not 1 <= len(sources) <= MAX_PANELS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"A storyboard takes 1 to {MAX_PANELS} images.",
            detail={"count": len(sources)},
        )
    if not 64 <= cell_width <= 2048 or not 0 <= gap <= 256:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "cell_width must be 64..2048 and gap 0..256.",
            detail={"cell_width": cell_width, "gap": gap},
        )
    infos = [probe(p, expect=(MediaKind.IMAGE, MediaKind.VIDEO)) for p in sources]
    cols = columns or math.ceil(math.sqrt(len(infos)))
    cols = max(1, min(cols, len(infos)))
    rows = math.ceil(len(infos) / cols)
    first = infos[0]
    aspect = (first.height or 9) / (first.width or 16)
    cell_h = max(16, round(cell_width * aspect))
    font_size = max(12, cell_width // 24)
    font = _font(font_size)
    wrap = max(8, int(cell_width / (font_size * 0.55)))
    texts = [
        (f"{i + 1}. " if number else "") + (captions[i].strip() if i < len(captions) else "")
        for i in range(len(infos))
    ]
    lines = [textwrap.wrap(t, wrap)[:3] if t.strip() else [] for t in texts]
    caption_h = (max(len(x) for x in lines) * (font_size + 4) + 8) if any(lines) else 0
    sheet = Image.new(
        "RGB",
        (cols * cell_width + (cols + 1) * gap, rows * (cell_h + caption_h) + (rows + 1) * gap),
        background,
    )
    draw = ImageDraw.Draw(sheet)
    for index, info in enumerate(infos):
        col, row = index % cols, index // cols
        x = gap + col * (cell_width + gap)
        y = gap + row * (cell_h + caption_h + gap)
        panel = ImageOps.pad(_picture(info), (cell_width, cell_h), color=background)
        sheet.paste(panel, (x, y))
        for n, line in enumerate(lines[index]):
            draw.text((x, y + cell_h + 6 + n * (font_size + 4)), line, fill="#e8e8e8", font=font)
        if on_progress is not None:
            on_progress((index + 1) / len(infos) * 0.95)
    with atomic_output(dst) as tmp:
        fmt = "JPEG" if dst.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        sheet.save(tmp, format=fmt, **({"quality": 92} if fmt == "JPEG" else {"compress_level": 3}))
    if on_progress is not None:
        on_progress(1.0)
    return dst
