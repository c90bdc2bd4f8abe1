"""Leak and fraud signals read from the order data Codecut already receives.

Each rule is one module and returns whether it fires for a freshly booked commission; the
booking (:mod:`codecut.commissions.posting`) asks :func:`rules_for` inside its own transaction and
books a commission that any rule flags as ``held`` (:mod:`codecut.commissions.review` decides it
later). Rules only ever hold money: they never change an amount and never void anything.

Rule names, as ``review list --rule`` spells them: :data:`SPIKE` (``spike``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from . import spike

SPIKE = spike.NAME
#: Every rule name, in the order they are reported.
RULES = (SPIKE,)


def rules_for(
    connection: Connection, *, influencer_id: int, code_id: int, placed_at: datetime
) -> list[str]:
    """The names of the rules that flag the order of ``code_id`` placed at ``placed_at``
    (already recorded in this transaction)."""
    fired = []
    if spike.fires(connection, influencer_id=influencer_id, code_id=code_id, placed_at=placed_at):
        fired.append(SPIKE)
    return fired
