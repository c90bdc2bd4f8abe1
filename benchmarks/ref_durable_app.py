"""Reference receiver 2 for bench_webhooks.py: checks the HMAC and durably stores the raw body.

The least any correct receiver does: one INSERT and a COMMIT on the same database, through the
same engine set-up as Codecut (SQLite: WAL, ``BEGIN IMMEDIATE``; PostgreSQL: a pooled connection).
``gunicorn -w 4 'ref_durable_app:create_app()'`` with ``CODECUT_DATABASE_URL`` and
``BENCH_WEBHOOK_SECRET``; ``BENCH_SQLITE_SYNCHRONOUS=NORMAL`` measures what durability costs.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from ref_hmac_app import signed
from sqlalchemy import Engine, event, text

from codecut.db import create_db_engine

TABLE = "bench_raw_delivery"


def create_table(engine: Engine) -> None:
    """Run once by the benchmark before the workers start (they would race to create it)."""
    blob = "BLOB" if engine.dialect.name == "sqlite" else "BYTEA"
    key = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "BIGSERIAL PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {key}, topic TEXT, body {blob})")
        )


def create_app() -> Flask:
    app = Flask(__name__)
    secret = os.environ["BENCH_WEBHOOK_SECRET"].encode()
    engine = create_db_engine(os.environ["CODECUT_DATABASE_URL"])
    synchronous = os.environ.get("BENCH_SQLITE_SYNCHRONOUS")
    if synchronous and engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _weaker(connection, _record):  # type: ignore[no-untyped-def]
            connection.execute(f"PRAGMA synchronous={synchronous}")

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.post("/webhooks/shopify")
    def receive():  # type: ignore[no-untyped-def]
        body = request.get_data(cache=False)
        if not signed(body, request.headers.get("X-Shopify-Hmac-Sha256"), secret):
            return jsonify(error="unauthorized"), 401
        with engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO {TABLE} (topic, body) VALUES (:topic, :body)"),
                {"topic": request.headers.get("X-Shopify-Topic"), "body": body},
            )
        return jsonify(status="ok")

    return app
