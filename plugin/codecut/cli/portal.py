"""``codecut portal``: support tasks for the influencer portal."""

from __future__ import annotations

import click
from flask import current_app

from .. import login_links
from ..extension import get_state
from ._common import group, session_scope

portal_group = group("portal", "The influencer earnings portal.")


@portal_group.command("link")
@click.argument("email")
def portal_link(email: str) -> None:
    """Print a one-time sign-in link for an active influencer (alone on stdout).

    For support, and for the demo: paste it into a browser. It expires after
    CODECUT_LOGIN_TOKEN_MAX_AGE seconds and stops working once used.
    """
    settings = get_state().settings
    with session_scope() as session:
        token = login_links.token_for_email(
            session, email, login_links.signing_key(settings, current_app.secret_key)
        )
    click.echo(login_links.login_url(settings, token))
