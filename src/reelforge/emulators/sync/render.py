"""Lip-sync output: the input video's own frames with the input audio muxed under them.

``sync_mode`` decides what happens when the two lengths differ, as Sync documents:
``cut_off`` (default) ends at the shorter one, ``loop`` repeats the video, ``bounce`` plays it
back and forth, ``silence`` keeps the video length (silence after the audio), ``remap``
stretches the video over the audio.
"""

from __future__ import annotations

import io

import av
import numpy as np

from reelforge.emulators.base.render import decode_audio, encode_video

MAX_SECONDS = 30.0
MAX_SIDE = 480  # emulated outputs stay small whatever the input's size


def decode_frames(data: bytes) -> tuple[list[np.ndarray], float]:
    """Frames (scaled down to MAX_SIDE, at most MAX_SECONDS) and the frame rate."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 12)
        scale = min(1.0, MAX_SIDE / max(stream.width, stream.height))
        width = max(2, int(stream.width * scale) // 2 * 2)
        height = max(2, int(stream.height * scale) // 2 * 2)
        frames = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24", width=width, height=height))
            if len(frames) >= MAX_SECONDS * fps:
                break
    return frames, fps


def probe(video: bytes, audio: bytes) -> tuple[float, float]:
    """(video seconds, audio seconds)."""
    frames, fps = decode_frames(video)
    samples, rate = decode_audio(audio)
    return len(frames) / fps, min(MAX_SECONDS, len(samples) / rate)


def output_seconds(video_s: float, audio_s: float, mode: str) -> float:
    if mode == "cut_off":
        return min(video_s, audio_s)
    if mode == "silence":
        return video_s
    return audio_s  # loop, bounce, remap follow the audio


def _frame_index(i: int, n_out: int, n_in: int, mode: str) -> int:
    if mode == "remap":
        return min(n_in - 1, i * n_in // max(1, n_out))
    if mode == "bounce" and n_in > 1:
        period = 2 * (n_in - 1)
        k = i % period
        return k if k < n_in else period - k
    return i % n_in  # loop (and cut_off / silence, which never run past the end)


def lipsync(video: bytes, audio: bytes, mode: str = "cut_off") -> bytes:
    frames, fps = decode_frames(video)
    samples, rate = decode_audio(audio)
    audio_s = min(MAX_SECONDS, len(samples) / rate)
    seconds = output_seconds(len(frames) / fps, audio_s, mode)
    n_out = max(1, round(seconds * fps))
    out_frames = [frames[_frame_index(i, n_out, len(frames), mode)] for i in range(n_out)]
    n_samples = int(seconds * rate)
    track = samples[:n_samples]
    if len(track) < n_samples:
        track = np.pad(track, (0, n_samples - len(track)))
    return encode_video(out_frames, max(1, round(fps)), (track.astype(np.float32), rate))
