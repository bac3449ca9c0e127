"""Building the provider request for one attempt of a step, on whichever option serves it.

The step's stored request (prompt, params, inputs) is the node's; a fallback option brings
its own translated params. A model without native negative prompts gets the negative
prompt folded into the prompt. Media inputs become URLs the provider can fetch, in the
order the planner filled them (a list slot's order). A model whose schema names its own
prompt, negative prompt or seed parameter (catalog.prompts) gets the node's values there.
"""

from __future__ import annotations

from typing import Any

from reelforge.catalog.prompts import text_params
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.media_io import MediaIO
from reelforge.engine.routing import Option
from reelforge.engine.translate import fold_negative
from reelforge.providers.base import GenerationRequest, InputMedia, Provider
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.db import Database
from reelforge.storage.run_tables import StepRow


class RequestBuilder:
    def __init__(self, db: Database, artifacts: ArtifactStore, media: MediaIO) -> None:
        self.db = db
        self.artifacts = artifacts
        self.media = media

    async def build(
        self,
        step: StepRow,
        entry: ModelEntry,
        option: Option,
        parents: list[StepRow],
        *,
        idempotency_key: str,
        provider: type[Provider] | None = None,
        sandbox: bool = False,
    ) -> tuple[GenerationRequest, list[str]]:
        """(request, notes on what was adapted for this model). ``provider``: the adapter
        class, asked which inputs it must fetch itself by URL (``needs_url``)."""
        mode = Mode(step.mode)
        doc = step.request
        by_node = {p.node_id: p for p in parents}
        slots = {s.name for s in entry.inputs}
        inputs: list[InputMedia] = []
        for item in doc.get("inputs", []):
            artifact_id = item.get("artifact_id")
            if item.get("from_node"):
                parent = by_node[item["from_node"]]
                if not parent.outputs:
                    raise ReelForgeError(
                        ErrorCode.FILE_NOT_FOUND,
                        f"upstream step {parent.node_id!r} produced no output",
                    )
                artifact_id = parent.outputs[0]
            kind = MediaKind(item["kind"])
            url_only = provider is not None and provider.needs_url(mode, kind)
            if artifact_id:
                row = await self.artifacts.get(artifact_id, owner_id=step.owner_id)
                url = await self.media.input_url(
                    row, entry.provider, url_only=url_only, sandbox=sandbox
                )
            elif item.get("url"):
                url = await self._ingest_url(step, item, entry.provider, url_only, sandbox)
            else:
                continue
            slot = item.get("slot")
            if option.params is not None and slots and slot not in slots:
                slot = None  # a fallback names its slots differently: matched by kind
            inputs.append(InputMedia(kind=kind, url=url, slot=slot))
        params = doc.get("params", {}) if option.params is None else option.params
        prompt, negative, note = fold_negative(
            entry, doc.get("prompt") or "", doc.get("negative_prompt")
        )
        text = {"prompt": prompt or None, "negative_prompt": negative, "seed": doc.get("seed")}
        named = {
            name: text[text_field]
            for text_field, name in text_params(entry.params_schema).items()
            if text[text_field] is not None
        }
        request = GenerationRequest(
            model=entry.provider_model,
            mode=mode,
            prompt=prompt,
            negative_prompt=negative,
            params={**params, **named, **entry.fixed_params},
            inputs=inputs,
            seed=doc.get("seed"),
            idempotency_key=idempotency_key,
        )
        return request, [*option.notes, *([note] if note else [])]

    async def _ingest_url(
        self,
        step: StepRow,
        item: dict[str, Any],
        provider: str,
        url_only: bool = False,
        sandbox: bool = False,
    ) -> str:
        writer = self.artifacts.writer()
        result = await self.media.fetcher.fetch_to(
            item["url"], writer, kinds=[MediaKind(item["kind"])]
        )
        async with self.db.write() as tx:
            row = await self.artifacts.record(
                tx,
                owner_id=step.owner_id,
                blob=result.blob,
                head=result.head,
                name=item["url"].rsplit("/", 1)[-1][:100],
                provenance={"source_url": item["url"].split("?", 1)[0]},
            )
        return await self.media.input_url(row, provider, url_only=url_only, sandbox=sandbox)
