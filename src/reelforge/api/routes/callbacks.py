"""Provider completion callbacks: a nudge, never trusted as a result.

The URL carries a per-step HMAC token; the body is ignored and the step is advanced at once,
which re-polls the provider for the real state (providers that sign their webhooks are
still re-polled: one truth, the provider's API).
"""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Query, Response
from sqlalchemy import update

from reelforge.api.deps import ContainerDep
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.media_io import callback_token
from reelforge.storage.run_tables import StepRow

router = APIRouter(prefix="/v1/callbacks", tags=["callbacks"], include_in_schema=False)


@router.post("/{provider}/{step_id}", status_code=204)
async def provider_callback(
    provider: str, step_id: str, container: ContainerDep, token: str = Query(default="")
) -> Response:
    expected = callback_token(container.engine.media.link_secret, step_id)
    if not hmac.compare_digest(expected, token):
        raise ReelForgeError(ErrorCode.FORBIDDEN, "Unknown callback.")
    async with container.db.read() as sql:
        step = await repo.get_step(sql, step_id)
    if step is None or step.provider != provider:
        raise ReelForgeError(ErrorCode.NOT_FOUND, "Unknown callback.")
    if step.status == "submitted":
        # Due now (in the database, so any worker may take it), then nudge the runner.
        async with container.db.transaction() as session:
            await session.execute(
                update(StepRow)
                .where(StepRow.id == step_id, StepRow.status == "submitted")
                .values(next_at=time.time())
            )
        await container.runner.enqueue([step_id], at_provider=True)
    return Response(status_code=204)
