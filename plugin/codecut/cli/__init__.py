"""The ``codecut`` commands, one module per command group, thin over the core.

:data:`codecut_group` is what a host app gets as ``flask codecut ...``; the ``codecut`` console
script (:mod:`codecut.cli.main`) adds the standalone service's own commands to it.
"""

from __future__ import annotations

import click

from .apikey import apikey_group
from .campaign import campaign_group
from .code import code_group
from .commissions import commissions_group
from .db import db_group
from .events import events_group
from .export import export_group
from .influencer import influencer_group
from .marketing import post_group, seeding_group
from .payouts import payouts_group
from .portal import portal_group
from .reconcile import reconcile_command
from .report import report_group
from .review import review_group
from .staff import staff_group
from .store import store_group
from .verify import verify_command
from .webhook_endpoint import webhook_endpoint_group
from .worker import worker_command

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
    post_group,
    seeding_group,
    report_group,
    review_group,
    verify_command,
    reconcile_command,
    staff_group,
    webhook_endpoint_group,
    worker_command,
]

#: For host apps: ``flask codecut store add ...``.
codecut_group = click.Group("codecut", help="Codecut: influencer codes, commissions, payouts.")
for _command in COMMANDS:
    codecut_group.add_command(_command)
