"""For admins: webhook endpoints, API keys (never the keys) and the audit trail, to read.
Making and revoking them stays with ``codecut webhook-endpoint``, ``codecut apikey`` and the API."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlmodel import col

from ...access import apikeys
from ...db import transaction
from ...models import AuditEvent, Staff
from ...outbox import endpoints
from ...state import get_state
from .auth import console, role_required


@console.get("/console/admin")
@role_required("admin")
def admin_page(member: Staff) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        hooks = [endpoints.endpoint_record(session, e) for e in endpoints.list_endpoints(session)]
        keys = apikeys.list_keys(session)
        trail = session.scalars(
            select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(100)
        ).all()
    return render_template("console/admin.html", member=member, hooks=hooks, keys=keys, trail=trail)
