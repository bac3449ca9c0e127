"""A real ReelForge server (sandbox, embedded runner) on 127.0.0.1 for CLI tests.

The server runs in its own thread and event loop, so the CLI under test (synchronous
httpx, CliRunner or a subprocess) talks to it over real HTTP exactly as a user's would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelforge.app import api_app, open_container
from reelforge.container import Container
from tests.conftest import make_settings
from tests.helpers import serve_in_loop


@dataclass
class Served:
    url: str
    key: str
    container: Container
    loop: asyncio.AbstractEventLoop

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine in the server's loop (e.g. to inject an emulator fault)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def fault(self, provider: str, **body: Any) -> None:
        client = self.container.hub.sandbox_endpoints[provider].client
        self.call(client.post("/__emulator/faults", json=body))

    def env(self) -> dict[str, str]:
        return {"REELFORGE_SERVER": self.url, "REELFORGE_API_KEY": self.key}


@contextmanager
def served(home: Path, **overrides: object) -> Iterator[Served]:
    settings = make_settings(home, **overrides)
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        async with open_container(settings, start_runner=True) as container:
            async with serve_in_loop(api_app(container)) as url:
                key = settings.owner_key_path.read_text().strip()
                box["served"] = Served(url, key, container, asyncio.get_running_loop())
                box["stop"] = stop
                ready.set()
                await stop.wait()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced to the test below
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=thread_main, daemon=True)
    thread.start()
    if not ready.wait(60) or "error" in box:
        raise RuntimeError(f"the test server did not start: {box.get('error')!r}")
    server: Served = box["served"]
    try:
        yield server
    finally:
        server.loop.call_soon_threadsafe(box["stop"].set)
        thread.join(timeout=30)
