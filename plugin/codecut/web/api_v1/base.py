"""What every ``/api/v1`` route shares.

* **Keys and scopes.** ``Authorization: Bearer <key>``; each route declares the scope it needs
  with :func:`needs` (``read`` for every GET; ``marketing``, ``finance`` or ``admin`` for writes),
  checked before anything of the request is read. 401 (with ``WWW-Authenticate``) without a
  usable key, 403 for a key whose scope may not.
* **Problems.** Every error is ``application/problem+json`` with ``type``, ``title``, ``status``,
  ``detail`` and, for validation, per-field ``errors``: 400 for a body that is not JSON or a bad
  cursor, 422 for one that parses but is invalid, 404, 409 for conflicts.
* **Pages.** Lists take ``limit`` (1..500) and an opaque ``cursor`` and answer
  ``{"items": [...], "next_cursor": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, ConfigDict, Field
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ...access import apikeys, audit
from ...db import is_transient, transaction
from ...errors import CodecutError, InvalidInput
from ...models import storable
from ...programme.campaigns import get_campaign
from ...programme.influencers import get_influencer
from ...state import get_state
from ..statuses import status_of

PROBLEM = "application/problem+json"
MAX_LIMIT = 500
#: The largest id a table holds (32-bit keys): a larger one names nothing.
MAX_ID = 2**31 - 1


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


api_v1 = Blueprint("codecut_api_v1", __name__)


def _on_invalid(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """spectree built a 422 of pydantic's errors: make it a problem with per-field errors."""
    if error is None or resp is None:
        return
    errors = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())) or "body",
            "message": str(e.get("msg", "invalid")),
        }
        for e in adapter.validation_errors(error)
    ]
    body = Problem(
        title="Unprocessable Content",
        status=422,
        detail="the request does not satisfy the API's rules",
        errors=[FieldError(**e) for e in errors],
    )
    resp.set_data(body.model_dump_json(exclude_none=True))
    resp.mimetype = PROBLEM


spec = SpecTree(
    "flask",
    title="Codecut admin API",
    version="1",
    path="api/v1/docs",
    mode="strict",
    annotations=False,
    validation_error_status=422,
    validation_error_model=Problem,
    before=_on_invalid,
    security_schemes=[
        SecurityScheme(
            name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        )
    ],
    security={"bearer": []},
)


def problem(status: int, title: str, detail: str | None = None) -> Response:
    body = Problem(title=title, status=status, detail=detail)
    return Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM)


# -- scopes --------------------------------------------------------------------------------------


def needs(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the scope a route needs (checked by :func:`_authorise` before anything else)."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view._codecut_scope = scope  # type: ignore[attr-defined]
        return view

    return mark


@api_v1.before_request
def _authorise() -> Response | None:
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "_codecut_scope", None)
    if scope is None:  # the document and its page are public
        return None
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        answer = problem(401, "Unauthorized", "send an API key: Authorization: Bearer <key>")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="codecut"'
        return answer
    with transaction(get_state().engine) as session:
        row = apikeys.verify_key(session, key.strip())
        if row is None:
            answer = problem(401, "Unauthorized", "unknown or revoked API key")
            answer.headers["WWW-Authenticate"] = 'Bearer realm="codecut", error="invalid_token"'
            return answer
        if not apikeys.allows(row.scope, scope):
            return problem(403, "Forbidden", f"this key's scope is {row.scope}; {scope} is needed")
        g.codecut_key_name = f"api key {row.name}"
    body: Any = None
    if request.method in ("POST", "PUT", "PATCH") and request.get_data():
        try:
            body = json.loads(request.get_data())
        except (UnicodeDecodeError, ValueError, RecursionError):
            return problem(400, "Bad Request", "the body is not JSON")
    ids = [v for v in (request.view_args or {}).values() if isinstance(v, int)]
    if any(not 0 < value <= MAX_ID for value in ids):
        return problem(404, "Not Found", "no such id")
    texts = [*request.args.values(), *(request.view_args or {}).values(), body]
    if any(_unstorable(value) for value in texts):
        return problem(400, "Bad Request", "text may not hold NUL characters or lone surrogates")
    return None


