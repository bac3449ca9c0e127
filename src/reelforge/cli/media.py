"""``reelforge media ...``: the local media engine from the command line, with progress bars.

Each command imports the media module it uses when it runs (PyAV, numpy and Piper are
slow to import; ``last-frame`` as a whole process must beat an ffmpeg call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from reelforge.cli.output import console, emit_json, show_error
from reelforge.domain.errors import ReelForgeError

if TYPE_CHECKING:
    from reelforge.media.runner import ProgressFn

media_app = typer.Typer(
    help="Local media work: probe, frames, looks, upscale, narration.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the result.")]
T = TypeVar("T")


def _with_progress(label: str, work: Callable[[ProgressFn], Awaitable[T]], quiet: bool) -> T:
    """Run ``work`` with a Rich progress bar fed by its progress callback."""

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    async def run() -> T:
        if quiet:
            return await work(lambda _f: None)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=1.0)
            result = await work(lambda f: bar.update(task, completed=f))
            bar.update(task, completed=1.0)
            return result

    import asyncio

    return asyncio.run(run())


def _done(path: Path, as_json: bool, **facts: Any) -> None:
    from reelforge.media.probe import probe as probe_file

    info = probe_file(path)
    if as_json:
        emit_json({"output": str(path), **info.to_dict(), **facts})
        return
    size = f"{info.width}x{info.height}" if info.width else ""
    length = f"{info.duration:.2f}s" if info.duration else ""
    console.print(f"[green]✓[/] {path}  {info.kind} {size} {length}".rstrip())


def _fail(exc: ReelForgeError, as_json: bool) -> None:
    show_error(exc, as_json=as_json)
    raise typer.Exit(1)


@media_app.command()
def probe(path: Path, as_json: JsonOpt = False) -> None:
    """Show what a media file is: kind, codec, size, duration, fps, audio."""
    from rich.table import Table

    from reelforge.media.probe import probe as probe_file

    try:
        info = probe_file(path)
    except ReelForgeError as exc:
        _fail(exc, as_json)
    if as_json:
        emit_json(info.to_dict())
        return
    table = Table(show_header=False, box=None)
    for key, value in info.to_dict().items():
        if value not in (None, False, ""):
            table.add_row(f"[dim]{key}[/]", str(value))
    console.print(table)


@media_app.command("last-frame")
def last_frame(video: Path, output: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Write the last frame of a video as an image (PNG unless -o says otherwise)."""
    from reelforge.domain.modes import MediaKind
    from reelforge.media import frames

    dst = output or video.with_name(f"{video.stem}.last.png")
    try:
        # No progress bar: the work takes well under a second (seek + decode the tail).
        pixels = frames.frame_array(
            frames.decode_last_frame(frames.probe(video, expect=MediaKind.VIDEO).path)
        )
        frames.save_image(pixels, dst)
        if as_json:
            _done(dst, as_json)
        else:
            height, width = pixels.shape[:2]
            console.print(f"[green]✓[/] {dst}  image {width}x{height}", highlight=False)
    except ReelForgeError as exc:
        _fail(exc, as_json)


@media_app.command()
def grade(
    src: Path,
    output: OutOpt = None,
    look: Annotated[
        str, typer.Option(help="neutral | warm | cool | cinematic | none")
    ] = "cinematic",
    strength: Annotated[float, typer.Option(help="0..1")] = 1.0,
    grain: Annotated[float, typer.Option(help="Film grain amount 0..1.")] = 0.0,
    grain_size: Annotated[float, typer.Option(help="1 (fine) .. 4 (coarse).")] = 1.0,
    tonemap: Annotated[bool, typer.Option(help="Reinhard tone mapping.")] = False,
    sharpen: Annotated[float, typer.Option(help="0..3")] = 0.0,
    quality: Annotated[str, typer.Option(help="fast | balanced | best")] = "fast",
    as_json: JsonOpt = False,
) -> None:
    """Colour look, grain, tone mapping and sharpening in one pass (image or video)."""
    from reelforge.media import grade as grade_mod

    suffix = ".png" if src.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp") else ".mp4"
    dst = output or src.with_name(f"{src.stem}.graded{suffix}")
    try:
        result = _with_progress(
            "grade",
            lambda report: grade_mod.film_look(
                src,
                dst,
                look=None if look == "none" else look,
                strength=strength,
                grain=grain,
                grain_size=grain_size,
                tonemap=tonemap,
                sharpen=sharpen,
                quality=quality,
                on_progress=report,
            ),
            as_json,
        )
        _done(result, as_json)
    except ReelForgeError as exc:
        _fail(exc, as_json)


