"""Base request/response models: requests forbid unknown fields (CONTRACT_MISMATCH).

And what the OpenAPI document states of a field that the handler checks itself (issue 25,
defect 4: the schema says what is accepted): ``json_schema_extra`` values, so the handler
keeps its own error messages and the schema the same rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

# The URL syntax the fetcher accepts without a lookup (storage.fetcher.check_url_syntax,
# domain.sources.url_problem): http(s), a host name or IPv4 literal, a port, no
# credentials, no spaces or control characters. Whether the address may be reached is
# the network's answer (UNSAFE_URL with the reason), not the schema's.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTP_URL_PATTERN = (
    rf"^https?://{_LABEL}(\.{_LABEL})*(:[0-9]{{1,4}})?([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$"
)

# Whitespace as Python's str.strip() and re's \s take it (\x1c-\x1f included, which JSON
# Schema's \s leaves out): the handlers strip before they check.
WS = r"[\s\x1c-\x1f]"
_TEXT = r"[^@\s\x1c-\x1f]+"
# What storage.identity.normalize_email accepts, spaces around it stripped.
EMAIL_PATTERN = rf"^{WS}*{_TEXT}@{_TEXT}\.{_TEXT}{WS}*$"
# Something is left once stripped.
NOT_BLANK: dict[str, Any] = {"pattern": r"[^\s\x1c-\x1f]"}


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def one_of(
    values: Iterable[str] | Callable[[], Iterable[str]], *, nullable: bool = False
) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` stating the values a handler accepts (an enum); ``values``
    may be a function, read when the document is built (plugins' asset modes)."""

    def extra(schema: dict[str, Any]) -> None:
        known = list(values() if callable(values) else values)
        schema["enum"] = [*known, None] if nullable else known

    return extra


def not_null(schema: dict[str, Any]) -> None:
    """A ``json_schema_extra`` for an optional field that may be left out but not sent as
    null (a PATCH's "cannot be cleared")."""
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