def _unstorable(value: Any, depth: int = 0) -> bool:
    """Text no database should be handed: a NUL, or a lone surrogate from a JSON escape."""
    if isinstance(value, str):
        return not storable(value)
    if depth > 50:
        return False
    if isinstance(value, dict):
        return any(_unstorable(k, depth + 1) or _unstorable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(item, depth + 1) for item in value)
    return False


def actor() -> str:
    """Who the audit log names for a write: the key's name."""
    return str(g.get("codecut_key_name", "api key"))


def record(session: Any, action: str, subject_type: str, subject_id: Any, **detail: Any) -> None:
    audit.record(
        session,
        actor=actor(),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or None,
    )


# -- errors --------------------------------------------------------------------------------------


@api_v1.errorhandler(CodecutError)
def _codecut_error(error: CodecutError) -> Response:
    status, _code = status_of(error)
    titles = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 503: "Service Unavailable"}
    return problem(status, titles.get(status, "Error"), error.message)


@api_v1.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return problem(error.code or 500, error.name, error.description)


@api_v1.errorhandler(SQLAlchemyError)
def _database_error(error: SQLAlchemyError) -> Response:
    if is_transient(error):
        return problem(503, "Service Unavailable", "the database is busy; retry shortly")
    current_app.logger.exception("database error in the admin API")
    return problem(500, "Internal Server Error", "internal error; it has been logged")


# -- pagination ----------------------------------------------------------------------------------


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many items, 1..500.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")


def after_id(cursor: str | None) -> int:
    """The id a page starts after; a cursor that is not one of ours is a 400."""
    if not cursor:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==="))
        value = payload["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API gave out") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise InvalidInput("the cursor is not one this API gave out")
    return value


def keyset(statement: Any, id_column: Any, query: PageQuery) -> Any:
    """One page of ``statement`` in id order: the rows after the cursor, at most ``limit``."""
    return (
        statement.where(id_column > after_id(query.cursor)).order_by(id_column).limit(query.limit)
    )


def engine() -> Any:
    """The app's engine (every route reads or writes in its own short transaction)."""
    return get_state().engine


def next_cursor(ids: list[int], limit: int) -> str | None:
    if len(ids) < limit or not ids:
        return None
    raw = json.dumps({"after": ids[-1]}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page(items: list[dict[str, Any]], ids: list[int], limit: int) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor(ids, limit)}


def narrowed(
    session: Any,
    statement: Any,
    *,
    campaign: str | None,
    influencer: str | None,
    campaign_column: Any,
    influencer_column: Any,
) -> Any:
    """``statement`` kept to one campaign (by slug) and one influencer (by email), when given;
    an unknown one is a 404."""
    if campaign:
        statement = statement.where(campaign_column == get_campaign(session, campaign).id)
    if influencer:
        statement = statement.where(influencer_column == get_influencer(session, influencer).id)
    return statement


# -- the document --------------------------------------------------------------------------------


def document() -> dict[str, Any]:
    """spectree's document, with every error answer typed ``application/problem+json`` (which
    is what they are) and the routes' own docstrings kept."""
    generated: dict[str, Any] = copy.deepcopy(spec.spec)
    for methods in generated.get("paths", {}).values():
        for operation in methods.values():
            for status, answer in (operation.get("responses") or {}).items():
                content = answer.get("content") or {}
                if str(status)[:1] in ("4", "5") and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
    return generated


@api_v1.get("/api/v1/openapi.json")
def openapi_document() -> Any:
    return current_app.json.response(document())


#: The docs page: Swagger UI from the package (offapi), nothing from another host.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'"
)


@api_v1.get("/api/v1/docs")
def docs_page() -> Response:
    from offapi import OpenAPITemplate

    url = request.script_root + request.path.rsplit("/", 1)[0] + "/openapi.json"
    html = OpenAPITemplate.SWAGGER.value.format(spec_url=url, spec_path="api/v1/docs")
    # Swagger UI would send the document to validator.swagger.io for a badge: not from here.
    html = html.replace(
        'layout: "StandaloneLayout",', 'layout: "StandaloneLayout",\n        validatorUrl: null,'
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _DOCS_POLICY
    return response
