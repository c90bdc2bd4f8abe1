"""``POST /webhooks/<platform>``: signed storefront deliveries, answered well inside 5 seconds.

The view only reads the raw body (bounded by ``CODECUT_MAX_WEBHOOK_BYTES``) and hands it to the
inbox; verification, storage and booking happen in :mod:`codecut.inbox.receive`, in one
transaction.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import NotFound
from ..inbox.receive import receive as receive_delivery
from ..state import get_state
from ..storefronts import get_adapter
from .errors import error_response, register_blueprint_errors

webhooks = Blueprint("codecut_webhooks", __name__)
register_blueprint_errors(webhooks)


@webhooks.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    adapter = get_adapter(platform)
    if adapter is None:
        raise NotFound(f"no storefront platform named {platform!r}")
    state = get_state()
    limit = state.settings.max_webhook_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    request.max_content_length = limit  # also bounds chunked bodies without a Content-Length
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(limit)
    if len(body) > limit:
        return _too_large(limit)
    headers = dict(request.headers.items())
    if adapter.is_ping(body, headers):
        return jsonify(status="ping"), 200
    receipt = receive_delivery(
        state.engine, adapter, body, headers, hold_days=state.settings.hold_days
    )
    return jsonify(receipt.as_json()), 400 if receipt.not_json else 200


def _too_large(limit: int) -> tuple[Response, int]:
    return error_response(413, "too_large", f"the body is larger than {limit} bytes")
