"""What an influencer's earnings page shows, as a few indexed queries scoped to one influencer.

Every function takes the signed-in influencer's id and filters on it first: no portal query
can reach another influencer's rows, whatever a URL says. The queries are index range scans
on ``(influencer_id, ...)``, so an influencer with 50,000 orders is answered in milliseconds:

* headline sums read only the unpaid entries and the reversals, from a covering index
  ``(influencer_id, status, kind, currency, amount, available_on, payout_id)``; paid to date is
  the sum of the influencer's completed payouts, so years of paid commissions cost nothing;
* the weekly chart reads the last 26 weeks from the covering ``(influencer_id, created_at,
  currency, status, amount)`` index;
* an orders page reads one page of the ``(influencer_id, placed_at)`` index and that page's
  entries by ``order_id``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select
from sqlmodel import Session

from .models import Code, LedgerEntry, Order, Payout, Store
from .money import MoneyError, to_minor

WEEKS = 26
ORDERS_PER_PAGE = 25
PAYOUTS_SHOWN = 24


# -- headline figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One currency's money, in minor units. ``reversed`` is positive: what refunds took back."""

    currency: str
    pending: int
    next_payable_on: date | None  # the earliest day a pending commission becomes payable
    approved: int
    in_payout: int  # approved, and already part of a payout that is being sent
    paid: int
    reversed: int
    minimum: int  # the payout minimum in this currency

    @property
    def payable(self) -> int:
        """Approved and not yet in a payout: what the next payout run can pay."""
        return self.approved - self.in_payout

    @property
    def short_of_minimum(self) -> int:
        """How much more must be approved before a payout is made (0 when it is reached)."""
        return max(0, self.minimum - self.payable)


def payout_minimum(minimum_text: str, currency: str) -> int:
    """``CODECUT_PAYOUT_MINIMUM`` ("50.00", major units) in ``currency``'s minor units."""
    try:
        return to_minor(minimum_text, currency, round_half_up=True)
    except MoneyError:
        return 0


def headline(session: Session, influencer_id: int, *, minimum_text: str) -> list[Headline]:
    """Figures per currency from three small index range scans, never the whole history.

    Pending and approved money is the unpaid part of the ledger; reversals are a small share of
    it; paid to date is the sum of completed payouts (money that reached the influencer). So an
    influencer with years of paid commissions costs no more than one with a month of them.
    """

    def total(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), LedgerEntry.amount), else_=0)), 0)

    status, amount = LedgerEntry.status, LedgerEntry.amount
    unpaid = session.execute(
        select(
            LedgerEntry.currency,
            total(status == "pending"),
            func.min(case((and_(status == "pending", amount > 0), LedgerEntry.available_on))),
            total(status == "approved"),
            total(status == "approved", LedgerEntry.payout_id.is_not(None)),
        )
        .where(LedgerEntry.influencer_id == influencer_id, status.in_(("pending", "approved")))
        .group_by(LedgerEntry.currency)
    ).all()
    reversed_ = dict(
        session.execute(
            select(LedgerEntry.currency, func.sum(amount))
            .where(
                LedgerEntry.influencer_id == influencer_id,
                status.in_(("pending", "approved", "paid")),
                LedgerEntry.kind == "reversal",
            )
            .group_by(LedgerEntry.currency)
        ).all()
    )
    paid = dict(
        session.execute(
            select(Payout.currency, func.sum(Payout.amount))
            .where(Payout.influencer_id == influencer_id, Payout.status == "paid")
            .group_by(Payout.currency)
        ).all()
    )
    by_currency = {row[0]: row[1:] for row in unpaid}
    currencies = sorted(set(by_currency) | set(reversed_) | set(paid))
    lines = []
    for currency in currencies:
        pending, next_on, approved, in_payout = by_currency.get(currency, (0, None, 0, 0))
        lines.append(
            Headline(
                currency=currency,
                pending=int(pending),
                next_payable_on=_as_date(next_on),
                approved=int(approved),
                in_payout=int(in_payout),
                paid=int(paid.get(currency) or 0),
                reversed=-int(reversed_.get(currency) or 0),
                minimum=payout_minimum(minimum_text, currency),
            )
        )
    return lines


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite's MIN over a CASE returns text


# -- weekly earnings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts_on: date  # a Monday
    amount: int  # net earnings booked that week (commissions less reversals), minor units


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_earnings(
    session: Session, influencer_id: int, *, today: date, weeks: int = WEEKS
) -> dict[str, list[Week]]:
    """Net earnings per week (Monday to Sunday, UTC) for the last ``weeks`` weeks, per currency.

    Grouped by day in the database (at most ``7 x weeks`` rows per currency) and folded into weeks
    here, which keeps the SQL the same on SQLite and PostgreSQL. Weeks without earnings are zero.
    """
    first = week_start(today) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    day = _utc_day(session, LedgerEntry.created_at)
    rows = session.execute(
        select(LedgerEntry.currency, day, func.sum(LedgerEntry.amount))
        .where(
            LedgerEntry.influencer_id == influencer_id,
            LedgerEntry.created_at >= since,
            LedgerEntry.status != "void",
        )
        .group_by(LedgerEntry.currency, day)
    ).all()
    sums: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for currency, booked_on, amount in rows:
        sums[currency][week_start(_as_date(booked_on))] += int(amount)  # type: ignore[arg-type]
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return {
        currency: [Week(start, by_week.get(start, 0)) for start in starts]
        for currency, by_week in sorted(sums.items())
    }


