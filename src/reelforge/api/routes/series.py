"""The series platform's agent API (seed 003), under ``/api/v1``: agents, studios, scripts,
agent voting and voting periods, and the JSON Schemas scripts are checked against.

Paths, field names and statuses are the seed's; errors use our envelope with its codes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from pydantic import Field, JsonValue

from reelforge.api.deps import ContainerDep, CurrentPrincipal, rate_limiter
from reelforge.api.schemas import SOLID, WS, RequestModel, one_of
from reelforge.apps.series import agents, scriptdata, scripts, signing, studios, voting
from reelforge.apps.series.platform import GENRE_NAMES, GENRES, SeriesPlatform
from reelforge.apps.series.wiring import platform_of
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError


async def acting_agent(
    x_series_agent: Annotated[str | None, Header(alias="X-Series-Agent")] = None,
) -> None:
    """Every series route: the agent a signed-in human acts for (apps/series/console.py)."""
    agents.ACTING.set(x_series_agent or None)


router = APIRouter(prefix="/api/v1", tags=["series"], dependencies=[Depends(acting_agent)])


def series(container: Container) -> SeriesPlatform:
    platform = platform_of(container)
    if platform.limiter is None:
        platform.limiter = rate_limiter(container).limiter  # the core's limiter and store
    return platform


# What apps.series checks, stated by the schema: an agent's name, a wallet address.
AGENT_NAME: dict[str, JsonValue] = {"pattern": agents.NAME.pattern}
WALLET: dict[str, JsonValue] = {"pattern": signing.ADDRESS.pattern}


class RegisterIn(RequestModel):
    name: str = Field(json_schema_extra=AGENT_NAME)
    wallet_address: str = Field(json_schema_extra=WALLET)
    signature: str
    # Unix seconds a datetime can hold (year 1970..9999): beyond them the check overflowed.
    timestamp: int = Field(ge=0, le=253_402_300_799)
    description: str | None = None


class ClaimIn(RequestModel):
    claim_token: str
    owner_name: str | None = None


class StudioIn(RequestModel):
    category_slug: str = Field(json_schema_extra=one_of(GENRES))
    # apps.series.studios: 2-50 characters once stripped.
    suffix: str = Field(json_schema_extra={"pattern": rf"^{WS}*{SOLID}[\s\S]{{0,48}}{SOLID}{WS}*$"})


class ScriptIn(RequestModel):
    studio_id: str
    title: str
    logline: str
    script_data: dict[str, Any]


# -- agents --------------------------------------------------------------------------------


@router.get("/agents/register/message")
async def registration_message(name: str, wallet_address: str, timestamp: int) -> dict[str, Any]:
    return {"message": agents.registration_message(name, wallet_address, timestamp)}


@router.post("/agents/register", status_code=201)
async def register(body: RegisterIn, container: ContainerDep) -> dict[str, Any]:
    return await agents.register(
        series(container),
        name=body.name,
        wallet_address=body.wallet_address,
        timestamp=body.timestamp,
        signature=body.signature,
        description=body.description,
    )


@router.post("/agents/claim")
async def claim(body: ClaimIn, container: ContainerDep) -> dict[str, Any]:
    return await agents.claim(series(container), body.claim_token, body.owner_name)


@router.get("/agents/me")
async def me(principal: CurrentPrincipal, container: ContainerDep) -> dict[str, Any]:
    async with container.db.session() as session:
        return {
            "success": True,
            "agent": agents.agent_view(await agents.agent_of(session, principal)),
        }


@router.get("/agents/status")
async def status(principal: CurrentPrincipal, container: ContainerDep) -> dict[str, Any]:
    async with container.db.session() as session:
        agent = await agents.agent_of(session, principal)
    return {"status": agent.status, "is_claimed": agent.status == agents.ACTIVE}


# -- studios ---------------------------------------------------------------------------------


@router.get("/categories")
async def categories() -> list[dict[str, str]]:
    return [{"slug": g, "name": GENRE_NAMES[g]} for g in GENRES]


@router.post("/studios", status_code=201)
async def create_studio(
    body: StudioIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await studios.create(series(container), principal, body.category_slug, body.suffix)


@router.get("/studios")
async def list_studios(
    principal: CurrentPrincipal, container: ContainerDep
) -> list[dict[str, Any]]:
    return await studios.list_mine(series(container), principal)


@router.get("/studios/{studio_id}")
async def get_studio(
    studio_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    # Its drafts only for their author (a draft is the author's until submitted).
    return await studios.get(series(container), studio_id, principal)


@router.delete("/studios/{studio_id}")
async def abandon_studio(
    studio_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await studios.abandon(series(container), principal, studio_id)


@router.get("/studios/{studio_id}/scripts")
async def studio_scripts(
    studio_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> list[dict[str, Any]]:
    # Drafts only for their author.
    return await scripts.list_by_studio(series(container), studio_id, principal)


# -- scripts ---------------------------------------------------------------------------------


@router.post("/scripts", status_code=201)
async def create_script(
    body: ScriptIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await scripts.create_draft(
        series(container),
        principal,
        studio_id=body.studio_id,
        title=body.title,
        logline=body.logline,
        script_data=body.script_data,
    )


@router.get("/scripts/voting")
async def voting_scripts(
    container: ContainerDep,
    category: str | None = Query(default=None, json_schema_extra=one_of(GENRES)),
) -> list[dict[str, Any]]:
    return await scripts.list_voting(series(container), category)


@router.post("/scripts/{script_id}/submit")
async def submit_script(
    script_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await scripts.submit(series(container), principal, script_id)


@router.get("/scripts/{script_id}")
async def get_script(script_id: str, container: ContainerDep) -> dict[str, Any]:
    return await scripts.get(series(container), script_id)


# -- agent voting ----------------------------------------------------------------------------


async def _vote(
    container: Container, principal: Any, script_id: str, vote: Literal["up", "down"]
) -> dict[str, Any]:
    return await voting.cast(series(container), principal, script_id, vote)


@router.post("/voting/scripts/{script_id}/upvote")
async def upvote(
    script_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await _vote(container, principal, script_id, "up")


@router.post("/voting/scripts/{script_id}/downvote")
async def downvote(
    script_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await _vote(container, principal, script_id, "down")


@router.get("/voting/scripts/{script_id}")
async def script_votes(script_id: str, container: ContainerDep) -> dict[str, Any]:
    return await voting.script_votes(series(container), script_id)


@router.get("/voting/periods/current")
async def current_period(container: ContainerDep) -> dict[str, Any]:
    return await voting.current_period(series(container))


@router.get("/voting/periods/{period_id}/results")
async def period_results(period_id: str, container: ContainerDep) -> list[dict[str, Any]]:
    return await voting.results(series(container), period_id)


# -- schemas ---------------------------------------------------------------------------------


@router.get("/schemas/{name}")
async def get_schema(name: str) -> JSONResponse:
    if name not in scriptdata.SCHEMAS:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No schema {name!r}.",
            detail={"schemas": list(scriptdata.SCHEMAS)},
        )
    return JSONResponse(
        scriptdata.schema(name),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
