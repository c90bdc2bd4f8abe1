"""Errors as JSON: a status, a machine-readable code, and a message. Never a traceback."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..db import is_transient
from ..errors import CodecutError

log = logging.getLogger("codecut")


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _codecut_error(error: CodecutError) -> tuple[Response, int]:
    return error_response(error.status_code, error.code, error.message)


def _http_error(error: HTTPException) -> tuple[Response, int] | Response:
    from .pages import http_error_page, is_page_request

    if is_page_request():
        return http_error_page(error)
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or error.name)


def _database_error(error: SQLAlchemyError) -> tuple[Response, int]:
    if is_transient(error):
        log.warning("database unavailable: %s", error)
        return error_response(503, "unavailable", "the database is busy; retry shortly")
    log.exception("database error")
    return error_response(500, "internal_error", "internal error; it has been logged")


def _unexpected(error: Exception) -> tuple[Response, int]:
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; it has been logged")


def register_blueprint_errors(blueprint: Blueprint) -> None:
    """Codecut's own errors, for its own views, even when embedded in a host app."""
    blueprint.register_error_handler(CodecutError, _codecut_error)
    blueprint.register_error_handler(SQLAlchemyError, _database_error)


def register_json_errors(app: Flask) -> None:
    """The standalone service answers every error, 404s included, as JSON."""
    app.register_error_handler(CodecutError, _codecut_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(Exception, _unexpected)
