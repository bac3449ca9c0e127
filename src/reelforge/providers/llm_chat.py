"""An OpenAI-compatible chat completions client (the asset studio's UI/UX code LLM):
``POST {base_url}/chat/completions`` with a Bearer key, failures mapped to domain errors
once, here. The key is read when the call is made (the stored setting's variable,
``UIUX_LLM_API_KEY``, then ``OPENAI_API_KEY``), never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError

KEY_VARIABLES = ("UIUX_LLM_API_KEY", "OPENAI_API_KEY")


@dataclass
class ChatLLM:
    client: httpx.AsyncClient
    base_url: str  # ends with /v1 (OpenAI's shape)
    model: str
    api_key: str | None = None  # None: from the environment at call time

    def _key(self) -> str:
        key = self.api_key or next(
            (os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None
        )
        if not key:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                "No key for the UI/UX code model.",
                remediation=("Set UIUX_LLM_API_KEY (or OPENAI_API_KEY), or use sandbox mode.",),
            )
        return key

    async def complete(self, messages: list[dict[str, str]], *, temperature: float = 0.2) -> str:
        try:
            r = await self.client.post(
                f"{self.base_url.rstrip('/')}/chat/completions",
                json={"model": self.model, "messages": messages, "temperature": temperature},
                headers={"Authorization": f"Bearer {self._key()}"},
                timeout=120,
            )
        except httpx.HTTPError as exc:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                "The UI/UX code model cannot be reached.",
                retryable=True,
                detail={"error": type(exc).__name__},
            ) from exc
        body: Any = (
            r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        )
        if r.status_code != 200:
            message = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
            code = {
                401: ErrorCode.AUTH_FAILED,
                404: ErrorCode.NOT_FOUND,
                429: ErrorCode.RATE_LIMITED,
                400: ErrorCode.VALIDATION_ERROR,
            }.get(r.status_code, ErrorCode.PROVIDER_ERROR)
            raise ReelForgeError(
                code,
                f"The UI/UX code model refused: {message or r.status_code}",
                retryable=r.status_code in (429, 500, 502, 503),
                detail={"status": r.status_code},
            )
        try:
            return str(body["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as exc:
            raise ReelForgeError(
                ErrorCode.CONTRACT_MISMATCH, "The UI/UX code model answered in an unknown shape."
            ) from exc
