"""Settling a batch once its run ended: each job's result and the model that served it
(after any fallbacks), its gallery entry (private until the owner opts in), and the HD
credits for the slots that succeeded (steps 10 to 12), never paid twice (``hd_price``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from reelforge.apps.assets.hd_credits import HD_CREDIT_MICROS, deduct
from reelforge.apps.assets.tables import BatchRow, GalleryRow, JobRow
from reelforge.container import Container
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.engine.payers import FREE, OWN, payer_of
from reelforge.storage.run_tables import StepRow
from reelforge.storage.tables import utcnow

TERMINAL = {"succeeded", "failed", "canceled"}


def hd_price(step: StepRow) -> int:
    """What one HD image takes from HD credits, so that nothing is paid twice:

    - served on the user's own key (a stored key, or the owner's environment keys): 0,
      since the provider bills the user directly (the engine records it as own-key spend);
    - served on a key the operator lends: the run already captured the provider's cost
      from the same wallet, so HD credits take only the rest of one credit's price;
    - emulated (sandbox, free): one credit, as the product charges for HD.
    """
    provider = step.provider or step.model.split("/", 1)[0]
    payer = payer_of(step.request, provider) if not step.sandbox else FREE
    if payer == OWN:
        return 0
    if payer == FREE:
        return HD_CREDIT_MICROS
    return max(0, HD_CREDIT_MICROS - (step.cost_micros or 0))


async def settle_batch(container: Container, row: BatchRow) -> BatchRow:
    run, steps = await container.runs.get_run(row.run_id, row.owner_id)
    by_node = {s.node_id: s for s in steps}
    async with container.db.transaction() as session:
        jobs = list(
            (await session.execute(select(JobRow).where(JobRow.batch_id == row.id))).scalars()
        )
        for job in jobs:
            step = by_node.get(job.node_id)
            if step is None or step.status not in TERMINAL:
                continue
            ok = step.status == "succeeded" and bool(step.outputs)
            first_time = job.artifact_id is None  # read before the update refreshes it
            values: dict[str, Any] = {
                "status": "succeeded" if ok else "failed",
                "served_by": step.served_by or step.model,
                "artifact_id": step.outputs[0] if ok else None,
                "error": None if ok else step.error,
            }
            await session.execute(update(JobRow).where(JobRow.id == job.id).values(**values))
            job.status = values["status"]
            if ok and first_time:
                session.add(
                    GalleryRow(
                        id=new_id("agl"),
                        job_id=job.id,
                        owner_id=row.owner_id,
                        mode=row.mode,
                        workspace_id=row.workspace_id,
                        artifact_id=values["artifact_id"],
                        title=row.subject[:200],
                        public=False,
                        created_at=utcnow(),
                    )
                )
        if run.status not in TERMINAL:
            return row
        succeeded = sum(1 for j in jobs if j.status == "succeeded")
        status = "succeeded" if succeeded == len(jobs) else "partial" if succeeded else "failed"
        charged = 0
        error = None
        amount = (
            sum(hd_price(by_node[j.node_id]) for j in jobs if j.status == "succeeded")
            if row.tier == "hd"
            else 0
        )
        if amount:
            try:
                await deduct(
                    session,
                    row.owner_id,
                    amount,
                    key=f"assets-hd:{row.id}",
                    batch_id=row.id,
                    images=succeeded,
                )
                charged = amount
            except ReelForgeError as exc:
                # Spent elsewhere since the check: the batch says so; nothing overdrawn.
                error = exc.code.value
        await session.execute(
            update(BatchRow)
            .where(BatchRow.id == row.id)
            .values(
                status=status if error is None else f"{status}_unpaid",
                settled=True,
                finished_at=utcnow(),
                hd_credits=-(-charged // HD_CREDIT_MICROS),  # whole credits, rounded up
                hd_charged_micros=charged,
            )
        )
    async with container.db.session() as session:
        fresh = await session.get(BatchRow, row.id)
        assert fresh is not None
        return fresh
