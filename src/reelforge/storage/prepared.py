"""Statements compiled once per dialect, for the driver to run as they are.

SQLAlchemy compiles a Core statement once and caches it, but every execution still builds
a cache key, an execution context and a result object: 50-100 µs a statement on SQLite,
where SQLite itself takes 5-20 µs. The engine's hot path (steps moving, run events) runs a
few fixed statements thousands of times a second. ``Prepared`` compiles each of them once
per dialect, with SQLAlchemy's own compiler and type system (public API only), into the
SQL text, the order of its parameters and the type conversions of its parameters and
result columns, so that running it is one driver call plus the same conversions
SQLAlchemy would have made (JSON, UTC datetimes, booleans).

Rules for a prepared statement: parameters are named ``bindparam``s (given at each run)
or constants; a list of constants is written ``col.in_([literal(v) for v in values])``
(SQLAlchemy's expanding ``IN`` parameters are rendered per execution and are refused
here); an ``insert`` names its columns with ``values({c: bindparam(c)})`` since column
defaults are not applied. Where the raw driver is not used (PostgreSQL, see
``storage.sql``), ``statement`` runs through SQLAlchemy with the same parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    # Per positional parameter: its name (None for a constant) and its bind processor;
    # constants are stored already converted.
    names: tuple[str | None, ...]
    binds: tuple[Processor, ...]
    constants: tuple[Any, ...]
    columns: tuple[str, ...]  # result (or RETURNING) column names
    results: tuple[Processor, ...]

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, process, constant in zip(self.names, self.binds, self.constants, strict=True):
            if name is None:
                out.append(constant)
                continue
            value = values[name]
            out.append(value if process is None else process(value))
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        return {
            key: value if process is None else process(value)
            for key, process, value in zip(self.columns, self.results, raw, strict=True)
        }


class Prepared:
    """A Core statement and its compiled form for each dialect it has run on."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return found


_INSERTS: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def inserting(table: Table, columns: Iterable[str]) -> Prepared:
    """``INSERT INTO table (columns...)``, prepared once per set of columns. Columns left
    out get their database default (NULL); Python-side defaults are not applied."""
    key = (table.name, tuple(sorted(columns)))
    found = _INSERTS.get(key)
    if found is None:
        found = _INSERTS[key] = Prepared(
            insert(table).values({c: bindparam(c, type_=table.c[c].type) for c in key[1]})
        )
    return found


def _compile(statement: Executable, dialect: Dialect) -> Compiled:
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"not a Core statement: {statement!r}")
    compiled: Any = statement.compile(dialect=dialect)
    order = compiled.positiontup
    if order is None:
        raise ValueError(f"{dialect.name} does not take positional parameters")
    names: list[str | None] = []
    binds: list[Processor] = []
    constants: list[Any] = []
    for key in order:
        bind = compiled.binds[key]
        if bind.expanding:
            raise ValueError(
                f"expanding parameter {key!r}: write a list of constants with literal()"
            )
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            names.append(key)
            binds.append(process)
            constants.append(None)
        else:
            value = bind.effective_value
            names.append(None)
            binds.append(None)
            constants.append(value if process is None else process(value))
    exported = list(getattr(statement, "exported_columns", None) or [])
    return Compiled(
        sql=compiled.string,
        names=tuple(names),
        binds=tuple(binds),
        constants=tuple(constants),
        columns=tuple(c.key for c in exported),
        results=tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in exported
        ),
    )
