"""Inputs a provider must fetch itself: checked when a pipeline is planned (a quote, or a
run being created), so a pipeline that cannot work is refused before Run, not after a
hold and a submission.

A provider whose adapter ``needs_url`` for an input (Luma's keyframes, Kling's lip-sync
video) is handed a presigned S3 URL or a signed, expiring link under the public base URL;
in sandbox mode the emulator fetches a signed link in-process. With none of these the
step cannot be served: PUBLIC_URL_REQUIRED names the settings.
"""

from __future__ import annotations

from reelforge.domain.errors import ReelForgeError
from reelforge.engine.media_io import MediaIO, public_url_required
from reelforge.engine.planned import Plan
from reelforge.providers.hub import ProviderHub


async def check_reach(plan: Plan, hub: ProviderHub, media: MediaIO, owner_id: str) -> None:
    if media.can_link():
        return
    for step in plan.steps:
        provider = step.entry.provider
        try:
            cls = hub.provider_class(provider)
        except ReelForgeError:
            continue
        if not any(cls.needs_url(step.mode, item.kind) for item in step.inputs):
            continue
        try:
            resolved = await hub.resolve(provider, owner_id)
        except ReelForgeError:
            continue  # not connected: routing skips it or the run says so, as before
        if not resolved.sandbox:
            error = public_url_required(provider)
            error.detail["node"] = step.node_id
            raise error
