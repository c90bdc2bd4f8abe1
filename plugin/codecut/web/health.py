"""Health for load balancers and orchestrators: never cached, never rate-limited.

* ``GET /healthz``: the process answers (no database), for liveness;
* ``GET /readyz``: the database answers and its schema is at this version's migrations, else
  503 with the reason, for readiness; ``/health`` is the same (its older name).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..db import not_ready
from ..state import get_state
from .errors import register_blueprint_errors

health = Blueprint("codecut_health", __name__)
register_blueprint_errors(health)


def _uncached(response: Response, status: int = 200) -> tuple[Response, int]:
    response.headers["Cache-Control"] = "no-store"
    return response, status


@health.get("/healthz")
def alive() -> tuple[Response, int]:
    return _uncached(jsonify(status="ok"))


@health.get("/readyz")
@health.get("/health")
def ready() -> tuple[Response, int]:
    reason = not_ready(get_state().engine)
    if reason is not None:
        return _uncached(jsonify(status="unavailable", reason=reason), 503)
    return _uncached(jsonify(status="ok"))
