"""Read queries built and compiled once per database, then run with new values.

Building a queryset and compiling it to SQL costs more CPU than PostgreSQL
takes to answer a simple query (measured on the list: the ORM's filter,
``as_sql`` and ``pre_sql_setup`` were a third of a request). The hot reads
are fixed shapes that differ only in their parameter values, so this builds
the shape once with a placeholder for each parameter, keeps the SQL and
Django's converters for its columns, and afterwards runs that SQL with the
real values: the same statement, the same conversions (SQLite's text dates,
PostgreSQL's native types), none of the building.

Parameters are declared by the model field they are compared with, so a
value is prepared for the database exactly as the ORM prepares it. Only
``values_list`` querysets are compiled; rows come back as dicts by name.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models
from django.db.models import QuerySet

Row = dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # parameter name -> its positions in params
    names: list[str]  # the columns, as values_list() names them
    converters: list[tuple[int, list[Any], Any]]


class CompiledQuery:
    """A ``values_list`` query with named parameters, compiled once per database.

    ``build`` receives one placeholder per parameter and returns the queryset;
    ``parameters`` maps each parameter's name to the model field its value is
    compared with. With ``paged`` the rows are sliced by ``limit`` and ``offset``.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet[Any]],
        parameters: Mapping[str, Any],
        *,
        paged: bool = False,
    ) -> None:
        self.build = build
        self.paged = paged
        # name -> the model field its value is compared with
        self.fields: dict[str, models.Field[Any, Any]] = dict(parameters)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(
        self, *, using: str = "default", limit: int = 0, offset: int = 0, **values: Any
    ) -> list[Row]:
        """Run the query with ``values`` for its parameters; the rows as dicts."""
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        params = self._params(compiled, connection, values)
        sql = compiled.sql
        if self.paged:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return list(_converted(fetched, compiled, connection))

    def count(
        self, *, using: str = "default", limit: int | None = None, **values: Any
    ) -> int:
        """How many rows the query has (without fetching them), at most ``limit``."""
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        sql, params = compiled.sql, self._params(compiled, connection, values)
        if limit is not None:  # stop counting there
            sql += " LIMIT %s"
            params.append(limit)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM ({sql}) AS counted",  # noqa: S608 - the ORM wrote it
                params,
            )
            (total,) = cursor.fetchone()
        return int(total)

    def first(self, *, using: str = "default", **values: Any) -> Row | None:
        rows = self.rows(using=using, **values)
        return rows[0] if rows else None

    def _params(
        self, compiled: _Compiled, connection: Any, values: dict[str, Any]
    ) -> list[Any]:
        if values.keys() != compiled.slots.keys():
            raise TypeError(f"give exactly these parameters: {sorted(compiled.slots)}")
        params = list(compiled.params)
        for name, value in values.items():
            prepared = self.fields[name].get_db_prep_value(value, connection)
            for position in compiled.slots[name]:
                params[position] = prepared
        return params

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            connection = connections[using]
            placeholders = {
                name: _placeholder(field) for name, field in self.fields.items()
            }
            queryset = self.build(**placeholders)
            if not queryset._fields or queryset.query.is_sliced:  # type: ignore[attr-defined]
                raise TypeError("compile an unsliced values_list() queryset")
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            slots = {}
            for name, placeholder in placeholders.items():
                prepared = self.fields[name].get_db_prep_value(placeholder, connection)
                found = tuple(i for i, param in enumerate(params) if param == prepared)
                if not found:
                    raise TypeError(f"parameter {name!r} is not in the query")
                slots[name] = found
            columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
            names = list(queryset._fields)  # type: ignore[attr-defined]
            if len(columns) != len(names):
                raise TypeError("extra columns: compile a plain values_list()")
            converters = [
                (position, convs, expression)
                for position, (convs, expression) in compiler.get_converters(
                    columns
                ).items()
            ]
            compiled = _Compiled(sql, tuple(params), slots, names, converters)
            self._compiled[using] = compiled
            return compiled


def _converted(
    rows: list[tuple[Any, ...]], compiled: _Compiled, connection: Any
) -> Iterator[Row]:
    names = compiled.names
    if not compiled.converters:  # PostgreSQL's own types need none
        for fetched in rows:
            yield dict(zip(names, fetched, strict=True))
        return
    for fetched in rows:
        row = list(fetched)
        for position, convs, expression in compiled.converters:
            value = row[position]
            for converter in convs:
                value = converter(value, expression, connection)
            row[position] = value
        yield dict(zip(names, row, strict=True))


def _placeholder(field: models.Field[Any, Any]) -> Any:
    """A value of the field's type that no real parameter of the query has."""
    target = field
    while target.is_relation:  # a foreign key compares with the key it points to
        target = target.target_field  # type: ignore[attr-defined]
    if isinstance(target, models.UUIDField):
        return uuid.uuid4()
    if isinstance(target, models.IntegerField | models.AutoField):
        return secrets.randbelow(2**50) + 2**52
    if isinstance(target, models.DateTimeField):
        return datetime.fromtimestamp(secrets.randbelow(2**30), tz=UTC)
    if isinstance(target, models.CharField | models.TextField):
        return f"compiled-parameter-{secrets.token_hex(8)}"
    raise TypeError(f"no placeholder for a {type(target).__name__} parameter")
