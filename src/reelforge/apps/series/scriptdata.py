"""Pilot scripts and audio packs checked against the platform's JSON Schemas (served at
``/api/v1/schemas/<name>``), every violation reported with its JSON path; and shots
compiled into video prompts in the seed's format ``[camera]: [scene]. [details]. Motion:
[motion].``"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from reelforge.domain.errors import ErrorCode, ReelForgeError

PILOT = "pilot-script.schema.json"
AUDIO_PACK = "audio-miniseries-pack.schema.json"
SCHEMAS = (PILOT, AUDIO_PACK)
MIN_RUNTIME, MAX_RUNTIME = 30, 90


@cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files("reelforge.apps.series").joinpath("schemas", name).read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def violations(name: str, document: object) -> list[dict[str, str]]:
    found = [
        {"path": err.json_path, "message": err.message, "rule": str(err.validator)}
        for err in _validator(name).iter_errors(document)
    ]
    if name == PILOT and isinstance(document, dict):
        found.extend(_runtime(document))
    return sorted(found, key=lambda v: (v["path"], v["rule"]))


def _runtime(document: dict[str, Any]) -> list[dict[str, str]]:
    shots = document.get("shots")
    if not isinstance(shots, list):
        return []
    durations = [s.get("duration_seconds") for s in shots if isinstance(s, dict)]
    if not durations or not all(
        isinstance(d, (int, float)) and not isinstance(d, bool) for d in durations
    ):
        return []
    total = sum(float(d) for d in durations if isinstance(d, (int, float)))
    if MIN_RUNTIME <= total <= MAX_RUNTIME:
        return []
    return [
        {
            "path": "$.shots",
            "message": f"total runtime {total:g} s (sum of duration_seconds) is outside "
            f"{MIN_RUNTIME}-{MAX_RUNTIME} s",
            "rule": "total_runtime",
        }
    ]


def check(name: str, document: object, *, code: ErrorCode = ErrorCode.INVALID_SCRIPT) -> None:
    found = violations(name, document)
    if found:
        listed = "; ".join(f"{v['path']}: {v['message']}" for v in found[:5])
        raise ReelForgeError(
            code,
            f"{len(found)} violation(s) of {name}: {listed}",
            remediation=(
                f"Fix each violation in detail.violations (JSON paths); schema: "
                f"GET /api/v1/schemas/{name}",
            ),
            detail={"schema": f"/api/v1/schemas/{name}", "violations": found},
        )


def compile_shot(shot: dict[str, Any]) -> str:
    """``[camera]: [scene]. [details]. Motion: [motion].`` (parts that are absent left out)."""
    prompt = shot["prompt"]
    parts = [f"[{prompt['camera']}]: {_sentence(prompt['scene'])}"]
    if prompt.get("details"):
        parts.append(_sentence(prompt["details"]))
    if prompt.get("motion"):
        parts.append(f"Motion: {prompt['motion']}.")
    return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def narration_text(script: dict[str, Any]) -> str:
    """What the narrator reads for the pilot: the arc, beat by beat."""
    arc = script["arc"]
    return " ".join(_sentence(arc[k]) for k in ("beat_1", "beat_2", "beat_3"))
