"""Leak and fraud signals read from the order data Codecut already receives.

Each rule is one module and returns whether it fires for a freshly booked commission; the
booking (:mod:`codecut.commissions.posting`) asks :func:`rules_for` inside its own transaction and
books a commission that any rule flags as ``held`` (:mod:`codecut.commissions.review` decides it
later). Rules only ever hold money: they never change an amount and never void anything.

Rule names, as ``review list --rule`` spells them: :data:`SPIKE` (``spike``, see
:mod:`.spike`) and :data:`COUPON_SITE` (``coupon_site``, see :mod:`.coupon_site`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection

from . import coupon_site, spike

SPIKE = spike.NAME
COUPON_SITE = coupon_site.NAME
#: Every rule name, in the order they are reported.
RULES = (SPIKE, COUPON_SITE)


def rules_for(
    connection: Connection,
    *,
    influencer_id: int,
    code_id: int,
    placed_at: datetime,
    sources: Iterable[str] = (),
) -> list[str]:
    """The names of the rules that flag the order of ``code_id`` placed at ``placed_at``
    (already recorded in this transaction) that came from ``sources``."""
    fired = []
    if spike.fires(connection, influencer_id=influencer_id, code_id=code_id, placed_at=placed_at):
        fired.append(SPIKE)
    if coupon_site.fires(sources):
        fired.append(COUPON_SITE)
    return fired
