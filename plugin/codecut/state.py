"""What one app's Codecut runs with, kept in ``app.extensions["codecut"]``.

The web views and the CLI read it with :func:`get_state`; the core never does: they hand the core
the engine, the settings, or the Stripe client it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine

from .config import Settings
from .payouts import stripe_client
from .storesync.connection import Keys

EXTENSION_KEY = "codecut"


@dataclass
class CodecutState:
    """Settings and engine of one app, built once in ``init_app``."""

    settings: Settings
    engine: Engine
    #: A development set-up (the CLI, ``codecut run``/``demo``, debug, testing): some safeguards
    #: meant for production (mail, the credentials key) give way to something workable.
    development: bool = False
    _stripe: Any = field(default=None, repr=False)

    def stripe_client(self) -> Any:
        """The app's Stripe client, built on first use from its settings (one per app)."""
        if self._stripe is None:
            self._stripe = stripe_client.build_client(
                self.settings.stripe_api_key,
                self.settings.stripe_api_base,
                self.settings.stripe_max_network_retries,
            )
        return self._stripe

    def store_keys(self) -> Keys:
        """How this app seals store credentials: its key (development derives one from the
        app's secret key)."""
        secret = current_app.config.get("CODECUT_SECRET_KEY")
        return Keys(
            self.settings.credentials_key, self.development, str(secret) if secret else None
        )


def get_state(app: Flask | None = None) -> CodecutState:
    """The current app's Codecut state; a clear error if ``init_app`` was never called."""
    target = app if app is not None else current_app
    try:
        state: CodecutState = target.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "Codecut is not initialised on this app: call Codecut(app) or codecut.init_app(app)."
        ) from None
    return state
