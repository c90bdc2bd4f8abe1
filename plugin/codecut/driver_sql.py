"""Core statements compiled once per dialect and run on the driver's own cursor.

For the share-link redirect only (the hottest public route): SQLAlchemy's work around each
execution (an execution context, events, a result object and its rows) cost about 40 µs a
statement, more than the statement itself, and a click runs one (PostgreSQL) or two (SQLite).
The statement is still written once with SQLAlchemy and compiled by it; its bind processors
shape the values (so a click's time is stored exactly as the ORM stores it); it runs inside the
caller's SQLAlchemy connection and transaction; and a driver error is raised as SQLAlchemy's own
(:class:`~sqlalchemy.exc.DBAPIError`, e.g. ``OperationalError``), so error pages and retries are
unchanged. Rows come back as plain tuples in the statement's column order, without result
processing: read only plain columns through it (no enums, dates or JSON to convert).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Parameter names in order for positional drivers (SQLite's ``?``), else None.
    positions: tuple[str, ...] | None
    #: Values of the literals written into the statement (``status = 'active'``).
    fixed: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **params}
        for name, process in self.processors.items():
            values[name] = process(values[name])
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)


class Prepared:
    """One statement, compiled on first use for each dialect it meets."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _compile(self.statement, dialect)
        return compiled

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it in ``connection``'s transaction; its rows, if it returns any."""
        compiled = self._for(connection.dialect)
        values = compiled.parameters(params)
        dialect = connection.dialect
        cursor = None
        try:
            cursor = connection.connection.cursor()
            cursor.execute(compiled.sql, values)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as error:
            # As SQLAlchemy would: a lost connection is never handed out again.
            lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.sql,
                values,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        finally:
            if cursor is not None:
                cursor.close()


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    fixed: dict[str, Any] = {}
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            fixed[name] = bind.effective_value
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    return _Compiled(compiled.string, positions, fixed, processors)