@media_app.command()
def upscale(
    src: Path,
    output: OutOpt = None,
    scale: Annotated[int, typer.Option(help="2 or 4")] = 2,
    engine: Annotated[str, typer.Option(help="auto | lanczos | realesrgan")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Upscale an image or a video (Real-ESRGAN when installed on PATH, else lanczos)."""
    from reelforge.media import upscale as upscale_mod

    suffix = ".png" if src.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp") else ".mp4"
    dst = output or src.with_name(f"{src.stem}.x{scale}{suffix}")
    try:
        result = _with_progress(
            f"upscale x{scale}",
            lambda report: upscale_mod.upscale(
                src, dst, scale=scale, engine=engine, on_progress=report
            ),
            as_json,
        )
        _done(result, as_json)
    except ReelForgeError as exc:
        _fail(exc, as_json)


@media_app.command()
def export(
    video: Path,
    output: OutOpt = None,
    preset: Annotated[
        str, typer.Option(help="vertical (9:16) | square (1:1) | landscape (16:9)")
    ] = "vertical",
    fit: Annotated[str, typer.Option(help="crop | pad | blur")] = "crop",
    as_json: JsonOpt = False,
) -> None:
    """Encode a video for a social platform (H.264 + AAC, faststart)."""
    from reelforge.media import export as export_mod

    dst = output or video.with_name(f"{video.stem}.{export_mod.preset(preset).name}.mp4")
    try:
        result = _with_progress(
            f"export {preset}",
            lambda report: export_mod.export(
                video, dst, preset_name=preset, fit=fit, on_progress=report
            ),
            as_json,
        )
        _done(result, as_json)
    except ReelForgeError as exc:
        _fail(exc, as_json)


@media_app.command()
def tts(
    text: Annotated[str | None, typer.Argument(help="Text to speak (or use --file).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the text from a file.")
    ] = None,
    output: OutOpt = None,
    voice: Annotated[
        str | None, typer.Option(help="Voice id (see `reelforge media voices`).")
    ] = None,
    speed: Annotated[float, typer.Option(help="0.5..2")] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Speak text into a WAV file, offline (Piper)."""
    from reelforge.media import tts as tts_mod

    content = file.read_text(encoding="utf-8") if file else (text or "")
    dst = output or Path("narration.wav")

    async def work(report: ProgressFn) -> tts_mod.Narration:
        import asyncio

        return await asyncio.to_thread(
            tts_mod.synthesize, content, dst, voice=voice, speed=speed, on_progress=report
        )

    try:
        narration = _with_progress("narration", work, as_json)
        _done(narration.path, as_json, voice=narration.voice, sentences=narration.sentences)
    except ReelForgeError as exc:
        _fail(exc, as_json)


@media_app.command()
def voices(as_json: JsonOpt = False) -> None:
    """List the installed narration voices."""
    from reelforge.media import tts as tts_mod

    found = tts_mod.registry().list()
    if as_json:
        emit_json([v.to_dict() for v in found])
        return
    for voice in found:
        console.print(
            f"[bold]{voice.id}[/]  {voice.label}  {voice.sample_rate} Hz  [dim]{voice.source}[/]"
        )
