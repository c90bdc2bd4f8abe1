"""The payout run lock: one ``running`` batch row with a lease and an owner.

A partial unique index admits one running batch. A later run takes a batch over once its lease has
expired, or at once when the owner is provably gone (same host, its process no longer exists).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..access import audit
from ..db import rowcount, transaction
from ..errors import Conflict
from ..models import BatchStatus, PayoutBatch, id_of, utcnow

#: How long a run's lock survives without a heartbeat; a killed run blocks others this long at
#: most (less when the owner is provably gone).
LEASE = timedelta(seconds=120)
_HEARTBEAT_EVERY = timedelta(seconds=20)


def _owner_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_gone(owner: str | None) -> bool:
    """True only when the owner is provably dead: on this host, and its pid no longer exists."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


@dataclass
class Lease:
    """This process's hold on a running batch."""

    batch_id: int
    owner: str
    taken_over: bool
    renewed_at: datetime = field(default_factory=utcnow)


def acquire(engine: Engine, *, as_of: date, method: str | None, actor: str) -> Lease:
    """Start a batch, or take over one a dead or expired run left; a clear error otherwise."""
    owner = _owner_token()
    with transaction(engine) as session:
        running = session.scalars(
            select(PayoutBatch).where(col(PayoutBatch.status) == BatchStatus.RUNNING)
        ).first()
        if running is not None:
            now = utcnow()
            expired = running.lease_expires_at is None or running.lease_expires_at <= now
            if not (expired or _owner_gone(running.owner)):
                raise Conflict(
                    f"another payout run is in progress (batch {running.id}, "
                    f"{running.owner or 'unknown owner'}, lease until "
                    f"{running.lease_expires_at.isoformat() if running.lease_expires_at else '-'})"
                )
            taken = session.execute(
                update(PayoutBatch)
                .where(
                    col(PayoutBatch.id) == running.id,
                    col(PayoutBatch.status) == BatchStatus.RUNNING,
                    col(PayoutBatch.owner).is_(None)
                    if running.owner is None
                    else col(PayoutBatch.owner) == running.owner,
                )
                .values(owner=owner, lease_expires_at=now + LEASE)
            )
            if rowcount(taken) != 1:
                raise Conflict(f"another run took over batch {running.id} just now")
            audit.record(
                session,
                actor=actor,
                action="payout_batch.take_over",
                subject_type="payout_batch",
                subject_id=running.id,
                detail={"previous_owner": running.owner},
            )
            return Lease(id_of(running), owner, taken_over=True)
        batch = PayoutBatch(
            as_of=as_of,
            method=method,
            status=BatchStatus.RUNNING,
            owner=owner,
            lease_expires_at=utcnow() + LEASE,
            created_by=actor[:200],
        )
        session.add(batch)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict("another payout run started at the same moment") from None
        audit.record(
            session,
            actor=actor,
            action="payout_batch.start",
            subject_type="payout_batch",
            subject_id=batch.id,
            detail={"as_of": as_of.isoformat(), "method": method},
        )
        return Lease(id_of(batch), owner, taken_over=False)


def renew(session: Session, lease: Lease) -> None:
    """Extend the lease; fails if another run has taken the batch over (this one was too slow)."""
    now = utcnow()
    result = session.execute(
        update(PayoutBatch)
        .where(
            col(PayoutBatch.id) == lease.batch_id,
            col(PayoutBatch.status) == BatchStatus.RUNNING,
            col(PayoutBatch.owner) == lease.owner,
        )
        .values(lease_expires_at=now + LEASE)
    )
    if rowcount(result) != 1:
        raise Conflict(f"batch {lease.batch_id} was taken over by another run; stopping")
    lease.renewed_at = now


def heartbeat(engine: Engine, lease: Lease) -> None:
    if utcnow() - lease.renewed_at >= _HEARTBEAT_EVERY:
        with transaction(engine) as session:
            renew(session, lease)


def release(engine: Engine, lease: Lease, *, completed: bool) -> None:
    """Complete the batch, or let the next run take it over at once (the run stopped early)."""
    values: dict[str, Any] = {"lease_expires_at": utcnow()}
    if completed:
        values = {
            "status": BatchStatus.COMPLETED,
            "completed_at": utcnow(),
            "lease_expires_at": None,
        }
    with transaction(engine) as session:
        session.execute(
            update(PayoutBatch)
            .where(col(PayoutBatch.id) == lease.batch_id, col(PayoutBatch.owner) == lease.owner)
            .values(**values)
        )
