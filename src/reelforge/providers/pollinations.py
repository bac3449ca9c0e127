"""Pollinations: ``GET /prompt/{prompt}`` answers image bytes, with no key at all.

This is the provider a guest with no keys can use. The key is optional
(``credential_optional``): without one the anonymous endpoint is called; with one it is
sent as ``Authorization: Bearer`` and the account's limits apply. The newer gateway
(``gen.pollinations.ai``, path ``/image/{prompt}``, key required) is used when the
configured base URL points at it; which hosts still serve anonymous requests is not
confirmed (reference), hence both.

Synchronous: submit performs the call and keeps the image (as a data: URI, see
providers.immediate) in the task; poll hands it back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Health,
    Provider,
    ProviderTask,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import error_for_status, send
from reelforge.providers.immediate import check_params, completed_task, image_output, stored_update

PARAMS = frozenset(
    {"width", "height", "nologo", "private", "enhance", "safe", "transparent", "referrer"}
)


class PollinationsProvider(Provider):
    name = "pollinations"
    display_name = "Pollinations"
    reconcile_note = "synchronous: the image is the answer that was lost, with nothing to look up"
    credential_fields = (
        CredentialField("api_key", ("POLLINATIONS_API_KEY", "POLLINATIONS_TOKEN")),
    )
    # Works with no credential at all: the anonymous image endpoint needs no key.
    credential_optional = True
    default_base_url = "https://image.pollinations.ai"
    default_poll_interval = 0.1

    @property
    def needs_credential(self) -> bool:
        return False

    @property
    def image_path(self) -> str:
        host = urlsplit(self.base_url).hostname or ""
        return "/image/" if host.startswith("gen.") else "/prompt/"

    def _headers(self, credential: Credential | None) -> dict[str, str]:
        key = credential.values.get("api_key") if credential is not None else None
        return {"Authorization": f"Bearer {key}"} if key else {}

    def query(self, request: GenerationRequest) -> dict[str, Any]:
        check_params(self.name, request.params, PARAMS)
        if request.negative_prompt:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "pollinations: negative prompts are not supported.",
                detail={"provider": self.name, "field": "negative_prompt"},
            )
        if not request.prompt.strip():
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "pollinations: a prompt is required.",
                detail={"provider": self.name, "field": "prompt"},
            )
        query: dict[str, Any] = {"model": request.model}
        if request.seed is not None:
            query["seed"] = request.seed
        for name, value in request.params.items():
            query[name] = ("true" if value else "false") if isinstance(value, bool) else value
        return query

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        query = self.query(request)
        url = f"{self.base_url}{self.image_path}{quote(request.prompt, safe='')}"
        response = await send(
            self.client, self.name, "GET", url, params=query, headers=self._headers(credential)
        )
        if response.status_code >= 400:
            raise self.error(response)
        declared = response.headers.get("content-type", "")
        if not declared.startswith("image/"):
            # Some failures come back as 200 with a JSON or text body.
            raise self.error(response, fallback_status=502)
        output = image_output(self.name, response.content, declared)
        return completed_task(self.name, request, [output], seed=request.seed)

    def error(self, response: httpx.Response, fallback_status: int | None = None) -> ReelForgeError:
        """No stable error schema: ``{"error", "message"}`` JSON or plain text."""
        message = response.text[:300]
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            parts = [data.get("message"), data.get("error")]
            message = next((str(p) for p in parts if isinstance(p, str) and p), message)
        if fallback_status is not None and response.status_code < 400:
            return ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                f"pollinations: expected an image, got {response.headers.get('content-type')}.",
                detail={"provider": self.name, "provider_message": message},
                retryable=True,
            )
        return error_for_status(self.name, response, message=message)

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        return stored_update(self.name, task)

    async def verify(self, credential: Credential) -> bool:
        """There is no key-checking call to make: a reachable model list is the check."""
        health = await self.health()
        if not health.ok:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                "pollinations: the image endpoint is not reachable.",
                detail=health.detail,
            )
        return True

    async def health(self) -> Health:
        path = "/image/models" if self.image_path == "/image/" else "/models"
        try:
            response = await send(self.client, self.name, "GET", f"{self.base_url}{path}")
        except ReelForgeError as exc:
            return Health(ok=False, detail={"error": str(exc.code)})
        if response.status_code >= 400:
            return Health(ok=False, detail={"status": response.status_code})
        try:
            models = response.json()
        except ValueError:
            models = []
        names = [m if isinstance(m, str) else m.get("name") for m in models or []]
        return Health(ok=True, detail={"models": [n for n in names if n]})


@hookimpl
def register_providers(register):  # type: ignore[no-untyped-def]
    register(PollinationsProvider)
