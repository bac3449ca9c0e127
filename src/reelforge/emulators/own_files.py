"""Input media that an emulator served itself, read without a network round trip.

In sandbox mode an emulator runs in-process behind an ASGI transport on a host that does
not resolve (``<name>.sandbox.reelforge.internal``), so an input pointing at one of its own
``/files/<token>.<ext>`` URLs (a Higgsfield upload, a Luma video to extend or remix, a
MiniMax output fed back in) cannot be fetched over HTTP. File tokens are random, so a hit
in the emulator's own FileStore identifies the file; anything else goes to ``load_media``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from reelforge.emulators.base import EmulatorState


async def load_input(state: EmulatorState, ref: str) -> bytes:
    if ref.startswith(("http://", "https://")):
        recalled = state.recalled_input(ref)
        if recalled is not None:
            return recalled
        path = urlsplit(ref).path
        head, _, name = path.rpartition("/")
        stored = state.files.lookup(name) if head.endswith("/files") else None
        if stored is not None and stored.token == name.split(".", 1)[0]:
            data = await asyncio.to_thread(state.files.content, stored)
            state.remember_input(ref, data)
            return data
    return await state.load_media(ref)
