"""Read queries that the ORM compiles once per shape, then runs with new values.

Building and compiling a queryset costs Python time on every request, for a page query with
two joins and thirty columns more than PostgreSQL takes to run it (figures:
docs/PERFORMANCE.md).
The hot pages (the conversation lists) run the same few queries with different ids, so a
`CompiledQuery` compiles its queryset once per shape (the lengths of its id lists, its
slice) in each thread, keeps the SQL and where each id sits among the parameters, and on
the next call only substitutes the ids. An id list is padded to a power of two by repeating
its last id (harmless in `IN`), so a list of 1 to 128 ids takes one of eight shapes. The
query is still written with the ORM, once; the database, the converters (SQLite's datetimes
and booleans) and the query log are Django's.

django-prepared-queries did this for Django 1.x and is no longer maintained.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Stand-ins for the values while the queryset compiles: negative, so they cannot be the id of
# a row or a constant of the query, and inside a 32-bit integer column's range, which Django
# checks before it compiles a lookup.
SENTINEL_BASE = -2_000_000_000

# Shapes kept per query and thread (a few list lengths and page slices); past it, start over.
MAX_SHAPES = 64


class Compiled(NamedTuple):
    sql: str | None  # None: the shape matches nothing (Django's EmptyResultSet)
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter position, value position) pairs
    # (column, its converters, its expression), as the compiler's `apply_converters` uses them
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    width: int | None  # columns of a row to keep, when Django selected extra ones to order by
    alias: str


def padded(ids: Sequence[int]) -> list[int]:
    """The ids, the last one repeated up to the next power of two."""
    ids = list(ids)
    if ids:
        ids.extend(ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids)))
    return ids


class CompiledQuery:
    """A queryset-building function, called with stand-ins once per shape; see the module's
    docstring. `values` are ints or sequences of ints (ids), substituted on each call;
    `shape` keyword arguments (a slice's bounds, a column name) are passed as they are and
    pick the compiled form."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self.local = threading.local()
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__

    def rows(self, *values: int | Sequence[int], **shape: Hashable) -> list[tuple[Any, ...]]:
        compiled, params = self._prepare(values, shape)
        if compiled.sql is None:
            return []
        connection = connections[compiled.alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.width is not None:
            rows = [row[: compiled.width] for row in rows]
        if compiled.converters:
            return [_converted(row, compiled.converters, connection) for row in rows]
        return rows

    def explain(self, *values: int | Sequence[int], **shape: Hashable) -> str:
        """The database's plan for these values, as `QuerySet.explain()` gives it."""
        compiled, params = self._prepare(values, shape)
        if compiled.sql is None:
            return ""
        connection = connections[compiled.alias]
        with connection.cursor() as cursor:
            cursor.execute(f"{connection.ops.explain_query_prefix()} {compiled.sql}", params)
            return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())

    def _prepare(
        self, values: tuple[int | Sequence[int], ...], shape: dict[str, Hashable]
    ) -> tuple[Compiled, list[Any]]:
        flat: list[int] = []
        lengths: list[int | None] = []
        for value in values:
            if isinstance(value, int):
                flat.append(value)
                lengths.append(None)
            elif isinstance(value, str | bytes):
                raise TypeError(f"{self.__name__}: ids are ints or sequences of ints")
            else:
                ids = padded(value)
                flat.extend(ids)
                lengths.append(len(ids))
        key = (tuple(lengths), tuple(sorted(shape.items())))
        cache: dict[Any, Compiled] = self.local.__dict__.setdefault("cache", {})
        compiled = cache.get(key)
        if compiled is None:
            if len(cache) >= MAX_SHAPES:
                cache.clear()
            compiled = cache[key] = self._compile(lengths, shape)
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = int(flat[index])
        return compiled, params

    def _compile(self, lengths: list[int | None], shape: dict[str, Hashable]) -> Compiled:
        stand_ins: list[Any] = []
        count = 0
        for length in lengths:
            if length is None:
                stand_ins.append(SENTINEL_BASE - count)
                count += 1
            else:
                stand_ins.append([SENTINEL_BASE - count - i for i in range(length)])
                count += length
        queryset = self.build(*stand_ins, **shape)
        alias = queryset.db
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            if 0 in lengths or queryset.query.is_empty():  # an empty id list or slice
                return Compiled(None, (), (), (), None, alias)
            # Django found a stand-in outside a field's range: the query cannot be compiled
            # this way (caching "matches nothing" would answer wrongly for real ids).
            raise ValueError(
                f"{self.__name__}: a value's field cannot take the stand-ins"
            ) from None
        slots = []
        for position, param in enumerate(params):
            if isinstance(param, int) and SENTINEL_BASE - count < param <= SENTINEL_BASE:
                slots.append((position, SENTINEL_BASE - param))
        if {index for _, index in slots} != set(range(count)):
            raise ValueError(f"{self.__name__}: each value must reach the SQL as a parameter")
        fields = [select[0] for select in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        )
        width = compiler.col_count if compiler.has_extra_select else None
        return Compiled(sql, tuple(params), tuple(slots), converters, width, alias)


def _converted(row: Sequence[Any], converters: Any, connection: Any) -> tuple[Any, ...]:
    """The row with Django's converters applied, as the compiler's `apply_converters` does."""
    values = list(row)
    for position, functions, expression in converters:
        value = values[position]
        for converter in functions:
            value = converter(value, expression, connection)
        values[position] = value
    return tuple(values)


def compiled_query(build: Callable[..., QuerySet[Any]]) -> CompiledQuery:
    """Decorate a function that returns a queryset (of `values_list` rows) built from its
    arguments: call `.rows(*values, **shape)` on the result. See `CompiledQuery`."""
    return CompiledQuery(build)
