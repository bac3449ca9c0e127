"""The pipeline document (the canvas as JSON, versioned). A single generation is a
one-node pipeline."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


Need = Literal["negative_prompt", "audio", "seed", "last_frame"]


class Capability(BaseModel):
    """What a node needs instead of a named model: routing picks the models (quality matrix,
    connected credentials, price, recent health, your preference order)."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    quality: Literal["standard", "hd"] = "standard"
    needs: list[Need] = Field(
        default_factory=list, description="Features every candidate must support natively."
    )
    prefer: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Model ids or provider names, most preferred first.",
    )
    max_candidates: int = Field(
        default=3, ge=1, le=6, description="The best one runs; the others are its fallbacks."
    )
    max_micros: int | None = Field(
        default=None, ge=0, description="Leave out candidates quoted above this (micro-USD)."
    )


class Fallback(BaseModel):
    """An alternative model; ``params`` omitted = the node's params translated for it."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=300)
    params: dict[str, Any] | None = None


# A fallback named by its model id alone (as Fallback.model: not empty).
FallbackModel = Annotated[str, Field(min_length=1, max_length=300)]


# A node (or a generation) names exactly one of a model and a capability: the schema says
# so, so a request with neither or both is refused by the document, not only the handler.
MODEL_OR_CAPABILITY: dict[str, Any] = {
    "oneOf": [
        {"required": ["model"], "properties": {"model": {"type": "string"}}},
        {"required": ["capability"], "properties": {"capability": {"type": "object"}}},
    ]
}


class Node(BaseModel):
    # Exactly one of model and capability (``_model_or_capability``), as the schema says.
    model_config = ConfigDict(extra="forbid", json_schema_extra=MODEL_OR_CAPABILITY)

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    model: str | None = Field(
        default=None, description="Catalog id, e.g. kling/t2v_5s (or give a capability)"
    )
    capability: Capability | None = None
    mode: Mode | None = None  # defaults to the model's first mode
    prompt: str = ""
    negative_prompt: str | None = None
    seed: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[NodeInput] = Field(default_factory=list)
    position: Position = Field(default_factory=Position)
    fallbacks: list[FallbackModel | Fallback] = Field(
        default_factory=list,
        max_length=10,
        description="Alternatives tried in order when the model is unavailable, out of "
        "credit, rate-limited for long, or keeps failing (never after a safety refusal).",
    )
    # Identity references (a real person's face or voice) need explicit consent.
    consent: bool = False
    max_micros: int | None = Field(
        default=None,
        ge=0,
        description="The most this node may cost (micro-USD). Needed to run a model whose "
        "price is unknown (unless the owner set one): it is held, and charged at most that.",
    )

    @model_validator(mode="after")
    def _model_or_capability(self) -> Node:
        if (self.model is None) == (self.capability is None):
            raise ValueError("a node names a model or a capability (exactly one of them)")
        if self.capability is not None and self.mode not in (None, self.capability.mode):
            raise ValueError("mode and capability.mode differ")
        return self

    @property
    def fallback_options(self) -> list[Fallback]:
        return [Fallback(model=f) if isinstance(f, str) else f for f in self.fallbacks]


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
    content_credentials: bool = Field(
        default=True,
        description="Sign what this run makes with C2PA content credentials (when the "
        "deployment signs at all: REELFORGE_CONTENT_CREDENTIALS); false stores it unsigned.",
    )

    @field_validator("nodes")
    @classmethod
    def _unique_ids(cls, nodes: list[Node]) -> list[Node]:
        seen: set[str] = set()
        dupes = sorted({n.id for n in nodes if n.id in seen or seen.add(n.id)})  # type: ignore[func-returns-value]
        if dupes:
            raise ValueError(f"duplicate node id(s): {', '.join(dupes)}")
        return nodes
