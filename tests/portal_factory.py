"""Data for the portal's tests and benchmark, written straight into the tables.

Stores, campaigns, influencers and codes go through ``codecut.roster`` like a real setup; orders,
ledger entries and payouts are rows shaped the way the webhook engine and payouts write them.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import insert, select
from sqlmodel import Session

from codecut.errors import NotFound
from codecut.models import (
    Campaign,
    Code,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    PayoutBatch,
    Settlement,
    Store,
)
from codecut.money import apply_rate
from codecut.payouts.methods import method_for
from codecut.programme import campaigns, influencers, stores
from codecut.programme.codes import issue_code


@dataclass
class Seller:
    """An influencer with one code in one store's campaign."""

    store: Store
    campaign: Campaign
    influencer: Influencer
    code: Code

    @property
    def id(self) -> int:
        return self.influencer.id  # type: ignore[return-value]


def seller(
    session: Session,
    *,
    email: str = "anna@example.com",
    name: str = "Anna Berg",
    code: str | None = "ANNA15",
    currency: str = "USD",
    platform: str = "shopify",
    domain: str | None = None,
    url: str | None = "https://shop.example.com",
    campaign: str | None = None,
    commission: str = "10%",
) -> Seller:
    domain = domain or f"{currency.lower()}-{platform}.example.com"
    try:
        store = stores.get_store(session, domain)
    except NotFound:
        store = stores.add_store(
            session, platform=platform, domain=domain, secret="s", currency=currency, url=url
        )
    slug = campaign or f"{store.domain.split('.')[0]}-launch"
    try:
        camp = campaigns.get_campaign(session, slug)
    except NotFound:
        camp = campaigns.add_campaign(
            session, store_domain=store.domain, name=slug, slug=slug, commission=commission
        )
    influencer = influencers.get_influencer_or_none(session, email) or influencers.add_influencer(
        session, email=email, name=name
    )
    issued = issue_code(session, influencer_email=email, campaign_slug=camp.slug, code=code)
    return Seller(store, camp, influencer, issued)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def order(
    session: Session,
    who: Seller,
    *,
    number: str,
    base: int,
    placed: datetime,
    status: str = "pending",
    hold_days: int = 30,
    rate_bps: int = 1000,
    refunded: int = 0,
    refund_reason: str = "refund",
    test: bool = False,
    self_referral: bool = False,
    payout: Payout | None = None,
) -> Order:
    """An attributed order, its commission entry, and a reversal when ``refunded`` is set."""
    row = Order(
        store_id=who.store.id,
        external_id=f"ext-{number}",
        order_number=number,
        code_id=who.code.id,
        influencer_id=who.id,
        campaign_id=who.campaign.id,
        code_as_entered=who.code.code.lower(),
        currency=who.store.currency,
        base_amount=base,
        order_total=base + 500,
        test=test,
        self_referral=self_referral,
        placed_at=placed,
        paid_at=placed,  # a booked commission means a paid order
        created_at=placed,
        updated_at=placed,
        cancelled_at=placed + timedelta(days=1) if refund_reason == "cancel" and refunded else None,
    )
    session.add(row)
    session.flush()
    void = test or self_referral
    earned = 0 if void else apply_rate(base, rate_bps)
    common: dict[str, Any] = {
        "influencer_id": who.id,
        "store_id": who.store.id,
        "campaign_id": who.campaign.id,
        "code_id": who.code.id,
        "order_id": row.id,
        "currency": who.store.currency,
    }
    commission = LedgerEntry(
        **common,
        kind="commission",
        status="void" if void else "approved" if status == "paid" else status,
        amount=earned,
        base_amount=base,
        rate_bps=rate_bps,
        available_on=(placed + timedelta(days=hold_days)).date(),
        dedupe_key=f"commission:{row.external_id}",
        reason="test_order" if test else "self_referral" if self_referral else None,
        created_at=placed,
        occurred_at=placed,
    )
    session.add(commission)
    session.flush()
    if status == "paid":
        assert payout is not None, "a paid commission is settled by a payout"
        settle_into(session, payout, commission)
    if refunded and not void:
        back = -apply_rate(refunded, rate_bps)
        session.add(
            LedgerEntry(
                **common,
                kind="reversal",
                status="pending" if status == "pending" else "approved",
                amount=back,
                base_amount=refunded,
                rate_bps=rate_bps,
                available_on=(placed + timedelta(days=2)).date(),
                dedupe_key=f"{refund_reason}:{row.external_id}",
                reason=refund_reason,
                created_at=placed + timedelta(days=2),
                occurred_at=placed + timedelta(days=2),
                refunded_at=placed + timedelta(days=2),
            )
        )
    session.flush()
    return row


