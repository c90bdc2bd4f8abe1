"""The web layer: thin views over the core, mounted under ``CODECUT_URL_PREFIX``."""

from __future__ import annotations

from flask import Blueprint, Flask, request

from ..state import get_state


def blueprints() -> list[Blueprint]:
    """Every Codecut blueprint. Each module calls ``register_blueprint_errors`` on its own."""
    from .api import api
    from .api_v1 import api_v1
    from .console import console
    from .health import health
    from .links import links
    from .metrics import metrics
    from .portal import portal
    from .portal_payouts import payouts  # noqa: F401  (its routes live on the portal blueprint)
    from .stripe_webhooks import stripe_webhooks
    from .webhooks import webhooks

    return [health, metrics, webhooks, stripe_webhooks, api, api_v1, portal, console, links]


def register_web(app: Flask, prefix: str) -> None:
    from .bodies import limit_request_body
    from .observe import observe_requests, start_request
    from .stripe_webhooks import stripe_webhooks
    from .webhooks import webhooks

    own = blueprints()
    # Webhook views read their bodies themselves, within CODECUT_MAX_WEBHOOK_BYTES.
    limited = frozenset(b.name for b in own) - {webhooks.name, stripe_webhooks.name}
    limit = get_state(app).settings.max_request_bytes

    def begin_request() -> None:
        """Codecut's requests (the landing page's too): the body limit, then an id. One hook
        for both, as Flask's own cost is per hook and the share-link redirect pays it."""
        blueprint = request.blueprint
        if blueprint is None or not blueprint.startswith("codecut"):
            return  # a host app's own route: its limits and logging are its own
        if blueprint in limited:
            limit_request_body(limit)
        start_request()

    for blueprint in own:
        app.register_blueprint(blueprint, url_prefix=prefix or None)
    app.before_request(begin_request)
    observe_requests(app)
