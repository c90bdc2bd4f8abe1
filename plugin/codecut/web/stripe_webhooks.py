"""``POST /webhooks/stripe``: Stripe-Signature verified (the platform endpoint's secret or the
Connect endpoint's), each event handled once by its id. The body is read within
``CODECUT_MAX_WEBHOOK_BYTES`` and not parsed before its signature is verified."""

from __future__ import annotations

import json

import stripe
from flask import Blueprint, Response, jsonify, request

from ..db import transaction
from ..inbox.stripe_events import handle_stripe_event
from ..state import get_state
from .bodies import BodyTooLarge, read_body
from .errors import error_response, register_blueprint_errors

stripe_webhooks = Blueprint("codecut_stripe_webhooks", __name__)
register_blueprint_errors(stripe_webhooks)

#: Stripe's own default: a signed timestamp older than this is a replay.
TOLERANCE_SECONDS = 300


@stripe_webhooks.post("/webhooks/stripe")
def receive() -> tuple[Response, int] | Response:
    settings = get_state().settings
    secrets = [
        secret
        for secret in (settings.stripe_webhook_secret, settings.stripe_connect_webhook_secret)
        if secret
    ]
    if not secrets:
        return error_response(
            503, "not_configured", "CODECUT_STRIPE_WEBHOOK_SECRET is not set on this server"
        )
    try:
        body = read_body(settings.max_webhook_bytes)
    except BodyTooLarge as error:
        return error_response(413, "too_large", error.description or "too large")
    if not _signed(body, request.headers.get("Stripe-Signature"), secrets):
        return error_response(400, "invalid_signature", "the Stripe-Signature does not match")
    try:
        text = body.decode("utf-8")
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return error_response(400, "invalid_json", "the event body is not JSON")
    if not isinstance(event, dict):
        return error_response(400, "invalid_json", "the event is not a JSON object")
    with transaction(get_state().engine) as session:
        outcome = handle_stripe_event(session, event, text)
    return jsonify(status=outcome)


def _signed(body: bytes, header: str | None, secrets: list[str]) -> bool:
    """Signed with the platform endpoint's secret or the Connect endpoint's (each has its own),
    within Stripe's tolerance. Nothing of the body is read before this."""
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(body, header, secret, tolerance=TOLERANCE_SECONDS)
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            continue
        return True
    return False
