"""ComfyUI: the user's own local or remote server, driven through its HTTP + WebSocket API.

submit: pick the workflow template (the model id), check on ``/object_info`` that every
node it needs is installed (DEPENDENCY_MISSING names the missing node types; ReelForge
never installs ComfyUI or its extensions), upload input images (``/upload/image``), fill
the slots, check the model files, then ``POST /prompt`` with a client id.
poll: listen on ``/ws`` briefly for progress, then ``/history/{id}`` (the authority) and
``/queue``; outputs are fetched through ``/view`` and handed back as data: URIs, so the
engine can ingest them even from a server on loopback.
cancel: ``/queue`` delete when pending, ``/interrupt`` for that prompt when running.
health: ``/system_stats`` (versions, GPUs and VRAM).

The server address is credential-like configuration: the ``url`` field (``COMFYUI_URL``)
when set, else the base URL from settings (default http://127.0.0.1:8188). There is no key.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import (
    Credential,
    CredentialField,
    GenerationRequest,
    Health,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.comfyui import progress, uploads
from reelforge.providers.comfyui.dependencies import (
    dependency_error,
    missing_names,
    missing_nodes,
)
from reelforge.providers.comfyui.templates import Template, get_template
from reelforge.providers.comfyui.wire import (
    FileRef,
    check_graph,
    missing_nodes_error,
    prompt_rejection,
    read_history,
)
from reelforge.providers.http import error_for_status, json_body, send
from reelforge.providers.immediate import (
    data_uri,
    image_output,
    sniff_content_type,
)

# Stable prompt ids for a repeated idempotency key (newer servers accept a client prompt_id).
_PROMPT_NAMESPACE = uuid.UUID("5b0c7c3e-3a9e-4d4f-9a53-2f0f5d1c9e11")
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac"}


class ComfyUIProvider(Provider):
    name = "comfyui"
    display_name = "ComfyUI"
    credential_fields = (CredentialField("url", ("COMFYUI_URL",), secret=False),)
    # No key exists; without a configured URL the settings' base URL is used.
    credential_optional = True
    default_base_url = "http://127.0.0.1:8188"
    default_poll_interval = 1.0
    supports_cancel = True
    reconcilable = True
    reconcile_note = (
        "a prompt is queued under a prompt_id made from the step's key and found in the "
        "server's queue or history (a server older than client prompt ids mints its own: "
        "that prompt is not found and is queued again, on a server that charges nothing)"
    )
    # Listening window per poll on /ws (seconds).
    ws_window = 1.0

    @property
    def needs_credential(self) -> bool:
        return False

    def server(self, credential: Credential | None, task: ProviderTask | None = None) -> str:
        if task is not None and task.meta.get("server"):
            return str(task.meta["server"])
        url = credential.values.get("url") if credential is not None else None
        return (url or self.base_url).rstrip("/")

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await send(self.client, self.name, method, url, **kwargs)
        if response.status_code >= 400 and not (
            method == "POST" and url.endswith("/prompt") and response.status_code == 400
        ):
            raise error_for_status(self.name, response)
        return response

    # -- submit -------------------------------------------------------------------------
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        template = get_template(request.model)
        base = self.server(credential)
        infos = await self.object_info(base, template.node_types)
        missing = missing_nodes(template, infos)
        if missing:
            raise missing_nodes_error(template.name, missing)
        images = await self.upload_inputs(base, template, request)
        seed = request.seed if request.seed is not None else random.randrange(2**32)
        graph = template.fill(
            prompt=request.prompt,
            negative=request.negative_prompt,
            seed=seed,
            params=request.params,
            images=images,
        )
        check_graph(template.name, graph, infos)
        client_id = uuid.uuid4().hex
        meta = {"server": base, "client_id": client_id, "template": template.name, "seed": seed}
        if request.idempotency_key:
            prompt_id = str(uuid.uuid5(_PROMPT_NAMESPACE, request.idempotency_key))
            if await self._known(base, prompt_id):
                return self._task(request, prompt_id, meta)
        else:
            prompt_id = str(uuid.uuid4())
        body = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
        response = await self._call("POST", f"{base}/prompt", json=body)
        data = json_body(self.name, response)
        if response.status_code == 400:
            raise prompt_rejection(400, data)
        # Older servers ignore a client prompt_id and mint their own: use what they say.
        return self._task(request, str(data.get("prompt_id") or prompt_id), meta)

    async def find_submitted(
        self, request: GenerationRequest, credential: Credential, *, sent_at: float
    ) -> list[ProviderTask]:
        """The prompt queued under the step's own prompt_id, if the server has it."""
        if not request.idempotency_key:
            return []
        base = self.server(credential)
        prompt_id = str(uuid.uuid5(_PROMPT_NAMESPACE, request.idempotency_key))
        if not await self._known(base, prompt_id):
            return []
        template = get_template(request.model)
        # A new client id: the lost one's socket is gone; polls read the history.
        meta = {"server": base, "client_id": uuid.uuid4().hex, "template": template.name}
        return [self._task(request, prompt_id, meta | {"seed": request.seed})]

    def _task(
        self, request: GenerationRequest, prompt_id: str, meta: dict[str, Any]
    ) -> ProviderTask:
        return ProviderTask(
            provider=self.name,
            task_id=prompt_id,
            model=request.model,
            mode=request.mode,
            meta=meta,
            poll_interval_seconds=self.default_poll_interval,
        )

    async def object_info(self, base: str, node_types: list[str]) -> dict[str, dict[str, Any]]:
        """``/object_info/{class}`` for each needed node type ({} answers: not installed)."""

        async def one(node_type: str) -> tuple[str, dict[str, Any] | None]:
            response = await self._call("GET", f"{base}/object_info/{quote(node_type, safe='')}")
            data = json_body(self.name, response)
            info = data.get(node_type) if isinstance(data, dict) else None
            return node_type, info if isinstance(info, dict) else None

        found = await asyncio.gather(*(one(t) for t in node_types))
        return {name: info for name, info in found if info is not None}

    # -- dependencies (plan time; the API is described at the top of templates.py) --------
    async def missing_dependencies(
        self,
        model: str,
        credential: Credential | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> list[str]:
        """What the server lacks for this template: ``extension:<name>``, ``node:<type>``
        (core), ``model:<file>``; [] when it has everything."""
        template = get_template(model)
        return missing_names(template, await self._infos(template, credential), params)

    async def check_dependencies(
        self,
        model: str,
        credential: Credential | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Raise the DEPENDENCY_MISSING submit would raise (naming what to install), or
        ENGINE_OFFLINE when no server answers; return when everything is there."""
        template = get_template(model)
        error = dependency_error(template, await self._infos(template, credential), params)
        if error is not None:
            raise error

    async def _infos(
        self, template: Template, credential: Credential | None
    ) -> dict[str, dict[str, Any]]:
        base = self.server(credential)
        try:
            return await self.object_info(base, template.node_types)
        except ReelForgeError as exc:
            if exc.code is not ErrorCode.ENGINE_OFFLINE:
                raise
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                f"comfyui: no ComfyUI server answers at {_shown(base)}.",
                detail={"provider": self.name, "server": _shown(base)},
                remediation=(
                    "Start ComfyUI (python main.py --listen) or set COMFYUI_URL to its address.",
                ),
                retryable=True,
            ) from exc

    async def upload_inputs(
        self, base: str, template: Template, request: GenerationRequest
    ) -> dict[str, str]:
        """Each media slot's input uploaded; slot → the name the server gave it."""
        return await uploads.upload_inputs(self._call, self.client, base, template, request)

    async def _known(self, base: str, prompt_id: str) -> bool:
        if await self.history(base, prompt_id) is not None:
            return True
        running, pending = await self.queue(base)
        return prompt_id in running or prompt_id in pending

    # -- poll ---------------------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        base = self.server(credential, task)
        snapshot = progress.Snapshot()
        client_id = task.meta.get("client_id")
        if client_id:
            snapshot = await progress.watch(
                base, str(client_id), task.task_id, window=self.ws_window, client=self.client
            )
        entry = await self.history(base, task.task_id)
        if entry is None:
            running, pending = await self.queue(base)
            if task.task_id in running:
                return TaskUpdate(
                    status=TaskStatus.RUNNING,
                    progress=snapshot.progress,
                    message=f"node {snapshot.node}" if snapshot.node else None,
                )
            if task.task_id in pending:
                position = pending.index(task.task_id) + len(running)
                return TaskUpdate(
                    status=TaskStatus.QUEUED, progress=0.0, message=f"queue position {position}"
                )
            entry = await self.history(base, task.task_id)  # it may have just finished
        if entry is None:
            error = ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "comfyui: the server no longer knows this prompt (restarted or queue cleared).",
                detail={"provider": self.name, "task_id": task.task_id},
                retryable=True,
            )
            return TaskUpdate(status=TaskStatus.FAILED, error=error.to_dict())
        finished = read_history(task.task_id, entry)
        if finished.status is TaskStatus.FAILED:
            assert finished.error is not None
            return TaskUpdate(status=TaskStatus.FAILED, error=finished.error.to_dict())
        if finished.status is TaskStatus.CANCELED:
            return TaskUpdate(status=TaskStatus.CANCELED)
        outputs = [await self.fetch(base, ref) for ref in finished.files]
        return TaskUpdate(status=TaskStatus.SUCCEEDED, progress=1.0, outputs=outputs)

    async def history(self, base: str, prompt_id: str) -> dict[str, Any] | None:
        response = await self._call("GET", f"{base}/history/{prompt_id}")
        data = json_body(self.name, response)
        entry = data.get(prompt_id) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else None

    async def queue(self, base: str) -> tuple[list[str], list[str]]:
        """(running, pending) prompt ids; items are [number, prompt_id, prompt, extra, outputs]."""
        data = json_body(self.name, await self._call("GET", f"{base}/queue"))

        def ids(items: Any) -> list[str]:
            found = [i for i in items or [] if isinstance(i, list) and len(i) > 1]
            return [str(i[1]) for i in sorted(found, key=lambda i: i[0])]

        return ids(data.get("queue_running")), ids(data.get("queue_pending"))

    async def fetch(self, base: str, ref: FileRef) -> OutputMedia:
        """One output through /view, as a data: URI (the server may be on loopback)."""
        response = await send(self.client, self.name, "GET", f"{base}/view", params=ref.query())
        if response.status_code >= 400:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                f"comfyui: output {ref.filename} cannot be fetched ({response.status_code}).",
                detail={
                    "provider": self.name,
                    "file": ref.filename,
                    "status": response.status_code,
                },
                retryable=response.status_code >= 500,
            )
        content = response.content
        if ref.kind is MediaKind.IMAGE:
            return image_output(self.name, content, response.headers.get("content-type"))
        ext = ref.filename.rsplit(".", 1)[-1].lower()
        kind = _AUDIO_TYPES.get(ext) if ref.kind is MediaKind.AUDIO else None
        kind = kind or sniff_content_type(content, response.headers.get("content-type"))
        return OutputMedia(url=data_uri(content, kind), media_type=ref.kind, content_type=kind)

    # -- cancel, health -----------------------------------------------------------------
    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        base = self.server(credential, task)
        running, pending = await self.queue(base)
        if task.task_id in pending:
            await self._call("POST", f"{base}/queue", json={"delete": [task.task_id]})
            return True
        if task.task_id in running:
            # With prompt_id newer servers interrupt only this prompt.
            await self._call("POST", f"{base}/interrupt", json={"prompt_id": task.task_id})
            return True
        return False

    async def health(self) -> Health:
        return await self.health_of(self.base_url)

    async def health_of(self, base: str) -> Health:
        try:
            response = await self._call("GET", f"{base}/system_stats")
            data = json_body(self.name, response)
        except ReelForgeError as exc:
            detail = {"server": _shown(base), "error": str(exc.code), "message": exc.message}
            return Health(ok=False, detail=detail)
        system = data.get("system") or {}
        devices = [
            {k: d.get(k) for k in ("name", "type", "index", "vram_total", "vram_free")}
            for d in data.get("devices") or []
            if isinstance(d, dict)
        ]
        return Health(
            ok=True,
            detail={
                "server": _shown(base),
                "comfyui_version": system.get("comfyui_version"),
                "python_version": system.get("python_version"),
                "pytorch_version": system.get("pytorch_version"),
                "devices": devices,
            },
        )

    async def verify(self, credential: Credential) -> bool:
        """No key to check: the configured server must answer /system_stats."""
        base = self.server(credential)
        health = await self.health_of(base)
        if not health.ok:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                f"comfyui: no ComfyUI server answers at {_shown(base)}.",
                detail=health.detail,
                remediation=(
                    "Start ComfyUI (python main.py --listen) or set COMFYUI_URL to its address.",
                ),
            )
        return True


def _shown(base: str) -> str:
    """The server address without any user:password part (a proxy's basic auth)."""
    parts = urlsplit(base)
    if parts.username is None and parts.password is None:
        return base
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=host))
