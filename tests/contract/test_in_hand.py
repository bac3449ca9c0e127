"""Every provider that answers a submission with its outcome (xAI images, Replicate
``Prefer: wait``, Runware sync delivery, Atlas sync mode, Together, Hugging Face,
Pollinations) returns a task carrying it, and nothing asks the provider again for it: not
the adapter's poll, not a worker resuming from the stored task, not ``generate``.
Each adapter against its emulator over real HTTP; the emulator counts requests per op."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reelforge.domain.modes import Mode
from reelforge.emulators import (
    atlas,
    grok,
    higgsfield,
    huggingface,
    pollinations,
    replicate,
    runware,
    together,
)
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.providers import atlas_api
from reelforge.providers.atlas import AtlasProvider
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    Provider,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.grok import GrokProvider
from reelforge.providers.higgsfield import HiggsfieldProvider
from reelforge.providers.huggingface import HuggingFaceProvider
from reelforge.providers.pollinations import PollinationsProvider
from reelforge.providers.polling import generate
from reelforge.providers.replicate import ReplicateProvider
from reelforge.providers.runware import RunwareProvider
from reelforge.providers.together import TogetherProvider
from tests.helpers import serve_asgi


@dataclass(frozen=True)
class Case:
    create_app: Callable[[EmulatorConfig], Starlette]
    provider: type[Provider]
    credential: dict[str, str]
    model: str
    path: str = ""  # appended to the emulator's URL for the adapter's base URL


CASES: dict[str, Case] = {
    "grok": Case(grok.create_app, GrokProvider, grok.SANDBOX_CREDENTIAL, "grok-2-image", "/v1"),
    "replicate": Case(
        replicate.create_app,
        ReplicateProvider,
        replicate.SANDBOX_CREDENTIAL,
        "black-forest-labs/flux-schnell",
    ),
    "runware": Case(
        runware.create_app, RunwareProvider, runware.SANDBOX_CREDENTIAL, "runware:100@1", "/v1"
    ),
    "atlas": Case(
        atlas.create_app, AtlasProvider, atlas.SANDBOX_CREDENTIAL, "bytedance/seedream-v4"
    ),
    "together": Case(
        together.create_app,
        TogetherProvider,
        together.SANDBOX_CREDENTIAL,
        "black-forest-labs/FLUX.1-schnell",
    ),
    "huggingface": Case(
        huggingface.create_app,
        HuggingFaceProvider,
        huggingface.SANDBOX_CREDENTIAL,
        "black-forest-labs/FLUX.1-schnell",
    ),
    "pollinations": Case(
        pollinations.create_app, PollinationsProvider, pollinations.SANDBOX_CREDENTIAL, "flux"
    ),
}
CONFIG = EmulatorConfig(queue_seconds=0.02, run_seconds=0.1, image_run_seconds=0.02)


@pytest.fixture(scope="module", params=sorted(CASES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Case, str, EmulatorState]]:
    case = CASES[request.param]
    app = case.create_app(CONFIG)
    with serve_asgi(app) as url:
        yield request.param, case, url + case.path, app.state.emulator


@pytest.fixture
async def world(
    served: tuple[str, Case, str, EmulatorState],
) -> AsyncIterator[tuple[Provider, Credential, Case, EmulatorState]]:
    name, case, url, state = served
    state.reset()
    atlas_api.clear_caches()
    async with httpx.AsyncClient(timeout=30) as client:
        yield case.provider(client, url), Credential(name, case.credential, "sandbox"), case, state


def _request(case: Case, key: str = "step-1") -> GenerationRequest:
    return GenerationRequest(
        model=case.model, mode=Mode.T2I, prompt="a lighthouse at dusk", seed=5, idempotency_key=key
    )


def _provider_calls(state: EmulatorState) -> dict[str, int]:
    """Requests that reach the provider's generation API (list/schema look-ups aside)."""
    return {op: n for op, n in state.requests.items() if op in ("submit", "poll", "cancel")}


async def test_the_submission_carries_its_outcome_and_nothing_asks_again(
    world: tuple[Provider, Credential, Case, EmulatorState],
) -> None:
    provider, credential, case, state = world
    task = await provider.submit(_request(case), credential)
    outcome = task.in_hand
    assert outcome is not None and outcome.status is TaskStatus.SUCCEEDED
    assert outcome.outputs and all(o.url for o in outcome.outputs)
    assert _provider_calls(state) == {"submit": 1}

    # A worker resuming from the stored task (JSON in the step row) reads the same outcome.
    stored = ProviderTask.model_validate(task.model_dump(mode="json"))
    assert stored.in_hand == outcome
    assert await provider.poll(stored, credential) == outcome
    assert _provider_calls(state) == {"submit": 1}, "the adapter asked for a result in hand"


async def test_generate_makes_no_poll_request(
    world: tuple[Provider, Credential, Case, EmulatorState],
) -> None:
    provider, credential, case, state = world
    result = await generate(provider, _request(case, "step-2"), credential, timeout=30)
    assert result.outputs
    assert _provider_calls(state) == {"submit": 1}


# The others answer a failed generation as an error of the call itself.
@pytest.mark.parametrize("served", ["atlas", "replicate", "runware"], indirect=True)
async def test_a_failure_answered_with_the_submission_is_in_hand_too(
    world: tuple[Provider, Credential, Case, EmulatorState],
) -> None:
    provider, credential, case, state = world
    state.faults.add("fail", on="submit", message="the model crashed")
    task = await provider.submit(_request(case, "step-3"), credential)
    outcome = task.in_hand
    assert outcome is not None and outcome.status is TaskStatus.FAILED, task
    assert await provider.poll(task, credential) == outcome
    assert _provider_calls(state) == {"submit": 1}


def _sent(state: EmulatorState) -> list[dict[str, Any]]:
    return [t.params for t in state.tasks.tasks.values()]


@pytest.mark.parametrize("served", ["atlas"], indirect=True)
async def test_atlas_asks_for_sync_mode_only_where_the_model_offers_it(
    world: tuple[Provider, Credential, Case, EmulatorState],
) -> None:
    provider, credential, case, state = world
    await provider.submit(_request(case), credential)
    assert _sent(state)[-1].get("enable_sync_mode") is True
    # A model whose schema has no switch is submitted as before and polled.
    plain = GenerationRequest(model="google/imagen3", mode=Mode.T2I, prompt="a fox")
    task = await provider.submit(plain, credential)
    assert "enable_sync_mode" not in _sent(state)[-1]
    assert task.in_hand is None


async def test_higgsfield_repeat_of_a_finished_request_carries_its_outcome() -> None:
    """A resubmission with the same Idempotency-Key (after a crash mid-submit) of a request
    that already finished answers its final status: nothing is polled."""
    app = higgsfield.create_app(CONFIG)
    state: EmulatorState = app.state.emulator
    credential = Credential("higgsfield", higgsfield.SANDBOX_CREDENTIAL, "sandbox")
    request = GenerationRequest(
        model="soul", mode=Mode.T2I, prompt="a portrait", idempotency_key="step-9"
    )
    with serve_asgi(app) as url:
        async with httpx.AsyncClient(timeout=30) as client:
            provider = HiggsfieldProvider(client, url)
            first = await generate(provider, request, credential, interval=0.02, timeout=30)
            calls = _provider_calls(state)
            again = await provider.submit(request, credential)
            assert again.task_id == first.task.task_id
            assert again.in_hand is not None and again.in_hand.outputs == first.outputs
            assert await provider.poll(again, credential) == again.in_hand
            assert _provider_calls(state) == {**calls, "submit": calls["submit"] + 1}
