"""The services one process uses, built by the composition root (``reelforge.app``).

Interfaces (API, CLI) receive a Container; nothing else builds services or reads settings.
Later areas add their service here as one more field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelforge.jobs.pacing import Foreground

if TYPE_CHECKING:
    from reelforge.catalog.catalog import Catalog
    from reelforge.engine.advance import Engine
    from reelforge.engine.characters import CharacterService
    from reelforge.engine.service import RunService
    from reelforge.engine.sources import SourceService
    from reelforge.jobs.runner import Runner
    from reelforge.providers.credentials import CredentialVault
    from reelforge.providers.hub import ProviderHub
    from reelforge.settings import Settings
    from reelforge.storage.artifacts import ArtifactStore
    from reelforge.storage.blobs import BlobStore
    from reelforge.storage.db import Database
    from reelforge.storage.fetcher import SafeFetcher


@dataclass
class Container:
    settings: Settings
    db: Database
    blobs: BlobStore
    artifacts: ArtifactStore
    fetcher: SafeFetcher
    vault: CredentialVault
    hub: ProviderHub
    sources: SourceService
    # Built by build_engine once the rest is ready.
    catalog: Catalog = field(init=False)
    engine: Engine = field(init=False)
    runs: RunService = field(init=False)
    runner: Runner = field(init=False)
    characters: CharacterService = field(init=False)
    # API requests in this process: the embedded runner gives way to them (jobs.pacing).
    foreground: Foreground = field(default_factory=Foreground)
    # Services added by later areas (provider registry, catalog, runner, ledger, ...).
    extras: dict[str, Any] = field(default_factory=dict)
    _closers: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        await self.sources.aclose()
        await self.fetcher.aclose()
        await self.blobs.close()
        await self.db.dispose()
