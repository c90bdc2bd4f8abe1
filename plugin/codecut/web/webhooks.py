"""``POST /webhooks/<platform>``: signed storefront deliveries, answered well inside 5 seconds.

The view only reads the raw body (at most ``CODECUT_MAX_WEBHOOK_BYTES``, with or without a
``Content-Length``) and hands it to the inbox; verification, storage and booking happen in
:mod:`codecut.inbox.receive`, in one transaction, and nothing is parsed before the signature is
verified. A signed delivery is answered 2xx whatever became of it (the storefront must stop
retrying a payload it sent wrong); 401 means the store or the signature is wrong, 413 too large,
503 the database is unavailable.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from .. import logs
from ..errors import NotFound
from ..inbox.receive import receive as receive_delivery
from ..state import get_state
from ..storefronts import get_adapter
from . import metrics
from .bodies import BodyTooLarge, read_body
from .errors import error_response, register_blueprint_errors

webhooks = Blueprint("codecut_webhooks", __name__)
register_blueprint_errors(webhooks)


@webhooks.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    adapter = get_adapter(platform)
    if adapter is None:
        raise NotFound(f"no storefront platform named {platform!r}")
    state = get_state()
    started = time.perf_counter()
    try:
        body = read_body(state.settings.max_webhook_bytes)
    except BodyTooLarge as error:
        return error_response(413, "too_large", error.description or "too large")
    headers = dict(request.headers.items())
    if adapter.is_ping(body, headers):
        return jsonify(status="ping"), 200
    receipt = receive_delivery(
        state.engine,
        adapter,
        body,
        headers,
        hold_days=state.settings.hold_days,
        coupon_sites=state.settings.coupon_sites,
    )
    delivery = adapter.delivery(headers)
    logs.event(
        "webhook",
        f"{platform} {delivery.topic}: {receipt.status}",
        platform=adapter.platform,
        store=(adapter.store_domain(headers) or "")[:255],  # verified: it signed this delivery
        topic=delivery.topic[:100],
        outcome=receipt.status,
        event_id=receipt.event_id,
    )
    metrics.count_webhook(adapter.platform, receipt.status, time.perf_counter() - started)
    return jsonify(receipt.as_json()), 200
