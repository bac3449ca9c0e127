"""Luma AI Dream Machine API: Ray video (text, keyframe images, extend), Modify (remix),
Photon images, and the credits balance.

Wire contract (reference/providers-video.md §4, lumaai SDK 1.21): ``Authorization: Bearer``;
``POST /generations/video``, ``/generations/video/modify`` and ``/generations/image`` return
the Generation object (201); ``GET /generations/{id}`` polls it; states ``queued``,
``dreaming``, ``completed``, ``failed`` (moderation shows only as a ``failure_reason``);
``GET /credits`` is the balance in USD cents. Errors are FastAPI ``{"detail": ...}`` bodies.
"""

from __future__ import annotations

from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.providers import reconcile
from reelforge.providers.base import (
    Balance,
    Credential,
    CredentialField,
    GenerationRequest,
    Health,
    InputMedia,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.detail_errors import detail_error
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.http import json_body, send

NAME = "luma"
END_SLOTS = ("end_image", "last_frame", "frame1")
STATES = {
    "queued": TaskStatus.QUEUED,
    "dreaming": TaskStatus.RUNNING,
    "completed": TaskStatus.SUCCEEDED,
    "failed": TaskStatus.FAILED,
}
# failure_reason texts that mean a content refusal (docs list "Contains blacklisted words",
# "Frame moderation failed", "Advanced prompt moderation failed").
MODERATION_MARKERS = ("moderation", "blacklist", "nsfw", "safety", "inappropriate")
VIDEO_PARAMS = ("aspect_ratio", "resolution")
IMAGE_PARAMS = ("aspect_ratio", "format")


class LumaProvider(Provider):
    name = NAME
    display_name = "Luma AI (Dream Machine)"
    # LUMA_API_KEY is ours/the issue's; the official SDK reads LUMAAI_API_KEY.
    credential_fields = (CredentialField("api_key", ("LUMA_API_KEY", "LUMAAI_API_KEY")),)
    default_base_url = "https://api.lumalabs.ai/dream-machine/v1"
    default_poll_interval = 5.0
    supports_callbacks = True
    reconcilable = True
    reconcile_note = "generations are listed with their request and creation time"

    @classmethod
    def needs_url(cls, mode: Mode, kind: MediaKind) -> bool:
        # Keyframes and the media to modify are fetched by Luma from public URLs; its API
        # has no upload endpoint and takes no inline data.
        return True

    def _headers(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential.get('api_key')}"}

    async def _call(self, method: str, path: str, credential: Credential, **kwargs: Any) -> Any:
        response = await send(
            self.client,
            NAME,
            method,
            f"{self.base_url}{path}",
            headers=self._headers(credential),
            **kwargs,
        )
        if not response.is_success:
            raise detail_error(NAME, response)
        if response.status_code == 204:
            return None
        return json_body(NAME, response)

    # -- submit -----------------------------------------------------------------------
    def _wire(
        self, request: GenerationRequest, credential: Credential
    ) -> tuple[str, dict[str, Any]]:
        """The submit path and body for ``request``."""
        if request.model.startswith("photon"):
            path, body = "/generations/image", self._image_body(request, credential)
        elif request.mode is Mode.V2V:
            path, body = "/generations/video/modify", self._modify_body(request, credential)
        else:
            path, body = "/generations/video", self._video_body(request, credential)
        if request.callback_url:
            body["callback_url"] = request.callback_url
        return path, body

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        path, body = self._wire(request, credential)
        data = await self._call("POST", path, credential, json=body)
        generation_id = data.get("id") if isinstance(data, dict) else None
        if not generation_id:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "luma: the generation was accepted without an id.",
                detail={"provider": NAME},
                retryable=False,  # it may have been created: never resubmit blindly
            )
        return self._task(request, path, body, str(generation_id))

    def _task(
        self, request: GenerationRequest, path: str, body: dict[str, Any], generation_id: str
    ) -> ProviderTask:
        meta: dict[str, Any] = {"kind": "image" if path.endswith("image") else "video"}
        if meta["kind"] == "video" and "duration" in body:
            meta["duration"] = _seconds(body["duration"])
        if meta["kind"] == "image":
            meta["format"] = body.get("format", "jpg")
        return ProviderTask(
            provider=NAME,
            task_id=generation_id,
            model=request.model,
            mode=request.mode,
            meta=meta,
            poll_interval_seconds=self.default_poll_interval,
        )

    async def find_submitted(
        self, request: GenerationRequest, credential: Credential, *, sent_at: float
    ) -> list[ProviderTask]:
        """``GET /generations`` (newest first): a generation of the same model and prompt
        created around ``sent_at``."""
        path, body = self._wire(request, credential)
        found: list[ProviderTask] = []
        for page in range(reconcile.MAX_PAGES):
            data = await self._call(
                "GET", "/generations", credential, params={"limit": 100, "offset": page * 100}
            )
            items = data.get("generations") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ReelForgeError(
                    ErrorCode.PROVIDER_ERROR,
                    "luma: the generations listing is malformed.",
                    detail={"provider": NAME},
                    retryable=True,
                )
            for item in items:
                if not isinstance(item, dict):
                    continue
                if reconcile.older_than_window(item.get("created_at"), sent_at):
                    return found[::-1]
                if (
                    reconcile.near(item.get("created_at"), sent_at)
                    and item.get("model") == body.get("model")
                    and reconcile.same_fields(body, item.get("request"), ("prompt",))
                ):
                    found.append(self._task(request, path, body, str(item.get("id"))))
            if not data.get("has_more"):
                break
        return found[::-1]  # oldest first: the first of two identical requests

    def _video_body(self, request: GenerationRequest, credential: Credential) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {"model": request.model, "generation_type": "video"}
        if request.prompt:
            body["prompt"] = request.prompt
        for key in VIDEO_PARAMS:
            if params.get(key) is not None:
                body[key] = params[key]
        if params.get("duration") is not None:
            body["duration"] = _duration(params["duration"])
        if params.get("loop"):  # sent only when asked: the API refuses loop with keyframes
            body["loop"] = True
        if params.get("concepts"):
            concepts = params["concepts"]
            keys = [concepts] if isinstance(concepts, str) else list(concepts)
            body["concepts"] = [{"key": k} if isinstance(k, str) else k for k in keys]
        keyframes: dict[str, Any] = {}
        # Extend continues a finished Luma generation (frame0); reverse-extend leads into
        # one (frame1). Both take Luma's own generation id, not media.
        if params.get("extend_generation_id"):
            keyframes["frame0"] = {"type": "generation", "id": params["extend_generation_id"]}
        if params.get("reverse_extend_generation_id"):
            keyframes["frame1"] = {
                "type": "generation",
                "id": params["reverse_extend_generation_id"],
            }
        for item in request.inputs:
            if item.kind is not MediaKind.IMAGE:
                continue
            frame = "frame1" if item.slot in END_SLOTS else "frame0"
            if frame not in keyframes:
                keyframes[frame] = {"type": "image", "url": _url(item, frame, credential)}
        if keyframes:
            body["keyframes"] = keyframes
        return body

    def _modify_body(self, request: GenerationRequest, credential: Credential) -> dict[str, Any]:
        video = request.input_of(MediaKind.VIDEO)
        if video is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "luma: a remix (modify) needs a source video input.",
                detail={"provider": NAME, "field": "video"},
            )
        body: dict[str, Any] = {
            "generation_type": "modify_video",
            "model": request.model,
            "media": {"url": _url(video, "media", credential)},
            "mode": request.params.get("mode") or "flex_1",
        }
        if request.prompt:
            body["prompt"] = request.prompt
        first = request.input_of(MediaKind.IMAGE)
        if first is not None:
            body["first_frame"] = {"url": _url(first, "first_frame", credential)}
        return body

    def _image_body(self, request: GenerationRequest, credential: Credential) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {"model": request.model, "generation_type": "image"}
        if request.prompt:
            body["prompt"] = request.prompt
        for key in IMAGE_PARAMS:
            if params.get(key) is not None:
                body[key] = params[key]
        for item in request.inputs:
            if item.kind is not MediaKind.IMAGE:
                continue
            if item.slot == "style":
                ref = {"url": _url(item, "style_ref", credential)}
                body.setdefault("style_ref", []).append(_weighted(ref, params, "style_weight"))
            elif item.slot == "character":
                images = body.setdefault("character_ref", {"identity0": {"images": []}})
                images["identity0"]["images"].append(_url(item, "character_ref", credential))
            elif item.slot == "reference":
                ref = {"url": _url(item, "image_ref", credential)}
                body.setdefault("image_ref", []).append(_weighted(ref, params, "image_weight"))
            elif "modify_image_ref" not in body:
                # The primary image of an image-to-image request is the one to modify.
                ref = {"url": _url(item, "modify_image_ref", credential)}
                body["modify_image_ref"] = _weighted(ref, params, "image_weight")
        return body

    # -- poll -------------------------------------------------------------------------
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        data = await self._call("GET", f"/generations/{task.task_id}", credential)
        if not isinstance(data, dict):
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "luma: the generation answer is not an object.",
                detail={"provider": NAME, "task_id": task.task_id},
                retryable=True,
            )
        state = str(data.get("state") or "queued")
        status = STATES.get(state)
        if status is None:
            # An unknown state is reported, not guessed: keep waiting.
            return TaskUpdate(status=TaskStatus.RUNNING, message=f"luma state {state!r}")
        if status is TaskStatus.FAILED:
            return TaskUpdate(
                status=status,
                error=_failure(str(data.get("failure_reason") or ""), task).to_dict(),
            )
        if status is not TaskStatus.SUCCEEDED:
            return TaskUpdate(status=status, message=state)
        return TaskUpdate(status=status, progress=1.0, outputs=_outputs(data, task))

    # -- account ----------------------------------------------------------------------
    async def balance(self, credential: Credential) -> Balance:
        data = await self._call("GET", "/credits", credential)
        cents = float(data.get("credit_balance", 0.0)) if isinstance(data, dict) else 0.0
        # The API reports USD cents.
        return Balance(amount=cents / 100.0, unit="USD", detail={"credit_balance_cents": cents})

    async def health(self) -> Health:
        """Reachability without a key: any answer below 500 means the API is up."""
        try:
            response = await send(self.client, NAME, "GET", f"{self.base_url}/ping")
        except ReelForgeError as exc:
            return Health(ok=False, detail={"error": str(exc.code)})
        return Health(ok=response.status_code < 500, detail={"status": response.status_code})


