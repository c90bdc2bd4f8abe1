"""The Flask extension: ``Codecut(app)`` or ``codecut.init_app(app)``.

Per-app state (settings, engine) lives in ``app.extensions["codecut"]`` (:mod:`codecut.state`),
never on the extension object, so one process can serve several apps with different databases.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import Engine
from sqlmodel import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings, apply_defaults
from .db import create_db_engine
from .state import EXTENSION_KEY, CodecutState, get_state


class Codecut:
    """Influencer codes, commissions and payouts inside a Flask app.

    :param app: initialise it at once, or later with :meth:`init_app` (app factories).
    :param engine: use this SQLAlchemy engine instead of ``CODECUT_DATABASE_URL``, e.g. to share
        the host app's connection pool.
    :param cli_group: the name of the command group added to ``flask`` (``flask codecut ...``);
        ``None`` adds none (the standalone service has its own ``codecut`` script).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        engine: Engine | None = None,
        cli_group: str | None = "codecut",
    ) -> None:
        self._engine = engine
        self._cli_group = cli_group
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check the settings, open the engine, register the blueprints and commands.

        A bad setting raises :class:`~codecut.config.ConfigError` naming it, before anything is
        registered.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "Codecut is already registered on this app; create one Codecut per app and call "
                "init_app once."
            )
        apply_defaults(app.config)
        settings = Settings.from_config(app.config, instance_path=app.instance_path)
        engine = self._engine or create_db_engine(settings.database_url)
        app.extensions[EXTENSION_KEY] = CodecutState(
            settings=settings, engine=engine, development=bool(app.debug or app.testing)
        )
        app.teardown_appcontext(_close_session)
        if settings.trusted_proxies:
            # Client addresses (rate limits) and HTTPS from the proxies' headers, and only from
            # as many hops as were declared: anyone can send an X-Forwarded-For.
            hops = settings.trusted_proxies
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

        from .web import register_web

        register_web(app, settings.url_prefix)

        if self._cli_group:
            from .cli import codecut_group

            app.cli.add_command(codecut_group, self._cli_group)


def db_session() -> Session:
    """For host apps: a session of the current app context, closed when the context ends.

    Codecut's own code opens transactions with :func:`codecut.db.transaction` instead.
    """
    session: Session | None = g.get("_codecut_session")
    if session is None:
        session = Session(get_state().engine, expire_on_commit=False)
        g._codecut_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("_codecut_session", None)
    if session is not None:
        session.close()
