"""Hugging Face Inference (hf-inference on the router): text-to-image answers image bytes.

``POST {base}/hf-inference/models/{model_id}`` with ``{"inputs": prompt, "parameters":
{...}}`` and ``Accept: image/png`` (as huggingface_hub sends). A cold model answers 503
``{"error": "... is currently loading", "estimated_time": seconds}``: that is a retryable
PROVIDER_ERROR whose ``retry_after`` is the estimate.

Synchronous: submit performs the call and keeps the image in the task as a data: URI
(OutputMedia.url = "data:image/png;base64,..."); poll hands it back. The engine ingests
data: URIs like any output URL.
"""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Provider,
    ProviderTask,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import error_for_status, parse_retry_after, send
from reelforge.providers.immediate import check_params, completed_task, image_output, stored_update

HUB_URL = "https://huggingface.co"
PARAMS = frozenset({"width", "height", "num_inference_steps", "guidance_scale", "scheduler"})


class HuggingFaceProvider(Provider):
    name = "huggingface"
    display_name = "Hugging Face"
    reconcile_note = "synchronous: the image is the answer that was lost, with nothing to look up"
    credential_fields = (CredentialField("api_key", ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")),)
    default_base_url = "https://router.huggingface.co"
    default_poll_interval = 0.1

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}", "Accept": "image/png"}

    def model_url(self, model: str) -> str:
        return f"{self.base_url}/hf-inference/models/{model}"

    def body(self, request: GenerationRequest) -> dict[str, Any]:
        check_params(self.name, request.params, PARAMS)
        if not request.prompt.strip():
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "huggingface: a prompt is required.",
                detail={"provider": self.name, "field": "prompt"},
            )
        parameters: dict[str, Any] = dict(request.params)
        if request.negative_prompt:
            parameters["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            parameters["seed"] = request.seed
        body: dict[str, Any] = {"inputs": request.prompt}
        if parameters:  # omitted when empty, as the official client does
            body["parameters"] = parameters
        return body

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        response = await send(
            self.client,
            self.name,
            "POST",
            self.model_url(request.model),
            json=self.body(request),
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise self.error(response)
        declared = response.headers.get("content-type", "")
        if "json" in declared:
            raise self.error(response)  # an error body sent with 200
        output = image_output(self.name, response.content, declared)
        return completed_task(self.name, request, [output], seed=request.seed)

    def error(self, response: httpx.Response) -> ReelForgeError:
        """``{"error": str | [str], "estimated_time"?: float}``."""
        try:
            data = response.json()
        except ValueError:
            data = None
        message: str | None = None
        estimated: float | None = None
        if isinstance(data, dict):
            raw = data.get("error")
            if isinstance(raw, list):
                raw = "; ".join(str(x) for x in raw)
            message = str(raw) if raw else None
            value = data.get("estimated_time")
            estimated = float(value) if isinstance(value, int | float) else None
        loading = response.status_code == 503 and (
            estimated is not None or "loading" in (message or "").lower()
        )
        if loading:
            return ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "huggingface: the model is loading; try again shortly.",
                detail={"provider": self.name, "status": 503, "provider_message": message},
                retryable=True,
                retry_after=estimated or parse_retry_after(response.headers) or 20.0,
            )
        if response.status_code < 400:
            return ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                f"huggingface: {message or 'the answer is not an image'}.",
                detail={"provider": self.name, "status": response.status_code},
                retryable=True,
            )
        return error_for_status(self.name, response, message=message)

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        return stored_update(self.name, task)

    @property
    def hub_url(self) -> str:
        # whoami lives on the Hub, not the router; a non-default base URL (an emulator or
        # a proxy) is expected to serve both.
        return HUB_URL if self.base_url == self.default_base_url else self.base_url

    async def verify(self, credential: Credential) -> bool:
        """The Hub's whoami: the cheapest call that checks a token."""
        response = await send(
            self.client,
            self.name,
            "GET",
            f"{self.hub_url}/api/whoami-v2",
            headers={"Authorization": f"Bearer {credential.get('api_key')}"},
        )
        if response.status_code >= 400:
            raise self.error(response)
        return True


@hookimpl
def register_providers(register):  # type: ignore[no-untyped-def]
    register(HuggingFaceProvider)
