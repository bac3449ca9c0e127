"""What the emulated face nodes make of real media: a restored image is its input
sharpened (same size, visibly the same picture); a video pass does that to every frame,
keeping the frame rate and the sound; a face swap also lays the identity reference over
the frames' centre, so a test can see the reference reached every frame."""

from __future__ import annotations

import io

import av
import numpy as np
from PIL import Image, ImageFilter

from reelforge.emulators.base.render import decode_audio, decode_video_frames, encode_video

MAX_FRAMES = 900  # 30 s at 30 fps: sandbox clips are short


def _restore(img: Image.Image) -> Image.Image:
    return img.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2))


def restore_image(source: bytes) -> bytes:
    img = Image.open(io.BytesIO(source)).convert("RGB")
    out = io.BytesIO()
    _restore(img).save(out, "PNG")
    return out.getvalue()


def _has_audio(data: bytes) -> bool:
    with av.open(io.BytesIO(data)) as container:
        return bool(container.streams.audio)


def restore_video(source: bytes, reference: bytes | None = None) -> bytes:
    frames, fps = decode_video_frames(source, max_frames=MAX_FRAMES)
    face = None
    if reference is not None:
        h, w = frames[0].shape[:2]
        side = max(8, min(w, h) // 3)
        face = Image.open(io.BytesIO(reference)).convert("RGB").resize((side, side))
    done: list[np.ndarray] = []
    for frame in frames:
        img = _restore(Image.fromarray(frame))
        if face is not None:
            img.paste(face, ((img.width - face.width) // 2, (img.height - face.height) // 3))
        done.append(np.asarray(img))
    audio = decode_audio(source) if _has_audio(source) else None
    return encode_video(done, max(1, round(fps)), audio)
