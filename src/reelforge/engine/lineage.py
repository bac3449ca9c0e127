"""An artifact's lineage: the artifacts it was made from (back to uploads and first
generations), the runs and steps that made them, the models, parameters (secrets
redacted) and costs, plus its content credentials as they validate now."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reelforge.logs import redact
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.content_credentials.reading import Credentials, read_stream
from reelforge.storage.run_tables import RunRow, StepRow

MAX_NODES = 500  # a lineage this large is cut (and says so)


def _node(row: ArtifactRow) -> dict[str, Any]:
    prov = row.provenance or {}
    return {
        "id": row.id,
        "media_type": row.kind,
        "content_type": row.content_type,
        "name": row.name,
        "sha256": row.sha256,
        "content_sha256": row.content_sha256 or row.sha256,
        "content_credentials": row.credentials,
        "sandbox": row.sandbox,
        "source": prov.get("source") or ("generation" if prov.get("model") else "unknown"),
        "model": prov.get("model"),
        "provider": prov.get("provider"),
        "provider_model": prov.get("provider_model"),
        "mode": prov.get("mode"),
        "prompt": redact(prov.get("prompt")),
        "params": redact(prov.get("params") or {}),
        "seed": prov.get("seed"),
        "cost_micros": prov.get("cost_micros"),
        "run_id": prov.get("run_id"),
        "step_id": prov.get("step_id"),
        "parents": [str(p) for p in prov.get("parents") or []],
        "created_at": row.created_at,
    }


class Lineage:
    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts
        self.db = artifacts.db

    async def graph(self, artifact_id: str, owner_id: str) -> dict[str, Any]:
        root = await self.artifacts.get(artifact_id, owner_id=owner_id)
        nodes: dict[str, dict[str, Any]] = {root.id: _node(root)}
        frontier = list(nodes[root.id]["parents"])
        truncated = False
        async with self.db.session() as session:
            while frontier:
                if len(nodes) >= MAX_NODES:
                    truncated = True
                    break
                wanted = [a for a in dict.fromkeys(frontier) if a not in nodes]
                frontier = []
                if not wanted:
                    break
                rows = (
                    await session.execute(
                        select(ArtifactRow).where(
                            ArtifactRow.id.in_(wanted), ArtifactRow.owner_id == owner_id
                        )
                    )
                ).scalars()
                for row in rows:
                    nodes[row.id] = _node(row)
                    frontier.extend(nodes[row.id]["parents"])
            run_ids = sorted({n["run_id"] for n in nodes.values() if n["run_id"]})
            step_ids = sorted({n["step_id"] for n in nodes.values() if n["step_id"]})
            runs = (
                await session.execute(
                    select(RunRow).where(RunRow.id.in_(run_ids), RunRow.owner_id == owner_id)
                )
            ).scalars()
            steps = (
                await session.execute(
                    select(StepRow).where(StepRow.id.in_(step_ids), StepRow.owner_id == owner_id)
                )
            ).scalars()
            run_list = [
                {
                    "id": r.id,
                    "status": r.status,
                    "preset": r.preset,
                    "cost_micros": r.cost_micros,
                    "created_at": r.created_at,
                    "finished_at": r.finished_at,
                }
                for r in runs
            ]
            step_list = [
                {
                    "id": s.id,
                    "run_id": s.run_id,
                    "node_id": s.node_id,
                    "model": s.model,
                    "served_by": s.served_by or s.model,
                    "mode": s.mode,
                    "status": s.status,
                    "cost_micros": s.cost_micros,
                    "outputs": list(s.outputs),
                }
                for s in steps
            ]
        edges = [
            {"from": parent, "to": n["id"]}
            for n in nodes.values()
            for parent in n["parents"]
            if parent in nodes
        ]
        credentials = await self.credentials(root)
        return {
            "artifact_id": root.id,
            "artifacts": list(nodes.values()),
            "edges": edges,
            "runs": run_list,
            "steps": step_list,
            "models": sorted({n["model"] for n in nodes.values() if n["model"]}),
            "cost_micros": sum(int(n["cost_micros"] or 0) for n in nodes.values()),
            "truncated": truncated,
            "manifest": credentials.summary() | {"active_manifest": credentials.active},
        }

    async def credentials(self, row: ArtifactRow) -> Credentials:
        """The stored file's C2PA manifest as it validates now (a sidecar when it has one)."""
        sealer = self.artifacts.sealer
        anchors = sealer.anchors_pem if sealer is not None else b""
        sidecar = None
        if row.manifest_sha256:
            sidecar = b"".join([c async for c in self.artifacts.blobs.open(row.manifest_sha256)])
        path = await self.artifacts.local_path(row)
        return await asyncio.to_thread(_read, path, row.content_type, sidecar, anchors)


def _read(path: Path, content_type: str, sidecar: bytes | None, anchors: bytes) -> Credentials:
    with path.open("rb") as fh:
        return read_stream(fh, content_type, sidecar=sidecar, anchors_pem=anchors)
