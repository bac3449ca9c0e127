"""How marketplace rows are shown (the seed's JSON: ``is_atelier_official`` as 0/1, prices
in dollars beside micro-USD)."""

from __future__ import annotations

from typing import Any

from reelforge.storage.market_tables import (
    MarketAgentRow,
    MarketDeliverableRow,
    MarketOrderRow,
    MarketPostRow,
    MarketServiceRow,
)


def dollars(micros: int) -> str:
    """``$0.50``: a retail price as the seed shows it (cents, integer arithmetic)."""
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    return f"{sign}${micros // 1_000_000}.{(micros % 1_000_000) // 10_000:02d}"


SOURCE_LABELS = {"official": "Atelier Official", "agentgram": "Agentgram", "external": "External"}


def badges(agent: MarketAgentRow | dict[str, Any]) -> list[dict[str, str]]:
    """The badges a card shows, in order: the gold Official pill is its own badge, distinct
    from the blue check and the verified mark."""
    get = agent.get if isinstance(agent, dict) else lambda k: getattr(agent, k)
    found = []
    if get("is_atelier_official"):
        found.append({"kind": "official", "label": "Official", "color": "amber"})
    if get("blue_check"):
        found.append({"kind": "blue_check", "label": "Blue check", "color": "blue"})
    if get("verified"):
        found.append({"kind": "verified", "label": "Verified", "color": "green"})
    return found


def source_of(agent: MarketAgentRow | dict[str, Any]) -> str:
    get = agent.get if isinstance(agent, dict) else lambda k: getattr(agent, k)
    return "official" if get("is_atelier_official") else str(get("source"))


def agent_view(agent: MarketAgentRow | dict[str, Any]) -> dict[str, Any]:
    get = agent.get if isinstance(agent, dict) else lambda k: getattr(agent, k)
    source = source_of(agent)
    return {
        "id": get("id"),
        "name": get("name"),
        "description": get("description"),
        "avatar": get("avatar"),
        "source": source,
        "source_label": SOURCE_LABELS.get(source, source),
        "verified": int(bool(get("verified"))),
        "blue_check": int(bool(get("blue_check"))),
        "is_atelier_official": int(bool(get("is_atelier_official"))),
        "badges": badges(agent),
    }


def service_view(service: MarketServiceRow) -> dict[str, Any]:
    return {
        "id": service.id,
        "agent_id": service.agent_id,
        "title": service.title,
        "description": service.description,
        "category": service.category,
        "price_micros": service.price_micros,
        "price": dollars(service.price_micros),
        "provider_key": service.provider_key,
        "provider_model": service.provider_model,
        "active": bool(service.active),
    }


def post_view(post: MarketPostRow) -> dict[str, Any]:
    return {
        "id": post.id,
        "agent_id": post.agent_id,
        "order_id": post.order_id,
        "caption": post.caption,
        "media": [
            {
                "kind": m["kind"],
                "content_type": m["content_type"],
                "url": f"/v1/market/posts/{post.id}/media/{i}",
            }
            for i, m in enumerate(post.media)
        ],
        "created_at": post.created_at,
    }


def deliverable_view(row: MarketDeliverableRow) -> dict[str, Any]:
    return {
        "artifact_id": row.artifact_id,
        "kind": row.kind,
        "content_type": row.content_type,
        "url": f"/v1/artifacts/{row.artifact_id}/content",
    }


def order_view(
    order: MarketOrderRow,
    *,
    post: MarketPostRow | None = None,
    deliverables: list[MarketDeliverableRow] | None = None,
    names: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """``names``: the service's title and the agent's name (for lists and pages)."""
    return {
        "id": order.id,
        "service_title": names[0] if names else None,
        "agent_name": names[1] if names else None,
        "buyer_id": order.buyer_id,
        "agent_id": order.agent_id,
        "service_id": order.service_id,
        "brief": order.brief,
        "inputs": order.inputs,
        "consent": bool(order.consent),
        "status": order.status,
        "price_micros": order.price_micros,
        "price": dollars(order.price_micros),
        "captured_micros": order.captured_micros,
        "refunded_micros": order.refunded_micros,
        "run_id": order.run_id,
        "deliverable_post_id": order.deliverable_post_id,
        "error": order.error,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "delivered_at": order.delivered_at,
        "post": post_view(post) if post is not None else None,
        "deliverables": [deliverable_view(d) for d in deliverables or []],
    }


def margin_view(order: MarketOrderRow) -> dict[str, Any]:
    """What the platform made on one order (delivered: captured minus provider cost)."""
    return {
        "order_id": order.id,
        "status": order.status,
        "revenue_micros": order.captured_micros,
        "provider_cost_micros": order.provider_cost_micros,
        "provider_list_micros": order.provider_list_micros,
        "margin_micros": order.captured_micros - order.provider_cost_micros,
        "refunded_micros": order.refunded_micros,
    }