def settle_into(session: Session, payout: Payout, entry: LedgerEntry) -> None:
    """Settle ``entry`` by ``payout``, keeping the payout equal to its entries: the part of the
    payout's amount not yet explained by orders is carried by its opening entry (:func:`payout`)."""
    session.add(Settlement(entry_id=entry.id, payout_id=payout.id))
    opening = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.memo == f"earlier earnings, payout {payout.id}",
        )
    ).one()
    opening.amount -= entry.amount
    payout.entry_count += 1
    session.flush()


def payout(
    session: Session,
    who: Seller,
    *,
    amount: int,
    status: str = "paid",
    reference: str | None = "tr_123",
    created: datetime | None = None,
) -> Payout:
    """A payout of ``amount``, settling an opening entry of earlier earnings worth all of it;
    orders settled into it later (:func:`settle_into`) take their share from that entry, so the
    payout always equals the entries it settles, as settlement makes it."""
    created = created or datetime.now(UTC)
    batch = PayoutBatch(as_of=created.date(), status="completed", created_at=created)
    session.add(batch)
    session.flush()
    row = Payout(
        batch_id=batch.id,
        influencer_id=who.id,
        currency=who.store.currency,
        amount=amount,
        entry_count=1,
        method=method_for(who.influencer.stripe_account_id),
        status=status,
        reference=reference,
        period_end=created.date(),
        created_at=created,
        paid_at=created if status == "paid" else None,
    )
    session.add(row)
    session.flush()
    opening = LedgerEntry(
        influencer_id=who.id,
        kind="adjustment",
        status="approved",
        currency=who.store.currency,
        amount=amount,
        available_on=created.date(),
        memo=f"earlier earnings, payout {row.id}",
        created_at=created - timedelta(days=60),
        occurred_at=created - timedelta(days=60),
    )
    session.add(opening)
    session.flush()
    session.add(Settlement(entry_id=opening.id, payout_id=row.id))
    session.flush()
    return row


