"""A running ReelForge for the OpenAI and MCP doors' tests: uvicorn on 127.0.0.1 in its
own thread (cli_server.served), everything sandboxed except fal, which is live against
its emulator on another port, so its models are priced, held and charged for real."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from reelforge.emulators import fal
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine.routing import RetryPolicy
from tests.helpers import serve_asgi
from tests.integration.cli_server import Served, served

KEY_LIMIT = 3  # generation requests a minute per member key (the owner is exempt)


@dataclass
class Doors:
    served: Served
    fal_url: str

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def key(self) -> str:
        return self.served.key

    def http(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key or self.key}"}, timeout=60
        )

    def fal_fault(self, **fault: object) -> None:
        r = httpx.post(f"{self.fal_url}/__emulator/faults", json=fault)
        assert r.status_code == 201, r.text

    def fal_tasks(self) -> int:
        return int(httpx.get(f"{self.fal_url}/__emulator/stats").json()["tasks"])

    def clear_fal_faults(self) -> None:
        httpx.delete(f"{self.fal_url}/__emulator/faults")

    def member(self, name: str, role: str = "member") -> tuple[str, str]:
        """A new member (rate limited, not the owner), or agent, and their key."""
        with self.http() as c:
            r = c.post("/v1/users", json={"name": name, "role": role})
            assert r.status_code == 201, r.text
            user_id = r.json()["id"]
            r = c.post(f"/v1/users/{user_id}/keys", json={"label": "doors"})
            assert r.status_code == 201, r.text
            return user_id, r.json()["key"]


@contextmanager
def doors(home: Path) -> Iterator[Doors]:
    config = EmulatorConfig(run_seconds=0.3, image_run_seconds=0.1, queue_seconds=0.05)
    previous = os.environ.get("FAL_KEY")
    with serve_asgi(fal.create_app(config)) as fal_url:
        os.environ["FAL_KEY"] = fal.SANDBOX_CREDENTIAL["api_key"]
        try:
            with served(
                home,
                provider_base_urls={"fal": fal_url},
                fetch_allow_hosts=[fal_url.removeprefix("http://")],
                rate_limit_key_per_minute=KEY_LIMIT,
            ) as server:
                # Short backoff: a failing task is retried (and fails) within a second.
                server.container.engine.policy = RetryPolicy(
                    base_delay=0.05, max_delay=0.2, max_attempts=2
                )
                yield Doors(server, fal_url)
        finally:
            if previous is None:
                os.environ.pop("FAL_KEY", None)
            else:
                os.environ["FAL_KEY"] = previous
