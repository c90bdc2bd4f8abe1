"""The audit trail: who changed money or access, when, and to what."""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

from sqlmodel import Session

from ..models import AuditEvent


def os_actor() -> str:
    """The operator behind a CLI command: the OS user name (``$USER`` when the lookup fails)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or f"uid:{os.getuid()}"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: Any,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction, so it exists exactly when the change does."""
    event = AuditEvent(
        actor=actor[:200],
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=json.dumps(detail or {}, default=str, sort_keys=True),
    )
    session.add(event)
    return event
