"""The ``codecut`` console script: the commands over the standalone app, plus ``run`` (Flask's
development server) and ``demo``.

A bad setting stops every command at start-up with one ``Error:`` line naming it, exit 1.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from ..app import create_app
from ..config import ConfigError
from . import COMMANDS
from .demo import demo_command
from .devtools import devtools_group


def _create_app() -> Flask:
    try:
        return create_app(development=True)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


main = FlaskGroup(
    name="codecut",
    help="Codecut: influencer discount codes, commissions and payouts.",
    create_app=_create_app,
    load_dotenv=False,
    set_debug_flag=False,
)
for _command in [*COMMANDS, demo_command, devtools_group]:
    main.add_command(_command)
