"""Atlas Cloud (api.atlascloud.ai): image, video and audio generation, prediction polling,
media upload, and the public model list with per-model OpenAPI schemas.

Contract: shared/reference/providers-other.md §1 (the vendor's own MCP server is the main
source). Body is flat ``{"model": id, ...Input}``; submit answers ``data.id``; the prediction
answers ``data.status`` starting|processing|completed|succeeded|failed and ``data.outputs``
(or ``data.output``). Image models whose schema offers ``enable_sync_mode`` are submitted
with it, so the submit answer already is the finished prediction and the task carries its
outcome (``ProviderTask.result``): nothing is polled. Errors carry their text in ``msg``,
``message`` or ``error``.
Discovery (classification into modes, prices) lives in reelforge.catalog.atlas_discovery;
this module only speaks HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.media import kind_of_content_type
from reelforge.domain.modes import MediaKind
from reelforge.providers.atlas_api import (
    INTERNAL_FIELDS,
    SYNC_FIELD,
    fetch_input_schema,
    fetch_models,
    is_moderation,
    request,
    schema_urls,
    sync_schemas,
)
from reelforge.providers.base import (
    Balance,
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
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.media_params import inject_media, is_array_param, primary_media_param

# How long a sync-mode image submission may take before the call gives up.
SYNC_TIMEOUT_SECONDS = 120.0
_ENDPOINTS: dict[MediaKind, str] = {
    MediaKind.IMAGE: "generateImage",
    MediaKind.VIDEO: "generateVideo",
    MediaKind.AUDIO: "generateAudio",
}
_STATUSES: dict[str, TaskStatus] = {
    "created": TaskStatus.QUEUED,
    "queued": TaskStatus.QUEUED,
    "pending": TaskStatus.QUEUED,
    "starting": TaskStatus.QUEUED,
    "processing": TaskStatus.RUNNING,
    "running": TaskStatus.RUNNING,
    "completed": TaskStatus.SUCCEEDED,
    "succeeded": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
    "canceled": TaskStatus.CANCELED,
    "cancelled": TaskStatus.CANCELED,
}
_EXTENSIONS: dict[str, MediaKind] = {
    ".png": MediaKind.IMAGE, ".jpg": MediaKind.IMAGE, ".jpeg": MediaKind.IMAGE,
    ".webp": MediaKind.IMAGE, ".gif": MediaKind.IMAGE, ".mp4": MediaKind.VIDEO,
    ".webm": MediaKind.VIDEO, ".mov": MediaKind.VIDEO, ".wav": MediaKind.AUDIO,
    ".mp3": MediaKind.AUDIO, ".ogg": MediaKind.AUDIO, ".flac": MediaKind.AUDIO,
}  # fmt: skip


class AtlasProvider(Provider):
    name: ClassVar[str] = "atlas"
    display_name: ClassVar[str] = "Atlas Cloud"
    reconcile_note = "predictions are known only by the id the create call answers (no listing)"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_key", ("ATLASCLOUD_API_KEY",)),
    )
    default_base_url: ClassVar[str] = "https://api.atlascloud.ai"
    # The official client polls every 3 s.
    default_poll_interval: ClassVar[float] = 3.0

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}"}

    async def _call(self, method: str, path: str, credential: Credential, **kwargs: Any) -> Any:
        headers = self._headers(credential)
        return await request(
            self.client, method, f"{self.base_url}{path}", headers=headers, **kwargs
        )

    async def input_schema(self, model: str) -> dict[str, Any] | None:
        """The model's cleaned Input schema, or None when Atlas publishes none."""
        urls = schema_urls.get(self.base_url)
        if urls is None or model not in urls:
            await fetch_models(self.client, self.base_url)
            urls = schema_urls.get(self.base_url, {})
        url = urls.get(model)
        return await fetch_input_schema(self.client, url) if url else None

    async def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The flat wire body: ``{model, ...params}`` with prompt, seed and media filled in."""
        params = {k: v for k, v in request.params.items() if k not in INTERNAL_FIELDS}
        for key, value in (
            ("prompt", request.prompt or None),
            ("negative_prompt", request.negative_prompt),
            ("seed", request.seed),
        ):
            if value is not None and key not in params:
                params[key] = value
        if not request.inputs:
            return {"model": request.model, **params}
        schema = await self.input_schema(request.model)
        if schema is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"Atlas publishes no schema for {request.model}, so it is unknown which "
                "field takes the input media; set that field in params instead.",
                detail={"model": request.model},
            )
        # Inputs that name a field of the schema go there (an array field takes them all,
        # in order); the others go to the primary field of their kind.
        props = schema.get("properties") or {}
        named: dict[str, list[str]] = {}
        by_kind: dict[MediaKind, list[str]] = {}
        for item in request.inputs:
            if item.slot and item.slot in props:
                named.setdefault(item.slot, []).append(item.url)
            else:
                by_kind.setdefault(item.kind, []).append(item.url)
        for kind in by_kind:
            if primary_media_param(schema, kind) is None:
                raise ReelForgeError(
                    ErrorCode.VALIDATION_ERROR,
                    f"{request.model} takes no {kind} input.",
                    detail={"model": request.model, "input_kind": str(kind)},
                )
        for name, urls in named.items():
            if params.get(name) in (None, "", []):  # a value set explicitly is kept
                params[name] = urls if is_array_param(schema, name) else urls[0]
        params = inject_media(
            schema,
            params,
            images=by_kind.get(MediaKind.IMAGE, []),
            videos=by_kind.get(MediaKind.VIDEO, []),
            audios=by_kind.get(MediaKind.AUDIO, []),
        )
        return {"model": request.model, **params}

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        endpoint = _ENDPOINTS.get(request.mode.output_kind)
        if endpoint is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"Atlas Cloud does not generate {request.mode.output_kind} output.",
                detail={"mode": str(request.mode)},
            )
        body = await self.build_body(request)
        timeout: dict[str, float] = {}
        if endpoint == "generateImage" and await self.answers_in_sync(request.model):
            # Images take seconds: the submission waits for them and answers the outputs.
            body[SYNC_FIELD] = True
            timeout["timeout"] = SYNC_TIMEOUT_SECONDS
        # Never retried here: a second POST is a second paid generation.
        data = await self._call(
            "POST", f"/api/v1/model/{endpoint}", credential, json=body, **timeout
        )
        task_id = data.get("id") if isinstance(data, dict) else None
        if not task_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "Atlas Cloud accepted the job but returned no prediction id.",
                detail={"provider": "atlas"},
            )
        # A synchronous answer (or a fast model) is already the finished prediction; any
        # other answer (an unknown status, too) leaves the task to be polled: it exists.
        try:
            answered: TaskUpdate | None = _update(data, str(task_id), request.mode.output_kind)
        except ReelForgeError:
            answered = None
        if answered is not None and (not answered.status.terminal or _empty(answered)):
            answered = None
        return ProviderTask(
            provider=self.name,
            task_id=str(task_id),
            model=request.model,
            mode=request.mode,
            meta={"endpoint": endpoint},
            poll_interval_seconds=self.default_poll_interval,
            result=answered,
        )

    async def answers_in_sync(self, model: str) -> bool:
        """True when the model's schema offers ``enable_sync_mode`` (a schema that cannot
        be read leaves the submission asynchronous: it is polled as usual)."""
        try:
            if await self.input_schema(model) is None:
                return False
        except ReelForgeError:
            return False
        return schema_urls.get(self.base_url, {}).get(model) in sync_schemas

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        if task.in_hand is not None:
            return task.in_hand
        data = await self._call("GET", f"/api/v1/model/prediction/{task.task_id}", credential)
        return _update(data, task.task_id, task.mode.output_kind)

    async def upload_media(
        self, content: bytes, filename: str, content_type: str, credential: Credential
    ) -> str:
        """Upload a file; return its temporary ``download_url`` (usable as a media input)."""
        data = await self._call(
            "POST",
            "/api/v1/model/uploadMedia",
            credential,
            files={"file": (filename, content, content_type)},
        )
        url = data.get("download_url") if isinstance(data, dict) else None
        if not url:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "Atlas Cloud's upload answer has no download_url.",
                detail={"provider": "atlas"},
            )
        return str(url)

    async def balance(self, credential: Credential) -> Balance | None:
        # /public/v1/balance is listed by the vendor's MCP server, its body shape is not
        # documented [L]: read ``balance`` (or ``amount``) from ``data`` and show it as USD.
        data = await self._call("GET", "/public/v1/balance", credential)
        amount = data.get("balance", data.get("amount")) if isinstance(data, dict) else None
        try:
            value = float(amount) if amount is not None else None
        except (TypeError, ValueError):
            value = None
        return Balance(
            amount=value, unit="USD", detail={"raw": data if isinstance(data, dict) else {}}
        )

    async def health(self) -> Health:
        started = time.monotonic()
        try:
            response = await self.client.get(f"{self.base_url}/api/v1/models", timeout=10.0)
        except httpx.HTTPError as exc:
            return Health(ok=False, detail={"error": type(exc).__name__})
        return Health(
            ok=not response.is_error,
            detail={
                "status": response.status_code,
                "latency_ms": round((time.monotonic() - started) * 1000),
            },
        )


def _update(data: Any, task_id: str, kind: MediaKind) -> TaskUpdate:
    """A prediction (the submit answer or a poll's) as a TaskUpdate."""
    if not isinstance(data, dict):
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "Atlas Cloud's prediction has an unexpected shape.",
            detail={"task_id": task_id},
        )
    raw_status = str(data.get("status", "")).lower()
    status = _STATUSES.get(raw_status)
    if status is None:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"Atlas Cloud reported an unknown status {raw_status!r}.",
            detail={"task_id": task_id},
        )
    if status is TaskStatus.FAILED:
        text = str(data.get("error") or "The generation failed.")
        code = ErrorCode.SAFETY_FILTER if is_moderation(text) else ErrorCode.PROVIDER_ERROR
        error = ReelForgeError(
            code,
            f"Atlas Cloud: {text}",
            detail={"task_id": task_id, "provider_message": text},
        )
        return TaskUpdate(status=status, error=error.to_dict())
    outputs: list[OutputMedia] = []
    if status is TaskStatus.SUCCEEDED:
        raw = data.get("outputs") or data.get("output") or []
        urls = [raw] if isinstance(raw, str) else [u for u in raw if isinstance(u, str)]
        outputs = [OutputMedia(url=u, media_type=_kind_of_url(u, kind)) for u in urls]
    return TaskUpdate(
        status=status, outputs=outputs, progress=1.0 if status is TaskStatus.SUCCEEDED else None
    )


def _empty(update: TaskUpdate) -> bool:
    """A success without outputs: in a submit answer, not a result to keep (poll instead)."""
    return update.status is TaskStatus.SUCCEEDED and not update.outputs


def _kind_of_url(url: str, default: MediaKind) -> MediaKind:
    path = url.split("?", 1)[0].lower()
    for ext, kind in _EXTENSIONS.items():
        if path.endswith(ext):
            return kind
    if path.startswith("data:"):
        return kind_of_content_type(path[5:].split(";", 1)[0]) or default
    return default


@hookimpl
def register_providers(register: Callable[[type[Any]], None]) -> None:
    register(AtlasProvider)