def _utc_day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    # SQLite keeps UTC as "YYYY-MM-DD HH:MM:SS.ffffff" text: the day is its first ten characters,
    # which is twice as fast as date() over thousands of rows.
    return func.substr(column, 1, 10)


# -- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    """One order as the influencer sees it: no customer data, only what earned them money."""

    placed_at: datetime
    order_number: str
    currency: str
    amount: int  # the goods value commission is computed on
    commission: int  # net: commission less reversals, minor units
    # test | own_order | none | pending | approved | paid | void | reversed | partly_reversed
    status: str
    payable_on: date | None  # for pending commissions
    why: str | None  # refunded | cancelled | a void reason


@dataclass(frozen=True)
class OrdersPage:
    lines: list[OrderLine]
    page: int
    pages: int
    total: int  # exact when counted; else the orders seen, which tells whether there are more

    @property
    def has_more(self) -> bool:
        return self.page < self.pages


def orders_page(
    session: Session,
    influencer_id: int,
    *,
    page: int = 1,
    per_page: int = ORDERS_PER_PAGE,
    count: bool = True,
) -> OrdersPage:
    """One page of the influencer's orders, newest first (LIMIT/OFFSET on the placed_at index).

    ``count=False`` skips counting every order (a walk over the whole index): the dashboard only
    needs to know whether there are more than it shows, so it reads one extra row instead.
    """
    if count:
        total = int(
            session.scalar(
                select(func.count()).select_from(Order).where(Order.influencer_id == influencer_id)
            )
            or 0
        )
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
    orders = session.scalars(
        select(Order)
        .where(Order.influencer_id == influencer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(per_page if count else per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    if not count:
        total = (page - 1) * per_page + len(orders)  # a lower bound: "more than per_page"
        pages = page + (len(orders) > per_page)
        orders = orders[:per_page]
    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    if orders:
        for entry in session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.order_id.in_([order.id for order in orders]))
            .order_by(LedgerEntry.id)
        ):
            # Filtered here rather than in SQL, so the planner keeps to the order_id index.
            if entry.influencer_id == influencer_id:
                entries[entry.order_id].append(entry)  # type: ignore[index]
    lines = [_order_line(order, entries[order.id]) for order in orders]  # type: ignore[index]
    return OrdersPage(lines=lines, page=page, pages=pages, total=total)


def _reversal_why(entry: LedgerEntry, order: Order) -> str:
    text = f"{entry.reason or ''} {entry.dedupe_key or ''}".lower()
    if "cancel" in text or (order.cancelled_at is not None and "refund" not in text):
        return "cancelled"
    return "refunded"


def _order_line(order: Order, entries: list[LedgerEntry]) -> OrderLine:
    live = [entry for entry in entries if entry.status != "void"]
    commissions = [entry for entry in live if entry.kind == "commission"]
    reversals = [entry for entry in live if entry.kind == "reversal"]
    earned = sum(entry.amount for entry in commissions)
    net = sum(entry.amount for entry in live)
    payable_on = None
    why = None
    if order.test:
        status = "test"
    elif order.self_referral:
        status = "own_order"
    elif reversals:
        status = "reversed" if net <= 0 or earned == 0 else "partly_reversed"
        why = _reversal_why(reversals[-1], order)
    elif commissions:
        status = commissions[-1].status
        if status == "pending":
            payable_on = commissions[-1].available_on
    elif entries:
        status = "void"
        why = entries[-1].reason
    else:
        status = "none"
    return OrderLine(
        placed_at=order.placed_at,
        order_number=order.order_number or order.external_id,
        currency=order.currency,
        amount=order.base_amount,
        commission=net,
        status=status,
        payable_on=payable_on,
        why=why,
    )


# -- payouts and codes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutLine:
    created_at: datetime
    paid_at: datetime | None
    currency: str
    amount: int
    status: str  # pending | processing | paid | failed | cancelled
    reference: str | None
    method: str


def payout_history(
    session: Session, influencer_id: int, *, limit: int = PAYOUTS_SHOWN
) -> list[PayoutLine]:
    payouts = session.scalars(
        select(Payout)
        .where(Payout.influencer_id == influencer_id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
        .limit(limit)
    ).all()
    return [
        PayoutLine(
            created_at=payout.created_at,
            paid_at=payout.paid_at,
            currency=payout.currency,
            amount=payout.amount,
            status=payout.status,
            reference=payout.reference,
            method=payout.method,
        )
        for payout in payouts
    ]


@dataclass(frozen=True)
class CodeLine:
    code: str
    active: bool
    store_id: int
    store_domain: str
    store_platform: str
    store_url: str | None
    shared_with_other_stores: bool  # the same code string exists in another store


def influencer_codes(session: Session, influencer_id: int) -> list[CodeLine]:
    rows = session.execute(
        select(Code, Store)
        .join(Store, Store.id == Code.store_id)
        .where(Code.influencer_id == influencer_id)
        .order_by(Code.active.desc(), Code.created_at, Code.id)
    ).all()
    if not rows:
        return []
    names = {code.code for code, _ in rows}
    counts = dict(
        session.execute(
            select(Code.code, func.count()).where(Code.code.in_(names)).group_by(Code.code)
        ).all()
    )
    return [
        CodeLine(
            code=code.code,
            active=code.active,
            store_id=store.id,  # type: ignore[arg-type]
            store_domain=store.domain,
            store_platform=store.platform,
            store_url=store.url,
            shared_with_other_stores=counts.get(code.code, 1) > 1,
        )
        for code, store in rows
    ]
