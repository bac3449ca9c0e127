"""Waiting for a task: ``poll_until_complete`` and ``generate`` (submit + wait)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    GenerationResult,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)

OnUpdate = Callable[[TaskUpdate], Awaitable[None] | None]


def next_delay(
    attempt: int, interval: float, *, suggested: float | None = None, cap: float = 30.0
) -> float:
    """Backoff with jitter; a provider-suggested interval wins when given."""
    if suggested is not None and suggested > 0:
        return suggested
    base = min(cap, interval * (1.5 ** min(attempt, 8)))
    return base * random.uniform(0.8, 1.2)


async def poll_until_complete(
    poll: Callable[[], Awaitable[TaskUpdate]],
    *,
    task_id: str,
    interval: float,
    timeout: float,
    on_update: OnUpdate | None = None,
    max_interval: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> TaskUpdate:
    """Poll until the task is terminal; raise ENGINE_TIMEOUT (with the task id) at the deadline.

    Retryable errors while asking (rate limits, 5xx) are waited out within the deadline.
    """
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        try:
            update = await poll()
        except ReelForgeError as exc:
            if not exc.retryable:
                raise
            delay = exc.retry_after or next_delay(attempt, interval, cap=max_interval)
        else:
            if on_update is not None:
                maybe = on_update(update)
                if maybe is not None:
                    await maybe
            if update.status.terminal:
                return update
            delay = next_delay(
                attempt, interval, suggested=update.poll_after_seconds, cap=max_interval
            )
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReelForgeError(
                ErrorCode.ENGINE_TIMEOUT,
                f"The task did not finish within {timeout:g} s; it may still finish.",
                detail={"task_id": task_id},
            )
        await sleep(min(delay, remaining))


async def generate(
    provider: Provider,
    request: GenerationRequest,
    credential: Credential,
    *,
    timeout: float = 900.0,
    interval: float | None = None,
    on_update: OnUpdate | None = None,
    task: ProviderTask | None = None,
) -> GenerationResult:
    """Submit (or resume ``task``) and wait for the outputs."""
    task = task or await provider.submit(request, credential)
    update = await poll_until_complete(
        lambda: provider.poll(task, credential),
        task_id=task.task_id,
        interval=interval or task.poll_interval_seconds or provider.default_poll_interval,
        timeout=timeout,
        on_update=on_update,
    )
    update.raise_for_error()
    if update.status is TaskStatus.CANCELED:
        raise ReelForgeError(ErrorCode.CANCELED, detail={"task_id": task.task_id})
    if not update.outputs:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "The provider reported success but returned no output.",
            detail={"task_id": task.task_id},
        )
    return GenerationResult(
        task=task,
        outputs=update.outputs,
        model=task.model,
        cost_micros=update.cost_micros,
        sandbox=credential.source == "sandbox",
    )
