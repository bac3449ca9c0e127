"""Multipart bodies as the SDK sends them (``images.edit``, ``videos.create``): the text
fields are validated by the same request model as a JSON body, the files kept apart."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from reelforge.api.errors import too_large, validation_to_error
from reelforge.domain.errors import ErrorCode, ReelForgeError

M = TypeVar("M", bound=BaseModel)


def invalid(exc: ValidationError) -> ReelForgeError:
    from fastapi.exceptions import RequestValidationError

    return validation_to_error(RequestValidationError(exc.errors()))


async def parse_form(
    request: Request, model: type[M], files: tuple[str, ...]
) -> tuple[M, dict[str, list[UploadFile]]]:
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        # These paths take media (the upload limit): a JSON body keeps the JSON limit.
        limit = request.app.state.container.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > limit:
            raise too_large(limit, declared=int(declared) if declared.isdigit() else None)
        raw: Any = await request.json()
        fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
        parts: dict[str, list[UploadFile]] = {}
    else:
        if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            raise ReelForgeError(
                ErrorCode.UNSUPPORTED_MEDIA,
                "Send multipart/form-data (as the OpenAI SDK does) or JSON.",
            )
        form = await request.form()
        fields, parts = {}, {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name not in files:
                    raise ReelForgeError(
                        ErrorCode.CONTRACT_MISMATCH,
                        f"Unexpected file field {name!r} (files go in: {', '.join(files)}).",
                        detail={"param": name, "unknown_fields": [name]},
                    )
                parts.setdefault(name, []).append(value)
            elif name == "reelforge":
                fields[name] = json.loads(value) if value else {}
            else:
                fields[name] = value
    try:
        return model.model_validate(fields), parts
    except ValidationError as exc:
        raise invalid(exc) from None
    except json.JSONDecodeError as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The field `reelforge` must be JSON.",
            detail={"param": "reelforge", "error": str(exc)[:200]},
        ) from None
