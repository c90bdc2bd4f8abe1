"""``codecut commissions``: approval after the hold, and manual corrections."""

from __future__ import annotations

from datetime import date

import click

from ..access import audit
from ..commissions import adjustments
from ..commissions.approval import approve
from ..db import transaction
from ..models import utcnow
from ..money import format_minor
from ._common import day_option, echo_json, engine, group, info, json_option

commissions_group = group("commissions", "Approving commissions and booking corrections.")


@commissions_group.command("approve")
@click.option("--as-of", callback=day_option, help="Treat holds as of this day (default today).")
def commissions_approve(as_of: date | None) -> None:
    """Pending entries whose hold has passed become approved (payable)."""
    as_of = as_of or utcnow().date()
    with transaction(engine()) as session:
        count = approve(session, as_of, actor=audit.os_actor())
    info(f"{count} entr{'y' if count == 1 else 'ies'} approved as of {as_of}")


@commissions_group.command("adjust")
@click.option("--influencer", "email", required=True, help="The influencer's email.")
@click.option("--amount", required=True, help="Signed, in major units: -5.00 takes back 5.")
@click.option("--currency", required=True)
@click.option("--memo", required=True, help="Why; kept on the entry and in the audit log.")
@click.option(
    "--yes", "new_currency", is_flag=True, help="Book it even in a currency they never earned in."
)
@json_option
def commissions_adjust(
    email: str, amount: str, currency: str, memo: str, new_currency: bool, as_json: bool
) -> None:
    """Book a correction as a new approved entry (the ledger is never edited)."""
    with transaction(engine()) as session:
        entry = adjustments.adjust(
            session,
            influencer_email=email,
            amount=amount,
            currency=currency,
            memo=memo,
            actor=audit.os_actor(),
            new_currency=new_currency,
        )
        record = {
            "entry_id": entry.id,
            "influencer_email": email.strip().lower(),
            "amount": format_minor(entry.amount, entry.currency),
            "currency": entry.currency,
            "status": entry.status,
            "memo": entry.memo,
        }
    if as_json:
        echo_json(record)
    else:
        info(f"adjustment {record['entry_id']}: {record['amount']} {record['currency']} booked")
