"""What every Codecut table shares: the naming convention, the table prefix, and UTC timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard, cast

from sqlalchemy import Table
from sqlmodel import SQLModel

#: Named constraints let Alembic's SQLite batch mode drop and recreate them reliably.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every table is prefixed so Codecut can share a database with the app it is embedded in.
TABLE_PREFIX = "codecut_"


def utcnow() -> datetime:
    """Aware UTC, as SQLModel's datetime columns require."""
    return datetime.now(UTC)


def id_of(row: SQLModel) -> int:
    """A row's primary key, once the database has assigned it (after a flush)."""
    value = getattr(row, "id", None)
    if not isinstance(value, int):
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush the session first")
    return value


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for the hot paths' prebuilt statements (typed, unlike
    ``Model.__table__``)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def storable(value: object) -> TypeGuard[str]:
    """Text a database can store: a JSON escape can smuggle in a NUL (PostgreSQL refuses it) or a
    lone surrogate (not encodable as UTF-8)."""
    return isinstance(value, str) and not any(
        char == "\x00" or "\ud800" <= char <= "\udfff" for char in value
    )


def overlong(table: Table, values: Mapping[str, Any]) -> str | None:
    """Why a row's text does not fit its columns (``name is longer than 200 characters``), or
    None. SQLite keeps text of any length and PostgreSQL refuses it without naming the column:
    checked before writing, the same answer on both."""
    for name, value in values.items():
        column = table.columns.get(name)
        length = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and length is not None and len(value) > length:
            return f"{name} is longer than {length:,} characters"
    return None
