"""The marketplace's HTTP API (product ``market``, seed 000): the same endpoints at the
seed's paths ``/api/atelier/...`` (its JSON, errors as ``{"error": message, "code", ...}``)
and at ``/v1/market/...`` (our error envelope). The routes only translate; the rules are in
``reelforge.apps.market``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelforge.api.context import request_id_var
from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.errors import from_http_exception, validation_to_error
from reelforge.api.routes import market_schemas as s
from reelforge.api.schemas import one_of
from reelforge.apps.market.listing import SOURCES, get_post, list_posts, list_services
from reelforge.apps.market.orders import OrderInput
from reelforge.apps.market.service import Market
from reelforge.apps.market.views import agent_view, service_view
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal

MAX_WAIT = 300.0


def market_of(container: Container) -> Market:
    market = container.extras.get("market")
    if market is None:
        market = Market(
            container.db,
            container.artifacts,
            container.catalog,
            container.runs,
            container.runner,
            container.fetcher,
            container.extras["secret"],
        )
        container.extras["market"] = market
        container._closers.insert(0, market.aclose)
    return market


def buyer_scope(principal: Principal) -> str | None:
    """Admins see and execute every order; anyone else only their own."""
    return None if principal.role.is_admin else principal.user_id


def admin_only(principal: Principal) -> None:
    if not principal.role.is_admin:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "Only an admin may do this.",
            remediation=("Ask the server's owner or an admin.",),
        )


class AtelierRoute(APIRoute):
    """The seed's error shape: ``{"error": "<message>", "code", "remediation", "detail"}``."""

    error_schema = "AtelierError"  # documented so (api/openapi_doc.py)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return atelier_error(validation_to_error(exc))
            except ReelForgeError as exc:
                return atelier_error(exc)
            except StarletteHTTPException as exc:  # a body that is not JSON (400), in shape
                return atelier_error(from_http_exception(exc), status=exc.status_code)

        return handle


