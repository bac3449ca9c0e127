"""The local engine's operations: one entry per catalog model ``local/<name>``.

Each operation takes an ``OpContext`` (inputs, work folder, progress, stop flag) and its
typed parameters, and returns the path of the file it wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.domain.words import article
from reelforge.media import (
    audio,
    export,
    frames,
    grade,
    restore,
    storyboard,
    timeline,
    tts,
    upscale,
)
from reelforge.media.files import path_from_url
from reelforge.media.probe import probe
from reelforge.providers import local_params as lp
from reelforge.providers.base import GenerationRequest

T = TypeVar("T")


class OpContext:
    def __init__(
        self,
        request: GenerationRequest,
        work_dir: Path,
        on_progress: Callable[[float], None],
        stop: threading.Event,
    ) -> None:
        self.request = request
        self.work_dir = work_dir
        self.progress = on_progress
        self.stop = stop

    def media(self, *kinds: MediaKind, slot: str | None = None) -> Path:
        """The first input of one of ``kinds`` (in ``slot`` when given)."""
        found = self.all_media(*kinds, slot=slot)
        if not found:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"This model needs {article(' or '.join(str(k) for k in kinds))} input.",
                detail={"model": self.request.model, "slot": slot},
            )
        return found[0]

    def all_media(self, *kinds: MediaKind, slot: str | None = None) -> list[Path]:
        return [
            path_from_url(item.url)
            for item in self.request.inputs
            if item.kind in kinds and (slot is None or item.slot in (None, slot))
        ]

    def output(self, suffix: str, stem: str = "output") -> Path:
        return self.work_dir / f"{stem}{suffix}"

    def like(self, src: Path, stem: str = "output") -> Path:
        """An output path of the same kind as ``src``: images stay PNG, videos MP4."""
        kind = probe(src).kind
        return self.output(".png" if kind is MediaKind.IMAGE else ".mp4", stem)

    async def thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (PyAV, Pillow, Piper) in a thread. On cancellation, raise the
        stop flag and wait for the thread to finish, so nothing writes after cleanup."""
        future = asyncio.get_running_loop().run_in_executor(
            None, functools.partial(fn, *args, **kwargs)
        )
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self.stop.set()
            with contextlib.suppress(BaseException):
                await future
            raise


Runner = Callable[[OpContext, Any], Awaitable[Path]]


@dataclass(frozen=True)
class LocalOp:
    name: str
    params: type[lp.LocalParams]
    run: Runner


_VISUAL = (MediaKind.IMAGE, MediaKind.VIDEO)


async def _last_frame(ctx: OpContext, p: lp.ImageFormat) -> Path:
    return await ctx.thread(
        frames.last_frame, ctx.media(MediaKind.VIDEO), ctx.output(f".{p.format}")
    )


async def _frame(ctx: OpContext, p: lp.FrameParams) -> Path:
    return await ctx.thread(
        frames.frame_at, ctx.media(MediaKind.VIDEO), ctx.output(f".{p.format}"), p.time
    )


