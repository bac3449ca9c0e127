"""``POST /audio/speech``: text to speech on any TTS model (the local one included); the
answer is the audio's bytes in ``response_format`` (mp3 by default, as OpenAI's), as the
SDK's ``audio.speech.create`` expects; the stored artifact is the model's own file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.openai.nodes import media_pipeline
from reelforge.api.openai.runs import model_for, output_ids, run_and_wait
from reelforge.api.openai.schemas import SpeechIn
from reelforge.api.openai.speech_format import encode_speech
from reelforge.domain.modes import Mode

router = APIRouter(tags=["openai"])


@router.post("/audio/speech", response_class=Response, dependencies=[GENERATION_LIMIT])
async def speech(
    body: SpeechIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    principal: CurrentPrincipal,
) -> Response:
    entry = await model_for(container, body.model, Mode.TTS)
    props: dict[str, Any] = entry.params_schema.get("properties", {})
    params: dict[str, Any] = {}
    ignored: list[str] = []
    voices = [str(v) for v in props.get("voice", {}).get("enum") or []]
    if isinstance(body.voice, str) and (
        body.voice in voices or (voices == [] and "voice" in props)
    ):
        params["voice"] = body.voice
    elif body.voice is not None:
        ignored.append("voice")  # OpenAI's voice names are not this model's voices
    if body.speed is not None:
        if "speed" in props:
            params["speed"] = body.speed
        else:
            ignored.append("speed")
    for name in ("instructions", "stream_format"):
        if getattr(body, name) is not None:
            ignored.append(name)
    pipeline = await media_pipeline(
        container,
        model=entry.id,
        mode=Mode.TTS,
        prompt=body.input,
        extras=body.reelforge,
        ignored=ignored,
        params=params,
    )
    run = await run_and_wait(container, principal, pipeline, request, response)
    artifact_id = output_ids(run)[0]
    row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
    fmt = body.response_format or "mp3"  # OpenAI's default
    data, content_type = await encode_speech(await container.artifacts.local_path(row), fmt)
    headers = {k: v for k, v in response.headers.items() if k.startswith("x-reelforge-")}
    headers["x-reelforge-artifact-id"] = artifact_id
    if ignored:
        headers["x-reelforge-ignored"] = ",".join(ignored)
    return Response(content=data, media_type=content_type, headers=headers)
