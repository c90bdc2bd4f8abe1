"""``codecut portal``: support tasks for the influencer portal."""

from __future__ import annotations

import click
from flask import current_app

from ..access import login_links
from ..db import transaction
from ..state import get_state
from ..web.urls import login_url
from ._common import engine, group

portal_group = group("portal", "The influencer earnings portal.")


@portal_group.command("link")
@click.argument("email")
def portal_link(email: str) -> None:
    """Print a one-time sign-in link for an active influencer (alone on stdout).

    For support, and for the demo: paste it into a browser. It expires after
    CODECUT_LOGIN_TOKEN_MAX_AGE seconds and stops working once used.
    """
    settings = get_state().settings
    with transaction(engine()) as session:
        token = login_links.token_for_email(
            session, email, login_links.signing_key(settings, current_app.secret_key)
        )
    click.echo(login_url(settings, token))
