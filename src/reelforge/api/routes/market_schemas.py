"""Request and response models of the marketplace API (/api/atelier and /v1/market)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelforge.api.schemas import HTTP_URL_PATTERN, NOT_BLANK, RequestModel


class BadgeOut(BaseModel):
    kind: Literal["official", "blue_check", "verified"]
    label: str
    color: str


class AgentOut(BaseModel):
    id: str
    name: str
    description: str
    avatar: str | None
    source: Literal["official", "agentgram", "external"]
    source_label: str = Field(description='"Atelier Official" for the official roster')
    verified: int
    blue_check: int
    is_atelier_official: int = Field(description="1 for Atelier Official agents (gold badge)")
    badges: list[BadgeOut]
    services_count: int = 0


class AgentListItem(AgentOut):
    categories: list[str]
    min_price_micros: int | None
    price_from: str | None


class AgentsPage(BaseModel):
    agents: list[AgentListItem]
    count: int
    offset: int
    next_offset: int | None


class ServiceOut(BaseModel):
    id: str
    agent_id: str
    title: str
    description: str
    category: str
    price_micros: int
    price: str
    provider_key: str | None
    provider_model: str | None
    active: bool


class MediaOut(BaseModel):
    kind: str
    content_type: str
    url: str


class PostOut(BaseModel):
    id: str
    agent_id: str
    order_id: str | None
    caption: str
    media: list[MediaOut]
    created_at: datetime


class ProfileOut(BaseModel):
    agent: AgentOut
    services: list[ServiceOut]
    recent_posts: list[PostOut]


class DeliverableOut(BaseModel):
    artifact_id: str
    kind: str
    content_type: str
    url: str


class OrderOut(BaseModel):
    id: str
    service_title: str | None = None
    agent_name: str | None = None
    buyer_id: str
    agent_id: str
    service_id: str
    brief: str
    inputs: list[dict[str, Any]]
    consent: bool
    status: Literal[
        "pending_payment", "paid", "in_progress", "delivered", "failed", "refunded", "canceled"
    ]
    price_micros: int
    price: str
    captured_micros: int
    refunded_micros: int
    run_id: str | None
    deliverable_post_id: str | None
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    post: PostOut | None
    deliverables: list[DeliverableOut]


class OrdersOut(BaseModel):
    orders: list[OrderOut]


class InputSlotOut(BaseModel):
    name: str
    kind: str
    required: bool
    identity: bool = Field(description="A real person's face or voice: the order needs consent")


class QuoteOut(BaseModel):
    price_micros: int = Field(description="Held from your credits when you order")
    price: str
    available_micros: int = Field(description="What you have available now")
    enough: bool
    charged_on: str
    refund: str


class ServiceDetailOut(BaseModel):
    service: ServiceOut
    agent: AgentOut
    inputs: list[InputSlotOut]
    quote: QuoteOut


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class PostsOut(BaseModel):
    posts: list[PostOut]


class OrderInputIn(RequestModel):
    artifact_id: str = Field(description="An artifact of yours (POST /v1/uploads)")
    slot: str | None = Field(default=None, description='e.g. "image", "audio"; None: by kind')


class OrderIn(RequestModel):
    service_id: str
    brief: str = Field(
        description="What to make: the generation's prompt",
        max_length=4000,
        json_schema_extra=NOT_BLANK,
    )
    inputs: list[OrderInputIn] = Field(default_factory=list, max_length=8)
    consent: bool = Field(
        default=False, description="Identity inputs (a real face or voice): you have consent."
    )


class AgentIn(RequestModel):
    # An external agent needs the http(s) endpoint_url its orders are sent to
    # (apps.market.sellers); whether its address may be reached is the fetcher's answer.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"required": ["source"], "properties": {"source": {"const": "external"}}},
            "then": {
                "required": ["endpoint_url"],
                "properties": {"endpoint_url": {"type": "string", "pattern": HTTP_URL_PATTERN}},
            },
        },
    )

    name: str = Field(max_length=120, json_schema_extra=NOT_BLANK)  # once stripped
    description: str = Field(default="", max_length=2000)
    source: Literal["agentgram", "external"] = "agentgram"
    endpoint_url: str | None = Field(default=None, max_length=2000)
    avatar: str | None = Field(default=None, max_length=500)


class ServiceIn(RequestModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    category: str
    price_micros: int = Field(ge=0, le=1_000_000_000)


class ServicePatch(RequestModel):
    price_micros: int | None = Field(default=None, ge=0, le=1_000_000_000)
    active: bool | None = None


class DeliverIn(RequestModel):
    artifact_ids: list[str] = Field(min_length=1, max_length=8)
    caption: str = Field(default="", max_length=4000)


class MarginOut(BaseModel):
    order_id: str
    status: str
    revenue_micros: int
    provider_cost_micros: int
    provider_list_micros: int
    margin_micros: int
    refunded_micros: int


class MarginTotals(BaseModel):
    orders: int
    revenue_micros: int
    provider_cost_micros: int
    margin_micros: int


class MarginsOut(BaseModel):
    orders: list[MarginOut]
    totals: MarginTotals


class WebhookSecretOut(BaseModel):
    agent_id: str
    secret: str
    header: str = "X-ReelForge-Signature"
