"""The generation pipeline (seed 004, "Generation Pipeline"), steps 2 to 13 in order; step
1 (auth and rate limit) is the HTTP layer's. A batch is one run on the engine with one node
per slot, so it is validated, quoted, held, durable and retried like every other run; the
engine's routing folds negative prompts for models without native ones (step 6) and walks
the fallback chain (step 10)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import insert, select

from reelforge.apps.assets.caller import Caller, owns
from reelforge.apps.assets.contract import ModeContract
from reelforge.apps.assets.hd_credits import check_available
from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.prompt_engine import check_fields, prompt_engine, sanitize
from reelforge.apps.assets.quality_matrix import model_params, resolve_chain
from reelforge.apps.assets.settle import settle_batch
from reelforge.apps.assets.tables import BatchRow, JobRow
from reelforge.apps.assets.variants import build_variants
from reelforge.apps.assets.workspaces import get_workspace
from reelforge.billing.own_keys import OWN, payer_for, user_role
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.modes import Mode
from reelforge.engine.pipeline import Fallback, Node, Pipeline
from reelforge.providers.hub import Connection
from reelforge.storage.tables import utcnow

MAX_FALLBACKS = 10


@dataclass
class GenerateRequest:
    mode: str
    prompt: str
    tool: str | None = None  # the preset
    batch_count: int = 1
    seed: int | None = None
    quality: Literal["standard", "hd"] = "standard"
    negative_prompt: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    workspace_id: str | None = None


class AssetPipeline:
    def __init__(self, container: Container, modes: ModeRegistry, engine_name: str = "oss"):
        self.container = container
        self.modes = modes
        self.engine = prompt_engine(engine_name)

    async def generate(
        self, caller: Caller, body: GenerateRequest, *, wait: float = 0.0
    ) -> dict[str, Any]:
        c = self.container
        # 2. body parse + mode resolution (a workspace fixes the mode).
        mode = self.modes.get(body.mode)
        preset = mode.preset(body.tool)
        if body.workspace_id is not None:
            if caller.is_guest:
                raise ReelForgeError(
                    ErrorCode.FORBIDDEN,
                    "Guests have no workspaces.",
                    remediation=("Sign in to keep generations in a workspace.",),
                )
            workspace = await get_workspace(c.db, caller.user_id, body.workspace_id)
            if workspace.mode != mode.id:
                raise ReelForgeError(
                    ErrorCode.MODE_MISMATCH,
                    f"Workspace {workspace.id} belongs to the {workspace.mode} mode; it cannot "
                    f"hold {mode.id} generations.",
                    remediation=(
                        f"Generate in a {mode.id} workspace, or export the asset and import it.",
                    ),
                    detail={"workspace_mode": workspace.mode, "mode": mode.id},
                )
        if body.quality == "hd" and caller.is_guest:
            raise ReelForgeError(
                ErrorCode.FORBIDDEN,
                "HD generation needs an account; guests generate at standard quality.",
                remediation=("Sign in (or sign up), or send quality: standard.",),
                detail={"quality": "hd", "guest": True},
            )
        seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
        # 3. variant mutation (slots > 0) and 4. prompt validation + sanitisation.
        variants = build_variants(seed, body.batch_count, mode.mutations)
        subject = sanitize(mode, body.prompt)
        fields = check_fields(mode, body.fields)
        # 5. negative bank assembly (global + tool + preset + the user's).
        built = self.engine.build(mode, preset, subject, fields, body.negative_prompt)
        # 7. provider quality matrix: the optimal provider and its fallback chain.
        chain = await self._chain(mode, preset.id, body.quality, caller.user_id)
        if body.quality == "hd" and not await self._own_key(chain[0], caller.user_id):
            # On the user's own key HD costs no credits (settle.hd_price); else all of them
            # must be there before anything is dispatched.
            async with c.db.transaction() as session:
                await check_available(session, caller.user_id, len(variants))
        # 8. quality profile per preset, in each model's parameter names; 6. negatives are
        # folded by the engine's routing for models without native negative prompts.
        nodes = []
        for v in variants:
            first, *rest = chain
            nodes.append(
                Node(
                    id=f"slot{v.slot}",
                    model=first.route.model,
                    mode=Mode.T2I,
                    prompt=v.apply(built.prompt),
                    negative_prompt=built.negative_prompt or None,
                    seed=v.seed,
                    params=model_params(first.route, preset),
                    fallbacks=[
                        Fallback(model=ch.route.model, params=model_params(ch.route, preset))
                        for ch in rest[:MAX_FALLBACKS]
                    ],
                )
            )
        pipeline = Pipeline(name=f"assets:{mode.id}:{preset.id}", nodes=nodes)
        # 9. dispatch (the run is quoted, held and stored in one transaction).
        created = await c.runs.create_run(caller.user_id, pipeline, preset=None)
        # 11. the job records, next to the run.
        batch_id = new_id("abt")
        now = utcnow()
        async with c.db.transaction() as session:
            await session.execute(
                insert(BatchRow).values(
                    id=batch_id,
                    owner_id=caller.user_id,
                    guest_ip=caller.guest_ip,
                    guest_key=caller.guest_key,
                    workspace_id=body.workspace_id,
                    mode=mode.id,
                    preset=preset.id,
                    tier=body.quality,
                    subject=subject,
                    run_id=created.run_id,
                    status="running",
                    chain=[ch.route.model for ch in chain],
                    prompt_engine=self.engine.name,
                    hd_credits=len(variants) if body.quality == "hd" else 0,
                    hd_charged_micros=0,
                    settled=False,
                    created_at=now,
                )
            )
            await session.execute(
                insert(JobRow),
                [
                    {
                        "id": new_id("ajb"),
                        "batch_id": batch_id,
                        "owner_id": caller.user_id,
                        "mode": mode.id,
                        "slot": v.slot,
                        "seed": v.seed,
                        "mutation": v.mutation,
                        "prompt": nodes[v.slot].prompt,
                        "negative_prompt": built.negative_prompt,
                        "node_id": nodes[v.slot].id,
                        "status": "running",
                    }
                    for v in variants
                ],
            )
        if created.ready:
            await c.runner.enqueue_created(created)
        if wait > 0:
            await c.runner.wait_run(created.run_id, wait, new=True)
        # 10, 11, 12 once the run ended: jobs updated, gallery, HD credits deducted.
        return await self.batch(caller, batch_id)

    async def _chain(self, mode: ModeContract, tool: str, tier: Any, owner_id: str) -> list[Any]:
        providers = {r.provider for r in mode.routes}
        states = await self.container.hub.connections(providers, owner_id)
        connected = {p for p, s in states.items() if s is not Connection.OFFLINE}
        return resolve_chain(mode, tool, tier, connected)

    async def _own_key(self, choice: Any, owner_id: str) -> bool:
        provider = choice.route.provider
        sources = await self.container.hub.sources({provider}, owner_id)
        async with self.container.db.session() as session:
            role = await user_role(session, owner_id)
        return payer_for(role, sources.get(provider, "offline")) == OWN

    async def batch(self, caller: Caller, batch_id: str) -> dict[str, Any]:
        """13. response serialisation (settling the batch first if its run has ended)."""
        c = self.container
        async with c.db.session() as session:
            row = await session.get(BatchRow, batch_id)
            if row is None or not owns(caller, row.owner_id, row.guest_key):
                raise ReelForgeError(
                    ErrorCode.NOT_FOUND, f"No batch {batch_id!r}.", detail={"batch_id": batch_id}
                )
        if not row.settled:
            row = await settle_batch(c, row)
        async with c.db.session() as session:
            jobs = (
                await session.execute(
                    select(JobRow).where(JobRow.batch_id == batch_id).order_by(JobRow.slot)
                )
            ).scalars()
            return batch_view(row, list(jobs))

    async def job_image(self, caller: Caller, job_id: str) -> tuple[bytes, str]:
        """A job's image (bytes, content type) for its owner: the way guests, who have no
        key for the core's artifact routes, see what they made."""
        c = self.container
        async with c.db.session() as session:
            job = await session.get(JobRow, job_id)
            batch = await session.get(BatchRow, job.batch_id) if job else None
        if (
            job is None
            or batch is None
            or job.artifact_id is None
            or not owns(caller, batch.owner_id, batch.guest_key)
        ):
            raise ReelForgeError(
                ErrorCode.NOT_FOUND, f"No image for job {job_id!r}.", detail={"job_id": job_id}
            )
        art = await c.artifacts.get(job.artifact_id, owner_id=batch.owner_id)
        return await c.artifacts.read_bytes(art), art.content_type


def batch_view(row: BatchRow, jobs: list[JobRow]) -> dict[str, Any]:
    return {
        "id": row.id,
        "mode": row.mode,
        "tool": row.preset,
        "quality": row.tier,
        "status": row.status,
        "run_id": row.run_id,
        "workspace_id": row.workspace_id,
        "prompt": row.subject,
        "provider_chain": row.chain,
        "prompt_engine": row.prompt_engine,
        "hd_credits": row.hd_credits,
        "hd_charged_micros": row.hd_charged_micros,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "batchCount": len(jobs),
        "jobs": [
            {
                "id": j.id,
                "slot": j.slot,
                "seed": j.seed,
                "mutation": j.mutation,
                "prompt": j.prompt,
                "negative_prompt": j.negative_prompt,
                "status": j.status,
                "served_by": j.served_by,
                "artifact_id": j.artifact_id,
                # Ours, not the core's artifact route: guests can open it too (their own).
                "url": f"/v1/assets/jobs/{j.id}/content" if j.artifact_id else None,
                "artifact_url": f"/v1/artifacts/{j.artifact_id}/content" if j.artifact_id else None,
                "error": j.error,
            }
            for j in jobs
        ],
    }
