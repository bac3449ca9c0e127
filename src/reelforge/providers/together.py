"""Together AI image generation: ``POST /v1/images/generations`` (OpenAI-shaped, Together's
own fields).

Differences from OpenAI's images API that matter here: ``response_format`` is ``"url"`` or
``"base64"`` (not ``b64_json``, although the answer's item type is ``b64_json``), there is
no ``size``/``quality``/``style`` but ``width``/``height``/``steps``, and ``negative_prompt``
is a native field. The base URL excludes ``/v1`` (the official SDK appends it).

The API is synchronous: submit performs the call and keeps the outputs in the task (see
providers.immediate); poll hands them back.
"""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import error_for_status, json_body, send
from reelforge.providers.immediate import (
    check_params,
    completed_task,
    decode_data_uri,
    image_output,
    stored_update,
)

# Request fields the API documents besides model/prompt/negative_prompt/seed/image_url.
PARAMS = frozenset(
    {
        "width",
        "height",
        "steps",
        "n",
        "guidance_scale",
        "response_format",
        "output_format",
        "reference_images",
        "image_loras",
        "disable_safety_checker",
    }
)
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}
_SAFETY_CODES = ("nsfw", "content_policy", "safety", "moderation")


class TogetherProvider(Provider):
    name = "together"
    display_name = "Together AI"
    reconcile_note = (
        "synchronous: the image is in the answer that was lost, with nothing to look up"
    )
    credential_fields = (CredentialField("api_key", ("TOGETHER_API_KEY",)),)
    default_base_url = "https://api.together.ai"
    # Nothing to wait for: the result is in the task when submit returns.
    default_poll_interval = 0.1

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}"}

    def body(self, request: GenerationRequest) -> dict[str, Any]:
        check_params(self.name, request.params, PARAMS)
        body: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            body["seed"] = request.seed
        # URLs keep the stored task small; "base64" is honoured when asked for.
        body["response_format"] = "url"
        body.update(request.params)
        image = request.input_of(MediaKind.IMAGE, "image")
        if image is not None:
            body["image_url"] = image.url
        elif request.mode is not Mode.T2I:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"together: mode {request.mode} needs an input image.",
                detail={"field": "inputs"},
            )
        return body

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        body = self.body(request)
        response = await send(
            self.client,
            self.name,
            "POST",
            f"{self.base_url}/v1/images/generations",
            json=body,
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise self.error(response)
        data = json_body(self.name, response)
        fmt = str(body.get("output_format") or "jpeg")
        outputs = self.outputs(data, _CONTENT_TYPES.get(fmt))
        return completed_task(
            self.name,
            request,
            outputs,
            task_id=str(data.get("id") or "") or None,
            seed=body.get("seed"),
        )

    def outputs(self, data: Any, content_type: str | None) -> list[OutputMedia]:
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "together: the answer has no data list.",
                detail={"provider": self.name},
                retryable=True,
            )
        outputs: list[OutputMedia] = []
        for item in sorted(items, key=lambda i: i.get("index", 0) if isinstance(i, dict) else 0):
            if not isinstance(item, dict):
                continue
            if item.get("url"):
                outputs.append(
                    OutputMedia(
                        url=str(item["url"]), media_type=MediaKind.IMAGE, content_type=content_type
                    )
                )
            elif item.get("b64_json"):
                raw = str(item["b64_json"])
                uri = raw if raw.startswith("data:") else f"data:image/png;base64,{raw}"
                content, declared = decode_data_uri(uri)
                outputs.append(image_output(self.name, content, content_type or declared))
        return outputs

    def error(self, response: httpx.Response) -> ReelForgeError:
        """Together's OpenAI-style ``{"error": {"message","type","param","code"}}``."""
        try:
            payload = response.json()
        except ValueError:
            payload = None
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            code = f"{err.get('code') or ''} {err.get('type') or ''}".lower()
            detail = {"provider": self.name, "status": response.status_code}
            if response.status_code in (400, 422) and any(w in code for w in _SAFETY_CODES):
                return ReelForgeError(
                    ErrorCode.SAFETY_FILTER, f"together: {message}", detail=detail
                )
            mapped = error_for_status(self.name, response, message=message)
            if mapped.code is ErrorCode.VALIDATION_ERROR and err.get("param"):
                mapped.detail["field"] = err["param"]
            return mapped
        return error_for_status(self.name, response)

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        return stored_update(self.name, task)

    async def verify(self, credential: Credential) -> bool:
        """The cheapest authenticated call: the model list."""
        response = await send(
            self.client,
            self.name,
            "GET",
            f"{self.base_url}/v1/models",
            headers=self._headers(credential),
        )
        if response.status_code >= 400:
            raise self.error(response)
        return True


@hookimpl
def register_providers(register):  # type: ignore[no-untyped-def]
    register(TogetherProvider)
