"""``POST /webhooks/stripe``: Stripe-Signature verified, each event handled once by its id."""

from __future__ import annotations

import json

import stripe
from flask import Blueprint, Response, jsonify, request

from ..db import transaction
from ..inbox.stripe_events import handle_stripe_event
from ..state import get_state
from .errors import error_response, register_blueprint_errors

stripe_webhooks = Blueprint("codecut_stripe_webhooks", __name__)
register_blueprint_errors(stripe_webhooks)

#: Stripe's own default: a signed timestamp older than this is a replay.
TOLERANCE_SECONDS = 300


@stripe_webhooks.post("/webhooks/stripe")
def receive() -> tuple[Response, int] | Response:
    settings = get_state().settings
    secret = settings.stripe_webhook_secret
    if not secret:
        return error_response(
            503, "not_configured", "CODECUT_STRIPE_WEBHOOK_SECRET is not set on this server"
        )
    if (request.content_length or 0) > settings.max_webhook_bytes:
        return error_response(413, "too_large", "the event is larger than Codecut accepts")
    body = request.get_data(cache=False)
    try:
        stripe.WebhookSignature.verify_header(
            body, request.headers.get("Stripe-Signature"), secret, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        return error_response(400, "invalid_signature", str(error).split(".")[0])
    try:
        text = body.decode("utf-8")
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return error_response(400, "invalid_json", "the event body is not JSON")
    if not isinstance(event, dict):
        return error_response(400, "invalid_json", "the event is not a JSON object")
    with transaction(get_state().engine) as session:
        outcome = handle_stripe_event(session, event, text)
    return jsonify(status=outcome)
