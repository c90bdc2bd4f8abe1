"""Errors as JSON: a status, a machine-readable code, and a message. Never a traceback.

The core raises domain errors (:mod:`codecut.errors`); :mod:`.statuses` decides which HTTP status
and code each one is answered with.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..db import is_transient
from ..errors import CodecutError, RateLimited
from ..state import get_state
from .pages import http_error_page, is_page_request
from .statuses import status_of

log = logging.getLogger("codecut")


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _codecut_error(error: CodecutError) -> tuple[Response, int]:
    status, code = status_of(error)
    response, status = error_response(status, code, error.message)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response, status


def _http_error(error: HTTPException) -> tuple[Response, int] | Response:
    if is_page_request():
        return http_error_page(error)
    if request.path.removeprefix(get_state().settings.url_prefix).startswith("/api/v1/"):
        from .api_v1.base import problem  # the admin API answers in problem details throughout

        return problem(error.code or 500, error.name, error.description)
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or error.name)


def _database_error(error: SQLAlchemyError) -> tuple[Response, int]:
    if is_transient(error):
        log.warning("database unavailable: %s", error)
        return error_response(503, "unavailable", "the database is busy; retry shortly")
    log.exception("database error")
    return error_response(500, "internal_error", "internal error; it has been logged")


def _unexpected(error: Exception) -> tuple[Response, int] | Response:
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
