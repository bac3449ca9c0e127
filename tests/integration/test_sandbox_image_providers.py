"""Sandbox mode serves Together, Pollinations, Hugging Face and ComfyUI from their
in-process emulators (no key, no network), and results say so."""

from __future__ import annotations

import pytest

from reelforge.container import Container
from reelforge.domain.modes import Mode
from reelforge.providers.base import GenerationRequest
from reelforge.providers.hub import Connection
from reelforge.providers.polling import generate

MODELS = {
    "together": "black-forest-labs/FLUX.1-schnell",
    "pollinations": "flux",
    "huggingface": "black-forest-labs/FLUX.1-schnell",
    "comfyui": "sd15_txt2img",
}


@pytest.mark.parametrize("name", sorted(MODELS))
async def test_sandbox_generates_an_image(
    container: Container, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "TOGETHER_API_KEY",
        "POLLINATIONS_API_KEY",
        "POLLINATIONS_TOKEN",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "COMFYUI_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    resolved = await container.hub.resolve(name, None)
    assert resolved.connection is Connection.SANDBOX
    request = GenerationRequest(model=MODELS[name], mode=Mode.T2I, prompt="a quiet harbour", seed=1)
    result = await generate(
        resolved.provider, request, resolved.credential, timeout=30, interval=0.2
    )
    assert result.sandbox and result.outputs[0].media_type == "image"
    assert await resolved.provider.verify(resolved.credential)
