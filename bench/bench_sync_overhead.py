"""Gateway overhead for every synchronous provider (one whose API answers the submission
with the result): xAI images, Replicate ``Prefer: wait``, Runware sync delivery, Atlas sync
mode, Together, Hugging Face, Pollinations.

Each provider's emulator runs on 127.0.0.1 with no simulated latency, and one real
``reelforge serve`` (SQLite, embedded runner) calls them as live providers. Per provider:
"direct" is the adapter's own calls (submit, then download each output URL, as the
gateway does), "gateway" is ``POST /v1/generations`` with ``Prefer: wait`` (durable rows,
events, the artifact stored). Interleaved, so that whatever else the machine does falls
on both. A result collected by a poll instead of from the submission would add a whole
poll interval (2-5 s) here.

    PYTHONPATH=src python -m bench.run sync_overhead     # BENCH_SYNC_N=30, BENCH_SYNC_WARMUP=5
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from tests.helpers import serve_asgi

from bench.loadgen import percentile
from bench.server import reelforge_server
from reelforge.domain.modes import Mode
from reelforge.emulators import atlas, grok, huggingface, pollinations, replicate, runware, together
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.pollinations.app import TEST_KEY as POLLINATIONS_KEY
from reelforge.providers.atlas import AtlasProvider
from reelforge.providers.base import Credential, GenerationRequest, Provider
from reelforge.providers.grok import GrokProvider
from reelforge.providers.huggingface import HuggingFaceProvider
from reelforge.providers.pollinations import PollinationsProvider
from reelforge.providers.replicate import ReplicateProvider
from reelforge.providers.runware import RunwareProvider
from reelforge.providers.together import TogetherProvider


@dataclass(frozen=True)
class Synchronous:
    emulator: Any  # the emulator package (create_app, SANDBOX_CREDENTIAL)
    adapter: type[Provider]
    key_var: str
    catalog_id: str  # what the gateway is asked for
    provider_model: str  # what the adapter sends
    path: str = ""  # the base URL's suffix the adapter expects
    prompt_param: bool = False  # Atlas models take the prompt as a parameter today
    key: str | None = None  # the key to use, when not the emulator's sandbox credential

    def credential(self) -> dict[str, str]:
        if self.key is not None:
            return {"api_key": self.key}
        return dict(self.emulator.SANDBOX_CREDENTIAL)


PROVIDERS: dict[str, Synchronous] = {
    "grok": Synchronous(
        grok, GrokProvider, "XAI_API_KEY", "grok/grok-2-image", "grok-2-image", "/v1"
    ),
    "replicate": Synchronous(
        replicate,
        ReplicateProvider,
        "REPLICATE_API_TOKEN",
        "replicate/flux-schnell",
        "black-forest-labs/flux-schnell",
    ),
    "runware": Synchronous(
        runware, RunwareProvider, "RUNWARE_API_KEY", "runware/flux-schnell", "runware:100@1", "/v1"
    ),
    "atlas": Synchronous(
        atlas,
        AtlasProvider,
        "ATLASCLOUD_API_KEY",
        "atlas/bytedance/seedream-v4",
        "bytedance/seedream-v4",
        prompt_param=True,
    ),
    "together": Synchronous(
        together,
        TogetherProvider,
        "TOGETHER_API_KEY",
        "together/flux-1-schnell",
        "black-forest-labs/FLUX.1-schnell",
    ),
    "huggingface": Synchronous(
        huggingface,
        HuggingFaceProvider,
        "HF_TOKEN",
        "huggingface/flux-1-schnell",
        "black-forest-labs/FLUX.1-schnell",
    ),
    # With a key: the anonymous tier's documented limit (one call per 5 s) would be
    # measured instead of the gateway.
    "pollinations": Synchronous(
        pollinations,
        PollinationsProvider,
        "POLLINATIONS_API_KEY",
        "pollinations/flux",
        "flux",
        key=POLLINATIONS_KEY,
    ),
}


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 50) * 1000, 2),
        "p99_ms": round(percentile(times, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(times) * 1000, 2) if times else float("nan"),
    }


@contextmanager
def _emulators(names: list[str]) -> Iterator[dict[str, str]]:
    config = EmulatorConfig(queue_seconds=0.0, run_seconds=0.0, image_run_seconds=0.0)
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_asgi(PROVIDERS[name].emulator.create_app(config)))
            for name in names
        }


def _server_env(urls: dict[str, str]) -> dict[str, str]:
    env = {
        "REELFORGE_PROVIDER_BASE_URLS": json.dumps(
            {name: url + PROVIDERS[name].path for name, url in urls.items()}
        ),
        "REELFORGE_FETCH_ALLOW_HOSTS": json.dumps(
            sorted({u.removeprefix("http://") for u in urls.values()})
        ),
        "REELFORGE_SANDBOX": "false",  # live calls to the emulators, with their keys
    }
    for name in urls:
        spec = PROVIDERS[name]
        env[spec.key_var] = next(iter(spec.credential().values()))
    return env


async def _fund(c: httpx.AsyncClient, base: str, key: str, calls: int) -> None:
    """Enough credit for every gateway call (the owner starts with a small grant)."""
    auth = {"Authorization": f"Bearer {key}"}
    me = (await c.get(f"{base}/v1/me", headers=auth)).json()
    r = await c.post(
        f"{base}/v1/credits/topups",
        headers=auth,
        json={
            "user_id": me["id"],
            "amount_micros": calls * len(PROVIDERS) * 1_000_000,  # $1 a call is plenty
            "reason": "benchmark",
            "idempotency_key": f"bench-sync-{time.time_ns()}",
        },
    )
    r.raise_for_status()


async def _timed(call: Callable[[], Awaitable[None]]) -> float:
    t0 = time.perf_counter()
    await call()
    return time.perf_counter() - t0


async def _measure(
    urls: dict[str, str], base: str, key: str, n: int, warmup: int
) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as c:
        await _fund(c, base, key, n + warmup)
        adapters = {
            name: PROVIDERS[name].adapter(c, url + PROVIDERS[name].path)
            for name, url in urls.items()
        }
        failures = dict.fromkeys(urls, 0)

        def direct(name: str) -> Callable[[], Awaitable[None]]:
            spec, adapter = PROVIDERS[name], adapters[name]
            credential = Credential(name, spec.credential(), "stored")

            async def call() -> None:
                request = GenerationRequest(
                    model=spec.provider_model, mode=Mode.T2I, prompt="a kite", seed=1
                )
                task = await adapter.submit(request, credential)
                update = task.result or await adapter.poll(task, credential)
                for output in update.outputs:  # the gateway downloads them too
                    if not output.url.startswith("data:"):
                        (await c.get(output.url)).raise_for_status()

            return call

        def gateway(name: str) -> Callable[[], Awaitable[None]]:
            spec = PROVIDERS[name]
            body: dict[str, Any] = {"model": spec.catalog_id, "prompt": "a kite"}
            if spec.prompt_param:
                body["params"] = {"prompt": body.pop("prompt")}

            async def call() -> None:
                r = await c.post(
                    f"{base}/v1/generations",
                    json=body,
                    headers={"Authorization": f"Bearer {key}", "Prefer": "wait=30"},
                )
                if r.status_code != 200 or r.json()["status"] != "succeeded":
                    failures[name] += 1

            return call

        for name in urls:  # warm both paths (connections, caches, lazy setup)
            for _ in range(warmup):
                await direct(name)()
                await gateway(name)()
        d: dict[str, list[float]] = {name: [] for name in urls}
        g: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(n):
            for name in urls:
                d[name].append(await _timed(direct(name)))
                g[name].append(await _timed(gateway(name)))
    return {
        name: {
            "direct": _summary(d[name]),
            "gateway_prefer_wait": _summary(g[name]),
            "added_p50_ms": round((percentile(g[name], 50) - percentile(d[name], 50)) * 1000, 2),
            "gateway_failures": failures[name],
        }
        for name in urls
    }


def overhead(
    names: list[str] | None = None, n: int = 30, warmup: int = 5
) -> dict[str, dict[str, Any]]:
    """Per provider: direct and gateway latency, and the p50 the gateway adds."""
    chosen = names or list(PROVIDERS)
    with _emulators(chosen) as urls, reelforge_server(_server_env(urls)) as (base, key, _h, _p):
        return asyncio.run(_measure(urls, base, key, n, warmup))


def run() -> dict[str, Any]:
    n = int(os.environ.get("BENCH_SYNC_N", "30"))
    warmup = int(os.environ.get("BENCH_SYNC_WARMUP", "5"))
    started = time.monotonic()
    figures = overhead(n=n, warmup=warmup)
    return {
        "added_p50_ms": {name: f["added_p50_ms"] for name, f in figures.items()},
        "providers": figures,
        "seconds": round(time.monotonic() - started, 1),
        "load_average_1m": os.getloadavg()[0],
    }