def _duration(value: Any) -> str:
    """Luma wants "5s"/"9s"; accept 5, 5.0 and "5" too."""
    text = str(value).strip()
    if text.endswith("s"):
        return text
    return f"{round(float(text))}s"


def _seconds(value: Any) -> float | None:
    try:
        return float(str(value).rstrip("s"))
    except ValueError:
        return None


def _weighted(ref: dict[str, Any], params: dict[str, Any], key: str) -> dict[str, Any]:
    if params.get(key) is not None:
        ref["weight"] = float(params[key])
    return ref


def _url(item: InputMedia, field: str, credential: Credential) -> str:
    """Luma fetches inputs by public URL and has no upload endpoint (the engine hands it
    one, see ``needs_url``); a data: URI would be refused after a round trip."""
    if item.url.startswith("data:"):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"luma: {field} must be a public https URL (Luma cannot take uploaded data).",
            detail={"provider": NAME, "field": field, "slot": item.slot},
        )
    return item.url


def _failure(reason: str, task: ProviderTask) -> ReelForgeError:
    detail = {"provider": NAME, "task_id": task.task_id, "provider_message": reason}
    lowered = reason.lower()
    if any(marker in lowered for marker in MODERATION_MARKERS):
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"luma: {reason}", detail=detail)
    if "input frame" in lowered or "user input" in lowered:
        kind = task.meta.get("kind")
        detail["field"] = (
            "media" if task.mode is Mode.V2V else "image_ref" if kind == "image" else "keyframes"
        )
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"luma: {reason}", detail=detail)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"luma: the generation failed ({reason or 'no reason given'}).",
        detail=detail,
        retryable=True,
    )


def _outputs(data: dict[str, Any], task: ProviderTask) -> list[OutputMedia]:
    assets = data.get("assets") or {}
    if task.meta.get("kind") == "image" or data.get("generation_type") == "image":
        url = assets.get("image")
        fmt = str(task.meta.get("format") or "jpg")
        content_type = "image/png" if fmt == "png" else "image/jpeg"
        return (
            [OutputMedia(url=url, media_type=MediaKind.IMAGE, content_type=content_type)]
            if url
            else []
        )
    url = assets.get("video")
    if not url:
        return []
    return [
        OutputMedia(
            url=url,
            media_type=MediaKind.VIDEO,
            content_type="video/mp4",
            duration_seconds=task.meta.get("duration"),
        )
    ]


@hookimpl
def register_providers(register: Any) -> None:
    register(LumaProvider)
