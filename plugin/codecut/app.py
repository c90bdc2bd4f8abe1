"""The standalone service: ``gunicorn 'codecut.app:create_app()'`` in production.

Configuration comes from ``CODECUT_*`` environment variables (see :mod:`codecut.config`).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import logs
from .config import ConfigError, Settings, apply_defaults, load_environment
from .extension import Codecut
from .state import get_state
from .web.errors import register_json_errors
from .web.landing import landing

log = logging.getLogger("codecut")


def create_app(config: Mapping[str, Any] | None = None, *, development: bool = False) -> Flask:
    """Build the service.

    Without ``CODECUT_SECRET_KEY`` the service refuses to start, unless ``development`` is true
    (the CLI, ``codecut run``, ``codecut demo``) or the app runs in debug or testing mode; then a
    random key is kept in the instance folder so links printed by the CLI work in the dev server.
    """
    instance_path = os.environ.get("CODECUT_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance")
    app = Flask("codecut", instance_path=os.path.abspath(instance_path))
    load_environment(app.config)
    if config:
        app.config.update(config)
    apply_defaults(app.config)
    Settings.from_config(app.config, instance_path=app.instance_path)  # a bad setting stops here
    secret = app.config.get("CODECUT_SECRET_KEY")
    if not secret:
        if not (development or app.debug or app.testing):
            raise ConfigError(
                "CODECUT_SECRET_KEY is not set: the service will not start in production without "
                "it. Set it to a long random string (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')."
            )
        secret = _development_secret(app.instance_path)
        app.config["CODECUT_SECRET_KEY"] = secret
    production = not (development or app.debug or app.testing)
    if production and not app.config.get("CODECUT_MAIL_SERVER"):
        raise ConfigError(
            "CODECUT_MAIL_SERVER is not set: in production sign-in links are mailed, never "
            "written to the log (where anyone reading the logs could sign in as an influencer). "
            "Set CODECUT_MAIL_SERVER (and CODECUT_MAIL_PORT, _USERNAME, _PASSWORD, _USE_TLS)."
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    Codecut(app, cli_group=None)
    get_state(app).development = not production
    logs.configure(app.config["CODECUT_LOG_FORMAT"])
    app.register_blueprint(landing)
    register_json_errors(app)
    return app


def _development_secret(instance_path: str) -> str:
    """A random key kept in ``instance/secret_key`` for development, never used in production."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return _development_secret(instance_path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    log.warning("CODECUT_SECRET_KEY is not set; using a development key kept in %s", path)
    return key
