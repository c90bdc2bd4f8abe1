"""Engines, transactions and migrations for SQLite and PostgreSQL.

:func:`transaction` is the one way Codecut opens a transaction. On SQLite (WAL, ``synchronous=FULL``
so that an acknowledged write survives a power cut) a writing transaction begins ``IMMEDIATE``:
several gunicorn workers then queue for the write lock instead of failing with "database is locked"
halfway through a transaction that has already read. A reading transaction begins ``DEFERRED`` and
never takes the write lock, so a slow export or page never stalls webhooks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlmodel import Session

from . import models  # registers every table on SQLModel.metadata
from .config import ConfigError
from .errors import InvalidInput
from .models import overlong

#: Codecut's own Alembic version table, so it can share a database with the host app's migrations.
VERSION_TABLE = "codecut_alembic_version"

_SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for Codecut's transactions on SQLite or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    try:
        return create_engine(url, **kwargs)
    except ModuleNotFoundError as error:
        if parsed.get_backend_name() == "postgresql" and error.name and "psycopg" in error.name:
            raise ConfigError(
                "PostgreSQL needs the [postgres] extra: pip install -e '.[postgres]' "
                "(or pip install 'codecut[postgres]')"
            ) from None
        raise


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get(_READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """Rows an UPDATE or DELETE matched (``Session.execute`` types its result loosely)."""
    count = cast(CursorResult[*tuple[Any, ...]], result).rowcount
    return int(count) if count is not None and count >= 0 else 0


def is_transient(error: BaseException) -> bool:
    """True for errors a retry cures: a locked SQLite file, a lost or refused connection."""
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return False


_READONLY = "codecut_readonly"


def _reader(engine: Engine) -> Engine:
    """The engine with the read-only option, made once per engine (it shares the pool)."""
    reader: Engine | None = engine.__dict__.get(_READONLY)
    if reader is None:
        reader = engine.__dict__[_READONLY] = engine.execution_options(**{_READONLY: True})
    return reader


@contextmanager
def transaction(
    engine: Engine, *, readonly: bool = False, snapshot: bool = False
) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises.

    ``readonly=True`` for reads (pages, exports, listings): on SQLite it does not take the write
    lock; on PostgreSQL the database refuses any write in it. ``snapshot=True`` makes every
    statement of the transaction see the same data (PostgreSQL's REPEATABLE READ; SQLite's
    writing transaction already does, holding the write lock from its first statement).
    """
    bind = _reader(engine) if readonly else engine
    with _Session(bind, expire_on_commit=False) as session, session.begin(), _storable_values():
        if engine.dialect.name == "postgresql":
            if snapshot:
                session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            if readonly:
                session.execute(text("SET TRANSACTION READ ONLY"))
        yield session


@contextmanager
def connection_transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Connection]:
    """:func:`transaction` for the hottest routes: a Core connection, no ORM session to build.

    The same guarantees: committed when the block ends, rolled back if it raises; on SQLite a
    read takes no write lock, on PostgreSQL a read-only transaction refuses writes.
    """
    bind = _reader(engine) if readonly else engine
    with bind.begin() as connection, _storable_values():
        if readonly and engine.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION READ ONLY"))
        yield connection


class _Session(Session):
    """Codecut's sessions (:func:`transaction`): text longer than its column is refused, named,
    before anything is written (:func:`~codecut.models.overlong`)."""


@event.listens_for(_Session, "before_flush")
def _refuse_overlong_text(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        table = getattr(type(row), "__table__", None)
        if table is None:
            continue
        why = overlong(table, {column.key: getattr(row, column.key, None) for column in table.c})
        if why is not None:
            raise InvalidInput(why)


@contextmanager
def _storable_values() -> Iterator[None]:
    """A value the database cannot hold (an id beyond its integers, from a URL or a command;
    bytes a command's arguments could not decode) is the caller's mistake, refused as
    :class:`~codecut.errors.InvalidInput`; the transaction rolls back as for any error."""
    try:
        yield
    except DataError as error:  # PostgreSQL: "integer out of range", ...
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "out of range"
        raise InvalidInput(f"a value the database cannot hold: {reason}") from None
    except OverflowError as error:  # SQLite's driver, for integers beyond 64 bits
        if "SQLite" not in str(error):
            raise
        raise InvalidInput("a value the database cannot hold: a number too large") from None
    except UnicodeEncodeError as error:  # undecodable bytes in a command's arguments
        if "surrogates not allowed" not in str(error):
            raise
        raise InvalidInput("a value the database cannot hold: undecodable bytes") from None


# -- migrations ----------------------------------------------------------------------------------


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the host application's tables alone: Codecut only manages ``codecut_*`` tables."""
    if type_ == "table":
        return name is not None and name.startswith(models.TABLE_PREFIX)
    return True


def migrations_path() -> str:
    """The Alembic script directory, installed as the ``codecut.migrations`` package."""
    return str(resources.files("codecut.migrations"))


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", migrations_path())
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    with _unknown_revision_refused(revision):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to ``revision`` (``"base"`` removes every Codecut table)."""
    with _unknown_revision_refused(revision):
        command.downgrade(alembic_config(engine), revision)


@contextmanager
def _unknown_revision_refused(revision: str) -> Iterator[None]:
    """A revision this installation does not have is the caller's mistake: InvalidInput."""
    if not revision.strip():
        raise InvalidInput("name a revision: head, base, or one in migrations/versions")
    try:
        yield
    except CommandError as error:  # e.g. "Can't locate revision identified by 'zzz'"
        raise InvalidInput(f"no migration {revision[:100]!r} here: {error}"[:300]) from None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest migration this installation ships (read once: the files do not change)."""
    return ScriptDirectory(migrations_path()).get_current_head()


def not_ready(engine: Engine) -> str | None:
    """Why the database cannot serve Codecut now (``None`` when it can): unreachable, or its
    schema behind this version's migrations. A schema *ahead* (a newer version upgraded it
    during a rolling deploy) is served: migrations only add what older code ignores."""
    try:
        current = current_revision(engine)
    except DBAPIError as error:
        return f"the database does not answer ({type(error.orig).__name__})"
    head = head_revision()
    if current != head and (current is None or _known_revision(current)):
        at = current or "no revision"
        return f"the schema is at {at}, this version needs {head}: run codecut db upgrade"
    return None


def _known_revision(revision: str) -> bool:
    """Whether a revision is one of this installation's (else a newer version wrote it)."""
    try:
        return ScriptDirectory(migrations_path()).get_revision(revision) is not None
    except CommandError:  # not in this installation's history
        return False
