"""Bulk import: influencers from CSV, each issued a code in one campaign, all or nothing."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from ..errors import Conflict, InvalidInput
from ..models import Campaign, Code, Influencer, Store
from ..outbox.events import Outbox
from ..reads.records import code_record, influencer_record
from .campaigns import get_campaign
from .codes import generate, taken_codes, validate_vanity
from .influencers import influencer_values

IMPORT_COLUMNS = ("email", "name", "handle", "followers", "commission", "code", "stripe_account")
_IMPORT_BATCH = 1000


@dataclass(frozen=True)
class ImportResult:
    influencers: int
    codes: list[tuple[str, str]]  # (email, code)


def import_influencers(
    session: Session,
    stream: io.TextIOBase,
    *,
    campaign_slug: str,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create influencers from CSV and issue each a code in ``campaign_slug``; all or nothing.

    Every row is validated before anything is written; the first bad row raises with its line
    number in the file (the header is line 1). Writes go in batches of multi-row inserts, which is
    what makes 10,000 rows take seconds.
    """
    campaign = get_campaign(session, campaign_slug)
    reader = csv.DictReader(stream)
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    missing = {"email", "name"} - set(header)
    if missing:
        raise InvalidInput(f"the CSV header must name the columns {', '.join(IMPORT_COLUMNS)}")
    unknown = sorted(set(header) - set(IMPORT_COLUMNS))
    if unknown:
        more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
        named = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise InvalidInput(f"unknown CSV column(s): {named}{more}")
    twice = sorted(name for name, times in Counter(header).items() if times > 1)
    if twice:
        raise InvalidInput(f"the CSV header names {', '.join(twice)} more than once")
    reader.fieldnames = header

    existing_emails = set(session.scalars(select(col(Influencer.email))))
    taken = taken_codes(session, campaign.store_id)
    rows: list[dict[str, Any]] = []
    wanted_codes: list[str | None] = []
    seen_emails: set[str] = set()
    seen_codes: set[str] = set()
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(value is None for value in record.values()):
                raise InvalidInput(f"row {line}: expected {len(header)} columns")
            try:
                values = influencer_values(
                    email=record.get("email", ""),
                    name=record.get("name", ""),
                    handle=record.get("handle"),
                    followers=record.get("followers"),
                    commission=(record.get("commission") or "").strip() or None,
                    stripe_account=record.get("stripe_account"),
                )
                vanity = (record.get("code") or "").strip()
                wanted = validate_vanity(vanity) if vanity else None
            except InvalidInput as error:
                raise InvalidInput(f"row {line}: {error.message}") from None
            email = values["email"]
            if email in existing_emails:
                raise Conflict(f"row {line}: an influencer with email {email} exists already")
            if email in seen_emails:
                raise Conflict(f"row {line}: email {email} appears twice in the file")
            if wanted and (wanted in taken or wanted in seen_codes):
                raise Conflict(f"row {line}: code {wanted} is taken in this store")
            seen_emails.add(email)
            if wanted:
                seen_codes.add(wanted)
            rows.append(values)
            wanted_codes.append(wanted)
    except csv.Error as error:
        raise InvalidInput(f"row {reader.line_num}: malformed CSV ({error})") from None
    if not rows:
        raise InvalidInput("the CSV file has no rows")

    taken |= seen_codes
    issued: list[tuple[str, str]] = []
    outbox = Outbox(session.connection())
    store = session.get(Store, campaign.store_id)
    assert store is not None
    for start in range(0, len(rows), _IMPORT_BATCH):
        chunk = rows[start : start + _IMPORT_BATCH]
        ids = session.execute(
            insert(Influencer).returning(col(Influencer.id), sort_by_parameter_order=True),
            [{**values, "login_nonce": ""} for values in chunk],
        ).scalars()
        code_rows = []
        for influencer_id, values, vanity in zip(
            ids, chunk, wanted_codes[start : start + len(chunk)], strict=True
        ):
            code = vanity or generate(values["name"], taken)
            taken.add(code)
            code_rows.append(
                {
                    "code": code,
                    "store_id": campaign.store_id,
                    "campaign_id": campaign.id,
                    "influencer_id": influencer_id,
                    "active": True,
                }
            )
            issued.append((values["email"], code))
        session.execute(insert(Code), code_rows)
        _announce(outbox, chunk, code_rows, campaign, store)
        if progress:
            progress(len(chunk))
    return ImportResult(influencers=len(rows), codes=issued)


def _announce(
    outbox: Outbox,
    chunk: list[dict[str, Any]],
    code_rows: list[dict[str, Any]],
    campaign: Campaign,
    store: Store,
) -> None:
    """``influencer.created`` and ``code.created`` per imported row, when an endpoint listens."""
    for values, code_values in zip(chunk, code_rows, strict=True):
        influencer = Influencer(id=code_values["influencer_id"], **values)
        if outbox.subscribers("influencer.created"):
            outbox.emit("influencer.created", influencer_record(influencer))
        if outbox.subscribers("code.created"):
            code = Code(**code_values)
            outbox.emit("code.created", code_record(code, influencer, campaign, store))