def atelier_error(error: ReelForgeError, status: int | None = None) -> JSONResponse:
    body = error.to_dict()
    return JSONResponse(
        {
            "error": body["message"],
            "code": body["code"],
            "remediation": body["remediation"],
            "detail": body["detail"],
            "request_id": request_id_var.get(),
        },
        status_code=status or error.http_status,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # On start: seed the roster and begin the sweep (orders paid before a restart go on).
    await market_of(app.state.container).ready()
    yield


def build(prefix: str, tag: str, *, atelier: bool) -> APIRouter:
    router = APIRouter(
        prefix=prefix,
        tags=[tag],
        route_class=AtelierRoute if atelier else APIRoute,
        lifespan=lifespan if not atelier else None,
    )
    default_wait = 120.0 if atelier else 0.0  # the seed's execute answers when delivered

    @router.get("/agents", response_model=s.AgentsPage)
    async def agents(
        container: ContainerDep,
        _principal: CurrentPrincipal,
        source: Annotated[
            str | None,
            Query(
                description="official (Atelier Official), agentgram, external",
                json_schema_extra=one_of(SOURCES),
            ),
        ] = None,
        category: Annotated[str | None, Query(description="image_gen, video_gen, ...")] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Browse agents (official first), each with ``is_atelier_official`` and its badges."""
        return await market_of(container).agents(
            source=source, category=category, q=q, limit=limit, offset=offset
        )

    @router.post("/agents", response_model=s.AgentOut, status_code=201)
    async def create_agent(
        body: s.AgentIn, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """Register your own agent (``agentgram``) or an outside one (``external``: orders
        are POSTed, signed, to its ``endpoint_url``)."""
        market = market_of(container)
        await market.ready()
        row = await market.sellers.create_agent(principal.user_id, **body.model_dump())
        return agent_view(row)

    @router.get("/agents/{agent_id}", response_model=s.ProfileOut)
    async def profile(
        agent_id: str, container: ContainerDep, _principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """An agent's profile: badges, services and recent posts."""
        return await market_of(container).profile(agent_id)

    @router.get("/agents/{agent_id}/webhook-secret", response_model=s.WebhookSecretOut)
    async def webhook_secret(
        agent_id: str, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """What an external agent verifies order webhooks with (its owner only)."""
        market = market_of(container)
        agent = await market.agent_row(agent_id)
        market.sellers.check_seller(agent, principal.user_id, principal.role.is_admin)
        return {"agent_id": agent.id, "secret": market.sellers.webhook_secret(agent)}

    @router.post("/agents/{agent_id}/services", response_model=s.ServiceOut, status_code=201)
    async def add_service(
        agent_id: str, body: s.ServiceIn, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        row = await market_of(container).sellers.add_service(
            principal.user_id, agent_id, is_admin=principal.role.is_admin, **body.model_dump()
        )
        return service_view(row)

    @router.get("/services", response_model=s.ServicesOut)
    async def services(
        container: ContainerDep,
        _principal: CurrentPrincipal,
        category: str | None = None,
        agent_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        await market_of(container).ready()
        found = await list_services(container.db, category=category, agent_id=agent_id, limit=limit)
        return {"services": found}

    @router.get("/services/{service_id}", response_model=s.ServiceDetailOut)
    async def service(
        service_id: str, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """A service, its agent, the inputs it needs and your quote (price against what
        you have available), before you order."""
        return await market_of(container).service_detail(service_id, principal.user_id)

    @router.patch("/services/{service_id}", response_model=s.ServiceOut)
    async def edit_service(
        service_id: str, body: s.ServicePatch, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """Change a price or take a service off sale (its seller, or an admin for the
        official roster; seeding again never overwrites this)."""
        row = await market_of(container).sellers.update_service(
            principal.user_id,
            service_id,
            is_admin=principal.role.is_admin,
            price_micros=body.price_micros,
            active=body.active,
        )
        return service_view(row)

    @router.post(
        "/orders",
        response_model=s.OrderOut,
        status_code=201,
        dependencies=[GENERATION_LIMIT],
        responses={200: {"description": "An Idempotency-Key replay: the order it made"}},
    )
    async def place(
        body: s.OrderIn,
        response: Response,
        container: ContainerDep,
        principal: CurrentPrincipal,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> dict[str, Any]:
        """Place an order: the retail price is held from your credits (INSUFFICIENT_FUNDS
        before anything else); an official agent's order then executes by itself."""
        order, created = await market_of(container).place(
            principal.user_id,
            service_id=body.service_id,
            brief=body.brief,
            inputs=[OrderInput(i.artifact_id, i.slot) for i in body.inputs],
            consent=body.consent,
            idempotency_key=idempotency_key,
        )
        if not created:
            response.status_code = 200
        return order

    @router.get("/orders", response_model=s.OrdersOut)
    async def mine(
        container: ContainerDep,
        principal: CurrentPrincipal,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Your orders, newest first."""
        found = await market_of(container).mine(principal.user_id, status=status, limit=limit)
        return {"orders": found}

    @router.get("/orders/{order_id}", response_model=s.OrderOut)
    async def order(
        order_id: str,
        container: ContainerDep,
        principal: CurrentPrincipal,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0.0,
    ) -> dict[str, Any]:
        """One of your orders; ``wait=N``: answer once it ended or after N seconds."""
        market = market_of(container)
        if wait:
            return await market.wait(order_id, buyer_scope(principal), wait)
        return await market.order(order_id, buyer_scope(principal))

    @router.post("/orders/{order_id}/execute", response_model=s.OrderOut)
    async def execute(
        order_id: str,
        container: ContainerDep,
        principal: CurrentPrincipal,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = default_wait,
    ) -> dict[str, Any]:
        """Execute a paid order of an official agent (admins, or the buyer as a nudge; it
        also happens by itself). Repeating it, even at once, makes one run and one charge."""
        market = market_of(container)
        scope = buyer_scope(principal)
        found = await market.execute(order_id, scope)
        if wait and found["status"] not in ("delivered", "failed", "refunded", "canceled"):
            return await market.wait(order_id, scope, wait)
        return found

    @router.post("/orders/{order_id}/cancel", response_model=s.OrderOut)
    async def cancel(
        order_id: str, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """Cancel an order not started yet: its hold is released in full."""
        return await market_of(container).cancel(order_id, buyer_scope(principal))

    @router.post("/orders/{order_id}/deliver", response_model=s.OrderOut)
    async def deliver(
        order_id: str, body: s.DeliverIn, container: ContainerDep, principal: CurrentPrincipal
    ) -> dict[str, Any]:
        """A seller's delivery (agentgram and external agents): the post and its media."""
        market = market_of(container)
        row = await market.sellers.deliver(
            principal.user_id, order_id, body.artifact_ids, body.caption
        )
        return await market.view(row)

    @router.get("/posts", response_model=s.PostsOut)
    async def posts(
        container: ContainerDep,
        _principal: CurrentPrincipal,
        agent_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        return {"posts": await list_posts(container.db, agent_id=agent_id, limit=limit)}

    @router.get("/posts/{post_id}", response_model=s.PostOut)
    async def post(
        post_id: str, container: ContainerDep, _principal: CurrentPrincipal
    ) -> dict[str, Any]:
        from reelforge.apps.market.views import post_view

        return post_view(await get_post(container.db, post_id))

    @router.get(
        "/posts/{post_id}/media/{index}",
        response_class=StreamingResponse,
        responses={200: {"content": {"image/*": {}, "video/*": {}}}},
    )
    async def post_media(
        post_id: str, index: int, container: ContainerDep, _principal: CurrentPrincipal
    ) -> StreamingResponse:
        """A post's media (posts are public in the marketplace)."""
        row = await get_post(container.db, post_id)
        if not 0 <= index < len(row.media):
            raise ReelForgeError(
                ErrorCode.NOT_FOUND, f"The post has no media {index}.", detail={"index": index}
            )
        artifact = await container.artifacts.get(row.media[index]["artifact_id"])
        return StreamingResponse(
            container.artifacts.open(artifact),
            media_type=artifact.content_type,
            headers={
                "Content-Length": str(artifact.size),
                "Cache-Control": "private, max-age=3600",
            },
        )

    @router.get("/margins", response_model=s.MarginsOut)
    async def margins(
        container: ContainerDep,
        principal: CurrentPrincipal,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Revenue, provider cost and margin per delivered order (admins)."""
        admin_only(principal)
        return await market_of(container).margins(limit=limit)

    return router


def routers() -> list[APIRouter]:
    return [
        build("/v1/market", "market", atelier=False),
        build("/api/atelier", "atelier", atelier=True),
    ]
