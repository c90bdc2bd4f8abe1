"""The finance API: ``Authorization: Bearer <key>``; exports streamed as CSV or XLSX.

Scopes nest: ``admin`` may do all ``finance`` may, ``finance`` all ``read`` may. Downloads need
``finance``. A missing or unknown key is a 401, a key of too small a scope a 403, both as JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from ..access import apikeys
from ..dates import parse_day
from ..db import transaction
from ..errors import InvalidInput, NotFound
from ..models import PayoutBatch
from ..reads import exports
from ..reads.records import list_payouts as payout_list
from ..state import get_state
from .downloads import download, export_format
from .errors import error_response, register_blueprint_errors

api = Blueprint("codecut_api", __name__)
register_blueprint_errors(api)


def require_scope(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                response, status = error_response(
                    401, "unauthorized", "send an API key: Authorization: Bearer <key>"
                )
                response.headers["WWW-Authenticate"] = "Bearer"
                return response, status
            with transaction(get_state().engine) as session:
                row = apikeys.verify_key(session, key.strip())
                if row is None:
                    return error_response(401, "unauthorized", "unknown or revoked API key")
                if not apikeys.allows(row.scope, scope):
                    return error_response(
                        403, "forbidden", f"this key's scope is {row.scope}; {scope} is needed"
                    )
                g._codecut_api_key = row.name
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _day(name: str) -> date | None:
    value = request.args.get(name)
    return parse_day(value, name) if value else None


def _int(name: str) -> int | None:
    """A positive whole-number parameter (an id): digits only, small enough for the database."""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise InvalidInput(f"{name}={value!r} is not an id (a positive whole number)")
    return int(value)


@api.get("/api/payouts")
@require_scope("read")
def list_payouts() -> Response:
    batch_id = _int("batch")
    with transaction(get_state().engine, readonly=True) as session:
        return jsonify(payouts=payout_list(session, batch_id=batch_id))


@api.get("/api/exports/payouts.<fmt>")
@require_scope("finance")
def export_payouts(fmt: str) -> Response:
    fmt = export_format(fmt)
    batch_id = _int("batch")
    if batch_id is not None:
        with transaction(get_state().engine, readonly=True) as session:
            if session.get(PayoutBatch, batch_id) is None:
                raise NotFound(f"no payout batch with id {batch_id}")
    return download(exports.payouts_export(batch_id=batch_id), fmt)


@api.get("/api/exports/ledger.<fmt>")
@require_scope("finance")
def export_ledger(fmt: str) -> Response:
    fmt = export_format(fmt)
    which = exports.LedgerFilter(
        date_from=_day("from"), date_to=_day("to"), by=request.args.get("by", "recorded")
    )
    return download(exports.ledger_export(which), fmt)


@api.get("/api/exports/balances.<fmt>")
@require_scope("finance")
def export_balances(fmt: str) -> Response:
    fmt = export_format(fmt)
    return download(exports.balances_export(on=_day("as_of")), fmt)
