"""Building the one-run pipeline an OpenAI call stands for, from the catalog entry."""

from __future__ import annotations

from typing import Any

from reelforge.api.openai.mapping import count_param, parse_size, quality_params, size_params
from reelforge.api.openai.schemas import ReelForgeExtras
from reelforge.container import Container
from reelforge.domain.modes import Mode
from reelforge.engine.pipeline import Capability, Node, NodeInput, Pipeline


async def media_pipeline(
    container: Container,
    *,
    model: str | None,
    mode: Mode,
    prompt: str,
    extras: ReelForgeExtras,
    ignored: list[str],
    n: int = 1,
    size: str | None = None,
    quality: str | None = None,
    inputs: list[NodeInput] | None = None,
    params: dict[str, Any] | None = None,
    name: str = "",
) -> Pipeline:
    """``model`` given: its own params from size/n/quality; omitted: routing picks one
    (the capability's quality from ``quality``), as ``/v1/generations`` does."""
    from reelforge.api.openai.runs import model_for

    wanted = parse_size(size)
    base: dict[str, Any] = {}
    count = n
    capability = None
    if model is None:
        high = quality in ("high", "hd", "xhigh", "max")
        capability = Capability(mode=mode, quality="hd" if high else "standard")
        if wanted is not None:
            ignored.append("size")
    else:
        entry = await model_for(container, model, mode)
        if wanted is not None:
            base.update(size_params(entry, wanted, ignored))
        base.update(quality_params(entry, quality, ignored))
        counted, count = count_param(entry, n)
        base.update(counted)
    base.update(params or {})
    base.update(extras.params)
    nodes = [
        Node(
            id="gen" if count == 1 else f"gen{i}",
            model=model,
            capability=capability,
            mode=mode,
            prompt=prompt,
            negative_prompt=extras.negative_prompt,
            seed=None if extras.seed is None else extras.seed + i,
            params=base,
            inputs=list(inputs or []),
            fallbacks=list(extras.fallbacks),
            max_micros=extras.max_micros,
        )
        for i in range(count)
    ]
    return Pipeline(name=name, nodes=nodes)
