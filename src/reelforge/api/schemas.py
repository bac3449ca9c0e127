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
# Whitespace as Python's str.isspace(), str.strip() and re's \s take it, spelled out: JSON
# Schema's \s (ECMA-262) leaves out \x1c-\x1f and \x85 and adds \ufeff. The body of a
# character class; the handlers strip before they check.
SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = rf"[{SPACE}]"
SOLID = rf"[^{SPACE}]"  # not whitespace
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTP_URL_PATTERN = (
    rf"^https?://{_LABEL}(\.{_LABEL})*(:[0-9]{{1,4}})?([/?#][^{SPACE}\x00-\x1f\x7f-\x9f]*)?$"
)
_TEXT = rf"[^@{SPACE}]+"
# What storage.identity.normalize_email accepts, spaces around it stripped.
EMAIL_PATTERN = rf"^{WS}*{_TEXT}@{_TEXT}\.{_TEXT}{WS}*$"
# Something is left once stripped.
NOT_BLANK: dict[str, Any] = {"pattern": SOLID}


def not_a_bool(value: Any) -> Any:
    """A ``field_validator(mode="before")`` for numbers: true and false are not ones
    (Pydantic's lax mode took them for 1 and 0; its strict mode would refuse 10.0, which
    JSON Schema calls an integer)."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


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
