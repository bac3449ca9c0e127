"""``POST /v1/chat/completions`` and ``GET /v1/models`` as OpenAI-compatible servers answer
them (Bearer key, ``choices[0].message.content``, ``usage``, the error envelope
``{"error": {"message", "type", "code"}}``). The answer is code built from the last user
message: an HTML page styled with Tailwind classes, or a React component, as the system
message asks, in a fenced block as chat models write it. Every request is recorded in
``app.state.emulator.requests`` so tests can see what was sent."""

from __future__ import annotations

import html
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SANDBOX_API_KEY = "sk-sandbox-llmchat"
MODELS = ("gpt-4o-mini", "sandbox-coder")


@dataclass
class LlmState:
    requests: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}, status
    )


def _title(text: str) -> str:
    words = re.sub(r"[^A-Za-z0-9 ]+", " ", text).split()
    return " ".join(words[:6]).title() or "Untitled"


def _html(prompt: str) -> str:
    title = html.escape(_title(prompt))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script src="https://cdn.tailwindcss.com"></script>
<style>body{{font-family:system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}}
.hero{{padding:64px 32px;background:#4f46e5;color:#fff}}.cta{{display:inline-block;margin-top:24px;
padding:12px 20px;border-radius:8px;background:#fff;color:#4f46e5;font-weight:600}}
.cards{{display:flex;gap:16px;padding:32px}}.card{{flex:1;padding:20px;border-radius:12px;
background:#fff;box-shadow:0 1px 3px #0002}}</style>
</head>
<body class="bg-slate-50 text-slate-900">
<header class="hero bg-indigo-600 text-white px-8 py-16">
<h1 class="text-4xl font-bold">{title}</h1>
<p class="mt-4 text-lg">{html.escape(prompt[:160])}</p>
<a class="cta" href="#start">Get started</a>
</header>
<main class="cards grid grid-cols-3 gap-4 p-8">
<section class="card"><h2>Fast</h2><p>Ready in minutes.</p></section>
<section class="card"><h2>Clear</h2><p>One layout grid.</p></section>
<section class="card"><h2>Yours</h2><p>Edit every part.</p></section>
</main>
</body>
</html>"""


def _react(prompt: str) -> str:
    title = _title(prompt).replace("'", "")
    name = "".join(w.capitalize() for w in title.split()[:3]) or "Screen"
    return f"""import React from 'react';

export default function {name}() {{
  return (
    <div className="min-h-screen bg-slate-50 text-slate-900">
      <header className="bg-indigo-600 text-white px-8 py-16">
        <h1 className="text-4xl font-bold">{title}</h1>
        <button className="mt-6 rounded-lg bg-white px-5 py-3 font-semibold text-indigo-600">
          Get started
        </button>
      </header>
    </div>
  );
}}"""


def create_app() -> Starlette:
    state = LlmState()

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {SANDBOX_API_KEY}"

    async def completions(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        try:
            body = await request.json()
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages or not body.get("model"):
            return _error(
                400, "'model' and a non-empty 'messages' are required.", "invalid_request_error"
            )
        if body["model"] not in MODELS:
            return _error(
                404,
                f"The model `{body['model']}` does not exist.",
                "invalid_request_error",
                "model_not_found",
            )
        state.requests.append(body)
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        user = next(
            (str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        react = "react" in system.lower()
        code = _react(user) if react else _html(user)
        content = f"Here is the component.\n\n```{'jsx' if react else 'html'}\n{code}\n```\n"
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(code.split()),
                    "total_tokens": prompt_tokens + len(code.split()),
                },
            }
        )

    async def models(request: Request) -> JSONResponse:
        if not authorized(request):
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "owned_by": "sandbox"} for m in MODELS],
            }
        )

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
    app.state.emulator = state
    return app
