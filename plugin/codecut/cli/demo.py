"""``codecut demo``: a working programme on SQLite, served, with where to look printed."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import make_server

from .. import db as database
from .. import demo
from ..db import transaction
from ..extension import get_state
from ._common import info


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up and print, then exit instead of serving.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create demo data, replay sample webhooks through the real endpoint, and serve.

    Safe to run again: the data is created once, and replayed deliveries are absorbed as the
    duplicates they are.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = get_state(app)
    database.upgrade(state.engine)
    with transaction(state.engine) as session:
        programme = demo.seed(session)

    server = make_server(host, port, app, threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        info("")
        info(f"Codecut demo on {state.engine.url.render_as_string()}")
        info(f"  store     {programme.store} (webhook secret: {programme.secret})")
        info(f"  campaign  {programme.campaign}")
        for email, code in programme.codes.items():
            info(f"  code      {code:<12} {email}")
        info("")
        info("Where to look:")
        info(f"  {base_url}/health")
        info("  codecut influencer list")
        info("  codecut code list --campaign spring-launch")
        info("")
        if no_serve:
            return
        info(f"Serving on {base_url} (Ctrl+C to stop)")
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
