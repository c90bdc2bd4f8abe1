"""Long work started from a page -- a code push, a payout run -- in a thread of the process that
took the request, so the page answers at once.

The work commits as it goes (each code's standing, each payout's status), so its progress is read
from the database and any worker process can show it; the audit trail says when it started and
how it ended. If the process dies mid-way, starting it again resumes (both jobs are resumable).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlmodel import Session, col

from ... import logs
from ...access import audit
from ...dates import as_utc
from ...db import transaction
from ...errors import CodecutError
from ...models import AuditEvent, utcnow
from ...state import get_state

#: A job with no ending recorded after this long is taken to have died with its process.
GIVE_UP = timedelta(minutes=30)


def start(
    work: Callable[[], dict[str, Any]],
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: Any,
) -> None:
    """Record ``action`` started, run ``work`` in a thread, then record ``action.done`` with
    what it returned, or ``action.failed`` with the reason."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    ids = {"actor": actor, "subject_type": subject_type, "subject_id": subject_id}
    with transaction(get_state().engine) as session:
        audit.record(session, action=action, **ids)

    def run() -> None:
        with app.app_context():
            try:
                detail = work()
                outcome = f"{action}.done"
            except CodecutError as error:
                detail, outcome = {"error": error.message}, f"{action}.failed"
            except Exception as error:  # a bug: logged with its traceback, said plainly
                logs.event("console", f"{action} failed", logging.ERROR, error=repr(error))
                logging.getLogger("codecut").exception("%s failed", action)
                detail, outcome = {"error": "an internal error; see the log"}, f"{action}.failed"
            with transaction(get_state().engine) as session:
                audit.record(session, action=outcome, detail=detail, **ids)

    threading.Thread(target=run, name=f"codecut-{action}", daemon=True).start()


def latest(session: Session, *, action: str, subject_type: str, subject_id: Any) -> dict[str, Any]:
    """The last run of ``action`` on a subject: ``running`` (bool), ``started_at``, and once it
    ended, ``outcome`` (``done`` or ``failed``) and its ``detail``."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            col(AuditEvent.subject_type) == subject_type,
            col(AuditEvent.subject_id) == str(subject_id),
            col(AuditEvent.action).in_((action, f"{action}.done", f"{action}.failed")),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(2)
    ).all()
    if not events:
        return {"running": False}
    last = events[0]
    if last.action == action:
        stale = utcnow() - as_utc(last.at) > GIVE_UP
        return {"running": not stale, "started_at": last.at, "stale": stale}
    started = events[1].at if len(events) > 1 and events[1].action == action else None
    return {
        "running": False,
        "started_at": started,
        "ended_at": last.at,
        "outcome": last.action.rsplit(".", 1)[1],
        "detail": json.loads(last.detail or "{}"),
    }
