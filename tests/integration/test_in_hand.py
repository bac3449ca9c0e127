"""A ``Prefer: wait`` generation on a provider that answers the submission with the result
is answered finished from the same advance: no poll interval is waited (the interval is
set to an hour here, and the caller waits two seconds at most), no poll is counted and
the provider is asked once. Each emulator is served on 127.0.0.1 and counts requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.emulators import atlas, grok, huggingface, pollinations, replicate, runware, together
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.engine import repo
from reelforge.engine.routing import RetryPolicy
from reelforge.providers.plugins import load_registry
from tests.conftest import make_settings
from tests.helpers import serve_asgi

# provider → (emulator module, key variable, a catalog model that answers synchronously)
SYNCHRONOUS: dict[str, tuple[Any, str, str]] = {
    "grok": (grok, "XAI_API_KEY", "grok/grok-2-image"),
    "replicate": (replicate, "REPLICATE_API_TOKEN", "replicate/flux-schnell"),
    "runware": (runware, "RUNWARE_API_KEY", "runware/flux-schnell"),
    "atlas": (atlas, "ATLASCLOUD_API_KEY", "atlas/bytedance/seedream-v4"),
    "together": (together, "TOGETHER_API_KEY", "together/flux-1-schnell"),
    "huggingface": (huggingface, "HF_TOKEN", "huggingface/flux-1-schnell"),
    "pollinations": (pollinations, "POLLINATIONS_API_KEY", "pollinations/flux"),
}
ONE_HOUR = 3600.0


class Stack:
    def __init__(self, client: httpx.AsyncClient, container: Any, state: EmulatorState):
        self.client, self.container, self.state = client, container, state


@pytest.fixture(params=list(SYNCHRONOUS))
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stack]:
    name: str = request.param
    module, var, _model = SYNCHRONOUS[name]
    for value in module.SANDBOX_CREDENTIAL.values():  # Pollinations needs no key
        monkeypatch.setenv(var, value)
    # Were the result collected by a poll, the caller would wait an hour for it.
    monkeypatch.setattr(load_registry().get(name), "default_poll_interval", ONE_HOUR)
    config = EmulatorConfig(queue_seconds=0.02, run_seconds=0.1, image_run_seconds=0.02)
    app = module.create_app(config)
    with serve_asgi(app) as url:
        settings = make_settings(
            tmp_path / "home",
            sandbox=False,  # live calls to the emulator on loopback, with its key
            provider_base_urls={name: url + ("/v1" if name in ("grok", "runware") else "")},
            fetch_allow_hosts=[url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            key = settings.owner_key_path.read_text().strip()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                yield Stack(client, container, app.state.emulator)


def _body(name: str) -> dict[str, Any]:
    # Some of these models publish no price: a cap lets them run (held, charged at most).
    return {
        "model": SYNCHRONOUS[name][2],
        "prompt": "a lighthouse at dusk",
        "max_micros": 1_000_000,
    }


async def test_a_waited_generation_is_answered_finished_from_the_submission(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    body = _body(request.node.callspec.params["stack"])
    r = await stack.client.post("/v1/generations", json=body, headers={"Prefer": "wait=2"})
    assert r.status_code == 200, r.text  # 202 would mean: still waiting for a poll
    run = r.json()
    assert run["status"] == "succeeded", run
    assert run["steps"][0]["outputs"], run
    async with stack.container.db.read() as sql:
        (step,) = await repo.run_steps(sql, run["id"])
    assert step.polls == 0
    calls = {op: n for op, n in stack.state.requests.items() if op in ("submit", "poll", "cancel")}
    assert calls == {"submit": 1}


@pytest.mark.parametrize("stack", ["replicate", "runware"], indirect=True)
async def test_a_failure_answered_with_the_submission_is_retried_without_a_poll(
    stack: Stack,
) -> None:
    """The create answer says the generation failed for a passing reason: the step is
    resubmitted (after the backoff), and the failed task is never polled."""
    stack.container.engine.policy = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=3)
    stack.state.faults.add("fail", on="submit", message="GPU worker timed out, try again")
    body = _body(stack.state.name)
    r = await stack.client.post("/v1/generations", json=body, headers={"Prefer": "wait=5"})
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded" and run["steps"][0]["attempts"] == 2, (
        run["error"],
        run["steps"][0]["route"],
    )
    calls = {op: n for op, n in stack.state.requests.items() if op in ("submit", "poll", "cancel")}
    assert calls == {"submit": 2}


@pytest.mark.parametrize("stack", ["replicate", "runware"], indirect=True)
async def test_a_failure_the_provider_does_not_call_transient_is_not_resubmitted(
    stack: Stack,
) -> None:
    """A provider that bills failed tasks would bill each resubmission: a failure with no
    passing reason fails the step after one task, keeping the provider's reason."""
    stack.container.engine.policy = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=3)
    stack.state.faults.add("fail", on="submit", message="the model crashed")
    body = _body(stack.state.name)
    r = await stack.client.post("/v1/generations", json=body, headers={"Prefer": "wait=5"})
    run = r.json()
    assert run["status"] == "failed", run
    assert "the model crashed" in run["error"]["message"], run["error"]
    assert stack.state.requests.get("submit") == 1


@pytest.mark.parametrize("stack", ["grok", "atlas"], indirect=True)
async def test_an_output_download_that_fails_is_retried_from_the_task_in_hand(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    """The result is in hand but its download breaks off (a 503): the step stays
    submitted and is collected again about a second later, from the stored task, without
    asking the provider (and without waiting out the provider's hour-long interval)."""
    stack.state.faults.add("server_error", on="files", status=503)
    body = _body(request.node.callspec.params["stack"])
    r = await stack.client.post("/v1/generations", json=body, headers={"Prefer": "wait=10"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded", r.json()
    assert stack.state.requests.get("files", 0) >= 2  # the failed download, then the good one
    calls = {op: n for op, n in stack.state.requests.items() if op in ("submit", "poll", "cancel")}
    assert calls == {"submit": 1}
