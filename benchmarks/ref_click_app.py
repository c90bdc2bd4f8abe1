"""Reference for bench_redirect.py: the least a counted redirect does.

A bare Flask ``GET /r/<code>`` that INSERTs one row and COMMITs on a pooled connection made by
Codecut's engine set-up (same durability: SQLite WAL with ``synchronous=FULL``,
``BEGIN IMMEDIATE``), then answers the 302. No lookup, no bot filter, no hashing. The INSERT runs
on the driver's cursor, as Codecut's redirect runs its statements (:mod:`codecut.driver_sql`),
so the reference carries no SQLAlchemy execution overhead that Codecut itself has shed;
``BENCH_REF_SQLALCHEMY=1`` runs it through SQLAlchemy's ``execute`` instead (the reference
before Codecut's redirect moved to the driver's cursor, kept for comparison).
``gunicorn -w 4 'ref_click_app:create_app()'`` with ``CODECUT_DATABASE_URL``.
"""

from __future__ import annotations

import os
import time

from flask import Flask, jsonify, redirect
from sqlalchemy import Engine, text
from werkzeug.wrappers import Response

from codecut.db import create_db_engine

TABLE = "bench_click"


def create_table(engine: Engine) -> None:
    """Run once by the benchmark before the workers start."""
    key = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "BIGSERIAL PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {key}, code TEXT, at DOUBLE PRECISION)")
        )


def create_app() -> Flask:
    app = Flask(__name__)
    engine = create_db_engine(os.environ["CODECUT_DATABASE_URL"])
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    insert = f"INSERT INTO {TABLE} (code, at) VALUES ({mark}, {mark})"

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    through_sqlalchemy = os.environ.get("BENCH_REF_SQLALCHEMY") == "1"
    statement = text(f"INSERT INTO {TABLE} (code, at) VALUES (:code, :at)")

    @app.get("/r/<code>")
    def follow(code: str) -> Response:
        with engine.begin() as connection:
            if through_sqlalchemy:
                connection.execute(statement, {"code": code, "at": time.time()})
            else:
                cursor = connection.connection.cursor()
                cursor.execute(insert, (code, time.time()))
                cursor.close()
        return redirect(f"https://bench.example.com/discount/{code}", 302)

    return app
