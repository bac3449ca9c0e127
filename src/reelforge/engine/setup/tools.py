"""Optional local tools the user installed themselves: detected, never installed.

Detection only looks: ``importlib.util.find_spec`` for Python packages (the package is not
imported, so none of its code runs) and ``shutil.which`` for programs, whose one command
run is ``--version`` with a timeout. Nothing is downloaded or executed beyond that.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import shutil
from typing import Any

from reelforge.media.tools import UPSCALER_NAMES

# LivePortrait is published under several distribution / module names.
LIVEPORTRAIT_MODULES: tuple[str, ...] = ("liveportrait", "LivePortrait", "live_portrait")
TOPAZ_NAMES: tuple[str, ...] = ("topaz-video-enhance-ai", "topaz-video-ai", "tvai")
VERSION_OUTPUT_CHARS = 200


async def version_of(program: str, args: tuple[str, ...], timeout: float) -> str | None:
    """The first line the program prints for ``args`` (a version or health command), or
    None when it prints nothing; the process is killed when it overruns ``timeout``."""
    proc = await asyncio.create_subprocess_exec(
        program,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(timeout):
            out, _ = await proc.communicate()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    text = out.decode(errors="replace").strip()
    return text.splitlines()[0][:VERSION_OUTPUT_CHARS] if text else None


def find_module(names: tuple[str, ...]) -> tuple[str, str | None] | None:
    """(module name, where it lives) of the first installed module, without importing it."""
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None:
            origin = spec.origin or next(iter(spec.submodule_search_locations or []), None)
            return name, origin
    return None


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


async def detect_liveportrait(_timeout: float) -> dict[str, Any]:
    found = await asyncio.to_thread(find_module, LIVEPORTRAIT_MODULES)
    if found is None:
        return {
            "status": "not_installed",
            "detail": {"looked_for": list(LIVEPORTRAIT_MODULES)},
            "remediation": "Install LivePortrait yourself into ReelForge's Python (pip).",
        }
    module, origin = found
    version = _package_version(module)
    return {
        "status": "installed",
        "summary": f"{module} {version or ''} at {origin}".replace("  ", " "),
        "detail": {"module": module, "path": origin, "version": version},
    }


async def detect_program(names: tuple[str, ...], timeout: float, hint: str) -> dict[str, Any]:
    for name in names:
        path = shutil.which(name)
        if path:
            try:
                version = await version_of(path, ("--version",), timeout)
            except TimeoutError:
                return {
                    "status": "error",
                    "error": f"{name} --version did not answer within {timeout:g} s",
                    "detail": {"path": path},
                }
            except OSError as exc:
                return {
                    "status": "error",
                    "error": f"{name} cannot be run ({type(exc).__name__})",
                    "detail": {"path": path},
                }
            return {
                "status": "installed",
                "summary": version or path,
                "detail": {"path": path, "version": version},
            }
    return {"status": "not_installed", "detail": {"looked_for": list(names)}, "remediation": hint}


async def detect_realesrgan(timeout: float) -> dict[str, Any]:
    return await detect_program(
        UPSCALER_NAMES,
        timeout,
        "Install realesrgan-ncnn-vulkan yourself and put it on PATH (the built-in Lanczos "
        "upscale is used meanwhile).",
    )


async def detect_topaz(timeout: float) -> dict[str, Any]:
    return await detect_program(
        TOPAZ_NAMES, timeout, "Install Topaz Video AI yourself and put its CLI on PATH."
    )


TOOLS = (
    ("liveportrait", "LivePortrait (Python package)", detect_liveportrait),
    ("realesrgan", "Real-ESRGAN (realesrgan-ncnn-vulkan)", detect_realesrgan),
    ("topaz", "Topaz Video AI (CLI)", detect_topaz),
)
