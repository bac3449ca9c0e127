"""`serve` pointed at `reelforge emulate` as the README says: sandbox off, each provider's
base URL at its emulate prefix (REELFORGE_PROVIDER_BASE_URLS), the emulator's key in the
provider's own environment variable, and the fetcher allowed to reach 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from reelforge.app import emulators_app, open_container
from reelforge.emulators import registry
from reelforge.engine.pipeline import Pipeline
from reelforge.providers.plugins import load_registry
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow
from tests.conftest import make_settings
from tests.helpers import free_port, serve_asgi

# Providers polled every 2 s (kling and runway wait 6-10 s between polls; every provider
# goes through emulate in test_emulate_providers.py).
MODELS = ["runware/flux-schnell", "fal/flux-dev", "replicate/flux-schnell"]


async def test_runs_go_through_emulate_with_the_documented_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    app, names = emulators_app(f"http://127.0.0.1:{port}")
    providers = load_registry()
    for name in names:  # each emulator's accepted key, in the variable the adapter reads
        cls = providers.get(name)
        assert cls is not None
        credential = registry.load(name).sandbox_credential
        for field in cls.credential_fields:
            if field.name in credential:
                monkeypatch.setenv(field.env_vars[0], credential[field.name])
    with serve_asgi(app, port) as url:
        settings = make_settings(
            tmp_path / "home",
            sandbox=False,
            provider_base_urls={name: f"{url}/{name}" for name in names},
            fetch_allow_hosts=[f"127.0.0.1:{port}"],
        )
        async with open_container(settings, start_runner=True) as container:
            async with container.db.session() as s:
                owner_id = (await identity.find_owner(s)).id  # type: ignore[union-attr]
            runs = []
            for model in MODELS:
                doc = Pipeline.model_validate(
                    {
                        "nodes": [
                            {
                                "id": "n",
                                "model": model,
                                "prompt": "a paper boat",
                                "max_micros": 50_000,
                            }
                        ]
                    }
                )
                created = await container.runs.create_run(owner_id, doc)
                await container.runner.enqueue_created(created)
                runs.append(created.run_id)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                async with container.db.session() as s:
                    rows = list(
                        (await s.execute(select(RunRow).where(RunRow.id.in_(runs)))).scalars()
                    )
                if all(r.status in ("succeeded", "failed", "canceled") for r in rows):
                    break
                await asyncio.sleep(0.2)
    assert {r.status for r in rows} == {"succeeded"}, [(r.status, r.error) for r in rows]
