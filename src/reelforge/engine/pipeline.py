"""The pipeline document (the canvas as JSON, versioned). A single generation is a
one-node pipeline."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reelforge.domain.modes import MediaKind, Mode

SCHEMA_VERSION: Literal[1] = 1


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float = 0
    y: float = 0


class NodeInput(BaseModel):
    """Media given directly to a node: an uploaded artifact (or a URL fetched safely)."""

    model_config = ConfigDict(extra="forbid")

    artifact_id: str | None = None
    url: str | None = None
    slot: str | None = None  # e.g. "image", "end_image", "audio"; None = by kind
    kind: MediaKind | None = None


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    model: str = Field(description="Catalog id, e.g. kling/t2v_5s")
    mode: Mode | None = None  # defaults to the model's first mode
    prompt: str = ""
    negative_prompt: str | None = None
    seed: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[NodeInput] = Field(default_factory=list)
    position: Position = Field(default_factory=Position)
    fallbacks: list[str] = Field(default_factory=list, description="Alternative catalog ids")
    # Identity references (a real person's face or voice) need explicit consent.
    consent: bool = False


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", description="'<node>' or '<node>.output'")
    target: str = Field(alias="to", description="'<node>' or '<node>.<slot>'")

    @property
    def source_node(self) -> str:
        return self.source.split(".", 1)[0]

    @property
    def target_node(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def target_slot(self) -> str | None:
        parts = self.target.split(".", 1)
        return parts[1] if len(parts) == 2 else None


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    version: Literal[1] = SCHEMA_VERSION
    name: str = ""
    nodes: list[Node] = Field(min_length=1, max_length=5000)
    edges: list[Edge] = Field(default_factory=list)
    allow_cache: bool = Field(
        default=False,
        description="Reuse stored results of identical steps instead of paying again.",
    )

    @field_validator("nodes")
    @classmethod
    def _unique_ids(cls, nodes: list[Node]) -> list[Node]:
        seen: set[str] = set()
        dupes = sorted({n.id for n in nodes if n.id in seen or seen.add(n.id)})  # type: ignore[func-returns-value]
        if dupes:
            raise ValueError(f"duplicate node id(s): {', '.join(dupes)}")
        return nodes