def bulk_orders(
    session: Session,
    who: Seller,
    *,
    count: int,
    newest: datetime,
    spacing: timedelta,
    hold_days: int = 30,
    refund_every: int = 20,
    batch: int = 2000,
) -> None:
    """``count`` orders, one every ``spacing`` back from ``newest``, with their ledger entries.

    Commissions older than the hold are approved, and paid (settled by one paid payout) when
    older than 60 days; every ``refund_every``-th order is fully refunded. Multi-row inserts keep
    50,000 orders quick.
    """
    today = newest.date()
    paid_out: Payout | None = None
    for start in range(0, count, batch):
        numbers = range(start, min(count, start + batch))
        placed = [newest - spacing * n for n in numbers]
        order_rows = [
            {
                "store_id": who.store.id,
                "external_id": f"{who.id}-{n}",
                "order_number": f"#{100000 + n}",
                "code_id": who.code.id,
                "influencer_id": who.id,
                "campaign_id": who.campaign.id,
                "code_as_entered": who.code.code,
                "currency": who.store.currency,
                "base_amount": 2000 + (n * 37) % 18000,
                "order_total": 2500 + (n * 37) % 18000,
                "test": False,
                "self_referral": False,
                "placed_at": when,
                "created_at": when,
                "updated_at": when,
            }
            for n, when in zip(numbers, placed, strict=True)
        ]
        ids = session.execute(
            insert(Order).returning(Order.id, sort_by_parameter_order=True), order_rows
        ).scalars()
        entries = []
        to_settle: list[bool] = []
        for order_id, values, n in zip(ids, order_rows, numbers, strict=True):
            when = values["placed_at"]
            available = (when + timedelta(days=hold_days)).date()
            age = (today - when.date()).days
            status = "approved" if available <= today else "pending"
            settled = age > 60
            base = values["base_amount"]
            common = {
                "influencer_id": who.id,
                "store_id": who.store.id,
                "campaign_id": who.campaign.id,
                "code_id": who.code.id,
                "order_id": order_id,
                "currency": who.store.currency,
                "base_amount": base,
                "rate_bps": 1000,
                "reason": None,
                "memo": None,
            }
            entries.append(
                {
                    **common,
                    "kind": "commission",
                    "status": status,
                    "amount": apply_rate(base, 1000),
                    "available_on": available,
                    "dedupe_key": f"commission:{values['external_id']}",
                    "created_at": when,
                    "occurred_at": when,
                    "refunded_at": None,
                }
            )
            to_settle.append(settled)
            if refund_every and n % refund_every == 0:
                entries.append(
                    {
                        **common,
                        "kind": "reversal",
                        "status": status,
                        "amount": -apply_rate(base, 1000),
                        "available_on": (when + timedelta(days=3)).date(),
                        "dedupe_key": f"refund:{values['external_id']}",
                        "reason": "refund",
                        "created_at": when + timedelta(days=3),
                        "occurred_at": when + timedelta(days=3),
                        "refunded_at": when + timedelta(days=3),
                    }
                )
                to_settle.append(settled)
        entry_ids = session.execute(
            insert(LedgerEntry).returning(LedgerEntry.id, sort_by_parameter_order=True), entries
        ).scalars()
        settled_ids = [
            (entry_id, values["amount"])
            for entry_id, values, paid in zip(entry_ids, entries, to_settle, strict=True)
            if paid
        ]
        if settled_ids:
            if paid_out is None:
                paid_out = payout(session, who, amount=0, created=newest - timedelta(days=30))
            session.execute(
                insert(Settlement),
                [{"entry_id": entry_id, "payout_id": paid_out.id} for entry_id, _ in settled_ids],
            )
            paid_out.amount += sum(amount for _, amount in settled_ids)
            paid_out.entry_count += len(settled_ids)
    session.flush()


# -- a real SMTP server and an app that mails through it ----------------------------------------


class MailCatcher:
    """An aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> EmailMessage:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
            return self.messages[count - 1]

    def link(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        found = re.search(r"https?://\S+/(?:portal|console)/login/\S+", body)
        assert found, body
        return found.group(0)


@contextmanager
def smtp_server() -> Iterator[tuple[MailCatcher, int]]:
    """A real SMTP server on a free loopback port, stopped afterwards."""
    catcher = MailCatcher()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in_with_token(client: Any, token: str) -> Any:
    """Open the link page, press Sign in; returns the POST's response."""
    page = client.get(f"/portal/login/{token}")
    assert page.status_code == 200, page.text
    return client.post(f"/portal/login/{token}", data={"csrf_token": csrf_of(page.text)})


def signed_in_client(app: Flask, email: str = "anna@example.com", **client_args: Any) -> Any:
    """A test client signed in as ``email`` through a real link (the CLI's)."""
    from codecut.access import login_links
    from codecut.state import get_state

    engine = get_state(app).engine
    with Session(engine) as session, session.begin():
        token = login_links.token_for_email(session, email, app.config["CODECUT_SECRET_KEY"])
    client = app.test_client(**client_args)
    response = sign_in_with_token(client, token)
    assert response.status_code == 303, response.text
    return client
