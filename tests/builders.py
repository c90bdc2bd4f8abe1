"""The one app builder of the test suite, and a way to run ``codecut`` commands against an app."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import ScriptInfo

from codecut.app import create_app
from codecut.cli.main import main

STRIPE_KEY = "sk_test_codecut"
WEBHOOK_SECRET = "whsec_codecut_test"
#: The day payout tests run "as of".
DAY = date(2026, 1, 31)


def make_app(
    database_url: str, tmp_path: Path, *, stripe_url: str | None = None, **config: Any
) -> Flask:
    """The standalone app on ``database_url``; with ``stripe_url``, wired to a Stripe stand-in."""
    settings: dict[str, Any] = {
        "TESTING": True,
        "CODECUT_DATABASE_URL": database_url,
        "CODECUT_SECRET_KEY": "test-secret-key",
    }
    if stripe_url is not None:
        settings.update(
            CODECUT_STRIPE_API_KEY=STRIPE_KEY,
            CODECUT_STRIPE_API_BASE=stripe_url,
            CODECUT_STRIPE_MAX_NETWORK_RETRIES=1,
            CODECUT_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            CODECUT_PAYOUT_MINIMUM="50.00",
        )
    app = create_app({**settings, **config})
    app.instance_path = str(tmp_path / "instance")
    return app


def cli_for(app: Flask) -> Any:
    """Run ``codecut ...`` against ``app`` as a user would type it; returns Click's result."""
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(main, list(args), input=input, obj=ScriptInfo(create_app=lambda: app))

    return invoke
