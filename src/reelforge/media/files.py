"""Output and scratch files: written atomically, removed on every failure path."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from reelforge.domain.errors import ErrorCode, ReelForgeError


@contextmanager
def atomic_output(dst: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dst``; move it into place only if the block succeeds.

    The temporary name keeps ``dst``'s suffix because ffmpeg picks its muxer from it.
    Whatever happens (error, timeout, cancellation), no partial file remains.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.stem}.{secrets.token_hex(4)}.part{dst.suffix}")
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise ReelForgeError(
                ErrorCode.INTERNAL_ERROR,
                "The operation produced no output.",
                detail={"output": dst.name},
                retryable=False,
            )
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def scratch_dir(near: Path) -> Iterator[Path]:
    """A private temporary folder beside ``near`` (same disk, so renames are cheap),
    deleted with everything in it when the block ends."""
    near.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rf-scratch-", dir=near.parent) as tmp:
        yield Path(tmp)


def path_from_url(url: str) -> Path:
    """A local path from a ``file://`` URL (or a plain absolute path)."""
    if url.startswith("file://"):
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "Only local file:// URLs are accepted here.",
                detail={"url_host": parsed.netloc},
            )
        return Path(unquote(parsed.path))
    if url.startswith("/"):
        return Path(url)
    raise ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        "The local engine reads local files only (file:// URLs).",
        detail={"scheme": urlparse(url).scheme or None},
        remediation=("Store the media as an artifact first; the engine hands its file over.",),
    )


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
