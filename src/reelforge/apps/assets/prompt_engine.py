"""The prompt engine adapter (seed 004, "Prompt Engine Interface"): ``PROMPT_ENGINE=oss``
uses each mode's own builders; a hosted engine registers under another name and must
produce the same fields (prompt, negative prompt, notes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reelforge.apps.assets.contract import ModeContract, Preset
from reelforge.apps.assets.negatives import assemble
from reelforge.domain.errors import ErrorCode, ReelForgeError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class BuiltPrompt:
    prompt: str
    negative_prompt: str
    notes: tuple[str, ...] = field(default_factory=tuple)


class PromptEngine(Protocol):
    name: str

    def build(
        self,
        mode: ModeContract,
        preset: Preset,
        subject: str,
        fields: Mapping[str, Any],
        user_negative: str | None,
    ) -> BuiltPrompt: ...


def sanitize(mode: ModeContract, subject: str) -> str:
    """Step 4: prompt validation and sanitisation (control characters out, whitespace
    collapsed, length within the mode's limit)."""
    text = " ".join(_CONTROL.sub(" ", subject).split())
    if not text:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The prompt is empty.",
            remediation=("Describe the asset you want, e.g. 'a knight with a blue cape'.",),
            detail={"field": "prompt"},
        )
    if len(text) > mode.max_prompt_chars:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The prompt is {len(text)} characters; the {mode.name} mode takes at most "
            f"{mode.max_prompt_chars}.",
            remediation=("Shorten the prompt; the mode adds its own style words.",),
            detail={"field": "prompt", "max_chars": mode.max_prompt_chars},
        )
    return text


def check_fields(mode: ModeContract, fields: Mapping[str, Any]) -> dict[str, str]:
    unknown = sorted(set(fields) - set(mode.fields))
    bad = {k: v for k, v in fields.items() if k in mode.fields and v not in mode.fields[k]}
    if unknown or bad:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The {mode.name} mode's prompt fields are {', '.join(mode.fields) or 'none'}.",
            remediation=("Use only the fields and values listed in `detail.allowed`.",),
            detail={
                "unknown": unknown,
                "invalid": bad,
                "allowed": {k: list(v) for k, v in mode.fields.items()},
            },
        )
    return {k: str(v) for k, v in fields.items()}


class OssPromptEngine:
    """Our builders: the mode's scaffolding around the subject, its negative bank."""

    name = "oss"

    def build(
        self,
        mode: ModeContract,
        preset: Preset,
        subject: str,
        fields: Mapping[str, Any],
        user_negative: str | None,
    ) -> BuiltPrompt:
        prompt = mode.build_prompt(subject, preset, fields)
        negative = assemble(mode.negative_bank, preset.negatives, [user_negative or ""])
        return BuiltPrompt(prompt, negative)


ENGINES: dict[str, Callable[[], PromptEngine]] = {"oss": OssPromptEngine}


def prompt_engine(name: str) -> PromptEngine:
    factory = ENGINES.get(name)
    if factory is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown prompt engine {name!r} (PROMPT_ENGINE).",
            remediation=(f"Set PROMPT_ENGINE to one of: {', '.join(ENGINES)}.",),
            detail={"prompt_engine": name},
        )
    return factory()
