"""Leak and fraud signals read from the order data Codecut already receives.

Each rule is one module and returns whether it fires for a freshly booked commission; the
booking (:mod:`codecut.commissions.posting`) asks :func:`rules_for` inside its own transaction and
books a commission that any rule flags as ``held`` (:mod:`codecut.commissions.review` decides it
later). Rules only ever hold money: they never change an amount and never void anything.

Rule names, as ``review list --rule`` spells them: ``spike`` (:mod:`.spike`), ``coupon_site``
(:mod:`.coupon_site`) and ``repeat_buyer`` (:mod:`.repeat_buyer`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, select

from ...errors import InvalidInput
from . import coupon_site, repeat_buyer, spike

SPIKE = spike.NAME
COUPON_SITE = coupon_site.NAME
REPEAT_BUYER = repeat_buyer.NAME
#: Every rule name, in the order they are reported.
RULES = (SPIKE, COUPON_SITE, REPEAT_BUYER)
#: What an influencer is told about a held order: a plain reason, never a score or threshold.
PLAIN_REASONS = {
    SPIKE: "an unusual number of orders with your code that day",
    COUPON_SITE: "the buyer came from a coupon site",
    REPEAT_BUYER: "the same customer used your code many times",
}


#: The largest value each threshold takes: a window of days reaches back at most a year (the
#: spike rule counts each baseline day in its own subquery; a window of a million days is no
#: longer a date), a count or a factor at most a million.
_DAYS, _COUNT = 366, 1_000_000
LIMITS = {
    "spike_min_age_days": _DAYS,
    "spike_baseline_days": _DAYS,
    "spike_min_orders": _COUNT,
    "spike_factor": _COUNT,
    "repeat_window_days": _DAYS,
    "repeat_max_orders": _COUNT,
}


@dataclass(frozen=True)
class Thresholds:
    """What the rules count as suspicious: the documented defaults, or a campaign's own
    (``campaign update --leak-threshold NAME=VALUE``, stored on the campaign as JSON)."""

    spike_min_age_days: int = spike.MIN_AGE_DAYS
    spike_baseline_days: int = spike.BASELINE_DAYS
    spike_min_orders: int = spike.MIN_ORDERS
    spike_factor: int = spike.FACTOR
    repeat_window_days: int = repeat_buyer.WINDOW_DAYS
    repeat_max_orders: int = repeat_buyer.MAX_ORDERS

    @classmethod
    def stored(cls, text: str | None) -> Thresholds:
        """A campaign's stored overrides over the defaults (what was stored was checked; a value
        stored before the limits existed is read as its limit)."""
        if not text:
            return cls()
        stored = json.loads(text)
        return cls(**{name: min(int(value), LIMITS[name]) for name, value in stored.items()})

    def changed(self, assignments: Iterable[str]) -> Thresholds:
        """These thresholds with ``name=value`` assignments applied; InvalidInput if one is
        not a threshold or not a whole number from 1 to its limit (:data:`LIMITS`)."""
        names = set(self.__dataclass_fields__)
        result = self
        for assignment in assignments:
            name, _, value = assignment.partition("=")
            name = name.strip().replace("-", "_")
            if name not in names:
                raise InvalidInput(
                    f"{name!r} is not a leak threshold (one of {', '.join(sorted(names))})"
                )
            text = value.strip()
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= LIMITS[name]:
                raise InvalidInput(
                    f"leak threshold {name} must be a whole number from 1 to {LIMITS[name]:,}"
                )
            result = replace(result, **{name: int(text)})
        return result

    def to_store(self) -> str | None:
        """JSON of what differs from the defaults (None when nothing does)."""
        own = {k: v for k, v in asdict(self).items() if v != getattr(Thresholds(), k)}
        return json.dumps(own, sort_keys=True) if own else None


def plain_reason(reason: str | None) -> str:
    """The influencer-facing words for a held entry's recorded rules."""
    said = [PLAIN_REASONS[name] for name in (reason or "").split(",") if name in PLAIN_REASONS]
    return "; ".join(said) or "being checked"


def rules_for(
    connection: Connection,
    *,
    influencer_id: int,
    code_id: int,
    placed_at: datetime,
    sources: Iterable[str] = (),
    customer_key: str | None = None,
    thresholds: Thresholds | None = None,
    extra_coupon_sites: frozenset[str] = frozenset(),
) -> list[str]:
    """The names of the rules that flag the order of ``code_id`` placed at ``placed_at``
    (already recorded in this transaction) that came from ``sources``, bought by the customer
    ``customer_key`` (:func:`.repeat_buyer.customer_key`)."""
    limits = thresholds or Thresholds()
    first, recent = connection.execute(
        _READINGS,
        {
            "influencer_id": influencer_id,
            "code_id": code_id,
            "customer_key": customer_key,
            "window_start": repeat_buyer.window_start(placed_at, limits.repeat_window_days),
            "placed_at": placed_at,
        },
    ).one()
    fired = []
    if spike.fires(
        connection,
        influencer_id=influencer_id,
        code_id=code_id,
        placed_at=placed_at,
        first=first,
        min_age_days=limits.spike_min_age_days,
        baseline_days=limits.spike_baseline_days,
        min_orders=limits.spike_min_orders,
        factor=limits.spike_factor,
    ):
        fired.append(SPIKE)
    if coupon_site.fires(sources, extra_coupon_sites):
        fired.append(COUPON_SITE)
    if repeat_buyer.fires(recent, max_orders=limits.repeat_max_orders):
        fired.append(REPEAT_BUYER)
    return fired


#: What the rules read from the database, in one statement (the webhook's hot path).
_READINGS = select(spike.FIRST_ORDER, repeat_buyer.RECENT_ORDERS)
