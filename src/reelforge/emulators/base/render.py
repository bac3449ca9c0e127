"""The synthetic renderer: real PNG/JPEG/MP4/WAV whose content depends on prompt and seed.

Renders are pure functions of their arguments and memoised (bounded), so an emulator
holding thousands of identical tasks renders once. Small sizes keep it fast; videos have the requested duration and aspect ratio, image-to-video
really animates the given image (a slow zoom and pan), and audio is a tone melody.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import wave
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw

VIDEO_FPS = 12
_SIZES = {  # small, even dimensions per aspect ratio
    "16:9": (320, 180),
    "9:16": (180, 320),
    "1:1": (240, 240),
    "4:3": (288, 216),
    "3:4": (216, 288),
    "21:9": (336, 144),
    "3:2": (300, 200),
    "2:3": (200, 300),
}


def _palette(prompt: str, seed: int | None) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(f"{prompt}\x00{seed}".encode()).digest()
    return (digest[0], digest[1], digest[2]), (digest[3], digest[4], digest[5])


def size_for(
    aspect_ratio: str | None, width: int | None = None, height: int | None = None
) -> tuple[int, int]:
    if width and height:
        scale = min(1.0, 512 / max(width, height))
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
    if aspect_ratio and aspect_ratio in _SIZES:
        return _SIZES[aspect_ratio]
    if aspect_ratio and ":" in aspect_ratio:
        try:
            a, b = (float(x) for x in aspect_ratio.split(":", 1))
            w = 320 if a >= b else int(320 * a / b)
            h = int(w * b / a)
            return max(2, w // 2 * 2), max(2, h // 2 * 2)
        except (ValueError, ZeroDivisionError):
            pass
    return _SIZES["16:9"]


def image_array(prompt: str, seed: int | None, size: tuple[int, int]) -> np.ndarray:
    """An RGB frame: a gradient in prompt/seed colours with a disc and the prompt's start."""
    w, h = size
    c1, c2 = _palette(prompt, seed)
    t = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    base = (np.array(c1, np.float32) * (1 - t) + np.array(c2, np.float32) * t).repeat(h, 0)
    img = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    cx, cy, r = digest[6] % w, digest[7] % h, 8 + digest[8] % max(9, min(w, h) // 3)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(digest[9], digest[10], digest[11]))
    draw.text((6, 6), prompt[:40] or "reelforge", fill=(255, 255, 255))
    return np.asarray(img)


def encode_image(frame: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format=fmt.upper().replace("JPG", "JPEG"))
    return buf.getvalue()


@functools.lru_cache(maxsize=32)
def render_image(
    prompt: str,
    seed: int | None = None,
    *,
    aspect_ratio: str | None = None,
    width: int | None = None,
    height: int | None = None,
    fmt: str = "PNG",
    source: bytes | None = None,
) -> bytes:
    """A still image; with ``source`` (image-to-image) the source is tinted and overlaid."""
    size = size_for(aspect_ratio, width, height)
    frame = image_array(prompt, seed, size)
    if source is not None:
        src = np.asarray(decode_image(source).resize(size))
        frame = (src.astype(np.uint16) * 3 // 4 + frame.astype(np.uint16) // 4).astype(np.uint8)
    return encode_image(frame, fmt)


def decode_image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGB")


def _tone(duration: float, rate: int, seed_text: str) -> np.ndarray:
    digest = hashlib.sha256(seed_text.encode()).digest()
    n = max(1, int(duration * rate))
    t = np.arange(n, dtype=np.float32) / rate
    notes = [220.0 * 2 ** ((d % 12) / 12) for d in digest[:8]]
    step = max(1, n // len(notes))
    freq = np.repeat(np.array(notes, np.float32), step)[:n]
    if len(freq) < n:
        freq = np.pad(freq, (0, n - len(freq)), mode="edge")
    return (0.3 * np.sin(2 * math.pi * freq * t)).astype(np.float32)


@functools.lru_cache(maxsize=16)
def render_audio(text: str, duration: float | None = None, rate: int = 22050) -> bytes:
    """A mono 16-bit WAV; without a duration, about 0.35 s per word."""
    seconds = duration if duration else max(1.0, 0.35 * len(text.split()))
    samples = (_tone(seconds, rate, text) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def decode_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and rate from any audio (or video with audio) container."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate or 22050)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        rate = stream.rate or 22050
    return (np.concatenate(chunks) if chunks else np.zeros(1, np.float32)), rate


def decode_video_frames(data: bytes, max_frames: int = 240) -> tuple[list[np.ndarray], float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or VIDEO_FPS)
        frames = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= max_frames:
                break
    return frames, fps


def encode_video(
    frames: list[np.ndarray],
    fps: int = VIDEO_FPS,
    audio: tuple[np.ndarray, int] | None = None,
) -> bytes:
    """H.264 (yuv420p) MP4, with an AAC track when audio samples are given."""
    buf = io.BytesIO()
    h, w = frames[0].shape[:2]
    with av.open(buf, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "tune": "zerolatency"}
        a_stream = None
        if audio is not None:
            a_stream = out.add_stream("aac", rate=audio[1])
            a_stream.layout = "mono"
        for arr in frames:
            for packet in vs.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if a_stream is not None and audio is not None:
            samples, rate = audio
            frame_size = a_stream.codec_context.frame_size or 1024
            pts = 0
            for i in range(0, len(samples), frame_size):
                chunk = samples[i : i + frame_size].astype(np.float32)
                af = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = rate, pts, Fraction(1, rate)
                pts += len(chunk)
                for packet in a_stream.encode(af):
                    out.mux(packet)
            for packet in a_stream.encode():
                out.mux(packet)
    return buf.getvalue()


def _ken_burns(
    still: np.ndarray, n: int, size: tuple[int, int], seed_text: str
) -> list[np.ndarray]:
    """Animate a still: a slow zoom towards a point chosen by the prompt."""
    w, h = size
    img = Image.fromarray(still).resize((w * 5 // 4, h * 5 // 4))
    digest = hashlib.sha256(seed_text.encode()).digest()
    dx, dy = digest[0] / 255, digest[1] / 255
    frames = []
    for i in range(n):
        k = i / max(1, n - 1)
        zoom = 1.0 + 0.2 * k
        cw, ch = int(img.width / zoom), int(img.height / zoom)
        left = int((img.width - cw) * dx * k + (img.width - cw) * (1 - k) / 2)
        top = int((img.height - ch) * dy * k + (img.height - ch) * (1 - k) / 2)
        frames.append(np.asarray(img.crop((left, top, left + cw, top + ch)).resize((w, h))))
    return frames


@functools.lru_cache(maxsize=16)
def render_video(
    prompt: str,
    seed: int | None = None,
    *,
    duration: float = 5.0,
    aspect_ratio: str | None = None,
    width: int | None = None,
    height: int | None = None,
    source_image: bytes | None = None,
    source_video: bytes | None = None,
    audio: bytes | None = None,
    with_audio: bool = False,
) -> bytes:
    """A video of ``duration`` seconds.

    ``source_image`` → the image animated (image-to-video); ``source_video`` → its frames
    re-coloured by the prompt (video-to-video); ``audio`` → muxed under the picture, and the
    video lasts as long as the audio (lip-sync, avatars); ``with_audio`` → a generated track.
    """
    audio_track: tuple[np.ndarray, int] | None = None
    if audio is not None:
        audio_track = decode_audio(audio)
        duration = max(0.5, len(audio_track[0]) / audio_track[1])
    n = max(1, round(duration * VIDEO_FPS))
    if source_video is not None:
        src_frames, _fps = decode_video_frames(source_video, max_frames=n)
        tint = np.array(_palette(prompt, seed)[0], np.uint16)
        frames = [((f.astype(np.uint16) * 3 + tint) // 4).astype(np.uint8) for f in src_frames]
        while len(frames) < n:
            frames.append(frames[-1])
        frames = frames[:n]
    else:
        if source_image is not None:
            src = decode_image(source_image)
            size = (
                size_for(aspect_ratio, width, height)
                if (aspect_ratio or width)
                else size_for(None, src.width, src.height)
            )
            still = np.asarray(src.resize(size))
        else:
            size = size_for(aspect_ratio, width, height)
            still = image_array(prompt, seed, size)
        frames = _ken_burns(still, n, size, f"{prompt}:{seed}")
    if with_audio and audio_track is None:
        rate = 22050
        audio_track = (_tone(n / VIDEO_FPS, rate, prompt), rate)
    return encode_video(frames, VIDEO_FPS, audio_track)