async def _grade(ctx: OpContext, p: lp.GradeParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await grade.grade(
        src,
        ctx.like(src),
        look=p.look,
        strength=p.strength,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _grain(ctx: OpContext, p: lp.GrainParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await grade.film_grain(
        src,
        ctx.like(src),
        amount=p.amount,
        size=p.size,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _film_look(ctx: OpContext, p: lp.FilmLookParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await grade.film_look(
        src,
        ctx.like(src),
        look=None if p.look == "none" else p.look,
        strength=p.strength,
        grain=p.grain,
        grain_size=p.grain_size,
        tonemap=p.tonemap,
        sharpen=p.sharpen,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _tonemap(ctx: OpContext, p: lp.TonemapParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await grade.tonemap(
        src,
        ctx.like(src),
        exposure=p.exposure,
        white=p.white,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _sharpen(ctx: OpContext, p: lp.SharpenParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await grade.sharpen(
        src, ctx.like(src), amount=p.amount, quality=p.quality, on_progress=ctx.progress
    )


async def _upscale(ctx: OpContext, p: lp.UpscaleParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await upscale.upscale(
        src,
        ctx.like(src),
        scale=p.scale,
        engine=p.engine,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _denoise(ctx: OpContext, p: lp.DenoiseParams) -> Path:
    src = ctx.media(*_VISUAL)
    return await restore.denoise(
        src, ctx.like(src), strength=p.strength, quality=p.quality, on_progress=ctx.progress
    )


async def _deflicker(ctx: OpContext, p: lp.DeflickerParams) -> Path:
    src = ctx.media(MediaKind.VIDEO)
    return await restore.deflicker(
        src, ctx.output(".mp4"), window=p.window, quality=p.quality, on_progress=ctx.progress
    )


async def _interpolate(ctx: OpContext, p: lp.InterpolateParams) -> Path:
    src = ctx.media(MediaKind.VIDEO)
    return await restore.interpolate(
        src, ctx.output(".mp4"), fps=p.fps, mode=p.mode, quality=p.quality, on_progress=ctx.progress
    )


async def _extend(ctx: OpContext, p: lp.ExtendParams) -> Path:
    return await timeline.fit_duration(
        ctx.media(MediaKind.VIDEO),
        ctx.output(".mp4"),
        duration=p.duration,
        strategy=p.strategy,
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _concat(ctx: OpContext, p: lp.ConcatParams) -> Path:
    return await timeline.concat(
        ctx.all_media(MediaKind.VIDEO),
        ctx.output(".mp4"),
        quality=p.quality,
        on_progress=ctx.progress,
    )


async def _mux(ctx: OpContext, p: lp.MuxParams) -> Path:
    return await audio.mux_audio(
        ctx.media(MediaKind.VIDEO, slot="video"),
        ctx.media(MediaKind.AUDIO, slot="audio"),
        ctx.output(".mp4"),
        mode=p.mode,
        volume=p.volume,
        normalize=p.normalize,
        target=p.target,
        on_progress=ctx.progress,
    )


async def _loudnorm(ctx: OpContext, p: lp.LoudnormParams) -> Path:
    src = ctx.media(MediaKind.AUDIO, MediaKind.VIDEO)
    suffix = ".mp4" if probe(src).kind is MediaKind.VIDEO else ".wav"
    return await audio.normalize_loudness(
        src,
        ctx.output(suffix),
        target=p.target,
        true_peak=p.true_peak,
        lra=p.lra,
        on_progress=ctx.progress,
    )


async def _storyboard(ctx: OpContext, p: lp.StoryboardParams) -> Path:
    captions = [line for line in p.captions.splitlines()]
    return await ctx.thread(
        storyboard.storyboard,
        ctx.all_media(*_VISUAL),
        ctx.output(".png"),
        captions=captions,
        columns=p.columns,
        cell_width=p.cell_width,
        on_progress=ctx.progress,
    )


async def _export(ctx: OpContext, p: lp.ExportParams) -> Path:
    return await export.export(
        ctx.media(MediaKind.VIDEO),
        ctx.output(".mp4"),
        preset_name=p.preset,
        fit=p.fit,
        crf=p.crf,
        on_progress=ctx.progress,
    )


async def _tts(ctx: OpContext, p: lp.TtsParams) -> Path:
    narration = await ctx.thread(
        tts.synthesize,
        ctx.request.prompt,
        ctx.output(".wav"),
        voice=p.voice,
        speed=p.speed,
        pause=p.pause,
        on_progress=ctx.progress,
        should_stop=ctx.stop.is_set,
    )
    return narration.path


OPS: dict[str, LocalOp] = {
    op.name: op
    for op in (
        LocalOp("last-frame", lp.ImageFormat, _last_frame),
        LocalOp("frame", lp.FrameParams, _frame),
        LocalOp("grade", lp.GradeParams, _grade),
        LocalOp("film-grain", lp.GrainParams, _grain),
        LocalOp("film-look", lp.FilmLookParams, _film_look),
        LocalOp("tonemap", lp.TonemapParams, _tonemap),
        LocalOp("sharpen", lp.SharpenParams, _sharpen),
        LocalOp("upscale", lp.UpscaleParams, _upscale),
        LocalOp("denoise", lp.DenoiseParams, _denoise),
        LocalOp("deflicker", lp.DeflickerParams, _deflicker),
        LocalOp("interpolate", lp.InterpolateParams, _interpolate),
        LocalOp("extend", lp.ExtendParams, _extend),
        LocalOp("concat", lp.ConcatParams, _concat),
        LocalOp("mux-audio", lp.MuxParams, _mux),
        LocalOp("loudnorm", lp.LoudnormParams, _loudnorm),
        LocalOp("storyboard", lp.StoryboardParams, _storyboard),
        LocalOp("export", lp.ExportParams, _export),
        LocalOp("tts", lp.TtsParams, _tts),
    )
}
