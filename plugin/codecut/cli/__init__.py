"""The ``codecut`` command line: a Flask CLI over the standalone app (``codecut run`` serves it).

Inside a host app the same commands are under ``flask codecut ...``.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from .apikey import apikey_group
from .catalog import campaign_group, code_group, influencer_group, store_group
from .commissions import commissions_group
from .db import db_group
from .demo import demo_command
from .events import events_group
from .export import export_group
from .payouts import payouts_group
from .portal import portal_group

COMMANDS: list[click.Command] = [
    db_group,
    store_group,
    campaign_group,
    influencer_group,
    code_group,
    export_group,
    events_group,
    commissions_group,
    payouts_group,
    apikey_group,
    portal_group,
    demo_command,
]

#: For host apps: ``flask codecut store add ...``.
codecut_group = click.Group("codecut", help="Codecut: influencer codes, commissions, payouts.")
for _command in COMMANDS:
    codecut_group.add_command(_command)


def _create_app():  # type: ignore[no-untyped-def]
    from ..app import create_app

    return create_app(development=True)


#: The ``codecut`` console script.
main = FlaskGroup(
    name="codecut",
    help="Codecut: influencer discount codes, commissions and payouts.",
    create_app=_create_app,
    load_dotenv=False,
    set_debug_flag=False,
)
for _command in COMMANDS:
    main.add_command(_command)
