"""Every table module, imported once so ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from reelforge.storage import (
    artifact_tables,
    budget_tables,
    character_tables,
    credential_tables,
    identity_tables,
    job_tables,
    ledger_tables,
    market_tables,
    price_tables,
    routing_tables,
    run_tables,
    series_tables,
    source_tables,
    thumbnail_tables,
    web_tables,
)
from reelforge.storage.tables import Base

TABLE_MODULES = (
    identity_tables,
    artifact_tables,
    credential_tables,
    run_tables,
    ledger_tables,
    routing_tables,
    price_tables,
    character_tables,
    thumbnail_tables,
    source_tables,
    budget_tables,
    web_tables,
    series_tables,
    job_tables,
    market_tables,
)

metadata = Base.metadata
