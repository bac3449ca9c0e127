"""Cursor parameters shared by every list endpoint, so each one decodes them the same way:
an integer cursor is a non-negative 64-bit number, an id cursor is a bounded id string.
A cursor that names nothing simply yields an empty page; one that cannot be a cursor is
a VALIDATION_ERROR (422), never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from reelforge.api.param_guard import INT64_MAX

ID_CURSOR_MAX = 100

IntCursor = Annotated[
    int | None,
    Query(ge=0, le=INT64_MAX, description="`next_cursor` of the previous page."),
]


def id_cursor(description: str) -> object:
    return Query(max_length=ID_CURSOR_MAX, description=description)
